"""sentiment_rotation: every few sessions, hold the names with the best recent news, equal weight.

Each name's **decayed news score** on a session is the weighted mean of the
mean scores of its signals over the last ``lookback`` sessions (today's
included), each weighted by its number of items and by ``0.5 ** (age /
half_life)``, where age is counted in sessions. A name with no news in the
window has no score.

Every ``rebalance_every`` sessions (the first on the run's first session),
before the open (orders fill at that open):

* the **target** is the ``top_k`` names with a score ``> min_score`` from at
  least ``min_news`` items, best score first, then more items; names tied on
  both that do not all fit share the slots left (``ties: share``, each a
  fraction of ``1 / top_k``) or are all left out (``ties: skip``), never picked
  by ticker code (:mod:`hkbt.backtest.selection`);
* held names not in the target are sold (``rebalance_out``); target names not
  held are bought at ``1 / top_k`` of equity in whole board lots, each order
  citing the signals in its name's window. Names kept are not resized.

Between rebalances nothing trades. Defaults, chosen by reasoning (not by
backtest P&L):

* ``rebalance_every 5``: weekly, the horizon the other built-ins hold for;
  with stamp duty of 0.1 % on each side, daily rotation would pay costs
  on noise;
* ``top_k 3``: a third of the nine-name universe, concentrated enough to
  differ from holding the basket;
* ``half_life 5``, ``lookback 20``: a week-old item counts half, a
  four-week-old one 1/16, and older news is dropped (so citations stay finite);
* ``min_score 0``: hold only names whose recent news is positive on balance;
  with none, hold cash. (Not vader_fin's positive-class cut of 0.3: that
  classifies one text, while this is a mean over many, most of them neutral.)
* ``topics []``: all news about a name counts, not only policy or AI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from hkbt.backtest.selection import allocate_slots
from hkbt.backtest.strategy import Signal, Strategy, TopicNames


@dataclass(frozen=True)
class _Ranked:
    """A name's decayed score in the window, in the shape :func:`allocate_slots` ranks."""

    ticker: str
    score: float
    count: int


class SentimentRotation(Strategy):
    """Hold the top-k names by decayed news score, rebalanced every N sessions."""

    interface_version = 1

    class Params(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)

        rebalance_every: int = Field(5, ge=1, description="sessions between rebalances (the first is the run's first session)")
        top_k: int = Field(3, ge=1, description="names held after a rebalance, each 1/top_k of equity")
        half_life: float = Field(5.0, gt=0, description="sessions after which a signal's weight halves")
        lookback: int = Field(20, ge=1, description="sessions of news in the score (today's included)")
        min_score: float = Field(0.0, ge=-1, lt=1, description="a name needs a decayed score above this to be held")
        min_news: int = Field(1, ge=1, description="news items in the window needed to be ranked")
        topics: Annotated[list[str], TopicNames()] = Field(
            default_factory=list, description="count only signals with one of these topics ([] = all news)")
        ties: Literal["share", "skip"] = Field(
            "share", description="names tied on score and item count that do not all fit in top_k: share the slots left, or skip them all")

    def __init__(self) -> None:
        super().__init__()
        self.session_no = -1  # sessions since the run's first, counted by this strategy's own clock
        self.history: dict[str, list[tuple[int, Signal]]] = {name: [] for name in self.names}

    def on_open(self) -> None:
        p = self.settings
        self.session_no += 1
        for signal in self.signals():
            if not p.topics or signal.topics & set(p.topics):
                self.history.setdefault(signal.ticker, []).append((self.session_no, signal))
            else:
                self.skip(signal, "topic", f"topics {';'.join(sorted(signal.topics)) or 'none'}, needs one of {';'.join(p.topics)}")
        for name, items in self.history.items():
            self.history[name] = [(n, s) for n, s in items if self.session_no - n < p.lookback]
        if self.session_no % p.rebalance_every == 0:
            self._rebalance()

    def decayed_score(self, name: str) -> tuple[float, int] | None:
        """(weighted mean score, items) of ``name``'s news in the window, or None without news."""
        items = self.history.get(name, [])
        weights = [0.5 ** ((self.session_no - n) / self.settings.half_life) * s.count for n, s in items]
        if not items or sum(weights) <= 0:
            return None
        return sum(w * s.score for w, (_, s) in zip(weights, items)) / sum(weights), sum(s.count for _, s in items)

    def _rebalance(self) -> None:
        p = self.settings
        ranked = []
        for name in self.names:
            scored = self.decayed_score(name)
            if scored is None:
                continue
            window = [s for _, s in self.history[name]]
            if scored[1] < p.min_news:
                self._skip_all(window, "min_news", f"{scored[1]} items < {p.min_news}")
            elif not scored[0] > p.min_score:
                self._skip_all(window, "threshold", f"decayed score {scored[0]:+.3f} <= {p.min_score:+.3f}")
            else:
                ranked.append(_Ranked(name, scored[0], scored[1]))
        target = {}
        for pick in allocate_slots(ranked, p.top_k, ["score", "news_count"], p.ties):
            if pick.units > 0:
                target[pick.candidate.ticker] = pick.units
            else:
                detail = f"ranked below the top {p.top_k}" if pick.reason == "max_positions" else pick.detail
                self._skip_all([s for _, s in self.history[pick.candidate.ticker]], pick.reason, detail)
        for name in self.names:
            if self.position_size(name) and name not in target and self.has_bar(name):
                self.sell_all(name, "rebalance_out")
        for name, units in target.items():
            window = [s for _, s in self.history[name]]
            if self.is_held(name):
                self._skip_all(window, "already_held", "kept from the last rebalance")
            else:
                self.buy_weight(name, units / p.top_k, reason="rebalance_in", cite=window)

    def _skip_all(self, signals: list[Signal], reason: str, detail: str) -> None:
        for signal in signals:
            self.skip(signal, reason, detail)
