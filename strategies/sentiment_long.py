"""Long HK tech names on the session strong positive policy/AI news becomes tradable.

The strategy sees only what :mod:`hkbt.backtest.runner` puts on each data feed: daily
OHLCV bars plus per-session signal lines, where the value on session ``S`` is
built exclusively from news whose cutoff (09:00 HKT by default) is before
``S``'s open:

==============  ===========================================================
``score``       mean sentiment of that session's news for the name, or NaN
``news_count``  number of news items behind ``score`` (0 when none)
``signal_row``  row number in signals.csv (traces orders back to news_ids)
``topic_<t>``   1 when at least one of those items is tagged topic ``t``
==============  ===========================================================

How it trades (Backtrader runs with ``cheat_on_open=True``):

* ``next_open`` runs on session ``S`` *before* the opening auction fills.
  Orders placed there fill at ``S``'s open. It only reads the signal lines
  and the previous bar (``close[-1]``), never ``S``'s own high/low/close.
  Entries: ``score >= entry_threshold``, ``news_count >= min_news`` and one
  of ``topics``; best scores first while fewer than ``max_positions`` are
  held. Exits: after ``hold_days`` sessions, or when a later signal for the
  name scores ``<= exit_threshold``.
* ``next`` runs after ``S``'s close: ``stop_loss`` / ``take_profit`` are
  checked on the close, and the exit fills at the *next* open.

Size: equal weight, ``equity / max_positions`` at the previous close, rounded
DOWN to the name's board lot (``lot_sizes``), capped by free cash; a name
whose single lot costs more than that is skipped. Long only, no leverage.

Every order carries ``reason`` and ``signal_row`` in ``order.info``.
"""

from __future__ import annotations

import math

import backtrader as bt


class SentimentLong(bt.Strategy):
    """Buy on strong positive policy/AI news, hold a few sessions, then sell."""

    params = (
        ("entry_threshold", 0.5),    # mean score needed to buy, in [-1, 1]
        ("exit_threshold", -0.3),    # a later mean score at/below this sells; None = off
        ("min_news", 1),             # news items needed on the session
        ("topics", ("policy", "ai")),  # at least one of these topics must be present
        ("hold_days", 5),            # sessions to hold (exit at the open hold_days sessions later)
        ("stop_loss", None),         # e.g. 0.08 = sell after a close 8 % below entry
        ("take_profit", None),       # e.g. 0.15 = sell after a close 15 % above entry
        ("max_positions", 5),        # names held at once; also sets the weight 1/max_positions
        ("lot_sizes", {}),           # ticker -> board lot (shares); default 1
        ("size_headroom", 0.02),     # size for a 2 % higher fill than the previous close
        ("trade_from", None),        # date: ignore signals before this session (warm-up bars)
    )

    def __init__(self) -> None:
        self.entries: dict[str, dict] = {}   # name -> {"bar": len at fill, "price": fill price}
        self.pending: set[str] = set()       # names with an order not yet completed

    # ------------------------------------------------------------ the session
    def prenext_open(self) -> None:
        self.next_open()

    def prenext(self) -> None:
        self.next()

    def next_open(self) -> None:
        today = self._today()
        if self.p.trade_from is not None and today.date() < self.p.trade_from:
            return
        live = [d for d in self.datas if len(d) and d.datetime.datetime(0) == today]
        exits = [(d, self._exit_reason_open(d)) for d in live]
        exits = [(d, reason) for d, reason in exits if reason]
        for data, reason in exits:
            self._sell(data, reason)
        # sells are submitted first, so their proceeds are cash when buys fill
        free_cash = self.broker.getcash() + sum(
            self.getposition(d).size * self._reference_price(d) * (1 - self.p.size_headroom) for d, _ in exits
        )
        held = sum(1 for d in self.datas if self.getposition(d).size or d._name in self.pending) - len(exits)
        candidates = sorted(
            (d for d in live if self._wants_entry(d)),
            key=lambda d: (-d.score[0], -d.news_count[0], d._name),
        )
        for data in candidates[: max(self.p.max_positions - held, 0)]:
            free_cash -= self._buy(data, free_cash)

    def next(self) -> None:
        if self.p.stop_loss is None and self.p.take_profit is None:
            return
        for data in self.datas:
            entry = self.entries.get(data._name)
            if entry is None or data._name in self.pending or not self.getposition(data).size:
                continue
            change = data.close[0] / entry["price"] - 1.0
            if self.p.stop_loss is not None and change <= -self.p.stop_loss:
                self._sell(data, "stop_loss")
            elif self.p.take_profit is not None and change >= self.p.take_profit:
                self._sell(data, "take_profit")

    # --------------------------------------------------------------- orders
    def notify_order(self, order: bt.Order) -> None:
        name = order.data._name
        if order.status == order.Completed and order.isbuy():
            self.entries[name] = {"bar": len(order.data), "price": order.executed.price}
        elif order.status == order.Completed:
            self.entries.pop(name, None)
        if order.status in (order.Completed, order.Canceled, order.Margin, order.Rejected, order.Expired):
            self.pending.discard(name)

    def _buy(self, data, free_cash: float) -> float:
        """Place an equal-weight, lot-rounded market buy; return the cash it may use."""
        lot = int(self.p.lot_sizes.get(data._name, 1))
        price = self._reference_price(data) * (1 + self.p.size_headroom)
        budget = min(self.broker.getvalue() / self.p.max_positions, free_cash)
        lots = math.floor(budget / (price * lot))
        if lots < 1:
            return 0.0
        order = self.buy(data=data, size=lots * lot)
        order.addinfo(reason="entry_signal", signal_row=int(data.signal_row[0]))
        self.pending.add(data._name)
        return lots * lot * price

    def _sell(self, data, reason: str) -> None:
        order = self.close(data=data)
        row = int(data.signal_row[0]) if reason == "exit_signal" else -1
        order.addinfo(reason=reason, signal_row=row)
        self.pending.add(data._name)

    # -------------------------------------------------------------- helpers
    def _today(self):
        return max(d.datetime.datetime(0) for d in self.datas if len(d))

    @staticmethod
    def _reference_price(data) -> float:
        """The last price known before this session's open: the previous close."""
        return data.close[-1]

    def _wants_entry(self, data) -> bool:
        if len(data) < 2 or self.getposition(data).size or data._name in self.pending:
            return False  # a first bar has no previous close to size the order with
        if data.news_count[0] < self.p.min_news or not data.score[0] >= self.p.entry_threshold:
            return False
        return any(getattr(data.lines, f"topic_{t}")[0] > 0 for t in self.p.topics if hasattr(data.lines, f"topic_{t}"))

    def _exit_reason_open(self, data) -> str | None:
        entry = self.entries.get(data._name)
        if entry is None or data._name in self.pending or not self.getposition(data).size:
            return None
        if len(data) - entry["bar"] >= self.p.hold_days:
            return "hold_days"
        threshold = self.p.exit_threshold
        if threshold is not None and data.news_count[0] > 0 and data.score[0] <= threshold:
            return "exit_signal"
        return None
