"""Buy-and-hold benchmarks on the same capital and calendar as the strategy.

* ``compute_index_benchmark``: the Hang Seng Index itself (``^HSI``). An
  index cannot be bought, so it pays **no costs**: its value is simply
  ``initial_cash * close_t / close_first`` over the run's sessions.
* ``compute_proxy_benchmark``: a tradable stand-in (e.g. the Tracker Fund,
  2800.HK) bought in whole board lots at the first session's open, paying
  the same HK costs as the strategy, then held.
"""

from __future__ import annotations

import math

import pandas as pd

from hkbt.backtest.costs import FeeSchedule, compute_fees
from hkbt.errors import DataError


def _on_sessions(bars: pd.DataFrame, sessions: pd.DatetimeIndex, ticker: str) -> pd.DataFrame:
    """Bars on exactly ``sessions``; a session without a print keeps the last level.

    Valuation only (no trade depends on it): the level of an index on a day
    it did not trade (a typhoon closure, a data gap) is its previous close.
    Bars before the first session (warm-up) may supply that previous close.
    """
    known = bars.loc[: sessions[0]]
    if known.empty:
        start = bars.index.min().date() if len(bars) else "nowhere"
        raise DataError(
            f"prices: {ticker}",
            f"no bar on or before the first session {sessions[0].date()} (data starts {start})",
            "move run.start to a session the benchmark has data for",
        )
    return bars.reindex(bars.index.union(sessions)).ffill().reindex(sessions)


def compute_index_benchmark(bars: pd.DataFrame, sessions: pd.DatetimeIndex, initial_cash: float, ticker: str = "^HSI") -> pd.Series:
    """Pure: value (HKD) of ``initial_cash`` held in the index, per session.

    >>> bars = pd.DataFrame({"close": [100.0, 110.0]}, index=pd.to_datetime(["2025-01-02", "2025-01-03"]))
    >>> compute_index_benchmark(bars, bars.index, 1000.0).tolist()
    [1000.0, 1100.0]
    """
    close = _on_sessions(bars, sessions, ticker).close
    return (initial_cash * close / close.iloc[0]).rename("benchmark_hkd")


def compute_proxy_benchmark(
    bars: pd.DataFrame, sessions: pd.DatetimeIndex, initial_cash: float, lot: int, fees: FeeSchedule, ticker: str
) -> pd.Series:
    """Pure: value (HKD) of buying whole lots of ``ticker`` at the first open and holding.

    Shares = as many lots as the cash buys after costs; leftover cash is kept.
    """
    bars = _on_sessions(bars, sessions, ticker)
    price = bars.open.iloc[0]
    lots = math.floor(initial_cash / (price * lot))
    while lots > 0 and lots * lot * price + compute_fees(lots * lot * price, fees).total > initial_cash:
        lots -= 1
    shares = lots * lot
    cash = initial_cash - shares * price - compute_fees(shares * price, fees).total if shares else initial_cash
    return (cash + shares * bars.close).rename("proxy_hkd")
