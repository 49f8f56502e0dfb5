"""The thin Backtrader shell: bars and signals in, fills, skipped signals and an equity curve out.

``run_backtest`` puts each ticker's OHLCV bars on a Backtrader feed, hands the
strategy the signal frame and its parameters in a
:class:`~hkbt.backtest.strategy.StrategyContext`, and runs with cheat-on-open
(orders placed in ``on_open`` fill at that session's open; orders placed in
``on_close`` fill at the next open — never at the close of the bar that
produced them). It returns plain frames; round trips and metrics are pure
functions elsewhere. Strategies are found by :mod:`hkbt.backtest.discovery`.

Backtrader runs in its ``runonce`` mode: the feeds are preloaded arrays, so it
steps them by index instead of through its event loop; the strategy is still
called bar by bar, and the tests check that both modes give the same backtest.
A sweep runs thousands of backtests on one signal frame, so the frame's session
index is built once per frame (:func:`_signal_book`).

Signals are not put on the feeds: Backtrader preloads a feed, so a line could
be read a session ahead (``score[1]``). The strategy's accessor serves a
session's signals on that session only.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import backtrader as bt
import numpy as np
import pandas as pd

from hkbt.backtest.costs import FeeSchedule, HKCommInfo
from hkbt.backtest.discovery import validate_params
from hkbt.backtest.strategy import SKIPPED_COLUMNS, Strategy, StrategyContext, index_signals, latest_line, session_of
from hkbt.errors import StrategyError

FILL_COLUMNS = ["ticker", "side", "session", "price", "size", "value_hkd", "costs_hkd", "reason", "news_ids", "signal_score"]
REJECTED_COLUMNS = ["ticker", "session", "status", "reason", "news_ids"]


@dataclass(frozen=True)
class BacktestResult:
    """What one Backtrader run produced.

    ``equity``: per session, ``value_hkd`` (cash + positions at the close),
    ``cash_hkd`` and ``positions`` (names held at the close).
    ``fills``: one row per executed order, :data:`FILL_COLUMNS`; ``news_ids``
    are the items the order cites (``;``-joined, empty for an order no news
    caused), ``signal_score`` the score of the first cited signal.
    ``rejected``: orders the broker refused (not enough cash at the open).
    ``skipped``: every signal no order cited, with the reason
    (:data:`hkbt.backtest.strategy.SKIPPED_COLUMNS`).
    """

    equity: pd.DataFrame
    fills: pd.DataFrame
    rejected: pd.DataFrame
    skipped: pd.DataFrame


class ArrayFeed(bt.feeds.PandasData):
    """A ``PandasData`` feed whose preload copies whole columns into Backtrader's line buffers.

    ``PandasData`` loads a frame cell by cell (one ``iloc`` per value and bar), which was
    more than half of a backtest's time. After a preload both feeds hold exactly the same
    line arrays (see the tests): the datetime line in Backtrader's day numbers, every
    OHLCV column as float64, and NaN for a column the frame lacks (open interest) — and the
    frame counts as read to the end, so the run stops with its last bar. Bars are not
    filtered (hkbt sets no ``fromdate``/``todate`` and no filters), so nothing else of
    ``load()`` applies.

    :meth:`advance` (Backtrader calls it once per feed and bar) does what the base class
    does without its generic per-alias loops; the tests compare both bar by bar.
    """

    def preload(self) -> None:
        frame = self.p.dataname
        for name in self.getlinealiases():
            line = getattr(self.lines, name)
            if name == "datetime":
                values = _day_numbers(frame.index)
            elif self._colmapping.get(name) is None:
                values = np.full(len(frame), np.nan)
            else:
                values = frame.iloc[:, self._colmapping[name]].to_numpy(dtype=np.float64)
            line.array.frombytes(np.ascontiguousarray(values, dtype=np.float64).tobytes())
        self._idx = len(frame)  # the frame is used up: a later load() finds no row, as after PandasData's own preload
        self.home()
        self._ticks = [("tick_" + name, getattr(self.lines, name)) for name in self.getlinealiases() if name != "datetime"]
        self._tick0 = getattr(self.lines, self._getlinealias(0))

    def advance(self, size: int = 1, datamaster: Any = None, ticks: bool = True) -> None:
        """Move to the next bar; its ``tick_*`` values are the bar's own (``None`` on the last bar), as in the base class."""
        if datamaster is not None or not ticks:
            return super().advance(size, datamaster, ticks)
        self.lines.advance(size)
        first = self._tick0  # line 0: len(self) and buflen() are its own
        if len(first) < first.buflen():  # the base class leaves the ticks empty on the last bar
            bar = first.idx  # every line of the feed is at the same index
            for attr, line in self._ticks:
                setattr(self, attr, line.array[bar])
            self.tick_last = first.array[bar]
        else:
            for attr, _ in self._ticks:
                setattr(self, attr, None)
            self.tick_last = None


def _day_numbers(index: pd.DatetimeIndex) -> np.ndarray:
    """Backtrader's ``date2num`` of each timestamp: days since 0001-01-01 (day 1) plus the time of day.

    Midnight bars (daily data) are whole numbers, computed at once; anything else goes
    through ``date2num`` itself so the result is the same to the last bit.
    """
    index = pd.DatetimeIndex(index)
    if index.tz is None and (index == index.normalize()).all():
        return (index.to_numpy().astype("datetime64[D]").astype(np.int64) + _EPOCH_ORDINAL).astype(np.float64)
    return np.array([bt.date2num(stamp.to_pydatetime()) for stamp in index], dtype=np.float64)


_EPOCH_ORDINAL = 719_163  # date(1970, 1, 1).toordinal()


class _Recorder(bt.Analyzer):
    """Collects fills, refusals and the close-of-session equity."""

    def start(self) -> None:
        self.fills: list[dict] = []
        self.rejected: list[dict] = []
        self.closes: list[tuple] = []  # (the session's datetime line, value, cash, names held), one per bar
        self._dt_lines = [d.lines.datetime for d in self.strategy.datas]

    def notify_order(self, order: bt.Order) -> None:
        info = {"ticker": order.data._name, "reason": order.info.get("reason", ""), "news_ids": order.info.get("news_ids", "")}
        if order.status == order.Completed:
            self.fills.append(
                info | {
                    "side": "buy" if order.isbuy() else "sell",
                    "session": pd.Timestamp(bt.num2date(order.executed.dt).date()),
                    "price": order.executed.price,
                    "size": abs(order.executed.size),
                    "value_hkd": abs(order.executed.size) * order.executed.price,
                    "costs_hkd": order.executed.comm,
                    "signal_score": float(order.info.get("signal_score", float("nan"))),
                }
            )
        elif order.status in (order.Margin, order.Rejected, order.Canceled):
            self.rejected.append(info | {"session": pd.Timestamp(bt.num2date(order.data.datetime[0]).date()), "status": order.getstatusname()})

    def next(self) -> None:
        # the session just closed: the latest bar of any feed (a suspended feed lags behind)
        latest = latest_line(self._dt_lines)
        broker = self.strategy.broker
        held = sum(1 for d in self.strategy.datas if broker.positions[d].size)
        self.closes.append((latest[0], latest._tz, broker.getvalue(), broker.getcash(), held))

    @property
    def equity(self) -> pd.DataFrame:
        """Per bar: ``session``, ``value_hkd``, ``cash_hkd``, ``positions``."""
        return pd.DataFrame(
            [(session_of(number, tz), value, cash, held) for number, tz, value, cash, held in self.closes],
            columns=["session", "value_hkd", "cash_hkd", "positions"],
        )


def run_backtest(
    prices: Mapping[str, pd.DataFrame],
    signals: pd.DataFrame,
    *,
    strategy: type[Strategy],
    settings: Any,
    lot_sizes: Mapping[str, int],
    initial_cash: float,
    fees: FeeSchedule,
    sessions: pd.DatetimeIndex,
) -> BacktestResult:
    """Run one backtest and return its fills, skipped signals and equity curve.

    Args:
        prices: ticker -> OHLCV bars; may start before ``sessions`` (warm-up
            bars give the first session a previous close to size orders with).
        signals: the frame from :func:`hkbt.news.signals.build_signals`.
        strategy: a :class:`~hkbt.backtest.strategy.Strategy` subclass.
        settings: its validated ``Params`` instance, or a mapping to validate.
        lot_sizes: board lot per ticker (shares).
        initial_cash: HKD.
        fees: the HK cost model applied to every fill.
        sessions: the run's sessions; equity is reported on these only and
            no order is placed before the first.
    """
    if not (isinstance(strategy, type) and issubclass(strategy, Strategy)):
        raise StrategyError("strategy.name", f"{strategy!r} is not a hkbt.backtest.strategy.Strategy subclass")
    if isinstance(settings, Mapping):
        settings = validate_params(strategy, settings)
    cerebro = bt.Cerebro(cheat_on_open=True, stdstats=False)
    cerebro.broker.setcash(initial_cash)
    cerebro.broker.addcommissioninfo(HKCommInfo(schedule=fees))
    for ticker in sorted(prices):
        cerebro.adddata(ArrayFeed(dataname=prices[ticker]), name=ticker)
    signals, by_session = _signal_book(signals)
    context = StrategyContext(settings=settings, signals=signals, lot_sizes=dict(lot_sizes), trade_from=sessions[0].date(),
                              by_session=by_session)
    cerebro.addstrategy(strategy, hkbt=context)
    cerebro.addanalyzer(_Recorder, _name="recorder")
    ran = cerebro.run(runonce=True)[0]
    recorder = ran.analyzers.recorder

    equity = recorder.equity.drop_duplicates("session", keep="last").set_index("session")
    equity = equity.loc[equity.index.isin(sessions)]
    fills = pd.DataFrame(recorder.fills, columns=FILL_COLUMNS)
    early = fills[fills.session < sessions[0]]
    if len(early):
        raise StrategyError(
            "strategy.name",
            f"{strategy.__name__} traded on warm-up bars before the first session {sessions[0].date()} "
            f"(first fill {early.session.iloc[0].date()})",
            "place orders in on_open/on_close only: the base class does not call them on warm-up bars",
        )
    rejected = pd.DataFrame(recorder.rejected, columns=REJECTED_COLUMNS)
    skipped = ran.skipped
    return BacktestResult(equity=equity, fills=fills, rejected=rejected, skipped=skipped if len(skipped) else pd.DataFrame(columns=SKIPPED_COLUMNS))


_SIGNAL_BOOKS: dict[int, tuple[weakref.ref, pd.DataFrame, dict]] = {}
_BOOKS_KEPT = 4


def _signal_book(signals: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The signal frame numbered from 0 and its session index (:func:`~hkbt.backtest.strategy.index_signals`).

    Built once per frame object: a sweep runs every combination on the same frame, which
    nothing changes after :func:`hkbt.news.signals.build_signals` made it.
    """
    kept = _SIGNAL_BOOKS.get(id(signals))
    if kept is not None and kept[0]() is signals:
        return kept[1], kept[2]
    frame = signals.reset_index(drop=True)
    book = index_signals(frame)
    while len(_SIGNAL_BOOKS) >= _BOOKS_KEPT:
        _SIGNAL_BOOKS.pop(next(iter(_SIGNAL_BOOKS)))
    _SIGNAL_BOOKS[id(signals)] = (weakref.ref(signals), frame, book)
    return frame, book
