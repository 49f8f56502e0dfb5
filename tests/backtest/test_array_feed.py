"""ArrayFeed: a whole-column preload gives Backtrader exactly what PandasData's cell-by-cell load gives."""

from __future__ import annotations

import backtrader as bt
import numpy as np
import pandas as pd
import pytest

from hkbt.backtest import runner
from hkbt.backtest.costs import FeeSchedule
from hkbt.backtest.discovery import find_strategy
from hkbt.news.sessions import run_sessions
from hkbt.news.signals import SIGNAL_COLUMNS
from hkbt.prices import simulate_prices

SESSIONS = run_sessions(pd.Timestamp("2024-01-02").date(), pd.Timestamp("2024-12-31").date())
WARMUP = run_sessions(pd.Timestamp("2023-12-15").date(), pd.Timestamp("2024-12-31").date())


def _lines_after_preload(feed_class, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    class Snapshot(bt.Strategy):
        def start(self) -> None:
            data = self.datas[0]
            self.lines_seen = {name: np.array(getattr(data.lines, name).array) for name in data.getlinealiases()}
            self.length = data.buflen()

    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(feed_class(dataname=frame))
    cerebro.addstrategy(Snapshot)
    ran = cerebro.run(runonce=False)[0]
    return ran.lines_seen | {"buflen": np.array([ran.length])}


@pytest.mark.parametrize("index", [
    WARMUP,                                                               # daily bars at midnight
    WARMUP + pd.Timedelta(hours=16, minutes=8, seconds=1),               # a time of day: date2num's own path
    (WARMUP + pd.Timedelta(hours=16)).tz_localize("Asia/Hong_Kong"),       # time zone aware
])
def test_line_arrays_equal_pandas_datas(index) -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.uniform(10, 20, (len(index), 4)), columns=["open", "high", "low", "close"], index=index)
    frame["volume"] = rng.integers(0, 10**7, len(index))  # integers become floats in both
    ours, theirs = _lines_after_preload(runner.ArrayFeed, frame), _lines_after_preload(bt.feeds.PandasData, frame)
    assert ours.keys() == theirs.keys()
    for name in theirs:
        assert np.array_equal(ours[name], theirs[name], equal_nan=True), name


def _uneven_prices() -> dict[str, pd.DataFrame]:
    """Three names: one lists late, one is suspended for two weeks."""
    tickers = ["AAA.HK", "BBB.HK", "CCC.HK"]
    prices = simulate_prices(tickers, WARMUP, seed=4, benchmark="AAA.HK")
    prices["BBB.HK"] = prices["BBB.HK"].iloc[60:]                           # lists in spring
    prices["CCC.HK"] = prices["CCC.HK"].drop(prices["CCC.HK"].index[100:112])  # suspended for two weeks
    return prices


def _random_signals(tickers: list[str], seed: int, count: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [{"session": s, "ticker": t, "score": score, "score_mean": score, "score_max": score, "score_min": score, "news_count": 1,
             "topics": "ai", "market_wide": False, "news_ids": f"{t}{i}", "first_published_at": s.tz_localize("UTC"),
             "last_published_at": s.tz_localize("UTC")}
            for i, (s, t, score) in enumerate(zip(SESSIONS[rng.integers(0, len(SESSIONS), count)], rng.choice(tickers, count),
                                                  rng.uniform(-1, 1, count)))]
    return pd.DataFrame(rows, columns=SIGNAL_COLUMNS).sort_values(["session", "ticker"]).drop_duplicates(["session", "ticker"])


def _backtest(prices: dict[str, pd.DataFrame], signals: pd.DataFrame, settings: dict) -> runner.BacktestResult:
    return runner.run_backtest(prices, signals, strategy=find_strategy("sentiment_long").cls, settings=settings,
                               lot_sizes={t: 100 for t in prices}, initial_cash=1e6, fees=FeeSchedule(), sessions=SESSIONS)


def test_backtests_are_identical_with_either_feed(monkeypatch) -> None:
    """Names that list late and gaps (suspensions) included; the run must also stop at the last bar."""
    prices = _uneven_prices()
    signals = _random_signals(sorted(prices), seed=2, count=80)
    settings = {"entry_threshold": 0.2, "exit_threshold": -0.2, "hold_days": 4, "stop_loss": 0.03, "max_positions": 2}
    ours = _backtest(prices, signals, settings)
    monkeypatch.setattr(runner, "ArrayFeed", bt.feeds.PandasData)
    theirs = _backtest(prices, signals, settings)
    assert len(ours.fills) > 20
    pd.testing.assert_frame_equal(ours.fills, theirs.fills)
    pd.testing.assert_frame_equal(ours.equity, theirs.equity)
    pd.testing.assert_frame_equal(ours.skipped.reset_index(drop=True), theirs.skipped.reset_index(drop=True))
    assert ours.fills.session.is_monotonic_increasing  # no second pass over the bars after the last one


def _ticks_seen(feed_class, prices: dict[str, pd.DataFrame], runonce: bool) -> list[tuple]:
    """Every feed's clock, bar values and ``tick_*`` values (what the broker fills at) on every bar."""
    class Ticks(bt.Strategy):
        def start(self) -> None:
            self.seen = []

        def next(self) -> None:
            for data in self.datas:
                ticks = tuple(getattr(data, "tick_" + name, None) for name in data.getlinealiases() if name != "datetime")
                self.seen.append((data._name, len(data), data.datetime[0], data.open[0], data.close[0], ticks, getattr(data, "tick_last", None)))

        prenext = next

    cerebro = bt.Cerebro(stdstats=False)
    for ticker in sorted(prices):
        cerebro.adddata(feed_class(dataname=prices[ticker]), name=ticker)
    cerebro.addstrategy(Ticks)
    return cerebro.run(runonce=runonce)[0].seen


@pytest.mark.parametrize("runonce", [True, False])
def test_advance_gives_the_ticks_of_the_base_class_on_every_bar(runonce) -> None:
    """ArrayFeed.advance replaces Backtrader's per-alias loops: same ticks (None on the last bar), same clocks."""
    prices = _uneven_prices()
    ours, theirs = _ticks_seen(runner.ArrayFeed, prices, runonce), _ticks_seen(bt.feeds.PandasData, prices, runonce)
    assert len(ours) == len(theirs) > 3 * 200
    assert repr(ours) == repr(theirs)  # repr: exact for floats, and NaN (open interest) equals NaN
    assert any(ticks[0] is None for *_, ticks, _last in ours)  # the last bar's ticks stay empty, as in the base class


def test_the_vectorised_run_equals_backtraders_event_loop(monkeypatch) -> None:
    """run_backtest runs Backtrader in ``runonce`` mode; its bar-by-bar ``next`` mode gives the same backtest."""
    prices = _uneven_prices()
    signals = _random_signals(sorted(prices), seed=3, count=90)
    settings = {"entry_threshold": 0.1, "exit_threshold": -0.2, "hold_days": 3, "stop_loss": 0.02, "take_profit": 0.04, "max_positions": 2}
    ours = _backtest(prices, signals, settings)
    run = bt.Cerebro.run
    monkeypatch.setattr(bt.Cerebro, "run", lambda self, **kwargs: run(self, **(kwargs | {"runonce": False})))
    theirs = _backtest(prices, signals, settings)
    assert len(ours.fills) > 20 and set(ours.fills.reason) >= {"hold_days", "stop_loss", "take_profit"}
    for name in ("fills", "equity", "skipped", "rejected"):
        pd.testing.assert_frame_equal(getattr(ours, name), getattr(theirs, name))
