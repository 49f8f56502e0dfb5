"""Entity linking (aliases, ticker forms) and topic tagging."""

from __future__ import annotations

import pandas as pd
import pytest

from hkbt.config import DEFAULT_ALIASES, DEFAULT_TOPICS, DEFAULT_UNIVERSE
from hkbt.news.entities import link_entities, ticker_forms
from hkbt.news.topics import tag_topics


def linked(headline: str, tickers=()) -> list[str]:
    news = pd.DataFrame({"headline": [headline], "body": [""], "tickers": [list(tickers)]})
    return link_entities(news, DEFAULT_UNIVERSE, DEFAULT_ALIASES, news.headline).tickers[0]


@pytest.mark.parametrize(
    ("headline", "expected"),
    [
        ("Alibaba shares jump after cloud results", ["9988.HK"]),
        ("ALIBABA UP 5%", ["9988.HK"]),
        ("阿里巴巴发布新模型", ["9988.HK"]),
        ("NYSE:BABA rallies premarket", ["9988.HK"]),
        ("BABA and JD lead gains", ["9618.HK", "9988.HK"]),
        ("HK:9988 and 0700.HK climb", ["0700.HK", "9988.HK"]),
        ("HK:700 rises", ["0700.HK"]),
        ("JD.com cuts prices", ["9618.HK"]),
        ("Tencent-backed startup raises funds", ["0700.HK"]),
        ("BYD and Geely ship record EVs", ["0175.HK", "1211.HK"]),
        ("比亚迪销量创新高", ["1211.HK"]),
        ("Meituan rider subsidies widen losses", ["3690.HK"]),
        ("Baidu's Ernie update", ["9888.HK"]),
        ("The jd-style layout is odd", []),     # lowercase ticker-like alias does not match
        ("Bytedance rolls out model", []),       # "BYD" only as a whole word
        ("Shares in 99880.HK fell", []),         # a different code
        ("Hang Seng index closes higher", []),
    ],
)
def test_aliases(headline: str, expected: list[str]) -> None:
    assert linked(headline) == expected


def test_tickers_column_wins_and_unknown_tickers_are_reported() -> None:
    news = pd.DataFrame({"headline": ["Alibaba news"], "body": [""], "tickers": [["0700.HK", "2800.HK"]]})
    out = link_entities(news, DEFAULT_UNIVERSE, DEFAULT_ALIASES, news.headline)
    assert out.tickers[0] == ["0700.HK"] and out.linked_by[0] == "column" and out.unknown_tickers[0] == ["2800.HK"]


def test_ticker_forms() -> None:
    assert ticker_forms("9988.HK") == ["9988.HK", "HK:9988", "9988 HK"]
    assert "HK:175" in ticker_forms("0175.HK")


def tags(headline: str, taxonomy=DEFAULT_TOPICS) -> list[str]:
    news = pd.DataFrame({"headline": [headline]})
    return tag_topics(news, taxonomy, news.headline).topics[0]


@pytest.mark.parametrize(
    ("headline", "expected"),
    [
        ("PBOC cuts reserve requirement ratio to support growth", ["policy"]),
        ("Xi Jinping meets private entrepreneurs including Jack Ma", ["policy"]),
        ("Politburo pledges more stimulus", ["policy"]),
        ("DeepSeek model tops app store", ["ai"]),
        ("Alibaba unveils Qwen reasoning model", ["ai"]),
        ("New AI chips for data centres", ["ai"]),
        ("Beijing backs AI with state fund", ["ai", "policy"]),
        ("Shanghai property sales said to improve", []),   # 'ai' inside words does not count
        ("Tencent reports quarterly revenue", []),
    ],
)
def test_topics(headline: str, expected: list[str]) -> None:
    assert tags(headline) == expected


def test_user_topics_extend_the_taxonomy() -> None:
    taxonomy = DEFAULT_TOPICS | {"ev": [r"electric vehicles?", r"\bEVs?\b"]}
    assert tags("BYD electric vehicle sales jump", taxonomy) == ["ev"]
