"""news_rebound: buy HK tech names after strongly negative policy/market news, hold a few sessions.

The bet is the event study's RTHK finding: after market-wide policy shocks
(tariffs, sanctions, curbs) HK tech names beat the Hang Seng Index over the
following sessions, i.e. the sell-off overshoots and partly comes back.

Rules, before each session's open (orders fill at that open):

* **exits** first: a position held ``hold_days`` of its own bars is sold;
* **entries**: names whose signal today scores ``<= entry_threshold`` (strongly
  negative), from at least ``min_news`` items, with one of ``topics``, and —
  with ``market_wide_only`` — including news that names no company (a shock
  to the whole market rather than one company's own bad news, which may be
  information rather than overreaction). When they do not all fit in the
  free ``max_positions`` slots they are ranked by ``rank_by`` (default: company
  news first, then the most negative score, then more items) and a tie that
  does not fit shares the slots left or is skipped (``ties``), exactly as in
  ``sentiment_long`` (:mod:`hkbt.backtest.selection`); no ticker code decides.
  Each full slot is ``1 / max_positions`` of equity, in whole board lots.

Defaults, chosen by reasoning (not by backtest P&L):

* ``entry_threshold -0.5``: the lower edge of the event study's bottom score
  bucket (``--buckets=-0.5,0,0.5``): "strongly negative";
* ``topics [policy]`` and ``market_wide_only true``: the finding is about
  policy shocks to the whole market;
* ``hold_days 5``: one trading week, a horizon the event study measures and
  the same as ``sentiment_long``'s, so the two differ only in their entries;
* ``max_positions`` unset = every name in the universe: a market-wide shock
  hits all names with the same score, so a smaller cap would only share the
  slots among tied names.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from hkbt.backtest.selection import DEFAULT_RANK_BY, RANK_CRITERIA, allocate_slots
from hkbt.backtest.strategy import Signal, Strategy, TopicNames


class NewsRebound(Strategy):
    """Buy after strongly negative market-wide policy news; sell after a few sessions."""

    interface_version = 1

    class Params(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)

        entry_threshold: float = Field(-0.5, ge=-1, le=0, description="buy when the session's mean news score for a name is <= this (-1..0)")
        min_news: int = Field(1, ge=1, description="news items needed on that session")
        topics: Annotated[list[str], TopicNames()] = Field(
            default_factory=lambda: ["policy"], description="at least one of these topics must be among that session's items")
        market_wide_only: bool = Field(True, description="only signals that include news naming no company (a shock to the whole market)")
        hold_days: int = Field(5, ge=1, description="sessions to hold before selling at the open")
        max_positions: int | None = Field(None, ge=1, description="names held at once, each 1/max_positions of equity (null = the whole universe)")
        rank_by: list[Literal[RANK_CRITERIA]] = Field(
            default_factory=lambda: list(DEFAULT_RANK_BY),
            description="order of candidates when they do not all fit: scope (company news first), score (most negative first), news_count")
        ties: Literal["share", "skip"] = Field(
            "share", description="names tied on every rank_by criterion that do not all fit: share the free slots, or skip them all")

    def __init__(self) -> None:
        super().__init__()
        self.units: dict[str, float] = {}  # name -> slots its position was given (a fraction when a tie shared)

    def on_open(self) -> None:
        p = self.settings
        slots_total = p.max_positions or len(self.names)
        exits = [name for name in self.names
                 if self.has_bar(name) and self.entry(name) and not self.is_pending(name) and self.bars_held(name) >= p.hold_days]
        for name in exits:
            self.sell_all(name, "hold_days")
        leaving = set(exits)
        self.units = {name: units for name, units in self.units.items() if self.is_held(name) and name not in leaving}
        used = sum(self.units.get(name, 1.0) for name in self.held() if name not in leaving)
        candidates = [s for s in self.signals() if self._wants_entry(s)]
        for pick in allocate_slots(candidates, max(slots_total - used, 0.0), p.rank_by, p.ties, low_scores_first=True):
            if pick.units <= 0:
                self.skip(pick.candidate, pick.reason, pick.detail)
            elif self.buy_weight(pick.candidate.ticker, pick.units / slots_total, cite=pick.candidate) is not None:
                self.units[pick.candidate.ticker] = pick.units

    def _wants_entry(self, signal: Signal) -> bool:
        """Is today's signal a strongly negative market shock? If not, record why."""
        p = self.settings
        if not self.has_bar(signal.ticker):
            return False  # recorded as no_bar by the base class
        if self.is_held(signal.ticker):
            self.skip(signal, "already_held")
        elif signal.count < p.min_news:
            self.skip(signal, "min_news", f"{signal.count} < {p.min_news}")
        elif not signal.score <= p.entry_threshold:
            self.skip(signal, "threshold", f"{signal.score:+.3f} > {p.entry_threshold:+.3f}")
        elif not signal.topics & set(p.topics):
            self.skip(signal, "topic", f"topics {';'.join(sorted(signal.topics)) or 'none'}, needs one of {';'.join(p.topics)}")
        elif p.market_wide_only and not bool(signal.get("market_wide", False)):
            self.skip(signal, "not_market_wide", "company news only; the rebound bet is on market-wide shocks")
        else:
            return True
        return False
