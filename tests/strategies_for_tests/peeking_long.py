"""SentimentLong with a deliberate look-ahead bug -- for tests only, never for research.

``tests/test_lookahead.py`` uses it to prove that ``find_lookahead_violations``
catches a strategy that reads data it could not know when its order is placed.
Two ways to cheat, chosen with the ``peek`` parameter:

* ``"close"``: in ``next_open`` (before the session's opening auction) it only
  buys when the session will close *above* its open, i.e. it reads
  ``close[0]``, a price printed about six and a half hours after the fill.
* ``"next_signal"``: it also buys today when *tomorrow's* news score clears
  the threshold, reading ``score[1]`` (Backtrader preloads the whole feed, so
  a positive index silently returns a future bar instead of failing).
"""

from __future__ import annotations

from strategies.sentiment_long import SentimentLong


class PeekingLong(SentimentLong):
    """Buys like SentimentLong, but decides with data from the future."""

    params = (("peek", "close"),)  # "close" or "next_signal"

    def _wants_entry(self, data) -> bool:
        if self.p.peek == "close":
            return super()._wants_entry(data) and data.close[0] > data.open[0]  # look-ahead!
        if super()._wants_entry(data):
            return True
        if len(data) < 2 or self.getposition(data).size or data._name in self.pending:
            return False
        try:
            return data.score[1] >= self.p.entry_threshold  # look-ahead: tomorrow's news
        except IndexError:  # the last bar has no tomorrow
            return False
