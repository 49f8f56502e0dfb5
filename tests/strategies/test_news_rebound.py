"""news_rebound's rules on hand-made bars and signals."""

from __future__ import annotations

import pandas as pd

from hand_made import SESSIONS, bars, reasons, run_strategy, signal

NAMES = ["AAA.HK", "BBB.HK", "CCC.HK"]


def shock(session: str, score: float = -0.7, topics: str = "policy", market_wide: bool = True) -> list[dict]:
    """A market-wide item: the same signal for every name (as market_wide_policy broadcasts it)."""
    return [signal(session, t, score, topics, market_wide=market_wide) for t in NAMES]


def test_a_market_wide_policy_shock_buys_every_name_at_that_open_and_sells_hold_days_later():
    prices = {t: bars(start=50 + 10 * i) for i, t in enumerate(NAMES)}
    result = run_strategy("news_rebound", prices, shock("2025-03-10"), hold_days=3)
    buys, sells = result.fills[result.fills.side == "buy"], result.fills[result.fills.side == "sell"]
    assert list(buys.ticker) == NAMES and set(buys.session) == {pd.Timestamp("2025-03-10")}
    assert all(buys.price == [prices[t].open.loc["2025-03-10"] for t in NAMES])
    assert set(sells.session) == {pd.Timestamp("2025-03-13")} and set(sells.reason) == {"hold_days"}
    # each name gets a third of equity (max_positions unset = the whole universe), in whole lots of 100
    previous = prices["AAA.HK"].close.loc["2025-03-07"] * 1.02
    assert buys["size"].iloc[0] == (1_000_000 / 3 // (previous * 100)) * 100
    assert list(buys.news_ids) == [f"{t}@2025-03-10" for t in NAMES]


def test_weak_positive_company_or_wrong_topic_news_does_not_buy_and_says_why():
    prices = {t: bars() for t in NAMES}
    sigs = [
        signal("2025-03-10", "AAA.HK", -0.45, "policy", market_wide=True),  # not strong enough
        signal("2025-03-10", "BBB.HK", 0.8, "policy", market_wide=True),  # good news
        signal("2025-03-10", "CCC.HK", -0.9, "policy", market_wide=False),  # one company's own bad news
        signal("2025-03-11", "AAA.HK", -0.9, "ai", market_wide=True),  # not policy
    ]
    result = run_strategy("news_rebound", prices, sigs)
    assert result.fills.empty
    assert reasons(result) == {("2025-03-10", "AAA.HK"): "threshold", ("2025-03-10", "BBB.HK"): "threshold",
                               ("2025-03-10", "CCC.HK"): "not_market_wide", ("2025-03-11", "AAA.HK"): "topic"}
    fills = run_strategy("news_rebound", prices, sigs[2:3], market_wide_only=False).fills
    assert list(fills[fills.side == "buy"].ticker) == ["CCC.HK"]


def test_max_positions_takes_the_most_negative_first_and_a_held_name_is_not_bought_twice():
    prices = {t: bars() for t in NAMES}
    sigs = [signal("2025-03-10", "AAA.HK", -0.6, "policy", market_wide=True),
            signal("2025-03-10", "BBB.HK", -0.95, "policy", market_wide=True),
            signal("2025-03-10", "CCC.HK", -0.8, "policy", market_wide=True)] + shock("2025-03-11")
    result = run_strategy("news_rebound", prices, sigs, max_positions=2, hold_days=10)
    buys = result.fills[result.fills.side == "buy"]
    assert list(buys.ticker) == ["BBB.HK", "CCC.HK"] and set(buys.session) == {pd.Timestamp("2025-03-10")}
    why = reasons(result)
    assert why[("2025-03-10", "AAA.HK")] == "max_positions"
    assert why[("2025-03-11", "BBB.HK")] == "already_held" and why[("2025-03-11", "AAA.HK")] == "max_positions"


def test_no_bar_on_the_shock_session_means_no_trade():
    prices = {t: bars() for t in NAMES}
    prices["AAA.HK"] = prices["AAA.HK"].drop(index=pd.Timestamp("2025-03-10"))  # suspended that day
    result = run_strategy("news_rebound", prices, shock("2025-03-10"))
    assert list(result.fills[result.fills.side == "buy"].ticker) == ["BBB.HK", "CCC.HK"]
    assert reasons(result) == {("2025-03-10", "AAA.HK"): "no_bar"}
    assert SESSIONS[0] == pd.Timestamp("2025-03-03")


def test_a_tie_that_does_not_fit_shares_the_slots_or_is_skipped_never_picked_by_ticker_code():
    """A market-wide shock gives every name the same signal: two slots for three tied names."""
    prices = {t: bars() for t in NAMES}
    shared = run_strategy("news_rebound", prices, shock("2025-03-10"), max_positions=2, hold_days=10)
    buys = shared.fills[shared.fills.side == "buy"]
    assert list(buys.ticker) == NAMES  # all three, each 2/3 of a slot (1/3 of equity), in whole lots
    previous = prices["AAA.HK"].close.loc["2025-03-07"] * 1.02
    assert set(buys["size"]) == {(1_000_000 / 3 // (previous * 100)) * 100}
    skipped = run_strategy("news_rebound", prices, shock("2025-03-10"), max_positions=2, ties="skip")
    assert skipped.fills.empty
    assert set(reasons(skipped).values()) == {"tie"}
