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


def test_backtests_are_identical_with_either_feed(monkeypatch) -> None:
    """Names that list late and gaps (suspensions) included; the run must also stop at the last bar."""
    tickers = ["AAA.HK", "BBB.HK", "CCC.HK"]
    prices = simulate_prices(tickers, WARMUP, seed=4, benchmark="AAA.HK")
    prices["BBB.HK"] = prices["BBB.HK"].iloc[60:]                           # lists in spring
    prices["CCC.HK"] = prices["CCC.HK"].drop(prices["CCC.HK"].index[100:112])  # suspended for two weeks
    rng = np.random.default_rng(2)
    rows = [{"session": s, "ticker": t, "score": score, "score_mean": score, "score_max": score, "score_min": score, "news_count": 1,
             "topics": "ai", "market_wide": False, "news_ids": f"{t}{i}", "first_published_at": s.tz_localize("UTC"),
             "last_published_at": s.tz_localize("UTC")}
            for i, (s, t, score) in enumerate(zip(SESSIONS[rng.integers(0, len(SESSIONS), 80)], rng.choice(tickers, 80), rng.uniform(-1, 1, 80)))]
    signals = pd.DataFrame(rows, columns=SIGNAL_COLUMNS).sort_values(["session", "ticker"]).drop_duplicates(["session", "ticker"])
    settings = {"entry_threshold": 0.2, "exit_threshold": -0.2, "hold_days": 4, "stop_loss": 0.03, "max_positions": 2}

    def backtest():
        return runner.run_backtest(prices, signals, strategy=find_strategy("sentiment_long").cls, settings=settings,
                                   lot_sizes={t: 100 for t in tickers}, initial_cash=1e6, fees=FeeSchedule(), sessions=SESSIONS)

    ours = backtest()
    monkeypatch.setattr(runner, "ArrayFeed", bt.feeds.PandasData)
    theirs = backtest()
    assert len(ours.fills) > 20
    pd.testing.assert_frame_equal(ours.fills, theirs.fills)
    pd.testing.assert_frame_equal(ours.equity, theirs.equity)
    pd.testing.assert_frame_equal(ours.skipped.reset_index(drop=True), theirs.skipped.reset_index(drop=True))
    assert ours.fills.session.is_monotonic_increasing  # no second pass over the bars after the last one
