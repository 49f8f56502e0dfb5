"""The thin Backtrader shell: feeds in, fills and an equity curve out.

``run_backtest`` puts each ticker's bars and its per-session signal lines on a
Backtrader feed, runs the chosen strategy with cheat-on-open (orders placed
in ``next_open`` fill at that session's open; orders placed in ``next`` fill
at the next open — never at the close of the bar that produced them), and
returns plain frames. All bookkeeping beyond that (round trips, metrics)
happens in pure functions elsewhere.

Strategies are found by name: ``strategy.name: sentiment_long`` imports
``strategies/sentiment_long.py`` and takes the one ``bt.Strategy`` subclass
defined in that file.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import backtrader as bt
import numpy as np
import pandas as pd

from hkbt.backtest.costs import FeeSchedule, HKCommInfo
from hkbt.errors import StrategyError

SIGNAL_LINES = ("score", "news_count", "signal_row")
FILL_COLUMNS = ["ticker", "side", "session", "price", "size", "value_hkd", "costs_hkd", "reason", "signal_row"]


@dataclass(frozen=True)
class BacktestResult:
    """What one Backtrader run produced.

    ``equity``: per session, ``value_hkd`` (cash + positions at the close),
    ``cash_hkd`` and ``positions`` (names held at the close).
    ``fills``: one row per executed order, :data:`FILL_COLUMNS`.
    ``rejected``: orders the broker refused (not enough cash at the open).
    """

    equity: pd.DataFrame
    fills: pd.DataFrame
    rejected: pd.DataFrame


# ------------------------------------------------------------------ strategy


def resolve_strategy(name: str) -> type[bt.Strategy]:
    """Import ``strategies/<name>.py`` and return the Strategy class defined in it."""
    try:
        module = importlib.import_module(f"strategies.{name}")
    except ModuleNotFoundError as exc:
        if exc.name not in {f"strategies.{name}", "strategies"}:
            raise
        available = _available_strategies()
        close = difflib.get_close_matches(name, available, n=1)
        hint = f"did you mean {close[0]}?" if close else f"available: {', '.join(available)}"
        raise StrategyError("strategy.name", f"no strategy file strategies/{name}.py", hint) from None
    classes = [
        obj for obj in vars(module).values()
        if inspect.isclass(obj) and issubclass(obj, bt.Strategy) and obj.__module__ == module.__name__
    ]
    if len(classes) != 1:
        raise StrategyError("strategy.name", f"strategies/{name}.py must define exactly one bt.Strategy subclass (found {len(classes)})")
    return classes[0]


def _available_strategies() -> list[str]:
    import strategies

    return sorted(p.stem for folder in strategies.__path__ for p in Path(folder).glob("*.py") if not p.stem.startswith("_"))


def check_strategy_params(strategy: type[bt.Strategy], params: Mapping[str, Any]) -> dict[str, Any]:
    """Check config parameters against the strategy's Backtrader ``params``.

    Raises:
        StrategyError: a key the strategy does not declare, with a close match.
    """
    known = list(strategy.params._getkeys())
    for key in params:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            raise StrategyError(
                f"strategy.{key}",
                f"{strategy.__name__} has no parameter {key!r}",
                f"did you mean strategy.{close[0]}?" if close else f"its parameters: {', '.join(known)}",
            )
    return dict(params)


# --------------------------------------------------------------------- feeds


def build_feed_frame(bars: pd.DataFrame, signals: pd.DataFrame, topics: Sequence[str]) -> pd.DataFrame:
    """Pure: one ticker's bars with its signal lines, ready for a Backtrader feed.

    Args:
        bars: OHLCV indexed by session (see :mod:`hkbt.prices`).
        signals: this ticker's rows of the signal frame (``session`` column)
            with their row number in the full frame in ``signal_row``.
        topics: topic names; each becomes a 0/1 ``topic_<name>`` column.

    Signals on sessions without a bar (a suspended stock) are left out here;
    the caller reports them. Nothing is forward-filled.
    """
    frame = bars.copy()
    aligned = signals.set_index("session").reindex(frame.index)
    frame["score"] = aligned.score_mean.astype(float)
    frame["news_count"] = aligned.news_count.fillna(0).astype(float)
    frame["signal_row"] = aligned.signal_row.fillna(-1).astype(float)
    topic_sets = aligned.topics.fillna("").map(lambda s: set(s.split(";")) if s else set())
    for topic in topics:
        frame[f"topic_{topic}"] = topic_sets.map(lambda found, t=topic: float(t in found))
    return frame


def _feed_class(topics: Sequence[str]) -> type[bt.feeds.PandasData]:
    lines = SIGNAL_LINES + tuple(f"topic_{t}" for t in topics)
    return type(
        "SignalFeed",
        (bt.feeds.PandasData,),
        {"lines": lines, "params": tuple((line, -1) for line in lines)},
    )


# ------------------------------------------------------------------- running


class _Recorder(bt.Analyzer):
    """Collects fills, refusals and the close-of-session equity."""

    def start(self) -> None:
        self.fills: list[dict] = []
        self.rejected: list[dict] = []
        self.equity: list[dict] = []

    def notify_order(self, order: bt.Order) -> None:
        info = {"ticker": order.data._name, "reason": order.info.get("reason", ""), "signal_row": int(order.info.get("signal_row", -1))}
        if order.status == order.Completed:
            self.fills.append(
                info | {
                    "side": "buy" if order.isbuy() else "sell",
                    "session": pd.Timestamp(bt.num2date(order.executed.dt).date()),
                    "price": order.executed.price,
                    "size": abs(order.executed.size),
                    "value_hkd": abs(order.executed.size) * order.executed.price,
                    "costs_hkd": order.executed.comm,
                }
            )
        elif order.status in (order.Margin, order.Rejected, order.Canceled):
            self.rejected.append(info | {"session": pd.Timestamp(bt.num2date(order.data.datetime[0]).date()), "status": order.getstatusname()})

    def next(self) -> None:
        strategy = self.strategy
        held = sum(1 for d in strategy.datas if strategy.getposition(d).size)
        # the session just closed: the latest bar of any feed (a suspended feed lags behind)
        today = max(d.datetime.datetime(0) for d in strategy.datas if len(d))
        self.equity.append(
            {
                "session": pd.Timestamp(today.date()),
                "value_hkd": strategy.broker.getvalue(),
                "cash_hkd": strategy.broker.getcash(),
                "positions": held,
            }
        )


def run_backtest(
    prices: Mapping[str, pd.DataFrame],
    signals: pd.DataFrame,
    *,
    strategy: type[bt.Strategy],
    params: Mapping[str, Any],
    topics: Sequence[str],
    initial_cash: float,
    fees: FeeSchedule,
    sessions: pd.DatetimeIndex,
) -> BacktestResult:
    """Run one backtest and return its fills and equity curve.

    Args:
        prices: ticker -> OHLCV bars; may start before ``sessions`` (warm-up
            bars give the first session a previous close to size orders with).
        signals: the frame from :func:`hkbt.news.signals.build_signals`.
        strategy: the Backtrader class; ``params`` its parameters.
        topics: every topic in the taxonomy (one signal line each).
        initial_cash: HKD.
        fees: the HK cost model applied to every fill.
        sessions: the run's sessions; equity is reported on these only and
            no order is placed before the first.
    """
    cerebro = bt.Cerebro(cheat_on_open=True, stdstats=False)
    cerebro.broker.setcash(initial_cash)
    cerebro.broker.addcommissioninfo(HKCommInfo(schedule=fees))
    feed_class = _feed_class(topics)
    numbered = signals.reset_index(drop=True).assign(signal_row=lambda f: np.arange(len(f), dtype=float))
    for ticker in sorted(prices):
        frame = build_feed_frame(prices[ticker], numbered[numbered.ticker == ticker], topics)
        cerebro.adddata(feed_class(dataname=frame), name=ticker)
    warmup = {"trade_from": sessions[0].date()} if "trade_from" in strategy.params._getkeys() else {}
    cerebro.addstrategy(strategy, **dict(params), **warmup)
    cerebro.addanalyzer(_Recorder, _name="recorder")
    recorder = cerebro.run(runonce=False)[0].analyzers.recorder

    equity = pd.DataFrame(recorder.equity).drop_duplicates("session", keep="last").set_index("session")
    equity = equity.loc[equity.index.isin(sessions)]
    fills = pd.DataFrame(recorder.fills, columns=FILL_COLUMNS)
    early = fills[fills.session < sessions[0]]
    if len(early):
        raise StrategyError(
            "strategy.name",
            f"{strategy.__name__} traded on warm-up bars before the first session {sessions[0].date()} "
            f"(first fill {early.session.iloc[0].date()})",
            "give it a trade_from parameter and place no order before that date, as strategies/sentiment_long.py does",
        )
    rejected = pd.DataFrame(recorder.rejected, columns=["ticker", "session", "status", "reason", "signal_row"])
    return BacktestResult(equity=equity, fills=fills, rejected=rejected)

