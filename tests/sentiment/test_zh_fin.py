"""zh_fin, the Chinese scorer: each rule both ways, both scripts, lazy loading, the rule trace."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import REPO_ROOT
from hkbt.cli.main import cli
from hkbt.sentiment.zh_fin import ZH_RULES, ZhFinScorer


@pytest.fixture(scope="module")
def zh() -> ZhFinScorer:
    return ZhFinScorer()


def score(scorer: ZhFinScorer, text: str) -> float:
    return float(scorer.score([text])[0])


def rules(scorer: ZhFinScorer, text: str) -> list[str]:
    return [rule for rule, _, _ in scorer.explain(text).fired]


@pytest.mark.parametrize(
    ("good", "bad"),
    [
        ("公司发布利好消息", "公司发布利空消息"),  # lexicon
        ("央行宣布降准", "央行宣布加息"),
        ("净利润同比增长40%", "净利润同比下降40%"),  # direction: more of a good quantity
        ("亏损收窄", "亏损扩大"),  # direction: a bad quantity
        ("降低成本", "成本上涨"),  # the quantity on the right, then on the left
        ("美国取消关税", "美国加征关税"),  # a restriction taken away / added
        ("遏制楼市下滑", "楼市下滑"),  # a stopping word turns a bad thing into good news
        ("股价创新高", "股价创新低"),
    ],
)
def test_rules_both_ways(zh, good, bad):
    assert score(zh, good) >= 0.3, zh.explain(good)
    assert score(zh, bad) <= -0.2, zh.explain(bad)


def test_negation_flips_and_degree_scales(zh):
    assert score(zh, "并非利好") < 0 < score(zh, "利好")
    assert score(zh, "未能扭亏") < 0 < score(zh, "扭亏")
    assert score(zh, "营收大幅增长") > score(zh, "营收增长") > score(zh, "营收小幅增长") > 0
    assert "negation" in rules(zh, "并非利好") and "degree" in rules(zh, "营收大幅增长")


def test_outer_change_decides(zh):
    """利润增长放缓: growth of profit slowed, which is bad news although profit grew."""
    assert score(zh, "利润增长放缓") < -0.2
    assert rules(zh, "利润增长放缓") == ["direction"]


def test_hedge_and_contrast(zh):
    assert 0 > score(zh, "净利润可能下降") > score(zh, "净利润下降")
    assert score(zh, "营收不及预期，但利润大增") > 0 > score(zh, "营收大增，但利润不及预期")
    assert "contrast" in rules(zh, "营收不及预期，但利润大增")


def test_direction_stays_in_its_clause(zh):
    """A comma ends a clause: 成本 is not the subject of 增长 in the next clause."""
    assert score(zh, "成本持平，销量增长") > 0


def test_traditional_reads_as_simplified(zh):
    pairs = [("騰訊股價大漲", "腾讯股价大涨"), ("央行宣佈全面降準", "央行宣布全面降准"), ("證監會立案調查", "证监会立案调查")]
    for traditional, simplified in pairs:
        assert score(zh, traditional) == score(zh, simplified) != 0
    assert zh.normalise("ＡＩ晶片需求強勁") == "ai芯片需求强劲"


def test_plain_facts_and_empty_text_are_neutral(zh):
    assert score(zh, "") == 0.0
    assert abs(score(zh, "某公司召开年度股东大会")) < 0.2
    with pytest.raises(TypeError):
        zh.score([None])


def test_lexicon_words_stay_whole(zh):
    assert "创新高" in zh.segment("小米汽车交付量创新高")
    assert "立案调查" in zh.segment("证监会对某公司立案调查")


def test_explain_names_known_rules(zh):
    for text in ("遏制楼市下滑", "营收不及预期，但利润大增", "净利润可能大幅下降"):
        assert set(rules(zh, text)) <= set(ZH_RULES), text


def test_version_follows_the_lexicon():
    base = ZhFinScorer()
    changed = ZhFinScorer("@words\n利好\t+1.0\tgood news\n")
    assert base.version != changed.version and changed.version.startswith("1+jieba")


def test_bad_lexicon_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown section"):
        ZhFinScorer("@feelings\n好\t1\tgood\n")
    with pytest.raises(ValueError, match="zh_fin.txt:2"):
        ZhFinScorer("@words\n利好\tbig\tgood\n")


def test_jieba_loads_only_when_a_text_is_scored():
    code = (
        "import sys; from hkbt.sentiment.scoring import get_scorer; s = get_scorer('zh_fin'); "
        "before = 'jieba' in sys.modules or 'opencc' in sys.modules; s.score(['利好']); "
        "print(before, 'jieba' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    assert out.stdout.split() == ["False", "True"]
    assert out.stderr == ""  # jieba's dictionary-loading chatter is silenced


def test_cli_score_shows_chinese_rules(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["sentiment", "score", "遏制楼市下滑", "Stocks rally"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "zh_fin" in out and "language zh" in out and "negation" in out and "遏制 → 下滑" in out
    assert "vader_fin" in out and "language en" in out
