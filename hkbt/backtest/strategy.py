"""The strategy contract: a Backtrader strategy that knows hkbt's conventions.

Subclass :class:`Strategy`, declare your parameters as a pydantic model (or a
dataclass) named ``Params``, set ``interface_version`` and write one or both
hooks:

``on_open()``
    runs on each session *before* its opening auction. Orders placed here
    fill at that session's open. Only what was known before the open is
    offered: today's signals (news published before the cutoff) and
    :meth:`~Strategy.last_close`, which is the *previous* close here.
``on_close()``
    runs after the session's close. Orders placed here fill at the *next*
    open; :meth:`~Strategy.last_close` is today's close.

The base class handles, once, what every strategy would otherwise repeat:

* **the session clock**: :attr:`~Strategy.today` is the session being traded
  even when feeds have unequal lengths or a name is suspended
  (:meth:`~Strategy.has_bar`);
* **warm-up**: feeds start before ``run.start`` so the first session has a
  previous close; the hooks are simply not called on those bars;
* **sizing**: :meth:`~Strategy.buy_weight` buys a fraction of equity in whole
  board lots, rounded down, sized on the last close with a little headroom
  and capped by the cash still free this session;
* **citations**: pass the :class:`Signal` (or several) behind an order as
  ``cite=``; its ``news_ids`` go into the fill and on into ``trades.csv``;
* **signals not traded**: every signal of the run ends up either cited by an
  order or in :attr:`~Strategy.skipped` with a reason. The base class detects
  ``no_bar``, ``already_held``, ``lot_too_expensive``, ``no_cash`` and
  ``order_refused``; a strategy records its own with one call,
  ``self.skip(signal, "threshold")``; the rest become ``not_used``.

A strategy reads news only through :meth:`~Strategy.signal` /
:meth:`~Strategy.signals`, which return today's rows of ``signals.csv`` and
nothing later. Prices come from Backtrader's feeds (``self.data_of(name)``);
reading ``close[0]`` in ``on_open`` is look-ahead, which ``hkbt
check-lookahead`` reports.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, ClassVar

import backtrader as bt
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

INTERFACE_VERSION = 1
"""Version of this contract. A strategy states the version it was written for
(``interface_version = 1``); hkbt refuses one written for another version
instead of running it with changed semantics."""

SKIP_REASONS: dict[str, str] = {
    "no_bar": "no price bar that session (suspended or a data gap), or no previous close to size on",
    "already_held": "the name was already held or had an order pending",
    "max_positions": "every position slot was taken by better signals",
    "tie": "tied with other names on every ranking criterion for the last free slots, and ties: skip",
    "lot_too_expensive": "one board lot costs more than the position's target value",
    "no_cash": "not enough free cash left for one board lot",
    "order_refused": "the broker refused the order at the open (not enough cash)",
    "threshold": "the score did not reach the entry threshold",
    "min_news": "fewer news items than required",
    "topic": "none of the required topics",
    "not_used": "the strategy did not act on it and gave no reason",
}
"""Reasons a signal was not traded; a strategy may add its own words."""

SKIPPED_COLUMNS = ["session", "ticker", "reason", "detail", "score", "news_count", "news_ids"]
SIZE_HEADROOM = 0.02  # buys are sized for a fill 2 % above the last close, so a gap up rarely makes the broker refuse


class TopicNames:
    """Marks a parameter whose values must be topics defined under ``topics:`` in the config.

    ``topics: Annotated[list[str], TopicNames()] = ["policy", "ai"]``
    """

    def __repr__(self) -> str:
        return "TopicNames()"


class NoParams(BaseModel):
    """The parameters of a strategy that has none."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Signal(Mapping[str, Any]):
    """Today's signal of one name: a read-only view of one row of ``signals.csv``.

    The usual fields have short names; every column of the signal frame is
    also available by key or as an attribute, so columns added to the
    frame later (``scope``, ``themes``, ...) reach strategies unchanged:

    >>> s = Signal({"session": pd.Timestamp("2025-02-18"), "ticker": "9988.HK", "score": 0.7, "score_mean": 0.8,
    ...             "news_count": 2, "topics": "ai;policy", "news_ids": "a1;b2", "scope": "company"}, row=0)
    >>> s.score, s.count, sorted(s.topics), s.news_ids, s.scope, s["score_mean"]
    (0.7, 2, ['ai', 'policy'], ('a1', 'b2'), 'company', 0.8)
    >>> s.tags("topics") == s.topics
    True
    """

    __slots__ = ("_fields", "_row")

    def __init__(self, fields: Mapping[str, Any], row: int) -> None:
        self._fields = dict(fields)
        self._row = row

    # the usual fields
    @property
    def session(self) -> pd.Timestamp:
        """The session the news became tradable at (today, when you get it)."""
        return self._fields["session"]

    @property
    def ticker(self) -> str:
        return self._fields["ticker"]

    @property
    def score(self) -> float:
        """The news signal for the name, in [-1, 1]: its items' scores weighted by scope and combined
        as ``signals.aggregate`` says (see :mod:`hkbt.news.signals`)."""
        return float(self._fields["score"])

    @property
    def count(self) -> int:
        """How many news items are behind the signal."""
        return int(self._fields["news_count"])

    @property
    def topics(self) -> frozenset[str]:
        return self.tags("topics")

    @property
    def news_ids(self) -> tuple[str, ...]:
        """Ids of the items behind the signal (``news.csv``), in publication order."""
        value = self._fields.get("news_ids") or ""
        return tuple(value.split(";")) if value else ()

    def tags(self, column: str) -> frozenset[str]:
        """A ``;``-joined column (``topics``, ``themes`` ...) as a set; empty when blank or absent."""
        value = self._fields.get(column)
        return frozenset(value.split(";")) if isinstance(value, str) and value else frozenset()

    # every column
    def __getitem__(self, key: str) -> Any:
        return self._fields[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._fields[name]
        except KeyError:
            raise AttributeError(f"the signal has no column {name!r} (columns: {', '.join(self._fields)})") from None

    def __repr__(self) -> str:
        return f"Signal({self.ticker} {self.session.date()} score={self.score:+.3f} n={self.count} topics={sorted(self.topics)})"


@dataclass(frozen=True)
class StrategyContext:
    """What the runner hands a strategy besides the price feeds.

    ``settings``: the validated parameter object (``Strategy.Params``).
    ``signals``: the full signal frame; the strategy sees a session's rows
    only on that session. ``lot_sizes``: board lot per ticker. ``trade_from``:
    the first session of the run (earlier bars are warm-up). ``by_session``:
    :func:`index_signals` of ``signals`` when the caller has it already.
    """

    settings: Any
    signals: pd.DataFrame
    lot_sizes: Mapping[str, int]
    trade_from: date
    by_session: Mapping[pd.Timestamp, Mapping[str, Signal]] | None = None  # index_signals(signals), when already built


@dataclass(frozen=True)
class Entry:
    """The open position of one name: when and at what price it was bought."""

    session: pd.Timestamp
    price: float
    bar: int  # the feed's length at the fill (bars held = len(feed) - bar)


class Strategy(bt.Strategy):
    """Base class of hkbt strategies (see the module docstring)."""

    params = (("hkbt", None),)  # the StrategyContext, set by hkbt.backtest.runner

    Params: ClassVar[type] = NoParams
    interface_version: ClassVar[int | None] = None
    size_headroom: ClassVar[float] = SIZE_HEADROOM

    def __init__(self) -> None:
        context: StrategyContext | None = self.p.hkbt
        if context is None:
            raise TypeError(f"{type(self).__name__} needs a StrategyContext: run it with hkbt.backtest.runner.run_backtest")
        self.settings = context.settings
        self.lot_sizes = dict(context.lot_sizes)
        self.trade_from = pd.Timestamp(context.trade_from)
        self._feeds = {d._name: d for d in self.datas}
        self.names: tuple[str, ...] = tuple(self._feeds)
        self._dt_lines = [d.lines.datetime for d in self.datas]  # each feed's datetime line
        self._clock_of = {d._name: d.lines.datetime for d in self.datas}
        self._by_session = context.by_session if context.by_session is not None else index_signals(context.signals)
        self._signal_rows = context.signals
        self.today: pd.Timestamp | None = None
        self._today_signals: dict[str, Signal] = {}
        self._live: set[str] = set()  # the names with a bar today, found once per hook
        self._phase = ""
        self._free_cash = 0.0
        self._entries: dict[str, Entry] = {}
        self._pending: set[str] = set()
        self._skips: dict[int, dict] = {}
        self._cited: set[int] = set()
        self._order_rows: dict[int, tuple[int, ...]] = {}

    # ------------------------------------------------------------------ hooks
    def on_open(self) -> None:
        """Before the session's open: orders placed here fill at today's open."""

    def on_close(self) -> None:
        """After the session's close: orders placed here fill at the next open."""

    # Backtrader calls these; they route to the hooks once per session, after warm-up.
    def prenext_open(self) -> None:
        self._session("open")

    def next_open(self) -> None:
        self._session("open")

    def prenext(self) -> None:
        self._session("close")

    def next(self) -> None:
        self._session("close")

    def _session(self, phase: str) -> None:
        if phase == "close" and self._phase == "open":  # the close of the bar just opened: the feeds have not moved since
            today, live = self.today, self._live
        else:
            latest = latest_line(self._dt_lines)
            today, live = session_of(latest[0], latest._tz), None
        if today < self.trade_from:
            return
        if live is None:
            live = {name for name, line in self._clock_of.items() if len(line) and session_of(line[0], line._tz) == today}
        self.today, self._phase, self._live = today, phase, live
        self._today_signals = self._by_session.get(today, _NO_SIGNALS)
        self._free_cash = self.broker.getcash()
        if phase == "open":
            for signal in self.signals():
                if not self.has_bar(signal.ticker):
                    self.skip(signal, "no_bar", "no price bar that session")
            self.on_open()
        else:
            self.on_close()

    # -------------------------------------------------------------- the clock
    def has_bar(self, name: str) -> bool:
        """Does ``name`` trade today (a bar on this session; False while suspended)?"""
        return name in self._live

    def data_of(self, name: str) -> bt.feeds.PandasData:
        """The Backtrader feed of ``name`` (OHLCV lines; ``close[-1]`` is the bar before the latest)."""
        return self._feeds[name]

    def last_close(self, name: str) -> float | None:
        """The latest close known now: the previous one in ``on_open``, today's in ``on_close``.

        None when there is none yet (a name's very first bar, before its close).
        """
        data = self._feeds[name]
        if not len(data):
            return None
        if self._phase == "open" and self.has_bar(name):
            return float(data.close[-1]) if len(data) > 1 else None
        return float(data.close[0])

    # ------------------------------------------------------------- the news
    def signal(self, name: str) -> Signal | None:
        """Today's signal of ``name``, or None when no news about it became tradable today."""
        return self._today_signals.get(name)

    def signals(self) -> list[Signal]:
        """Today's signals of every name, in ticker order."""
        return list(self._today_signals.values())

    def skip(self, signal: Signal | None, reason: str, detail: str = "") -> None:
        """Record why ``signal`` is not traded (the first reason recorded for a signal wins)."""
        if signal is not None and signal._row not in self._skips:
            self._skips[signal._row] = {"session": self.today, "reason": reason, "detail": detail}

    # ------------------------------------------------------------ positions
    def position_size(self, name: str) -> float:
        return self.getposition(self._feeds[name]).size

    def is_pending(self, name: str) -> bool:
        """Has ``name`` an order that has not filled yet?"""
        return name in self._pending

    def is_held(self, name: str) -> bool:
        """Held, or about to be (a buy pending)."""
        return bool(self.position_size(name)) or name in self._pending

    def held(self) -> list[str]:
        """Names held or with an order pending, in ticker order."""
        return [name for name in self.names if self.is_held(name)]

    def entry(self, name: str) -> Entry | None:
        """The fill that opened the current position of ``name``, if any."""
        return self._entries.get(name)

    def bars_held(self, name: str) -> int:
        """The name's own bars since its entry fill (0 on the entry session)."""
        entry = self._entries.get(name)
        return len(self._feeds[name]) - entry.bar if entry else 0

    # --------------------------------------------------------------- orders
    def buy_weight(self, name: str, weight: float, *, reason: str = "entry_signal", cite: Signal | Iterable[Signal] = ()) -> bt.Order | None:
        """Buy ``weight`` x equity of ``name`` in whole board lots; return the order, or None.

        Sized on :meth:`last_close` plus ``size_headroom``, rounded DOWN to the
        name's board lot, capped by the cash still free this session (cash at
        the start of the hook, plus what sells placed in it will bring, minus
        buys placed in it). When no lot can be bought the cited signals are
        recorded as ``lot_too_expensive`` or ``no_cash``; a held name as
        ``already_held``; a name without a bar or previous close as ``no_bar``.
        """
        cited = _as_signals(cite)
        if self.is_held(name):
            return self._refuse(cited, "already_held", f"{name} is held or has an order pending")
        price = self.last_close(name)
        if not self.has_bar(name) or price is None:
            return self._refuse(cited, "no_bar", f"{name} has no bar or no previous close to size on")
        lot = int(self.lot_sizes.get(name, 1))
        price *= 1 + self.size_headroom
        target = self.broker.getvalue() * weight
        lots = math.floor(min(target, self._free_cash) / (price * lot))
        if lots < 1:
            if target < price * lot:
                return self._refuse(cited, "lot_too_expensive", f"one lot of {name} ≈ HK${price * lot:,.0f} > target HK${target:,.0f}")
            return self._refuse(cited, "no_cash", f"one lot of {name} ≈ HK${price * lot:,.0f} > free cash HK${self._free_cash:,.0f}")
        order = self.buy(data=self._feeds[name], size=lots * lot)
        self._free_cash -= lots * lot * price
        return self._placed(order, name, reason, cited)

    def sell_all(self, name: str, reason: str, *, cite: Signal | Iterable[Signal] = ()) -> bt.Order | None:
        """Sell the whole position of ``name``; its estimated proceeds count as free cash at once."""
        size = self.position_size(name)
        if not size or name in self._pending:
            return None
        price = self.last_close(name)
        order = self.close(data=self._feeds[name])
        if price is not None:
            self._free_cash += size * price * (1 - self.size_headroom)
        return self._placed(order, name, reason, _as_signals(cite))

    def _placed(self, order: bt.Order, name: str, reason: str, cited: list[Signal]) -> bt.Order:
        ids = list(dict.fromkeys(i for signal in cited for i in signal.news_ids))
        score = cited[0].score if cited else float("nan")
        order.addinfo(reason=reason, news_ids=";".join(ids), signal_score=score)
        rows = tuple(signal._row for signal in cited)
        self._cited.update(rows)
        self._order_rows[order.ref] = rows
        self._pending.add(name)
        return order

    def _refuse(self, cited: list[Signal], reason: str, detail: str) -> None:
        for signal in cited:
            self.skip(signal, reason, detail)
        return None

    def notify_order(self, order: bt.Order) -> None:
        """Keeps entries and pending orders up to date; call ``super().notify_order(order)`` if you override it."""
        name = order.data._name
        if order.status == order.Completed:
            if self.getposition(order.data).size:
                self._entries[name] = Entry(pd.Timestamp(bt.num2date(order.executed.dt).date()), order.executed.price, len(order.data))
            else:
                self._entries.pop(name, None)
        elif order.status in (order.Margin, order.Rejected):
            for row in self._order_rows.get(order.ref, ()):
                self._cited.discard(row)
                self._skips.setdefault(row, {"session": self.today, "reason": "order_refused", "detail": order.getstatusname()})
        if order.status in (order.Completed, order.Canceled, order.Margin, order.Rejected, order.Expired):
            self._pending.discard(name)

    # -------------------------------------------------------------- results
    @property
    def skipped(self) -> pd.DataFrame:
        """Every signal of the run that no order cited, with the reason (:data:`SKIPPED_COLUMNS`)."""
        frame = self._signal_rows
        if frame.empty:
            return pd.DataFrame(columns=SKIPPED_COLUMNS)
        keep = (frame.session >= self.trade_from).to_numpy(copy=True)
        keep[list(self._cited)] = False
        rows = np.flatnonzero(keep)
        reasons = [self._skips.get(r, _NOT_USED) for r in rows.tolist()]
        picked = frame.iloc[rows]
        return pd.DataFrame({
            "session": picked.session.to_numpy(), "ticker": picked.ticker.to_numpy(),
            "reason": [r["reason"] for r in reasons], "detail": [r["detail"] for r in reasons],
            "score": picked.score.to_numpy(dtype=float), "news_count": picked.news_count.to_numpy(dtype=int),
            "news_ids": picked.news_ids.to_numpy(),
        }, columns=SKIPPED_COLUMNS)


def _as_signals(cite: Signal | Iterable[Signal] | None) -> list[Signal]:
    if cite is None:
        return []
    if isinstance(cite, Signal):
        return [cite]
    return [s for s in cite if s is not None]


def index_signals(signals: pd.DataFrame) -> dict[pd.Timestamp, dict[str, Signal]]:
    """session -> ticker -> Signal (tickers in order), each keeping its row number in the frame (for citations).

    A :class:`Signal` is read-only, so one index serves every backtest on the same frame
    (:func:`hkbt.backtest.runner.run_backtest` builds it once per frame).
    """
    index: dict[pd.Timestamp, dict[str, Signal]] = {}
    for row, fields in enumerate(signals.to_dict("records")):
        index.setdefault(pd.Timestamp(fields["session"]), {})[fields["ticker"]] = Signal(fields, row)
    return {session: dict(sorted(today.items())) for session, today in index.items()}


@lru_cache(maxsize=1 << 16)
def session_of(number: float, tz: Any) -> pd.Timestamp:
    """The session (a midnight Timestamp) of a Backtrader date number: ``pd.Timestamp(line.date(0))``, memoised."""
    return pd.Timestamp(bt.num2date(number, tz=tz).date())


def latest_line(clock: list) -> Any:
    """Of the feeds' datetime lines, the one with the latest bar: the session being traded (a suspended feed lags behind)."""
    return max((line for line in clock if len(line)), key=_NOW)


_NOW = operator.itemgetter(0)  # a line's current value: line[0]
_NO_SIGNALS: dict[str, Signal] = {}
_NOT_USED = {"reason": "not_used", "detail": ""}
