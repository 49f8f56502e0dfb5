"""Hand-made bars and signals for strategy rule tests: every price and score is chosen, not simulated."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hkbt.backtest.costs import FeeSchedule
from hkbt.backtest.discovery import find_strategy
from hkbt.backtest.runner import BacktestResult, run_backtest
from hkbt.news.sessions import run_sessions
from hkbt.news.signals import SIGNAL_COLUMNS

SESSIONS = run_sessions(pd.Timestamp("2025-03-03").date(), pd.Timestamp("2025-04-30").date())
WARMUP = run_sessions(pd.Timestamp("2025-02-24").date(), pd.Timestamp("2025-04-30").date())


def bars(start: float = 100.0, step: float = 1.0, sessions: pd.DatetimeIndex = WARMUP) -> pd.DataFrame:
    """Open = start + i*step, close = open + 0.5: every price is predictable."""
    opens = start + step * np.arange(len(sessions))
    return pd.DataFrame({"open": opens, "high": opens + 1, "low": opens - 1, "close": opens + 0.5, "volume": 1e6},
                        index=sessions.rename("date"))


def signal(session: str, ticker: str, score: float, topics: str = "ai", count: int = 1, market_wide: bool = False) -> dict:
    """One signals.csv row; its news id is ``<ticker>@<session>``."""
    return {"session": pd.Timestamp(session), "ticker": ticker, "score": score, "score_mean": score, "score_max": score,
            "score_min": score, "scope": "market" if market_wide else "company",
            "news_count": count, "topics": topics, "market_wide": market_wide, "news_ids": f"{ticker}@{session}",
            "first_published_at": pd.Timestamp(session, tz="UTC"), "last_published_at": pd.Timestamp(session, tz="UTC")}


def run_strategy(name: str, prices: dict[str, pd.DataFrame], signals: list[dict], cash: float = 1_000_000.0,
                 lots: dict[str, int] | None = None, **params) -> BacktestResult:
    """Run the built-in strategy ``name`` with ``params`` (the rest at its defaults) on these bars and signals."""
    return run_backtest(
        prices, pd.DataFrame(signals, columns=SIGNAL_COLUMNS), strategy=find_strategy(name).cls, settings=params,
        lot_sizes=lots or {t: 100 for t in prices}, initial_cash=cash, fees=FeeSchedule(), sessions=SESSIONS,
    )


def reasons(result: BacktestResult) -> dict[tuple[str, str], str]:
    """(session 'YYYY-MM-DD', ticker) -> why that signal was not traded."""
    return {(s.strftime("%Y-%m-%d"), t): r for s, t, r in zip(result.skipped.session, result.skipped.ticker, result.skipped.reason)}
