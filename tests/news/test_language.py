"""Language of each news item (hkbt.news.language) and what a run does with it."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import require_shared
from hkbt.cli.main import cli
from hkbt.config import load_config
from hkbt.errors import ConfigError
from hkbt.news.language import detect_languages, filter_languages, to_simplified
from hkbt.news.load import NewsReport
from hkbt.pipeline import prepare_news


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Tencent unveils Hunyuan T1 reasoning model", "en"),
        ("HK stocks end higher as tech rallies", "en"),
        ("Politburo vows to stop property slide", "en"),  # no function word from the quick list: asks pass 2
        ("阿里巴巴港股涨超5%，创三年新高", "zh"),
        ("騰訊發布混元T1推理模型，股價上漲", "zh"),  # traditional
        ("DeepSeek发布R1模型，性能比肩OpenAI o1", "zh"),  # Chinese with Latin names
        ("Alibaba (阿里巴巴) shares jump 5% on cloud growth", "en"),  # English quoting a Chinese name
        ("アリババ株が急騰、AI投資を発表", "ja"),
        ("삼성전자 주가 상승", "ko"),
        ("Der DAX schließt mit Gewinnen", "de"),
        ("Las acciones de Alibaba suben tras resultados", "es"),
        ("Tencent dévoile un nouveau modèle d'IA", "fr"),
        ("12345 %", "und"),
        ("   ", "und"),
        ("", "und"),
    ],
)
def test_detect_languages(text, code):
    assert detect_languages([text]) == [code]


def test_detect_languages_keeps_order_and_rejects_non_text():
    assert detect_languages(["央行降准", "Stocks rally", "央行降準"]) == ["zh", "en", "zh"]
    assert detect_languages([]) == []
    with pytest.raises(TypeError):
        detect_languages([None])


MIXED = ["Tencent unveils Hunyuan T1 reasoning model", "騰訊發布混元T1推理模型，股價上漲", "Der DAX schließt mit Gewinnen",
         "Politburo vows to stop property slide", "アリババ株が急騰、AI投資を発表", "12345 %", "Tencent unveils Hunyuan T1 reasoning model"]


def test_cached_languages_equal_the_detector_and_a_warm_cache_never_loads_it(tmp_path, monkeypatch):
    from hkbt.news import language

    fresh = detect_languages(MIXED)
    assert detect_languages(MIXED, tmp_path) == fresh  # cold: detected, then stored
    monkeypatch.setattr(language, "_detector", lambda codes: pytest.fail("a warm cache loaded the detector"))
    assert detect_languages(MIXED, tmp_path) == fresh == ["en", "zh", "de", "en", "ja", "und", "en"]
    assert detect_languages(list(reversed(MIXED)), tmp_path) == list(reversed(fresh))


def test_language_cache_rows_are_checked_and_keyed_by_detector_version(tmp_path, monkeypatch):
    import sqlite3

    from hkbt.news import language
    from hkbt.sentiment.text_cache import CACHE_FILE

    detect_languages(MIXED, tmp_path)
    with sqlite3.connect(tmp_path / CACHE_FILE) as connection:
        rows = connection.execute("SELECT version, COUNT(*) FROM languages GROUP BY 1").fetchall()
        assert rows == [(language.detector_version(), 6)]  # each distinct text once
        connection.execute("UPDATE languages SET language = 'xx'")  # an edited row is never used
    assert detect_languages(MIXED, tmp_path) == detect_languages(MIXED)
    monkeypatch.setattr(language, "detector_version", lambda: "another detector")
    calls = []
    monkeypatch.setattr(language, "_detect", lambda texts: calls.append(list(texts)) or ["en"] * len(texts))
    assert detect_languages(MIXED[:2], tmp_path) == ["en", "en"]  # a new version reuses nothing
    assert calls == [MIXED[:2]]


def test_real_english_headlines_stay_english():
    """Short English headlines are where a broad detector errs ("... - Handelsblatt" read as German)."""
    news = require_shared("news")
    reuters = pd.read_csv(news / "reuters_headlines_2018-03_2020-07.csv")["Headlines"].dropna().astype(str)
    rthk = pd.read_csv(news / "rthk_en_finance_greaterchina_2024-03_2025-04.csv")["title"].astype(str)
    texts = list(dict.fromkeys([*reuters, *rthk]))[:22000]
    found = {t: c for t, c in zip(texts, detect_languages(texts)) if c != "en"}
    # the one foreign headline among these 22,000 really is Italian
    assert found == {"Volkswagen, accordo da 830 mln euro con consumatori per scandalo diesel": "it"}


def test_to_simplified_reads_traditional_and_leaves_simplified_alone():
    """Taiwan words become mainland ones only in traditional text: tw2sp would rewrite plain mainland
    words too (新增 -> 添加, 显著 -> 显着, 执行 -> 运行)."""
    assert to_simplified("騰訊晶片業務強勁，伺服器需求顯著") == "腾讯芯片业务强劲，服务器需求显著"
    for simplified in ("6月新增人民币贷款1.1万亿元", "响应速度显著提升", "委任新独立非执行董事", "Tencent"):
        assert to_simplified(simplified) == simplified


def test_filter_languages_counts_what_it_drops():
    news = pd.DataFrame({"headline": list("abcde"), "language": ["en", "ja", "zh", "und", "ja"]}, index=[5, 6, 7, 8, 9])
    kept, dropped = filter_languages(news, ["en", "zh"])
    assert kept.headline.tolist() == ["a", "c"] and list(kept.index) == [0, 1]
    assert dropped == {"ja": 2, "und": 1}
    kept, dropped = filter_languages(news, ["en"])
    assert kept.headline.tolist() == ["a"] and dropped == {"ja": 2, "zh": 1, "und": 1}


def test_one_warning_for_all_dropped_items():
    report = NewsReport(rows_read=5, duplicates_dropped=0, naive_timestamps=0, languages_dropped=(("ja", 2), ("und", 1)))
    (line,) = report.warnings("Asia/Hong_Kong")
    assert line.startswith("3 news item(s) dropped: no scorer for their language (ja 2, und 1;")
    assert "news.languages" in line


NEWS = """\
published_at,headline,source,url
2025-02-17T07:00:00+08:00,Alibaba shares surge to a record high,x,https://e.com/1
2025-02-17T07:05:00+08:00,阿里巴巴股价大涨，创历史新高,x,https://e.com/2
2025-02-17T07:10:00+08:00,騰訊股價暴跌,x,https://e.com/3
2025-02-17T07:15:00+08:00,アリババ株が急騰,x,https://e.com/4
2025-02-17T07:20:00+08:00,2025,x,https://e.com/5
"""


@pytest.fixture
def mixed_project(tmp_path):
    (tmp_path / "news.csv").write_text(NEWS, encoding="utf-8")
    (tmp_path / "config.yaml").write_text(
        "run: {start: 2025-02-10, end: 2025-03-10, output_dir: out}\n"
        "news: {path: news.csv}\nsentiment: {cache_dir: null}\nprices: {source: synthetic}\n",
        encoding="utf-8",
    )
    return tmp_path


def test_run_scores_chinese_and_drops_other_languages(mixed_project):
    config = load_config(mixed_project / "config.yaml")
    news, report = prepare_news(config, mixed_project)
    assert news.language.tolist() == ["en", "zh", "zh"]
    assert news.score.iloc[0] > 0.3 and news.score.iloc[1] > 0.3 and news.score.iloc[2] < -0.2  # never a silent 0
    assert news.tickers.iloc[1] == ["9988.HK"] and news.tickers.iloc[2] == ["0700.HK"]  # Chinese aliases
    assert report.languages_dropped == (("ja", 1), ("und", 1))

    only_english = load_config(mixed_project / "config.yaml", ["news.languages=[en]"])
    news, report = prepare_news(only_english, mixed_project)
    assert news.language.tolist() == ["en"]
    assert report.languages_dropped == (("zh", 2), ("ja", 1), ("und", 1))


def test_run_writes_language_and_warns_once(mixed_project, monkeypatch):
    monkeypatch.chdir(mixed_project)
    result = CliRunner().invoke(cli, ["run", "--config", "config.yaml", "--name", "mixed"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "no scorer for their language" in line]
    assert len(warnings) == 1 and "(ja 1, und 1;" in warnings[0]
    written = pd.read_csv(mixed_project / "out" / "mixed" / "news.csv")
    assert written.language.tolist() == ["en", "zh", "zh"]
    info = json.loads((mixed_project / "out" / "mixed" / "run_info.json").read_text(encoding="utf-8"))
    assert any("no scorer for their language" in w for w in info["warnings"])


def test_unknown_language_in_config_is_an_error(mixed_project):
    with pytest.raises(ConfigError) as info:
        load_config(mixed_project / "config.yaml", ["news.languages=[en, fr]"])
    assert "news.languages" in str(info.value)
