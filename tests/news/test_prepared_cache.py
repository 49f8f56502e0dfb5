"""The prepared-news cache: a warm run equals a cold one, every input that matters makes a new entry,
and a damaged or foreign file is never trusted (nor touched when hkbt did not write it)."""

from __future__ import annotations

import hashlib
import importlib.metadata
import inspect
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

import hkbt.pipeline as pipeline
from hkbt.config import load_config
from hkbt.errors import DataError
from hkbt.news import prepared_cache
from hkbt.news.prepared_cache import DEPENDENCIES, FOLDER, MAGIC, PREPARED_KEYS, code_digest, prepared_key
from hkbt.pipeline import picked_settings, prepare_news
from hkbt.sentiment.scoring import SCORERS

REPO = Path(__file__).resolve().parents[2]
EXTRA = (
    '"2025-02-17T07:05:00+08:00","阿里巴巴股价大涨，创历史新高","","x","https://e.com/zh1",""\n'
    '"2025-02-17T07:10:00+08:00","騰訊股價暴跌","","x","https://e.com/zh2",""\n'
    '"2025-02-17T07:15:00+08:00","アリババ株が急騰","","x","https://e.com/ja",""\n'
    '"2025-02-17T07:20:00+08:00","HSBC profit jumps","","x","https://e.com/hsbc","0005.HK"\n'
)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The bundled sample news plus Chinese, Japanese and outside-universe rows, a config with a cache,
    the news prepared without any cache (``expected``) and a warm cache (one prepared run)."""
    folder = tmp_path_factory.mktemp("prepared")
    news = (REPO / "data" / "news" / "hk_tech_sample.csv").read_text(encoding="utf-8")
    (folder / "news.csv").write_text(news.rstrip("\n") + "\n" + EXTRA, encoding="utf-8")
    (folder / "config.yaml").write_text(
        "run: {start: 2024-03-01, end: 2025-03-31, output_dir: out}\n"
        "news: {path: news.csv}\nsentiment: {cache_dir: cache}\nprices: {source: synthetic}\n",
        encoding="utf-8",
    )
    expected = prepare_news(_config(folder, "sentiment.cache_dir=null"), folder)
    cold = prepare_news(_config(folder), folder)
    return folder, expected, cold


@pytest.fixture
def project(template, tmp_path):
    """A copy of the template project whose cache is warm (scores, languages, one prepared entry)."""
    shutil.copytree(template[0], tmp_path, dirs_exist_ok=True)
    return tmp_path


@pytest.fixture
def expected(template):
    return template[1]


def load_config_text(folder: Path, text: str):
    (folder / "config.yaml").write_text("run: {start: 2024-03-01, end: 2025-03-31, output_dir: out}\n"
                                        "prices: {source: synthetic}\n" + text, encoding="utf-8")
    return load_config(folder / "config.yaml")


def _config(project: Path, *overrides: str):
    return load_config(project / "config.yaml", list(overrides))


def _entries(project: Path) -> list[Path]:
    return sorted((project / "cache" / FOLDER).glob("*.arrow"))


def _refuse_stages(monkeypatch):
    """Make the stages the cache replaces fail, to prove a run did not call them."""
    def refuse(*args, **kwargs):
        raise AssertionError("the prepared-news cache was not used")
    monkeypatch.setattr(pipeline, "read_news", refuse)
    for name in ("hkbt.news.entities.link_entities", "hkbt.sentiment.scoring.compute_sentiment", "hkbt.news.topics.tag_topics",
                 "hkbt.news.scopes.assign_scope", "hkbt.news.language.detect_languages"):  # imported when the stages run
        monkeypatch.setattr(name, refuse)


def _same(first, second):
    pd.testing.assert_frame_equal(first[0], second[0])
    assert first[1] == second[1]


def test_warm_run_reads_one_entry_and_equals_a_run_without_cache(template, project, expected, monkeypatch):
    cold = template[2]
    assert len(_entries(project)) == 1 and not cold[1].notes
    _refuse_stages(monkeypatch)
    warm = prepare_news(_config(project), project)
    _same(cold, expected)
    _same(warm, expected)
    assert warm[1].languages_dropped == (("ja", 1),) and warm[1].outside_universe == 1
    assert isinstance(warm[0].tickers.iloc[0], list) and isinstance(warm[0].topics.iloc[0], list)


def test_signal_cutoff_is_applied_after_the_cache(project, monkeypatch):
    later = prepare_news(_config(project, "signals.cutoff_before_open_minutes=120", "sentiment.cache_dir=null"), project)
    _refuse_stages(monkeypatch)
    _same(prepare_news(_config(project, "signals.cutoff_before_open_minutes=120"), project), later)


@pytest.mark.parametrize("override", [
    "sentiment.scorer=vader", "sentiment.zh_scorer=zh_fin", "sentiment.text=headline_body", "news.languages=[en]",
    "news.timezone=UTC", "news.columns.body=source", "universe.tickers=[9988.HK, 0700.HK]",
    "universe.aliases={9988.HK: [Taobao]}", "topics={policy: [stimulus]}", "scopes.china=[beijing]",
    "scopes.false_friends=[JD Sports, Alibaba Pictures]", "themes={robots: {keywords: [humanoid], tickers: [1810.HK]}}",
])
def test_every_setting_that_shapes_the_news_changes_the_key(project, override):
    base, changed = _config(project), _config(project, override)
    before = prepared_key(picked_settings(base, PREPARED_KEYS), "digest")
    after = prepared_key(picked_settings(changed, PREPARED_KEYS), "digest")
    if override == "sentiment.zh_scorer=zh_fin":  # already the default: the same settings, the same key
        assert before == after
    else:
        assert before != after


def test_settings_that_do_not_shape_the_news_keep_the_key(project):
    keys = {prepared_key(picked_settings(_config(project, *o), PREPARED_KEYS), "d")
            for o in [(), ("signals.min_abs_score=0.5",), ("strategy.name=basket_hold",), ("run.start=2024-06-03",)]}
    assert len(keys) == 1


@pytest.mark.parametrize("dependency", DEPENDENCIES)
def test_a_new_dependency_version_changes_the_key(dependency, monkeypatch):
    before = prepared_key({}, "d")
    real = importlib.metadata.version
    monkeypatch.setattr(prepared_cache.importlib.metadata, "version",
                        lambda name: "99.0" if name == dependency else real(name))
    assert prepared_key({}, "d") != before


def test_hkbt_code_and_data_change_the_key(monkeypatch):
    before = prepared_key({}, "d")
    monkeypatch.setattr(prepared_cache, "code_digest", lambda: "another hkbt")
    assert prepared_key({}, "d") != before
    assert prepared_key({}, "other news bytes") != before


def test_the_code_digest_covers_every_scorer_and_its_data(tmp_path):
    """A scorer's version is built from its module and lexicon/model files: all of them are hashed."""
    root = Path(prepared_cache.__file__).resolve().parents[1]
    for factory in SCORERS.values():
        assert Path(inspect.getsourcefile(factory)).resolve().is_relative_to(root)
    copy = tmp_path / "hkbt"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("__pycache__"))
    digest = prepared_cache._package_digest
    assert digest(copy) == code_digest()
    for edited in ("sentiment/vader_fin.py", "sentiment/lexicons/vader_fin.txt", "news/scopes.yaml"):
        target = copy / edited
        original = target.read_bytes()
        target.write_bytes(original + b"\n")
        assert digest(copy) != code_digest(), edited
        target.write_bytes(original)


def test_a_changed_news_file_is_prepared_again(project):
    path = project / "news.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Xiaomi's debut", "Xiaomi debut"), encoding="utf-8")
    fresh = prepare_news(_config(project), project)
    _same(fresh, prepare_news(_config(project, "sentiment.cache_dir=null"), project))
    assert "Xiaomi debut electric car undercuts Tesla and draws a flood of orders" in fresh[0].headline.tolist()
    assert len(_entries(project)) == 2


def test_a_foreign_file_is_ignored_with_a_warning_and_left_alone(project, expected):
    (entry,) = _entries(project)
    entry.write_bytes(b"not ours")
    news, report = prepare_news(_config(project), project)
    pd.testing.assert_frame_equal(news, expected[0])
    assert len(report.notes) == 1 and "not a prepared-news cache entry written by hkbt" in report.notes[0]
    assert report.notes[0] in report.warnings("Asia/Hong_Kong")
    assert entry.read_bytes() == b"not ours"


def _rewrite(entry: Path, change) -> None:
    """Rewrite an entry's frame through ``change`` as a forger would: magic and checksum made valid again."""
    raw = entry.read_bytes()[len(MAGIC):]
    key = entry.stem
    import pyarrow as pa
    import json

    table = pa.ipc.open_file(pa.BufferReader(raw[32:])).read_all()
    meta = json.loads(table.schema.metadata[b"hkbt.prepared"])
    frame, report = prepared_cache._decode(raw, meta["key"])
    body = prepared_cache._encode(change(frame), report, meta["key"])
    entry.write_bytes(MAGIC + hashlib.sha256(body).digest() + body)
    assert key == entry.stem


@pytest.mark.parametrize("damage", ["truncated", "flipped byte", "score out of range", "unknown scope", "row dropped"])
def test_a_damaged_entry_is_never_trusted_and_is_rewritten(project, expected, damage):
    (entry,) = _entries(project)
    raw = entry.read_bytes()
    if damage == "truncated":
        entry.write_bytes(raw[: len(raw) // 2])
    elif damage == "flipped byte":
        entry.write_bytes(raw[:-100] + bytes([raw[-100] ^ 1]) + raw[-99:])
    elif damage == "score out of range":
        _rewrite(entry, lambda f: f.assign(score=f.score * 3))
    elif damage == "unknown scope":
        _rewrite(entry, lambda f: f.assign(scope="everywhere"))
    else:
        _rewrite(entry, lambda f: f.iloc[1:].reset_index(drop=True))
    news, report = prepare_news(_config(project), project)
    _same((news, pipeline.dataclasses.replace(report, notes=())), expected)
    assert len(report.notes) == 1 and "damaged prepared-news cache entry" in report.notes[0]
    news, report = prepare_news(_config(project), project)  # rewritten: used again, no warning
    _same((news, report), expected)


def test_an_entry_filed_under_another_key_is_not_used(project):
    (entry,) = _entries(project)
    other = prepare_news(_config(project, "sentiment.scorer=vader"), project)
    (moved,) = [e for e in _entries(project) if e != entry]
    shutil.copyfile(moved, entry)  # the vader entry where the vader_fin one belongs
    news, report = prepare_news(_config(project), project)
    assert "damaged prepared-news cache entry (filed under another key)" in report.notes[0]
    assert not news.score.equals(other[0].score)


def test_an_unwritable_cache_costs_a_warning_not_the_run(project, expected, monkeypatch):
    shutil.rmtree(project / "cache" / FOLDER)  # the score cache stays warm: nothing else is written

    def refuse(source, target):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr("hkbt.files.os.replace", refuse)
    news, report = prepare_news(_config(project), project)
    pd.testing.assert_frame_equal(news, expected[0])
    assert len(report.notes) == 1 and "Permission denied" in report.notes[0] and "not cached" in report.notes[0]
    assert not list((project / "cache" / FOLDER).iterdir())  # no temporary file left behind


def test_a_fifo_as_news_path_is_refused_without_waiting_for_a_writer(tmp_path):
    """The digest opens the news path before the loader checks it: a FIFO must not block the run."""
    fifo = tmp_path / "news.fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        prepared_cache.file_digest(fifo)
    with pytest.raises(DataError, match="not a regular file"):
        prepare_news(load_config_text(tmp_path, "news: {path: news.fifo}\nsentiment: {cache_dir: cache}\n"), tmp_path)


def test_news_from_a_store_or_as_of_is_not_cached(project):
    shutil.rmtree(project / "cache" / FOLDER)
    prepare_news(_config(project), project, as_of=pd.Timestamp("2025-01-01", tz="UTC"))
    assert not _entries(project)
