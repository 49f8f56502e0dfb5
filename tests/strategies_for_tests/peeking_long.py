"""sentiment_long with a deliberate look-ahead bug -- for tests only, never for research.

``hkbt check-lookahead`` (and tests/backtest/test_lookahead.py) must catch it.
Two ways to cheat, chosen with the ``peek`` parameter:

* ``"close"``: before the session's opening auction it only buys when the
  session will close *above* its open: it reads ``close[0]``, a price printed
  about six and a half hours after the fill (Backtrader preloads the feed, so
  nothing stops it).
* ``"next_signal"``: it also buys today when *tomorrow's* signal clears the
  threshold, reading the signal frame behind the accessor's back.

Loaded by path (``strategy.path: tests/strategies_for_tests``), like any user strategy.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hkbt.strategies.sentiment_long import SentimentLong


class PeekingLong(SentimentLong):
    """Buys like sentiment_long, but decides with data from the future."""

    interface_version = 1

    class Params(SentimentLong.Params):
        peek: Literal["close", "next_signal"] = Field("close", description="which future to read")

    def _wants_entry(self, signal) -> bool:
        if self.settings.peek == "close":
            data = self.data_of(signal.ticker)
            return super()._wants_entry(signal) and data.close[0] > data.open[0]  # look-ahead!
        return super()._wants_entry(signal)

    def on_open(self) -> None:
        super().on_open()
        if self.settings.peek != "next_signal":
            return
        rows = self._signal_rows  # the whole frame: tomorrow's rows too (look-ahead!)
        later = rows[rows.session > self.today]
        if later.empty:
            return
        tomorrow = later[later.session == later.session.min()]
        for row in tomorrow.itertuples():
            if row.score >= self.settings.entry_threshold and self.has_bar(row.ticker) and not self.is_held(row.ticker):
                self.buy_weight(row.ticker, 1 / self.settings.max_positions, reason="peek")
