"""basket_hold: equal-weight buy-and-hold of the whole universe from the first session.

A second benchmark. ^HSI buy-and-hold answers "did the strategy beat the
market?"; this one answers "did it beat simply owning these names?", which
separates stock choice (the universe is HK tech, not the index) from timing
(when the news-driven strategies are in or out). It pays the same costs and
board lots as any strategy, and it reads no news: every signal ends up in
``skipped.csv`` as ``not_used``.

Before the open of the run's first session it buys every name at
``1 / len(universe)`` of equity, in whole board lots sized on the previous
close; a name without a bar or a previous close then (suspended, or listed
later) is bought at the first session it has both. A name whose lot does not
fit is not retried. Nothing is ever sold: positions are marked at the last
close (``open_at_end`` in trades.csv). No parameters.
"""

from __future__ import annotations

from hkbt.backtest.strategy import Strategy


class BasketHold(Strategy):
    """Buy every name in equal weight on the first session it trades, hold to the end."""

    interface_version = 1

    def __init__(self) -> None:
        super().__init__()
        self.tried: set[str] = set()

    def on_open(self) -> None:
        for name in self.names:
            if name in self.tried or not self.has_bar(name) or self.last_close(name) is None:
                continue
            self.tried.add(name)
            self.buy_weight(name, 1 / len(self.names), reason="basket")
