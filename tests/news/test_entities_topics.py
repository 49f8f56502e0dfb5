"""Entity linking (aliases, ticker forms) and topic tagging."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from hkbt.config import DEFAULT_ALIASES, DEFAULT_UNIVERSE, Config
from hkbt.news.taxonomy import default_taxonomy
from hkbt.news.entities import link_entities, ticker_forms
from hkbt.news.sessions import assign_tradable_session, run_sessions
from hkbt.news.scopes import assign_scope, compile_scope_rules, mask_false_friends, scope_rules_from_config
from hkbt.news.signals import SignalRules, build_signals
from hkbt.news.topics import tag_topics


RULES = scope_rules_from_config(Config())


def linked(headline: str, tickers=()) -> list[str]:
    news = pd.DataFrame({"headline": [headline], "body": [""], "tickers": [list(tickers)]})
    text = mask_false_friends(news.headline, RULES.false_friends)
    return link_entities(news, DEFAULT_UNIVERSE, DEFAULT_ALIASES, text).tickers[0]


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


@pytest.mark.parametrize(
    ("headline", "expected"),
    [
        # founders and executives, in English and Chinese
        ("Xi meets Jack Ma, Pony Ma and Lei Jun at a private-sector symposium", ["0700.HK", "1810.HK", "9988.HK"]),
        ("Robin Li says Ernie will be open source", ["9888.HK"]),
        ("Wang Chuanfu unveils five-minute charging", ["1211.HK"]),
        ("Li Shufu backs a merger of the group's brands", ["0175.HK"]),
        ("Wang Xing warns of a costly delivery war", ["3690.HK"]),
        ("Richard Liu returns to the front line", ["9618.HK"]),
        ("William Ding bets on overseas games", ["9999.HK"]),
        ("Ma Huateng calls AI a once-in-a-century chance", ["0700.HK"]),
        ("马云现身座谈会", ["9988.HK"]),
        ("马化腾、雷军出席民营企业座谈会", ["0700.HK", "1810.HK"]),
        ("王传福：比亚迪全系搭载智驾", ["1211.HK"]),
        ("李书福谈出海", ["0175.HK"]),
        ("刘强东发内部信", ["9618.HK"]),
        ("李彥宏談大模型", ["9888.HK"]),
        # products
        ("WeChat adds an AI search button", ["0700.HK"]),
        ("SU7 Ultra orders top 10,000", ["1810.HK"]),
        ("Apollo Go starts robotaxi rides in Dubai", ["9888.HK"]),
        ("Taobao and Tmall cut merchant fees", ["9988.HK"]),
        ("Zeekr recalls 30,000 cars", ["0175.HK"]),
        ("Honor of Kings tops the grossing chart", ["0700.HK"]),
        # false friends: another JD, another Apollo, another Ma, another Wang Xing, BOE, 'lucky'
        ("JD Sports profit warning hits UK retail", []),
        ("JD Vance speaks at the AI summit in Paris", []),
        ("JD Sports falls while JD.com rises", ["9618.HK"]),      # the guard blanks only the false friend
        ("Apollo programme anniversary: NASA looks back", []),
        ("Apollo Global buys a stake in a pipeline", []),
        ("Ma Ying-jeou visits the mainland", []),
        ("Jack Mallers bets on bitcoin", []),                     # a word boundary, not just a prefix
        ("Wang Xingxing's Unitree robots dance on the gala stage", []),
        ("王兴兴：宇树机器人量产", []),
        ("京东方面板出货量增长", []),
        ("这个数字不吉利", []),
        ("Ponyma Street is closed", []),
    ],
)
def test_people_products_and_false_friends(headline: str, expected: list[str]) -> None:
    assert linked(headline) == expected


def test_tickers_column_wins_and_unknown_tickers_are_reported() -> None:
    news = pd.DataFrame({"headline": ["Alibaba news"], "body": [""], "tickers": [["0700.HK", "2800.HK"]]})
    out = link_entities(news, DEFAULT_UNIVERSE, DEFAULT_ALIASES, news.headline)
    assert out.tickers[0] == ["0700.HK"] and out.linked_by[0] == "column" and out.unknown_tickers[0] == ["2800.HK"]
    assert not out.outside_universe[0]


def test_a_row_naming_only_companies_outside_the_universe_is_not_market_news() -> None:
    # Regression: the tickers column named only HSBC (0005.HK) and the tracker fund (2800.HK). Linking kept no
    # universe ticker, so the row looked like it named no company at all and, tagged policy ("share award"
    # with 'regulatory' in the body), was broadcast to every name: a held-out GDELT run bought Tencent on it.
    news = pd.DataFrame({
        "headline": ["HSBC files a share award under regulatory rules", "Regulators unveil support for private firms"],
        "body": ["", ""], "tickers": [["0005.HK", "2800.HK"], []],
    })
    out = link_entities(news, DEFAULT_UNIVERSE, DEFAULT_ALIASES, news.headline)
    assert out.tickers.tolist() == [[], []]
    assert out.outside_universe.tolist() == [True, False]
    assert out.unknown_tickers[0] == ["0005.HK", "2800.HK"]
    out = tag_topics(out, default_taxonomy(), out.headline)
    assert out.topics.tolist() == [["policy"], ["policy"]]  # both policy news ...
    out["published_at"] = pd.to_datetime(["2025-03-03T07:00:00+08:00", "2025-03-03T07:10:00+08:00"], utc=True)
    out["score"], out["news_id"] = [0.8, 0.6], ["hsbc", "support"]
    sessions = run_sessions(date(2025, 3, 3), date(2025, 3, 7))
    out = assign_scope(out, compile_scope_rules(), out.headline)  # no market words: both scope other (weight 1 here)
    rules = SignalRules(universe=tuple(DEFAULT_UNIVERSE), market_wide_policy=True)
    signals = build_signals(assign_tradable_session(out), sessions, rules)
    # ... but only the one that names no company reaches the universe
    assert sorted(signals.ticker) == sorted(DEFAULT_UNIVERSE)
    assert set(signals.news_ids) == {"support"}


def test_ticker_forms() -> None:
    assert ticker_forms("9988.HK") == ["9988.HK", "HK:9988", "9988 HK"]
    assert "HK:175" in ticker_forms("0175.HK")


def tags(headline: str, taxonomy=None) -> list[str]:
    taxonomy = taxonomy if taxonomy is not None else default_taxonomy()
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
    taxonomy = default_taxonomy() | {"ev": [r"electric vehicles?", r"\bEVs?\b"]}
    assert tags("BYD electric vehicle sales jump", taxonomy) == ["ev"]


def test_rows_outside_the_universe_are_counted_in_one_warning(tmp_path) -> None:
    from hkbt.pipeline import prepare_news

    (tmp_path / "news.csv").write_text(
        "published_at,headline,tickers\n"
        "2025-03-03T07:00:00+08:00,HSBC files a share award,0005.HK\n"
        "2025-03-03T07:05:00+08:00,Tracker fund sees inflows,2800.HK;0005.HK\n"
        "2025-03-03T07:10:00+08:00,Alibaba and HSBC sign a cloud deal,9988.HK;0005.HK\n"
        "2025-03-03T07:20:00+08:00,Tencent rises,\n",
        encoding="utf-8",
    )
    config = Config(news={"path": tmp_path / "news.csv"}, sentiment={"cache_dir": None})
    news, report = prepare_news(config, tmp_path)
    assert news.outside_universe.tolist() == [True, True, False, False]
    assert report.outside_universe == 2
    lines = [w for w in report.warnings("Asia/Hong_Kong") if "outside the universe" in w]
    assert lines == ["2 news item(s) name only tickers outside the universe (e.g. 0005.HK, 2800.HK): "
                     "ignored, never broadcast as market news"]


def _linked_one_by_one(texts: list[str], tickers, aliases) -> list[list[str]]:
    """The linking rule as written, ticker by ticker: a needle is a substring of the lower-cased text, then its regex matches."""
    from hkbt.news.entities import compile_aliases

    matchers = compile_aliases(tickers, aliases)
    return [sorted(t for t, m in matchers.items() if any(n in text.lower() for n in m.needles) and m.pattern.search(text))
            for text in texts]


def test_one_automaton_links_exactly_as_each_tickers_own_search() -> None:
    """link_entities finds candidates with one Aho-Corasick pass; the answer equals the per-ticker rule on real and edge texts."""
    from conftest import require_shared

    news_dir = require_shared("news")
    reuters = pd.read_csv(news_dir / "reuters_headlines_2018-03_2020-07.csv")["Headlines"].dropna().astype(str)
    rthk = pd.read_csv(news_dir / "rthk_en_finance_greaterchina_2024-03_2025-04.csv")
    texts = [*reuters.tolist()[-6000:], *(rthk.title + ". " + rthk.description.fillna("")).tolist(),
             "", "BABA", "baba", "Baba ride", "JD Sports and JD.com", "HK:700 and 700.HK", "阿里巴巴和腾讯", "İstanbul Alibaba",
             "ALİBABA", "xiaomi's SU7", "9988.HK9988"]
    aliases = {**DEFAULT_ALIASES, "9999.HK": [*DEFAULT_ALIASES.get("9999.HK", []), "Ease"]}  # a needle inside another
    masked = mask_false_friends(texts, RULES.false_friends)
    news = pd.DataFrame({"tickers": [[] for _ in texts]})
    out = link_entities(news, DEFAULT_UNIVERSE, aliases, masked)
    expected = _linked_one_by_one(masked, DEFAULT_UNIVERSE, aliases)
    assert out.tickers.tolist() == expected
    assert sum(1 for found in expected if found) > 100  # the texts do name companies (190 of them)
