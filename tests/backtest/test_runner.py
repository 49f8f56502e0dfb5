"""The Backtrader layer: fill timing, sizing, exits, suspensions, costs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hkbt.backtest.costs import FeeSchedule, compute_fees
from hkbt.errors import StrategyError
from hkbt.backtest.discovery import find_strategy, validate_params
from hkbt.backtest.runner import run_backtest
from hkbt.backtest.strategy import Strategy
from hkbt.news.sessions import run_sessions
from hkbt.news.signals import SIGNAL_COLUMNS
from hkbt.backtest.trades import build_trades

SESSIONS = run_sessions(pd.Timestamp("2025-03-03").date(), pd.Timestamp("2025-04-30").date())
WARMUP = run_sessions(pd.Timestamp("2025-02-24").date(), pd.Timestamp("2025-04-30").date())
STRATEGY = find_strategy("sentiment_long").cls
BASE = {"entry_threshold": 0.5, "exit_threshold": -0.3, "min_news": 1, "topics": ["policy", "ai"], "hold_days": 5,
        "stop_loss": None, "take_profit": None, "max_positions": 5}


def bars(start: float = 100.0, step: float = 1.0, sessions=WARMUP) -> pd.DataFrame:
    """Open = start + i*step, close = open + 0.5: every price is predictable."""
    opens = start + step * np.arange(len(sessions))
    return pd.DataFrame(
        {"open": opens, "high": opens + 1, "low": opens - 1, "close": opens + 0.5, "volume": 1e6}, index=sessions.rename("date")
    )


def signal(session: str, ticker: str, score: float, topics: str = "ai", count: int = 1, ids: str | None = None) -> dict:
    return {"session": pd.Timestamp(session), "ticker": ticker, "score": score, "score_mean": score, "score_max": score,
            "score_min": score, "news_count": count, "scope": "company", "themes": "", "topics": topics, "market_wide": False,
            "news_ids": ids or f"{ticker}-{session}", "news_weights": "1",
            "first_published_at": pd.Timestamp(session, tz="UTC"), "last_published_at": pd.Timestamp(session, tz="UTC")}


def run(prices, signals, cash=1_000_000.0, **params):
    frame = pd.DataFrame(signals, columns=SIGNAL_COLUMNS)
    lots = params.pop("lot_sizes", {t: 100 for t in prices})
    return run_backtest(
        prices, frame, strategy=STRATEGY, settings=BASE | params, lot_sizes=lots,
        initial_cash=cash, fees=FeeSchedule(), sessions=SESSIONS,
    ), frame


def open_on(frame: pd.DataFrame, session: str) -> float:
    return float(frame.loc[session, "open"])


def test_entry_fills_at_the_open_of_the_signal_session_sized_on_previous_close() -> None:
    prices = {"AAA.HK": bars()}
    result, _ = run(prices, [signal("2025-03-10", "AAA.HK", 0.8)], max_positions=2)
    buy = result.fills.iloc[0]
    assert (buy.side, buy.session) == ("buy", pd.Timestamp("2025-03-10"))
    assert buy.price == open_on(prices["AAA.HK"], "2025-03-10")
    previous_close = prices["AAA.HK"].close.loc[:"2025-03-07"].iloc[-1]
    expected = np.floor(500_000 / (previous_close * 1.02) / 100) * 100  # half the equity, whole lots of 100
    assert buy["size"] == expected and buy["size"] % 100 == 0


def test_hold_days_exit_fills_at_the_open_hold_days_sessions_later() -> None:
    prices = {"AAA.HK": bars()}
    result, _ = run(prices, [signal("2025-03-10", "AAA.HK", 0.8)], hold_days=3)
    sell = result.fills.iloc[1]
    assert (sell.side, sell.reason, sell.session) == ("sell", "hold_days", pd.Timestamp("2025-03-13"))
    assert sell.price == open_on(prices["AAA.HK"], "2025-03-13")


def test_below_threshold_wrong_topic_or_too_few_news_do_not_trade() -> None:
    prices = {"AAA.HK": bars()}
    for sig, params in [
        (signal("2025-03-10", "AAA.HK", 0.49), {}),
        (signal("2025-03-10", "AAA.HK", 0.9, topics=""), {}),
        (signal("2025-03-10", "AAA.HK", 0.9, topics="macro"), {}),
        (signal("2025-03-10", "AAA.HK", 0.9, count=1), {"min_news": 2}),
    ]:
        result, _ = run(prices, [sig], **params)
        assert result.fills.empty


def test_exit_signal_sells_at_that_sessions_open() -> None:
    prices = {"AAA.HK": bars()}
    result, _ = run(prices, [signal("2025-03-10", "AAA.HK", 0.8), signal("2025-03-12", "AAA.HK", -0.6, topics="")])
    sell = result.fills.iloc[1]
    assert (sell.reason, sell.session, sell.price) == ("exit_signal", pd.Timestamp("2025-03-12"), open_on(prices["AAA.HK"], "2025-03-12"))
    assert sell.news_ids == "AAA.HK-2025-03-12"  # the exit cites the news that caused it


def test_stop_loss_is_checked_on_the_close_and_fills_next_open() -> None:
    falling = bars(start=100, step=-3)
    result, _ = run({"AAA.HK": falling}, [signal("2025-03-10", "AAA.HK", 0.8)], stop_loss=0.05, hold_days=20)
    sell = result.fills.iloc[1]
    entry = result.fills.iloc[0].price
    first_bad_close = falling.loc["2025-03-10":].index[(falling.close.loc["2025-03-10":] / entry - 1 <= -0.05).to_numpy()][0]
    next_session = falling.index[falling.index.get_loc(first_bad_close) + 1]
    assert (sell.reason, sell.session, sell.price) == ("stop_loss", next_session, falling.loc[next_session, "open"])


def test_take_profit() -> None:
    rising = bars(start=100, step=4)
    result, _ = run({"AAA.HK": rising}, [signal("2025-03-10", "AAA.HK", 0.8)], take_profit=0.1, hold_days=20)
    assert result.fills.iloc[1].reason == "take_profit"


def test_max_positions_keeps_the_best_scores() -> None:
    prices = {t: bars(start=50 + i) for i, t in enumerate(["AAA.HK", "BBB.HK", "CCC.HK"])}
    sigs = [signal("2025-03-10", "AAA.HK", 0.6), signal("2025-03-10", "BBB.HK", 0.9), signal("2025-03-10", "CCC.HK", 0.7)]
    result, _ = run(prices, sigs, max_positions=2)
    assert sorted(result.fills[result.fills.side == "buy"].ticker) == ["BBB.HK", "CCC.HK"]


def test_lot_rounding_down_and_too_expensive_lot_is_skipped() -> None:
    prices = {"AAA.HK": bars(start=100), "BBB.HK": bars(start=100)}
    lots = {"AAA.HK": 1000, "BBB.HK": 100_000}
    sigs = [signal("2025-03-10", "AAA.HK", 0.8), signal("2025-03-10", "BBB.HK", 0.8)]
    result, _ = run(prices, sigs, cash=1_000_000, max_positions=2, lot_sizes=lots)
    buys = result.fills[result.fills.side == "buy"]
    assert list(buys.ticker) == ["AAA.HK"]  # one lot of BBB costs ~10 M
    assert buys.iloc[0]["size"] % 1000 == 0


def test_a_suspended_stock_is_not_traded_on_missing_bars_and_not_forward_filled() -> None:
    full = bars()
    suspended = full.drop(index=pd.to_datetime(["2025-03-10", "2025-03-11"]))
    result, _ = run({"AAA.HK": suspended, "BBB.HK": bars(start=200)}, [signal("2025-03-10", "AAA.HK", 0.9)])
    assert result.fills.empty  # the signal fell on a session with no bar: ignored
    result, _ = run({"AAA.HK": suspended, "BBB.HK": bars(start=200)}, [signal("2025-03-05", "AAA.HK", 0.9)], hold_days=3)
    sell = result.fills.iloc[1]
    # 3 of AAA's own bars after 03-05 are 03-06, 03-07, 03-12 (03-10/11 suspended)
    assert (sell.session, sell.price) == (pd.Timestamp("2025-03-12"), full.loc["2025-03-12", "open"])


def test_costs_on_every_fill_follow_the_fee_model() -> None:
    result, _ = run({"AAA.HK": bars()}, [signal("2025-03-10", "AAA.HK", 0.8)], hold_days=3)
    for fill in result.fills.itertuples():
        assert fill.costs_hkd == pytest.approx(compute_fees(fill.size * fill.price).total, abs=1e-9)


def test_equity_and_trades_reconcile() -> None:
    prices = {"AAA.HK": bars()}
    result, frame = run(prices, [signal("2025-03-10", "AAA.HK", 0.8, ids="n1;n2")], hold_days=3)
    news = pd.DataFrame({"news_id": ["n1", "n2"], "published_at": [pd.Timestamp("2025-03-09", tz="UTC")] * 2})
    trades = build_trades(result.fills, news, SESSIONS, {"AAA.HK": 0.0})
    trade = trades.iloc[0]
    assert trade.news_ids == "n1;n2" and trade.holding_days == 3 and trade.exit_reason == "hold_days"
    assert result.equity.value_hkd.iloc[-1] == pytest.approx(1_000_000 + trade.pnl_hkd, abs=0.01)
    assert result.equity.index[0] == SESSIONS[0]  # warm-up bars are not reported


def test_open_position_at_the_end_is_reported_unrealised() -> None:
    prices = {"AAA.HK": bars()}
    result, frame = run(prices, [signal("2025-04-28", "AAA.HK", 0.8)], hold_days=10)
    news = pd.DataFrame({"news_id": ["AAA.HK-2025-04-28"], "published_at": [pd.Timestamp("2025-04-27", tz="UTC")]})
    last = float(prices["AAA.HK"].close.loc[:"2025-04-30"].iloc[-1])
    trade = build_trades(result.fills, news, SESSIONS, {"AAA.HK": last}).iloc[0]
    assert (trade.exit_reason, trade.exit_price, trade.exit_costs_hkd) == ("open_at_end", last, 0.0)
    assert result.equity.value_hkd.iloc[-1] == pytest.approx(1_000_000 + trade.pnl_hkd, abs=0.01)


def test_unknown_strategy_and_parameter_errors_suggest_a_fix() -> None:
    with pytest.raises(StrategyError, match="did you mean sentiment_long"):
        find_strategy("sentiment_lon")
    with pytest.raises(StrategyError, match="did you mean strategy.params.hold_days"):
        validate_params(STRATEGY, {"hold_day": 3})


class _BuyOnce(Strategy):
    """Nothing of sentiment_long's internals: buys 100 shares at the first open it is offered."""

    interface_version = 1

    def on_open(self) -> None:
        if not self.position:
            self.buy(size=100)


class _IgnoresTheHooks(Strategy):
    """Overrides Backtrader's next_open itself, so it also trades on warm-up bars."""

    interface_version = 1

    def next_open(self) -> None:
        if not self.position and len(self.data) > 1:
            self.buy(size=100)


def _run_buy_once(strategy=_BuyOnce):
    return run_backtest(
        {"AAA.HK": bars()}, pd.DataFrame(columns=SIGNAL_COLUMNS), strategy=strategy, settings={}, lot_sizes={},
        initial_cash=100_000.0, fees=FeeSchedule(), sessions=SESSIONS,
    )


def test_hooks_start_at_the_first_session_not_on_warmup_bars() -> None:
    result = _run_buy_once()
    buy = result.fills.iloc[0]
    assert list(result.fills.side) == ["buy"] and buy.session == SESSIONS[0]
    assert list(result.equity.index) == list(SESSIONS)
    last_close = bars().close.loc[SESSIONS[-1]]
    assert result.equity.value_hkd.iloc[-1] == pytest.approx(100_000 - buy.price * 100 - buy.costs_hkd + 100 * last_close)


def test_trading_on_warmup_bars_is_refused() -> None:
    with pytest.raises(StrategyError, match="traded on warm-up bars before the first session 2025-03-03"):
        _run_buy_once(_IgnoresTheHooks)


def test_each_signal_frame_is_read_for_itself_when_backtests_reuse_the_index() -> None:
    """run_backtest indexes a signal frame once and reuses it for the next backtest on that frame (a sweep);
    another frame, even with the same rows and shape, is indexed afresh."""
    prices = {"AAA.HK": bars()}
    strong = pd.DataFrame([signal("2025-03-10", "AAA.HK", 0.8)], columns=SIGNAL_COLUMNS)
    weak = strong.assign(score=0.1)

    def backtest(frame):
        return run_backtest(prices, frame, strategy=STRATEGY, settings=BASE, lot_sizes={"AAA.HK": 100}, initial_cash=1e6,
                            fees=FeeSchedule(), sessions=SESSIONS)

    first, other, again = backtest(strong), backtest(weak), backtest(strong)
    assert len(first.fills) == 2 and other.fills.empty and list(other.skipped.reason) == ["threshold"]
    pd.testing.assert_frame_equal(first.fills, again.fills)
    pd.testing.assert_frame_equal(first.skipped, again.skipped)
