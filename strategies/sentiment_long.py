"""sentiment_long: buy HK tech names on the session strong positive policy/AI news becomes tradable.

Rules, each session (see :mod:`hkbt.backtest.strategy` for when the hooks run):

* **Before the open** (orders fill at today's open):

  - *exits* first: a position held ``hold_days`` of its own bars is sold; so is
    one whose signal today scores ``<= exit_threshold`` (that order cites
    today's news);
  - *entries*: names with a signal today scoring ``>= entry_threshold``, from
    at least ``min_news`` items, with one of ``topics`` among them, ranked by
    ``rank_by`` (default: news about the company itself first, then the
    higher score, then more items), while fewer than ``max_positions`` are
    held. Each gets ``1 / max_positions`` of equity in whole board lots.
    Names tied on every criterion when the free slots run out share what is
    left (``ties: share``, each a fraction of a position) or are all skipped
    (``ties: skip``); no ticker code breaks a tie
    (:mod:`hkbt.backtest.selection`).

* **After the close** (orders fill at the next open): ``stop_loss`` /
  ``take_profit`` against the entry price, checked on the close.

Every signal it does not trade is recorded with its reason (``already_held``,
``min_news``, ``threshold``, ``topic``, ``max_positions``, ``tie``, plus the
sizing reasons of the base class).

Why ``ties: share`` by default: names tie when the news cannot tell them apart
(one market-wide item gives every name the same score), and spreading the
remaining money over them is the choice that adds no information the news did
not have; picking some by ticker code, or buying none, would.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hkbt.backtest.selection import DEFAULT_RANK_BY, RANK_CRITERIA, allocate_slots
from hkbt.backtest.strategy import Signal, Strategy, TopicNames


class SentimentLong(Strategy):
    """Buy on strong positive policy/AI news, hold a few sessions, then sell."""

    interface_version = 1

    class Params(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)

        entry_threshold: float = Field(0.5, ge=-1, le=1, description="buy when the session's mean news score for a name is >= this (-1..1)")
        exit_threshold: float | None = Field(-0.3, ge=-1, le=1, description="sell early when a later session's mean score is <= this (null = never)")
        min_news: int = Field(1, ge=1, description="news items needed on that session")
        topics: Annotated[list[str], TopicNames()] = Field(
            default_factory=lambda: ["policy", "ai"], description="at least one of these topics must be among that session's items")
        hold_days: int = Field(5, ge=1, description="sessions to hold before selling at the open")
        stop_loss: float | None = Field(None, gt=0, lt=1, description="e.g. 0.08: sell at the next open after a close 8 % below entry")
        take_profit: float | None = Field(None, gt=0, description="e.g. 0.15: sell at the next open after a close 15 % above entry")
        max_positions: int = Field(5, ge=1, description="names held at once; each gets 1/max_positions of equity")
        rank_by: list[Literal[RANK_CRITERIA]] = Field(
            default_factory=lambda: list(DEFAULT_RANK_BY), min_length=1,
            description="order of the candidates for free slots, each better first: scope (company > theme > market), score, news_count")
        ties: Literal["share", "skip"] = Field(
            "share", description="names tied on every rank_by criterion that do not all fit: share the free slots, or skip them all")

        @model_validator(mode="after")
        def _thresholds(self):
            if self.exit_threshold is not None and self.exit_threshold >= self.entry_threshold:
                raise ValueError(f"exit_threshold ({self.exit_threshold}) must be below entry_threshold ({self.entry_threshold})")
            return self

    def __init__(self) -> None:
        super().__init__()
        self.units: dict[str, float] = {}  # name -> slots its position was given (a fraction when a tie shared)

    def on_open(self) -> None:
        p = self.settings
        live = [name for name in self.names if self.has_bar(name)]
        exits = [(name, self._exit_reason(name)) for name in live]
        exits = [(name, reason) for name, reason in exits if reason]
        for name, reason in exits:
            self.sell_all(name, reason, cite=self.signal(name) if reason == "exit_signal" else ())
        leaving = {name for name, _ in exits}
        self.units = {name: units for name, units in self.units.items() if self.is_held(name) and name not in leaving}
        used = sum(self.units.get(name, 1.0) for name in self.held() if name not in leaving)
        candidates = [s for s in (self.signal(name) for name in live) if s is not None and self._wants_entry(s)]
        for pick in allocate_slots(candidates, max(p.max_positions - used, 0.0), p.rank_by, p.ties):
            if pick.units <= 0:
                self.skip(pick.candidate, pick.reason, pick.detail)
            elif self.buy_weight(pick.candidate.ticker, pick.units / p.max_positions, cite=pick.candidate) is not None:
                self.units[pick.candidate.ticker] = pick.units

    def on_close(self) -> None:
        p = self.settings
        if p.stop_loss is None and p.take_profit is None:
            return
        for name in self.names:
            entry = self.entry(name)
            if entry is None or self.is_pending(name) or not self.position_size(name) or not self.has_bar(name):
                continue
            change = self.last_close(name) / entry.price - 1.0
            if p.stop_loss is not None and change <= -p.stop_loss:
                self.sell_all(name, "stop_loss")
            elif p.take_profit is not None and change >= p.take_profit:
                self.sell_all(name, "take_profit")

    def _wants_entry(self, signal: Signal) -> bool:
        """Does today's signal qualify for an entry? If not, record why."""
        p = self.settings
        if self.is_held(signal.ticker):
            self.skip(signal, "already_held")
        elif self.last_close(signal.ticker) is None:
            self.skip(signal, "no_bar", "no previous close to size the order on")
        elif signal.count < p.min_news:
            self.skip(signal, "min_news", f"{signal.count} < {p.min_news}")
        elif not signal.score >= p.entry_threshold:
            raw = signal.get("score_mean")
            weighted = f" (after scope weights and memory; today's raw mean {raw:+.3f})" if isinstance(raw, float) and raw != signal.score else ""
            self.skip(signal, "threshold", f"{signal.score:+.3f}{weighted} < {p.entry_threshold:+.3f}")
        elif not signal.topics & set(p.topics):
            self.skip(signal, "topic", f"topics {';'.join(sorted(signal.topics)) or 'none'}, needs one of {';'.join(p.topics)}")
        else:
            return True
        return False

    def _exit_reason(self, name: str) -> str | None:
        if self.entry(name) is None or self.is_pending(name) or not self.position_size(name):
            return None
        if self.bars_held(name) >= self.settings.hold_days:
            return "hold_days"
        threshold = self.settings.exit_threshold
        signal = self.signal(name)
        if threshold is not None and signal is not None and signal.score <= threshold:
            return "exit_signal"
        return None
