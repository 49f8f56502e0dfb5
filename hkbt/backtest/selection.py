"""Which candidates get the free position slots: an explicit order, and a stated rule for ties.

When more names qualify on a session than there are free slots, something has to
decide. Sorting by score and then by ticker code would let the code decide every
tie, and ties are common: a market-wide item gives every name the same score, so
such an entry would always buy 0175, 0700, 1211, 1810 and 3690 and never Alibaba.
Here the order is stated and configurable, and a tie that does not fit is not
broken by anything arbitrary:

* **rank**: candidates are ordered by ``rank_by``, a list of criteria, each
  better-first. ``scope`` puts company evidence before theme, market and other
  evidence (:data:`hkbt.news.scopes.SCOPES`), ``score`` the stronger signal
  first, ``news_count`` the better-covered one first. The default, ``[scope,
  score, news_count]``, reads: news about the company itself first, then the
  strongest, then the most reported.
* **ties**: candidates equal on every criterion form one group. Groups are
  served best first while they fit in the free slots. A group that does not fit
  whole either **shares** what is left (``ties: share``: each member gets
  ``free / members`` of a slot) or is **skipped** (``ties: skip``: none of them
  is bought). Either way, every member is treated alike; no ticker code decides.

Slots are counted in units of one full position (``1 / max_positions`` of
equity), so shared positions use fractions of a slot and free slots may be
fractional. Everything here is pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from hkbt.news.scopes import SCOPES

RANK_CRITERIA = ("scope", "score", "news_count")
DEFAULT_RANK_BY = ("scope", "score", "news_count")
TieRule = Literal["share", "skip"]
EPSILON = 1e-9


def rank_key(signal: Any, rank_by: Sequence[str], low_scores_first: bool = False) -> tuple:
    """The sort key of one signal (smaller sorts first), from its ``scope``, ``score`` and ``count``.

    ``low_scores_first`` ranks the most negative score first (a strategy that buys
    after bad news, such as ``news_rebound``).

    >>> class S: scope, score, count = "market", 0.7, 3
    >>> rank_key(S(), ["scope", "score", "news_count"])
    (2, -0.7, -3)
    >>> rank_key(S(), ["score"], low_scores_first=True)
    (0.7,)
    """
    parts = []
    for criterion in rank_by:
        if criterion == "scope":
            scope = getattr(signal, "scope", None)  # a signal frame without scopes ranks every name alike here
            parts.append(SCOPES.index(scope) if scope in SCOPES else len(SCOPES))
        elif criterion == "score":
            parts.append(float(signal.score) if low_scores_first else -float(signal.score))
        elif criterion == "news_count":
            parts.append(-int(signal.count))
        else:
            raise ValueError(f"unknown rank criterion {criterion!r} (known: {', '.join(RANK_CRITERIA)})")
    return tuple(parts)


@dataclass(frozen=True)
class Allocation:
    """What :func:`allocate_slots` decided for one candidate."""

    candidate: Any
    units: float  # slots given (1.0 = a full position, a fraction when a tie shares); 0 when skipped
    reason: str = ""  # why it got nothing: "max_positions" or "tie"
    detail: str = ""


def allocate_slots(
    candidates: Sequence[Any], free: float, rank_by: Sequence[str], ties: TieRule = "share", low_scores_first: bool = False
) -> list[Allocation]:
    """Pure: hand ``free`` slots to ``candidates`` (signals) by ``rank_by``, with the ``ties`` rule.

    Candidates need ``score`` and ``count`` (and ``scope`` when ranked by it);
    ``low_scores_first`` is passed on to :func:`rank_key`.

    Returns one :class:`Allocation` per candidate, best group first (members of
    a group in the order given).

    >>> class S:
    ...     def __init__(self, t, scope, score): self.ticker, self.scope, self.score, self.count = t, scope, score, 1
    >>> picks = [S("A", "market", 0.6), S("B", "market", 0.6), S("C", "market", 0.6), S("D", "company", 0.5)]
    >>> [(a.candidate.ticker, round(a.units, 3), a.reason) for a in allocate_slots(picks, 2, DEFAULT_RANK_BY)]
    [('D', 1.0, ''), ('A', 0.333, ''), ('B', 0.333, ''), ('C', 0.333, '')]
    >>> [(a.candidate.ticker, a.units, a.reason) for a in allocate_slots(picks, 2, DEFAULT_RANK_BY, "skip")]
    [('D', 1.0, ''), ('A', 0.0, 'tie'), ('B', 0.0, 'tie'), ('C', 0.0, 'tie')]
    """
    groups: dict[tuple, list[Any]] = {}
    for candidate in candidates:
        groups.setdefault(rank_key(candidate, rank_by, low_scores_first), []).append(candidate)
    allocations = []
    criteria = ", ".join(rank_by) or "nothing"
    full = "every slot taken by better-ranked signals"
    for key in sorted(groups):
        members = groups[key]
        if free >= len(members) - EPSILON:
            allocations += [Allocation(m, 1.0) for m in members]
            free -= len(members)
        elif free > EPSILON and ties == "share":
            allocations += [Allocation(m, free / len(members)) for m in members]
            free = 0.0
        elif free > EPSILON:  # a better-ranked tie is not passed over for a worse candidate: the slots stay empty
            detail = f"{len(members)} names tie on {criteria} for {free:.3g} free slot(s); ties: skip"
            allocations += [Allocation(m, 0.0, "tie", detail) for m in members]
            free, full = 0.0, "the free slots went unused: better-ranked names tied and ties: skip"
        else:
            allocations += [Allocation(m, 0.0, "max_positions", full) for m in members]
    return allocations
