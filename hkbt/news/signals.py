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
    news = _relevant(news, sessions, rules)
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


def _relevant(news: pd.DataFrame, sessions: pd.DatetimeIndex, rules: SignalRules) -> pd.DataFrame:
    """The items the pairs tradable in ``sessions`` depend on: those items, and the ones published up to
    ``novelty_hours`` before the first of them, which an echo may name (plus a day: more never changes an echo).

    An item's echoes are found among the items published before it within the window
    (:func:`~hkbt.news.novelty.find_echoes`), so the items outside this span are never
    looked at; leaving them out spares routing and echo search over news the run cannot trade.
    """
    inside = news.tradable_session.isin(sessions).to_numpy()
    if rules.novelty_hours <= 0 or not inside.any():
        return news[inside]
    published = pd.DatetimeIndex(news.published_at)
    first, last = published[inside].min(), published[inside].max()
    return news[(published >= first - pd.Timedelta(hours=rules.novelty_hours + 24)) & (published <= last)]


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
def signal_pairs(pairs: pd.DataFrame, rules: SignalRules) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The routed pairs a signal reads, in (ticker, session, time, id) order: those whose item counts (``|score|``
    reaches ``min_abs_score`` and its weight is above 0) and echoes of that strength (cited with weight 0); with
    the ``counts`` and ``echo`` flags of each."""
    pairs = pairs.sort_values(["ticker", "tradable_session", "published_at", "news_id"], kind="stable")
    strong = np.abs(pairs.score.to_numpy(dtype=float)) >= rules.min_abs_score
    counts = strong & (pairs.weight.to_numpy() > 0)
    echo = (pairs.duplicate_of != "").to_numpy()
    kept = counts | (echo & strong)
    return pairs[kept], counts[kept], echo[kept]


def memory_sessions(rules: SignalRules) -> int:
    """How many earlier sessions a row's window reaches back: ``MEMORY_HALF_LIVES`` half-lives with decay, else 0."""
    return math.floor(MEMORY_HALF_LIVES * rules.half_life_sessions) if rules.aggregate == "decay" else 0


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

    Every row is worked out at once. The pairs are sorted by ticker, session and
    time, so each row's memory window is a slice of them; the slices are laid end
    to end (a pair in the memory of several rows appears once per row) and each
    figure is one array operation over all of them, its sums rounded exactly as
    numpy rounds one row's sum (:func:`_sums`).
    """
    pairs = route_news(news, sessions, rules)
    if pairs.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SIGNAL_COLUMNS})
    pairs, counts, echo = signal_pairs(pairs, rules)
    if not counts.any():
        return pd.DataFrame([], columns=SIGNAL_COLUMNS)
    memory = memory_sessions(rules)
    names, ticker = np.unique(pairs.ticker.to_numpy(dtype=object), return_inverse=True)
    stride = len(sessions) + memory + 1
    key = ticker * stride + sessions.get_indexer(pd.DatetimeIndex(pairs.tradable_session))  # ascends with the pairs
    today = np.unique(key[counts])  # the rows: each (ticker, session) at which an item counts
    lo, hi = np.searchsorted(key, today - memory, side="left"), np.searchsorted(key, today, side="right")
    row = np.repeat(np.arange(len(today)), hi - lo)  # the windows end to end: element k is pair[k] seen from row[k]
    pair = np.arange(len(row)) - np.repeat(np.cumsum(hi - lo) - hi, hi - lo)
    age = today[row] - key[pair]
    decay = 0.5 ** (age / rules.half_life_sessions) if rules.aggregate == "decay" else np.ones(len(age))
    weights = pairs.weight.to_numpy(dtype=float)[pair] * decay * counts[pair]
    scores = pairs.score.to_numpy(dtype=float)[pair]
    behind = weights > 0
    fresh = (age == 0) & counts[pair]
    at_behind, at_fresh = _starts(row[behind], len(today)), _starts(row[fresh], len(today))
    fresh_scores = scores[fresh]
    fresh_count = np.diff(np.append(at_fresh, len(fresh_scores)))

    cited = np.flatnonzero(behind | echo[pair])
    stamps = pd.DatetimeIndex(pairs.published_at)
    ids = pairs.news_id.to_numpy(dtype=object)
    id_rank = np.unique(ids, return_inverse=True)[1]
    cited = cited[np.lexsort((id_rank[pair[cited]], stamps.as_unit("ns").asi8[pair[cited]], row[cited]))]
    at_cited = _starts(row[cited], len(today))
    last_cited = np.append(at_cited[1:], len(cited)) - 1

    scope_code = pd.Categorical(pairs.scope, categories=SCOPES).codes
    in_order = np.lexsort((today // stride, today % stride))  # session, then ticker
    return pd.DataFrame({
        "session": sessions[today % stride],
        "ticker": names[today // stride],
        "score": aggregate_scores(scores[behind], weights[behind], at_behind, rules.aggregate),
        "score_mean": _sums(fresh_scores, at_fresh) / fresh_count,
        "score_max": np.maximum.reduceat(fresh_scores, at_fresh),
        "score_min": np.minimum.reduceat(fresh_scores, at_fresh),
        "news_count": fresh_count,
        "scope": np.array(SCOPES, dtype=object)[np.minimum.reduceat(scope_code[pair[fresh]], at_fresh)],
        "themes": _joined_union(pairs.themes.tolist(), pair[behind], at_behind),
        "topics": _joined_union(pairs.topics.tolist(), pair[behind], at_behind),
        "market_wide": np.logical_or.reduceat(pairs.market_wide.to_numpy(dtype=bool)[pair[behind]], at_behind),
        "news_ids": _joined(ids[pair[cited]], at_cited),
        "news_weights": _joined(_formatted(weights[cited]), at_cited),
        "first_published_at": stamps[pair[cited[at_cited]]],
        "last_published_at": stamps[pair[cited[last_cited]]],
    }).iloc[in_order].reset_index(drop=True)


def _starts(row: np.ndarray, rows: int) -> np.ndarray:
    """Where each of rows 0..rows-1 starts in ``row`` (ascending, every row present)."""
    return np.searchsorted(row, np.arange(rows))


def aggregate_scores(scores: np.ndarray, weights: np.ndarray, starts: np.ndarray, how: str) -> np.ndarray:
    """The signal of each (session, ticker) from its items' scores and (decayed) weights.

    The items of all rows are laid end to end, each row's beginning at ``starts``
    (see the module docstring for what each aggregate means).

    >>> s, w = np.array([0.9, 0.6, 0.9]), np.array([1.0, 0.4, 0.4])   # row 0: two items, row 1: a lone market item
    >>> [np.round(aggregate_scores(s, w, np.array([0, 2]), how), 4).tolist() for how in ("mean", "sum", "max_abs")]
    [[0.8143, 0.36], [1.0, 0.36], [0.9, 0.36]]
    """
    weighted = scores * weights
    if how == "sum":
        return np.clip(_sums(weighted, starts), -1.0, 1.0)
    if how == "max_abs":  # the w s farthest from 0, the larger one on a tie (the first of equal ones)
        row = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(weighted))))
        return weighted[np.lexsort((-weighted, -np.abs(weighted), row))[starts]]
    return _sums(weighted, starts) / np.maximum(1.0, _sums(weights, starts))  # mean, decay


def _sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The sum of each run of ``values`` (runs begin at ``starts``), bit for bit what ``run.sum()`` gives.

    numpy adds eight or more numbers by pairwise summation, so rounding depends on
    how a run is split; ``np.add.reduceat`` adds runs another way. The runs of each
    length are therefore stacked as the rows of one table and summed along them,
    which numpy does exactly as it sums each run alone (tested).
    """
    lengths = np.diff(np.append(starts, len(values)))
    out = np.empty(len(starts))
    for length in np.unique(lengths):
        which = np.flatnonzero(lengths == length)
        out[which] = values[starts[which, None] + np.arange(length)].sum(axis=1)
    return out


def _joined_union(lists: list, pair: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """For each run of pairs, the sorted union of their lists (themes, topics), ";"-joined."""
    known: dict[tuple, int] = {}
    words: dict[str, int] = {}
    masks = []  # each distinct list as a bit mask over the words (Python ints: any number of words)
    for value in lists:
        value = tuple(value)
        mask = known.get(value)
        if mask is None:
            mask = known[value] = sum(1 << words.setdefault(w, len(words)) for w in set(value))
        masks.append(mask)
    union = np.bitwise_or.reduceat(np.array(masks, dtype=object)[pair], starts) if len(pair) else np.array([], dtype=object)
    by_bit = list(words)
    text = {m: ";".join(sorted(by_bit[b] for b in range(len(by_bit)) if m >> b & 1)) for m in set(union.tolist())}
    return np.array([text[m] for m in union.tolist()], dtype=object)


def _formatted(weights: np.ndarray) -> np.ndarray:
    """``f"{w:.4g}"`` of each weight, formatted once per distinct value (by bits: -0.0 is not 0.0)."""
    distinct, where = np.unique(weights.view(np.int64), return_inverse=True)
    return np.array([f"{w:.4g}" for w in distinct.view(np.float64).tolist()], dtype=object)[where]


def _joined(strings: np.ndarray, starts: np.ndarray) -> list[str]:
    """Each run of ``strings`` (runs begin at ``starts``), ";"-joined."""
    strings = strings.tolist()
    ends = [*starts.tolist()[1:], len(strings)]
    return [";".join(strings[a:b]) for a, b in zip(starts.tolist(), ends)]
