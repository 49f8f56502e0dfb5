"""sentiment_rotation's rules on hand-made bars and signals."""

from __future__ import annotations

import pandas as pd
import pytest

from hand_made import SESSIONS, bars, reasons, run_strategy, signal

NAMES = ["AAA.HK", "BBB.HK", "CCC.HK", "DDD.HK"]


def test_rebalances_every_n_sessions_into_the_top_k_by_decayed_score():
    prices = {t: bars() for t in NAMES}
    sigs = [
        signal("2025-03-03", "AAA.HK", 0.9), signal("2025-03-03", "BBB.HK", 0.5), signal("2025-03-03", "CCC.HK", 0.2),
        signal("2025-03-03", "DDD.HK", -0.4),
        # between rebalances: CCC's news turns strongly good, AAA's bad (used only at the next rebalance, 03-10)
        signal("2025-03-05", "CCC.HK", 0.95, count=3), signal("2025-03-06", "AAA.HK", -0.9, count=2),
    ]
    result = run_strategy("sentiment_rotation", prices, sigs, top_k=2, rebalance_every=5)
    fills = [(f.session.strftime("%m-%d"), f.side, f.ticker, f.reason) for f in result.fills.itertuples() if f.session <= pd.Timestamp("2025-03-10")]
    assert fills == [
        ("03-03", "buy", "AAA.HK", "rebalance_in"), ("03-03", "buy", "BBB.HK", "rebalance_in"),
        ("03-10", "sell", "AAA.HK", "rebalance_out"), ("03-10", "buy", "CCC.HK", "rebalance_in"),
    ]
    # the 03-10 buy of CCC cites every CCC signal in its window, oldest first
    assert result.fills.news_ids.iloc[3] == "CCC.HK@2025-03-03;CCC.HK@2025-03-05"
    why = reasons(result)
    assert why[("2025-03-03", "DDD.HK")] == "threshold"  # net negative: never held
    assert why[("2025-03-06", "AAA.HK")] == "threshold"  # AAA's window is net negative on 03-10


def test_the_decayed_score_halves_a_signals_weight_every_half_life():
    prices = {t: bars() for t in NAMES[:2]}
    # sessions 0 (03-03) and 4 (03-07); the second rebalance is session 5 (03-10), where the ages are 5 and 1
    sigs = [signal("2025-03-03", "AAA.HK", 1.0), signal("2025-03-07", "AAA.HK", -0.5), signal("2025-03-07", "BBB.HK", 0.2)]

    def until_0310(half_life: float) -> list[tuple[str, str]]:
        result = run_strategy("sentiment_rotation", prices, sigs, top_k=1, rebalance_every=5, half_life=half_life)
        return [(f.side, f.ticker) for f in result.fills.itertuples() if f.session <= pd.Timestamp("2025-03-10")]

    # half-life 1: AAA = (0.5**5 x 1.0 + 0.5**1 x -0.5) / (0.5**5 + 0.5**1) < 0, BBB = +0.2: rotate into BBB
    assert until_0310(1.0) == [("buy", "AAA.HK"), ("sell", "AAA.HK"), ("buy", "BBB.HK")]
    # almost no decay: AAA = about (1.0 - 0.5) / 2 = +0.25 > BBB's +0.2: keep AAA
    assert until_0310(100.0) == [("buy", "AAA.HK")]


def test_news_older_than_the_lookback_is_forgotten_and_no_news_means_cash():
    prices = {t: bars() for t in NAMES[:2]}
    sigs = [signal("2025-03-03", "AAA.HK", 0.8)]
    result = run_strategy("sentiment_rotation", prices, sigs, top_k=1, rebalance_every=5, lookback=5)
    assert [(f.session, f.side) for f in result.fills.itertuples()] == [
        (pd.Timestamp("2025-03-03"), "buy"), (pd.Timestamp("2025-03-10"), "sell")]  # out of the window by 03-10
    assert result.equity.positions.loc["2025-03-10":].eq(0).all()


@pytest.mark.parametrize("topics", [["policy"], []])
def test_topics_filter_which_news_counts(topics):
    prices = {t: bars() for t in NAMES[:2]}
    result = run_strategy("sentiment_rotation", prices, [signal("2025-03-03", "AAA.HK", 0.8, topics="ai")], topics=topics)
    assert list(result.fills[result.fills.side == "buy"].ticker) == ([] if topics else ["AAA.HK"])
    if topics:
        assert reasons(result) == {("2025-03-03", "AAA.HK"): "topic"}
    assert len(SESSIONS) > 20


def test_names_tied_for_the_last_places_share_them_or_are_skipped_never_picked_by_ticker_code():
    prices = {t: bars() for t in NAMES}
    sigs = [signal("2025-03-03", "AAA.HK", 0.9)] + [signal("2025-03-03", t, 0.5) for t in NAMES[1:]]
    shared = run_strategy("sentiment_rotation", prices, sigs, top_k=2, rebalance_every=20)
    buys = shared.fills[shared.fills.side == "buy"]
    assert list(buys.ticker) == NAMES  # AAA a full half of equity; BBB, CCC and DDD a third of the other half each
    sizes = dict(zip(buys.ticker, buys["size"]))
    previous = prices["AAA.HK"].close.loc["2025-02-28"] * 1.02
    assert sizes["AAA.HK"] == (1_000_000 / 2 // (previous * 100)) * 100
    assert {sizes[t] for t in NAMES[1:]} == {(1_000_000 / 6 // (previous * 100)) * 100}
    skipped = run_strategy("sentiment_rotation", prices, sigs, top_k=2, rebalance_every=20, ties="skip")
    assert list(skipped.fills[skipped.fills.side == "buy"].ticker) == ["AAA.HK"]
    assert {reasons(skipped)[("2025-03-03", t)] for t in NAMES[1:]} == {"tie"}
