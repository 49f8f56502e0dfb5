"""Look-ahead check for any strategy: remove the future, replay, compare the past.

A strategy without look-ahead decides on session ``T`` with what was known
before ``T``'s open. So two experiments must leave the past unchanged:

* **truncation**: cut the world at ``T``'s open — drop every news item not yet
  tradable at ``T``, every bar after ``T``, and keep only ``T``'s *open*
  (its close is mirrored around the open, so a rise becomes a fall; high and
  low follow). Every fill up to and including ``T`` (all decided before
  ``T`` opened) and the equity before ``T`` must be identical to the full run.
* **news moved later**: publish one item at its session's cutoff instead, so
  it becomes tradable one session later. Nothing before its original session
  may change.

:func:`check_lookahead` runs both over many sessions and items and returns a
:class:`LookaheadReport` naming the first difference found. This is stricter
than cutting at a bar's end (freqtrade's lookahead analysis does that): fills
*on* ``T`` are compared too. The check cannot prove a strategy innocent — it
only sees the sessions it tries — but a strategy that reads a later close or
a later signal changes a fill at the first session where that mattered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hkbt.backtest.costs import FeeSchedule
from hkbt.backtest.runner import BacktestResult, run_backtest
from hkbt.config import Config
from hkbt.news.sessions import assign_tradable_session
from hkbt.news.signals import build_signals, signal_rules_from_config

DEFAULT_CUTS = 20
DEFAULT_MOVES = 10


@dataclass(frozen=True)
class Violation:
    """One difference between the full run and a run without the future."""

    check: str  # "truncation" or "news moved later"
    session: pd.Timestamp  # the cut (truncation) or the moved item's original session
    what: str  # what differs, first difference first

    def __str__(self) -> str:
        return f"{self.check} at {self.session.date()}: {self.what}"


@dataclass
class LookaheadReport:
    """What :func:`check_lookahead` tried and found."""

    strategy: str
    fills: int  # fills in the full run (a check of a strategy that never trades proves little)
    cuts: list[pd.Timestamp] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)  # news ids moved later
    violations: list[Violation] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.violations

    @property
    def first(self) -> Violation | None:
        """The earliest violation by session (the first place the strategy used the future)."""
        return min(self.violations, key=lambda v: (v.session, v.check)) if self.violations else None


# ---------------------------------------------------------------- pure pieces


def truncate_at_open(session: pd.Timestamp, news: pd.DataFrame, prices: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Pure: the world as known at ``session``'s cutoff.

    News: items tradable at ``session`` or earlier (by ``tradable_session``,
    the cutoff rule). Bars: up to ``session``; that session's close is
    mirrored around its open (``open**2 / close``) with high and low widened
    to contain it, so a strategy that reads the close before the open decides
    differently. A name without a bar that day keeps its bars as they are.
    """
    known_news = news[news.tradable_session <= session].reset_index(drop=True)
    truncated = {}
    for ticker, bars in prices.items():
        bars = bars.loc[:session].copy()
        if session in bars.index:
            row = bars.loc[session]
            close = row.open**2 / row.close
            bars.loc[session, ["high", "low", "close"]] = [max(row.open, close) * 1.01, min(row.open, close) * 0.99, close]
        truncated[ticker] = bars
    return known_news, truncated


def delay_item(news: pd.DataFrame, news_id: str, cutoff_minutes: int) -> pd.DataFrame:
    """Pure: ``news`` with one item published at its session's cutoff, i.e. tradable one session later."""
    moved = news.copy()
    at = moved.news_id == news_id
    moved.loc[at, "published_at"] = moved.loc[at, "cutoff_at"]
    return assign_tradable_session(moved.drop(columns=["tradable_session", "cutoff_at"]), cutoff_minutes)


def first_difference(full: pd.DataFrame, part: pd.DataFrame, label: str) -> str | None:
    """Pure: None when two frames are identical, else the first differing row of each, in words."""
    if not len(full) and not len(part):
        return None
    a, b = full.reset_index(), part.reset_index()
    try:
        pd.testing.assert_frame_equal(a, b, check_exact=True, check_dtype=False)
        return None
    except AssertionError:
        pass
    n = min(len(a), len(b))
    differs = [i for i in range(n) if not a.iloc[i].equals(b.iloc[i])]
    i = differs[0] if differs else n
    row_full = _describe(a.iloc[i]) if i < len(a) else "nothing"
    row_part = _describe(b.iloc[i]) if i < len(b) else "nothing"
    return f"{label}: the full run has {row_full}; without the future: {row_part}"


def _describe(row: pd.Series) -> str:
    if "side" in row:
        return (f"{row.side} {row.ticker} {row['size']:,.0f} @ {row.price:.4f} on {pd.Timestamp(row.session).date()}"
                f" ({row.reason}{', news ' + row.news_ids if row.news_ids else ''})")
    return ", ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items())


def spread(items: Sequence[Any], limit: int) -> list[Any]:
    """Pure: at most ``limit`` items, evenly spaced, first and last included.

    >>> spread(list(range(10)), 3)
    [0, 4, 9]
    """
    if limit <= 0 or not len(items):
        return []
    if len(items) <= limit:
        return list(items)
    picks = np.unique(np.linspace(0, len(items) - 1, limit).round().astype(int))
    return [items[i] for i in picks]


# ------------------------------------------------------------------ replaying


def replay(config: Config, news: pd.DataFrame, prices: dict[str, pd.DataFrame], sessions: pd.DatetimeIndex,
           strategy: type, settings: Any) -> tuple[pd.DataFrame, BacktestResult]:
    """Signals and backtest from aligned, scored news and bars, as :func:`hkbt.pipeline.run_variant` does."""
    universe = config.universe
    signals = build_signals(news, sessions, signal_rules_from_config(config))
    traded = {t: prices[t].loc[: sessions[-1]] for t in universe.tickers}
    result = run_backtest(
        traded, signals, strategy=strategy, settings=settings, lot_sizes=universe.lot_sizes,
        initial_cash=config.run.initial_cash, sessions=sessions,
        fees=FeeSchedule(brokerage_rate=config.costs.brokerage_rate, brokerage_min=config.costs.brokerage_min),
    )
    return signals, result


def check_lookahead(
    config: Config,
    news: pd.DataFrame,
    prices: dict[str, pd.DataFrame],
    sessions: pd.DatetimeIndex,
    strategy: type,
    settings: Any,
    *,
    cuts: int | Sequence[pd.Timestamp] = DEFAULT_CUTS,
    moves: int | Sequence[str] = DEFAULT_MOVES,
    progress: Callable[[int, int], None] | None = None,
) -> LookaheadReport:
    """Run the strategy on the full data, then without the future, and list what changed.

    Args:
        config: the run's settings (universe, costs, cash, cutoff).
        news: aligned, scored news (``tradable_session``, ``cutoff_at``).
        prices: ticker -> bars with warm-up, as the pipeline loads them.
        sessions: the run's sessions.
        strategy, settings: the class and its validated parameters.
        cuts: how many sessions to cut at (every session with a fill, and
            sessions with signals but no fill, each thinned evenly to this
            many), or the sessions themselves.
        moves: how many items cited by entries to move later (thinned
            evenly), or their news ids.
        progress: called with (done, total) after each replay.
    """
    full_signals, full = replay(config, news, prices, sessions, strategy, settings)
    report = LookaheadReport(strategy=strategy.__name__, fills=len(full.fills))
    if isinstance(cuts, int):
        fill_days = sorted(set(full.fills.session))
        quiet_days = sorted(set(full_signals.session) - set(fill_days)) if len(full_signals) else []
        cuts = sorted(set(spread(fill_days, cuts)) | set(spread(quiet_days, max(cuts // 2, 1))))
    if isinstance(moves, int):
        cited = list(dict.fromkeys(i for ids in full.fills[full.fills.side == "buy"].news_ids for i in ids.split(";") if i))
        moves = spread(cited, moves)
    report.cuts, report.moved = [pd.Timestamp(c) for c in cuts], list(moves)
    total, done = len(report.cuts) + len(report.moved), 0
    for cut in report.cuts:
        known_news, known_prices = truncate_at_open(cut, news, prices)
        _, part = replay(config, known_news, known_prices, sessions[sessions <= cut], strategy, settings)
        _compare(report, "truncation", cut, full, part, fills_through=cut)
        done += 1
        if progress:
            progress(done, total)
    tradable = news.set_index("news_id").tradable_session
    for news_id in report.moved:
        original = pd.Timestamp(tradable[news_id])
        later = delay_item(news, news_id, config.signals.cutoff_before_open_minutes)
        _, moved = replay(config, later, prices, sessions, strategy, settings)
        _compare(report, "news moved later", original, full, moved, fills_through=original - pd.Timedelta(days=1))
        done += 1
        if progress:
            progress(done, total)
    return report


def _compare(report: LookaheadReport, check: str, session: pd.Timestamp, full: BacktestResult, part: BacktestResult,
             fills_through: pd.Timestamp) -> None:
    fills = first_difference(full.fills[full.fills.session <= fills_through].reset_index(drop=True),
                             part.fills[part.fills.session <= fills_through].reset_index(drop=True), "fills")
    equity = first_difference(full.equity[full.equity.index < session], part.equity[part.equity.index < session], "equity")
    for what in (fills, equity):
        if what:
            report.violations.append(Violation(check, session, what))
