"""Stage 6: signals. Aligned, scored, scoped news -> one row per (session, ticker).

The strategy never sees single news items: it sees, for each session a name
could trade at, one number built from the items that became tradable by that
session (see :mod:`hkbt.news.sessions` for the cutoff rule). Every row keeps the
ids of the items behind it and the weight each one had, so each order can cite
its news.

**Which tickers an item reaches** (:func:`route_news`), by its scope
(:mod:`hkbt.news.scopes`), each with a weight:

=========  ==================================================  ==============================
scope      reaches                                             weight
=========  ==================================================  ==============================
company    the universe companies it names                     ``scope_weights.company``
theme      the tickers of each of its themes                   the theme's ``weight``, else
                                                               ``scope_weights.theme``
market     every universe ticker, if it is tagged ``policy``   ``scope_weights.market``
           and ``market_wide_policy`` is on
other      like market (default weight 0: nowhere), except     ``scope_weights.other``
           rows naming only companies outside the universe,
           which reach nothing
=========  ==================================================  ==============================

A ticker two themes reach gets the larger weight; a weight of 0 drops the pair.

**Novelty.** An item that echoes an earlier one (:mod:`hkbt.news.novelty`: a
near-identical headline within ``novelty_hours``) for a ticker the earlier item
already reached, with a score of the same sign, counts with weight 0 there and
is still cited (``duplicate_of`` names the first one).

**Aggregation** (``aggregate``). Items whose score is closer to 0 than
``min_abs_score`` do not count (a neutral headline does not dilute a strong
one). For the items ``i`` that count, with weight ``w_i`` and score ``s_i``:

* ``mean``: ``sum(w_i s_i) / max(1, sum(w_i))`` -- the weighted mean once the
  weights add up to one full-weight item; below that, shrunk towards 0 in
  proportion (one market item at weight 0.4 scoring 0.9 gives 0.36). With every
  weight 1 this is the plain mean.
* ``sum``: ``sum(w_i s_i)``, capped at -1 and 1.
* ``max_abs``: the ``w_i s_i`` farthest from 0 (the larger one on a tie).
* ``decay``: ``mean`` over this session's items *and* the items of the last
  ``4 x half_life_sessions`` sessions, each weight multiplied by
  ``0.5 ** (age / half_life_sessions)`` (age in sessions, 0 for today's). Only
  items already tradable count, so nothing leaks from the future.

A row exists on a session when at least one item that counts became tradable
for the ticker at that session: memory gives context to new news, it does not
create signals on quiet days.

Everything here is pure: frames in, frames out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hkbt.news.novelty import find_echoes
from hkbt.news.scopes import SCOPES

AGGREGATES = ("mean", "sum", "max_abs", "decay")
MEMORY_HALF_LIVES = 4  # decay: items count for 4 half-lives (their weight falls to 1/16)

SIGNAL_COLUMNS = [
    "session", "ticker", "score", "score_mean", "score_max", "score_min", "news_count", "scope", "themes",
    "topics", "market_wide", "news_ids", "news_weights", "first_published_at", "last_published_at",
]


@dataclass(frozen=True)
class SignalRules:
    """How scored, scoped news becomes signals (``signals:`` and ``themes:`` in config.yaml).

    The defaults reproduce the plain per-session mean of every linked item with
    policy news broadcast to the universe; :func:`signal_rules_from_config`
    gives the configured ones.
    """

    universe: tuple[str, ...]
    market_wide_policy: bool = True
    scope_weights: Mapping[str, float] = field(default_factory=lambda: dict.fromkeys(SCOPES, 1.0))
    theme_tickers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    theme_weights: Mapping[str, float] = field(default_factory=dict)
    aggregate: str = "mean"
    half_life_sessions: float = 1.0
    min_abs_score: float = 0.0
    novelty_hours: float = 0.0
    novelty_similarity: float = 0.6

    def __post_init__(self) -> None:
        if self.aggregate not in AGGREGATES:
            raise ValueError(f"aggregate must be one of {', '.join(AGGREGATES)} (got {self.aggregate!r})")


def signal_rules_from_config(config) -> SignalRules:
    """:class:`SignalRules` from a :class:`hkbt.config.Config`."""
    universe = tuple(config.universe.tickers)
    signals = config.signals
    weights = signals.scope_weights.model_dump()
    return SignalRules(
        universe=universe,
        market_wide_policy=signals.market_wide_policy,
        scope_weights=weights,
        theme_tickers={
            name: universe if theme.tickers == "universe" else tuple(t for t in theme.tickers if t in universe)
            for name, theme in config.themes.items()
        },
        theme_weights={name: weights["theme"] if theme.weight is None else theme.weight for name, theme in config.themes.items()},
        aggregate=signals.aggregate,
        half_life_sessions=signals.half_life_sessions,
        min_abs_score=signals.min_abs_score,
        novelty_hours=signals.novelty.window_hours,
        novelty_similarity=signals.novelty.similarity,
    )


# ------------------------------------------------------------------- routing
def _targets(scope: str, tickers: tuple[str, ...], themes: tuple[str, ...], policy: bool, outside: bool,
             rules: SignalRules) -> tuple[dict[str, float], bool]:
    """``({ticker: weight}, market_wide)`` for one news item (see the module docstring)."""
    if scope == "company":
        weight = rules.scope_weights["company"]
        return {t: weight for t in tickers if t in rules.universe}, False
    if scope == "theme":
        reached: dict[str, float] = {}
        for theme in themes:
            weight = rules.theme_weights.get(theme, rules.scope_weights["theme"])
            for ticker in rules.theme_tickers.get(theme, ()):
                reached[ticker] = max(reached.get(ticker, 0.0), weight)
        return reached, False
    if outside or not rules.market_wide_policy or not policy:
        return {}, False
    weight = rules.scope_weights[scope]
    return dict.fromkeys(rules.universe, weight), True


def _route_items(news: pd.DataFrame, rules: SignalRules) -> list[tuple[dict[str, float], bool]]:
    """:func:`_targets` of every item, worked out once per distinct (scope, tickers, themes, policy, outside)."""
    known: dict[tuple, tuple[dict[str, float], bool]] = {}
    routed = []
    for key in zip(news.scope.tolist(), map(tuple, news.tickers.tolist()), map(tuple, news.themes.tolist()),
                   ["policy" in topics for topics in news.topics.tolist()], news.outside_universe.tolist()):
        found = known.get(key)
        if found is None:
            found = known[key] = _targets(*key, rules)
        routed.append(found)
    return routed


def route_news(news: pd.DataFrame, sessions: pd.DatetimeIndex, rules: SignalRules, keep_zero_weight: bool = False) -> pd.DataFrame:
    """Pure: one row per (news item, ticker it reaches), tradable inside ``sessions``.

    Args:
        news: scored, tagged, scoped, aligned items (``news_id``, ``published_at``,
            ``headline``, ``score``, ``topics``, ``tickers``, ``themes``, ``scope``,
            ``outside_universe``, ``tradable_session``).
        sessions: the run's sessions; items tradable outside them are dropped.
        rules: the routing, weighting and novelty settings.
        keep_zero_weight: keep pairs whose weight is 0 (scope ``other`` by
            default): the event study measures them, the signals ignore them.

    Returns:
        The news columns plus ``ticker``, ``weight``, ``market_wide`` and
        ``duplicate_of`` ("" or the id of the earlier item this one echoes for
        that ticker; such rows count with weight 0). The index is the item's
        original index, repeated once per ticker. Shared by :func:`build_signals`
        and the event study, so both see the same pairs.
    """
    routed = _route_items(news, rules)
    item = np.repeat(np.arange(len(news)), [len(targets) for targets, _ in routed])
    extra = pd.DataFrame({
        "ticker": [t for targets, _ in routed for t in targets],
        "weight": np.array([w for targets, _ in routed for w in targets.values()], dtype=float),
        "market_wide": np.array([m for targets, m in routed for _ in targets], dtype=bool),
    })
    extra["duplicate_of"] = _duplicates(news, item, extra.ticker.tolist(), rules)
    echo = (extra.duplicate_of != "").to_numpy()
    extra.loc[echo, "weight"] = 0.0
    keep = news.tradable_session.isin(sessions).to_numpy()[item]
    if not keep_zero_weight:
        keep &= (extra.weight.to_numpy() > 0) | echo
    pairs = news.iloc[item[keep]].copy()  # only the rows kept: copying every column of every pair is slow
    for column in extra.columns:
        pairs[column] = extra[column].array[keep]
    return pairs


def _duplicates(news: pd.DataFrame, item: np.ndarray, tickers: list[str], rules: SignalRules) -> list[str]:
    """For each pair (``news`` row ``item``, ticker), the first earlier item it echoes that reached the same ticker
    with a score of the same sign."""
    if rules.novelty_hours <= 0 or not len(item):
        return [""] * len(item)
    routed = news.iloc[np.unique(item)]  # only items that reach a ticker can echo for one
    routed_ids = routed.news_id.tolist()  # plain lists: iterating Arrow-backed columns is slow
    echoes = dict(zip(routed_ids, find_echoes(routed, rules.novelty_hours, rules.novelty_similarity).tolist()))
    sign = dict(zip(routed_ids, np.sign(routed.score.to_numpy(dtype=float)).tolist()))
    ids = news.news_id.to_numpy(dtype=object)[item].tolist()
    reached = set(zip(ids, tickers))
    return [next((e for e in echoes[i] if (e, t) in reached and sign[e] == sign[i]), "") if echoes[i] else ""
            for i, t in zip(ids, tickers)]


# --------------------------------------------------------------- aggregation
def aggregate_score(scores: np.ndarray, weights: np.ndarray, how: str) -> float:
    """The signal of one (session, ticker) from its items' scores and (decayed) weights.

    >>> s, w = np.array([0.9, 0.6]), np.array([1.0, 0.4])
    >>> [round(aggregate_score(s, w, how), 4) for how in ("mean", "sum", "max_abs", "decay")]
    [0.8143, 1.0, 0.9, 0.8143]
    >>> round(aggregate_score(np.array([0.9]), np.array([0.4]), "mean"), 2)   # a lone market item
    0.36
    """
    weighted = scores * weights
    if how == "sum":
        return float(np.clip(weighted.sum(), -1.0, 1.0))
    if how == "max_abs":
        return float(max(weighted, key=lambda v: (abs(v), v)))
    return float(weighted.sum() / max(1.0, weights.sum()))


def build_signals(news: pd.DataFrame, sessions: pd.DatetimeIndex, rules: SignalRules) -> pd.DataFrame:
    """Pure: aggregate scored, scoped, aligned news into one row per (session, ticker).

    Args:
        news: as for :func:`route_news`.
        sessions: the run's sessions.
        rules: routing, weights, aggregation, novelty.

    Returns:
        :data:`SIGNAL_COLUMNS`, sorted by session then ticker:

        * ``score``: the aggregate the strategy trades on (``rules.aggregate``);
        * ``score_mean``, ``score_max``, ``score_min``, ``news_count``: the raw
          scores and number of the items that count and are new at this session;
        * ``scope``: the most specific scope among them (company > theme >
          market > other); ``themes``, ``topics``: ";"-joined, over every item
          behind the score (memory included);
        * ``market_wide``: one of them reached the ticker as market news;
        * ``news_ids`` and ``news_weights``: every item behind the score and its
          effective (decayed) weight, ";"-joined in publication order;
          echoes are cited with weight 0;
        * ``first_published_at``, ``last_published_at`` of those items.
    """
    pairs = route_news(news, sessions, rules)
    if pairs.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SIGNAL_COLUMNS})
    pairs = pairs.sort_values(["ticker", "tradable_session", "published_at", "news_id"], kind="stable")
    strong = np.abs(pairs.score.to_numpy(dtype=float)) >= rules.min_abs_score
    counts = strong & (pairs.weight.to_numpy() > 0)
    echo = (pairs.duplicate_of != "").to_numpy()
    pairs = pairs[counts | (echo & strong)].assign(counts=counts[counts | (echo & strong)])
    memory = math.floor(MEMORY_HALF_LIVES * rules.half_life_sessions) if rules.aggregate == "decay" else 0
    rows = []
    for ticker, group in pairs.groupby("ticker", sort=True):
        items = _Items(group, sessions)
        for today in np.unique(items.position[items.counts]):
            lo = np.searchsorted(items.position, today - memory, side="left")
            hi = np.searchsorted(items.position, today, side="right")
            rows.append(_signal_row(items, slice(lo, hi), today, ticker, sessions, rules))
    signals = pd.DataFrame(rows, columns=SIGNAL_COLUMNS)
    return signals.sort_values(["session", "ticker"], kind="stable").reset_index(drop=True)


class _Items:
    """One ticker's cited pairs as plain arrays, ordered by session, time and id (slicing frames is slow)."""

    def __init__(self, group: pd.DataFrame, sessions: pd.DatetimeIndex) -> None:
        self.position = sessions.get_indexer(pd.DatetimeIndex(group.tradable_session))
        self.counts = group.counts.to_numpy(dtype=bool)
        self.echo = (group.duplicate_of != "").to_numpy()
        self.weight = group.weight.to_numpy(dtype=float)
        self.score = group.score.to_numpy(dtype=float)
        self.scope = group.scope.to_numpy()
        self.themes = group.themes.to_numpy()
        self.topics = group.topics.to_numpy()
        self.market_wide = group.market_wide.to_numpy(dtype=bool)
        self.news_id = group.news_id.to_numpy()
        self.published_at = list(group.published_at)


def _signal_row(items: _Items, window: slice, today: int, ticker: str, sessions: pd.DatetimeIndex, rules: SignalRules) -> dict:
    """One signal row from the cited items of its memory window (already in publication order per session)."""
    position, counts = items.position[window], items.counts[window]
    age = today - position
    decay = 0.5 ** (age / rules.half_life_sessions) if rules.aggregate == "decay" else np.ones(len(age))
    weights = items.weight[window] * decay * counts
    scores = items.score[window]
    behind = weights > 0
    fresh = (age == 0) & counts
    cited = behind | items.echo[window]
    published = items.published_at[window]
    order = sorted(np.flatnonzero(cited), key=lambda i: (published[i], items.news_id[window][i]))
    themes, topics = items.themes[window][behind], items.topics[window][behind]
    return {
        "session": sessions[today],
        "ticker": ticker,
        "score": aggregate_score(scores[behind], weights[behind], rules.aggregate),
        "score_mean": float(scores[fresh].mean()),
        "score_max": float(scores[fresh].max()),
        "score_min": float(scores[fresh].min()),
        "news_count": int(fresh.sum()),
        "scope": min(items.scope[window][fresh], key=SCOPES.index),
        "themes": ";".join(sorted({t for item in themes for t in item})),
        "topics": ";".join(sorted({t for item in topics for t in item})),
        "market_wide": bool(items.market_wide[window][behind].any()),
        "news_ids": ";".join(items.news_id[window][i] for i in order),
        "news_weights": ";".join(f"{weights[i]:.4g}" for i in order),
        "first_published_at": min(published[i] for i in order),
        "last_published_at": max(published[i] for i in order),
    }
