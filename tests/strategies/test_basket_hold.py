"""basket_hold's rules on hand-made bars."""

from __future__ import annotations

import pandas as pd

from hand_made import SESSIONS, WARMUP, bars, reasons, run_strategy, signal


def test_buys_every_name_in_equal_weight_at_the_first_open_and_never_sells():
    prices = {"AAA.HK": bars(start=10), "BBB.HK": bars(start=100), "CCC.HK": bars(start=400)}
    result = run_strategy("basket_hold", prices, [signal("2025-03-05", "AAA.HK", 0.9)], lots={"AAA.HK": 1000, "BBB.HK": 100, "CCC.HK": 50})
    assert list(result.fills.side) == ["buy"] * 3 and set(result.fills.session) == {SESSIONS[0]}
    for fill in result.fills.itertuples():
        previous = prices[fill.ticker].close.loc[: SESSIONS[0]].iloc[-2] * 1.02
        lot = {"AAA.HK": 1000, "BBB.HK": 100, "CCC.HK": 50}[fill.ticker]
        assert fill.size == (1_000_000 / 3 // (previous * lot)) * lot  # a third of equity, rounded down to lots
        assert fill.news_ids == ""  # no news behind a basket
    assert result.equity.positions.eq(3).all()
    assert reasons(result) == {("2025-03-05", "AAA.HK"): "not_used"}


def test_a_name_suspended_or_listed_later_is_bought_at_its_first_bar_with_a_previous_close():
    late = bars(start=200, sessions=WARMUP[WARMUP >= "2025-03-12"])
    suspended = bars(start=300).drop(index=pd.to_datetime(["2025-03-03", "2025-03-04"]))
    result = run_strategy("basket_hold", {"AAA.HK": bars(), "NEW.HK": late, "SUS.HK": suspended}, [])
    sessions = dict(zip(result.fills.ticker, result.fills.session))
    assert sessions == {"AAA.HK": pd.Timestamp("2025-03-03"), "SUS.HK": pd.Timestamp("2025-03-05"),
                        "NEW.HK": pd.Timestamp("2025-03-13")}  # its second bar: the first has no previous close


def test_a_lot_that_does_not_fit_is_skipped_not_retried():
    result = run_strategy("basket_hold", {"AAA.HK": bars(), "BBB.HK": bars()}, [], lots={"AAA.HK": 100, "BBB.HK": 10_000})
    assert list(result.fills.ticker) == ["AAA.HK"]
