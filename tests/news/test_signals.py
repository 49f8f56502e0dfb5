"""Signals: routing by scope, weights, aggregation modes, memory (decay) and novelty, by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from hkbt.config import Config, load_config
from hkbt.errors import ConfigError
from hkbt.news.novelty import find_echoes, headline_tokens
from hkbt.news.sessions import assign_tradable_session, run_sessions
from hkbt.news.signals import SignalRules, build_signals, route_news, signal_rules_from_config

from conftest import REPO_ROOT

UNIVERSE = ("9988.HK", "0700.HK", "1810.HK", "1211.HK")
SESSIONS = run_sessions(pd.Timestamp("2025-03-03").date(), pd.Timestamp("2025-03-14").date())  # 10 sessions, no holidays
WEIGHTS = {"company": 1.0, "theme": 0.6, "market": 0.4, "other": 0.0}
RULES = SignalRules(
    universe=UNIVERSE, scope_weights=WEIGHTS,
    theme_tickers={"china_ai": ("9988.HK", "0700.HK", "1810.HK"), "china_ev": ("1211.HK", "1810.HK")},
    theme_weights={"china_ai": 0.6, "china_ev": 0.5},
)


def item(news_id: str, published_hkt: str, score: float, scope: str, tickers=(), themes=(), topics=("policy",),
         headline: str | None = None, outside: bool = False) -> dict:
    return {"news_id": news_id, "published_at": pd.Timestamp(published_hkt, tz="Asia/Hong_Kong").tz_convert("UTC"),
            "headline": headline or f"headline {news_id}", "score": score, "scope": scope, "tickers": list(tickers),
            "themes": list(themes), "topics": list(topics), "outside_universe": outside}


def news(*items: dict) -> pd.DataFrame:
    return assign_tradable_session(pd.DataFrame(list(items)))


def signal(signals: pd.DataFrame, session: str, ticker: str) -> pd.Series:
    return signals.set_index(["session", "ticker"]).loc[(pd.Timestamp(session), ticker)]


# --------------------------------------------------------------------------------------- routing


def test_each_scope_reaches_its_tickers_with_its_weight():
    frame = news(
        item("co", "2025-03-03 07:00", 0.8, "company", tickers=["9988.HK", "2800.HK"]),
        item("th", "2025-03-03 07:00", 0.8, "theme", themes=["china_ai", "china_ev"]),   # 1810 is in both: larger weight
        item("mk", "2025-03-03 07:00", 0.8, "market"),
        item("mk_no_policy", "2025-03-03 07:00", 0.8, "market", topics=["ai"]),         # a market move, not a cause
        item("ot", "2025-03-03 07:00", 0.8, "other"),
        item("out", "2025-03-03 07:00", 0.8, "other", outside=True),                    # names only HSBC: nowhere
    )
    pairs = route_news(frame, SESSIONS, RULES, keep_zero_weight=True)
    reached = {(i, t): w for i, t, w in zip(pairs.news_id, pairs.ticker, pairs.weight)}
    assert {t: w for (i, t), w in reached.items() if i == "co"} == {"9988.HK": 1.0}
    assert {t: w for (i, t), w in reached.items() if i == "th"} == {"9988.HK": 0.6, "0700.HK": 0.6, "1810.HK": 0.6, "1211.HK": 0.5}
    assert {t: w for (i, t), w in reached.items() if i == "mk"} == dict.fromkeys(UNIVERSE, 0.4)
    assert {t: w for (i, t), w in reached.items() if i == "ot"} == dict.fromkeys(UNIVERSE, 0.0)  # kept for the event study
    assert not any(i in ("mk_no_policy", "out") for i, _ in reached)
    assert set(route_news(frame, SESSIONS, RULES).news_id) == {"co", "th", "mk"}  # the signals drop weight 0
    assert pairs[pairs.news_id == "mk"].market_wide.all() and not pairs[pairs.news_id == "co"].market_wide.any()


def test_market_wide_policy_off_keeps_market_news_out():
    frame = news(item("mk", "2025-03-03 07:00", 0.8, "market"))
    off = SignalRules(universe=UNIVERSE, scope_weights=WEIGHTS, market_wide_policy=False)
    assert build_signals(frame, SESSIONS, off).empty


def test_theme_tickers_come_from_the_config():
    config = load_config(REPO_ROOT / "config.yaml", ["themes.mine.keywords=[foo]", "themes.mine.tickers=[0700.HK,2800.HK]",
                                                      "themes.mine.weight=0.3", "universe.tickers=[0700.HK,9988.HK]"])
    rules = signal_rules_from_config(config)
    assert rules.theme_tickers["mine"] == ("0700.HK",)             # tickers outside the universe are left out
    assert rules.theme_tickers["hk_tech"] == ("0700.HK", "9988.HK")  # 'universe' follows universe.tickers
    assert rules.theme_weights["mine"] == 0.3 and rules.theme_weights["china_ai"] == config.signals.scope_weights.theme


# ----------------------------------------------------------------------------------- aggregation


@pytest.mark.parametrize(("how", "expected"), [
    # company 0.9 (w 1), theme 0.5 (w 0.6), market -0.5 (w 0.4): weighted sum 0.9 + 0.3 - 0.2 = 1.0, weights 2.0
    ("mean", 0.5), ("sum", 1.0), ("max_abs", 0.9), ("decay", 0.5),
])
def test_aggregates_by_hand(how, expected):
    frame = news(
        item("a", "2025-03-04 07:00", 0.9, "company", tickers=["9988.HK"]),
        item("b", "2025-03-04 07:10", 0.5, "theme", themes=["china_ai"]),
        item("c", "2025-03-04 07:20", -0.5, "market"),
    )
    rules = SignalRules(**{**RULES.__dict__, "aggregate": how})
    row = signal(build_signals(frame, SESSIONS, rules), "2025-03-04", "9988.HK")
    assert row.score == pytest.approx(expected)
    assert (row.news_count, row.scope, row.news_ids, row.news_weights) == (3, "company", "a;b;c", "1;0.6;0.4")
    assert row.score_mean == pytest.approx(0.3) and (row.score_max, row.score_min) == (0.9, -0.5)
    assert row.themes == "china_ai" and row.topics == "policy" and row.market_wide
    # Tencent has only the theme and the market item: 0.3 - 0.2 = 0.1 over weights 1.0
    assert signal(build_signals(frame, SESSIONS, rules), "2025-03-04", "0700.HK").scope == "theme"


def test_a_lone_weak_item_is_shrunk_by_its_weight_and_a_neutral_one_does_not_dilute():
    frame = news(
        item("mk", "2025-03-04 07:00", 0.9, "market"),
        item("co", "2025-03-05 07:00", 0.8, "company", tickers=["0700.HK"]),
        item("flat", "2025-03-05 07:10", 0.0, "company", tickers=["0700.HK"]),
    )
    rules = SignalRules(**{**RULES.__dict__, "min_abs_score": 0.05})
    signals = build_signals(frame, SESSIONS, rules)
    assert signal(signals, "2025-03-04", "0700.HK").score == pytest.approx(0.36)  # 0.9 x 0.4 / max(1, 0.4)
    tencent = signal(signals, "2025-03-05", "0700.HK")
    assert tencent.score == pytest.approx(0.8) and tencent.news_ids == "co" and tencent.news_count == 1
    # with min_abs_score 0 the neutral item counts and halves the mean (the old behaviour)
    plain = build_signals(frame, SESSIONS, SignalRules(**{**RULES.__dict__, "min_abs_score": 0.0}))
    assert signal(plain, "2025-03-05", "0700.HK").score == pytest.approx(0.4)
    # a session with only neutral news has no signal
    only_flat = news(item("flat", "2025-03-05 07:10", 0.01, "company", tickers=["0700.HK"]))
    assert build_signals(only_flat, SESSIONS, rules).empty


def test_decay_remembers_earlier_sessions_with_halving_weights():
    rules = SignalRules(**{**RULES.__dict__, "aggregate": "decay", "half_life_sessions": 1.0})
    frame = news(
        item("mon", "2025-03-03 07:00", 0.8, "company", tickers=["1810.HK"]),
        item("tue", "2025-03-04 07:00", 0.2, "company", tickers=["1810.HK"]),
        item("fri", "2025-03-07 07:00", -0.4, "company", tickers=["1810.HK"]),
        item("next_fri", "2025-03-14 07:00", 0.6, "company", tickers=["1810.HK"]),
    )
    signals = build_signals(frame, SESSIONS, rules)
    assert list(signals.session.dt.strftime("%m-%d")) == ["03-03", "03-04", "03-07", "03-14"]  # only days with news
    assert signal(signals, "2025-03-03", "1810.HK").score == pytest.approx(0.8)
    tue = signal(signals, "2025-03-04", "1810.HK")  # (0.2 + 0.5 x 0.8) / max(1, 1.5)
    assert tue.score == pytest.approx(0.6 / 1.5) and tue.news_ids == "mon;tue" and tue.news_weights == "0.5;1"
    assert tue.news_count == 1 and tue.score_mean == pytest.approx(0.2)  # the raw columns describe today's items
    fri = signal(signals, "2025-03-07", "1810.HK")  # ages 4, 3, 0: weights 1/16, 1/8, 1
    assert fri.news_weights == "0.0625;0.125;1"
    assert fri.score == pytest.approx((0.0625 * 0.8 + 0.125 * 0.2 - 0.4) / 1.1875)
    assert signal(signals, "2025-03-14", "1810.HK").news_ids == "next_fri"  # five sessions later: forgotten
    # a longer half-life remembers longer
    slow = build_signals(frame, SESSIONS, SignalRules(**{**rules.__dict__, "half_life_sessions": 2.0}))
    assert signal(slow, "2025-03-14", "1810.HK").news_ids == "tue;fri;next_fri"  # ages 8 and 5 <= 4 x 2; Monday is 9


# -------------------------------------------------------------------------------------- novelty


def test_headline_echoes_need_similar_words_and_the_window():
    assert headline_tokens("Xi meets Jack Ma") == headline_tokens("xi MEETS jack ma!")
    frame = pd.DataFrame({
        "news_id": ["a", "b", "c", "d"],
        "published_at": pd.to_datetime(["2025-03-03 01:00", "2025-03-03 03:00", "2025-03-03 04:00", "2025-03-04 03:00"], utc=True),
        "headline": ["Alibaba shares jump after Xi meets Jack Ma", "Alibaba shares jump as Xi meets Jack Ma",
                     "Tencent unveils a new game", "Alibaba shares jump after Xi meets Jack Ma"],
    })
    assert find_echoes(frame, 12, 0.6).tolist() == [[], ["a"], [], []]  # d is 26 hours after a
    assert find_echoes(frame, 48, 0.6).tolist() == [[], ["a"], [], ["a", "b"]]
    assert find_echoes(frame, 0, 0.6).tolist() == [[], [], [], []]  # off


def test_an_echo_counts_once_per_ticker_and_is_still_cited():
    rules = SignalRules(**{**RULES.__dict__, "novelty_hours": 12.0, "novelty_similarity": 0.6})
    frame = news(
        item("wire", "2025-03-03 20:00", 0.8, "company", tickers=["9988.HK"], headline="Xi meets Jack Ma at symposium"),
        item("paper", "2025-03-03 22:00", 0.7, "company", tickers=["9988.HK", "0700.HK"],
             headline="Xi meets Jack Ma and Pony Ma at symposium"),
        item("contra", "2025-03-03 23:00", -0.6, "company", tickers=["9988.HK"],
             headline="Xi meets Jack Ma at symposium, shares fall"),  # same words, the other sign: not an echo
    )
    signals = build_signals(frame, SESSIONS, rules)
    alibaba = signal(signals, "2025-03-04", "9988.HK")
    assert alibaba.news_ids == "wire;paper;contra" and alibaba.news_weights == "1;0;1"
    assert alibaba.news_count == 2 and alibaba.score == pytest.approx((0.8 - 0.6) / 2)
    # Tencent never heard the first story: there the second one is news
    tencent = signal(signals, "2025-03-04", "0700.HK")
    assert tencent.news_ids == "paper" and tencent.news_weights == "1" and tencent.score == pytest.approx(0.7)
    pairs = route_news(frame, SESSIONS, rules)
    assert dict(zip(zip(pairs.news_id, pairs.ticker), pairs.duplicate_of))[("paper", "9988.HK")] == "wire"


# ---------------------------------------------------------------------------------------- config


def test_themes_merge_onto_the_builtin_ones_key_by_key():
    config = load_config(REPO_ROOT / "config.yaml", ["themes.china_ai.weight=0.8", "themes.hk_tech=null",
                                                      "scopes.market=[pboc]"])
    assert config.themes["china_ai"].weight == 0.8 and "deepseek" in config.themes["china_ai"].keywords
    assert "hk_tech" not in config.themes and "china_ev" in config.themes
    assert config.scopes["market"] == ["pboc"] and config.scopes["china"] == Config().scopes["china"]


def test_signal_settings_are_validated():
    assert Config().signals.aggregate == "decay"
    for bad, key in [("signals.aggregate=median", "signals.aggregate"), ("signals.half_life_sessions=0", "half_life_sessions"),
                     ("signals.scope_weights.market=1.5", "scope_weights.market"), ("signals.min_abs_score=1", "min_abs_score"),
                     ("signals.novelty.similarity=0", "novelty.similarity"), ("themes.china_ai.weight=2", "themes.china_ai.weight"),
                     ("themes.china_ai.keywords=['(']", "themes.china_ai.keywords"), ("scopes.market=['[']", "scopes.market"),
                     ("themes.Bad.tickers=universe", "themes"), ("scopes.markets=[pboc]", "scopes")]:
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            load_config(REPO_ROOT / "config.yaml", [bad])
