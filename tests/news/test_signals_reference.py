"""build_signals (every row at once, as arrays) equals the row-at-a-time aggregation it replaced, kept here as the
reference, on random frames of every aggregate, scope, theme, echo and decay setting: same rows, same citations,
the same numbers to the last bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_routing_reference import SESSIONS, random_news, random_rules

from hkbt.news.scopes import SCOPES
from hkbt.news.signals import (
    AGGREGATES, SIGNAL_COLUMNS, SignalRules, _sums, build_signals, memory_sessions, route_news, signal_pairs,
)


# ------------------------------------------------------------------- the reference (the code before)
def aggregate_score(scores: np.ndarray, weights: np.ndarray, how: str) -> float:
    weighted = scores * weights
    if how == "sum":
        return float(np.clip(weighted.sum(), -1.0, 1.0))
    if how == "max_abs":
        return float(max(weighted, key=lambda v: (abs(v), v)))
    return float(weighted.sum() / max(1.0, weights.sum()))


def reference_signals(news: pd.DataFrame, sessions: pd.DatetimeIndex, rules: SignalRules) -> pd.DataFrame:
    pairs = route_news(news, sessions, rules)
    if pairs.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SIGNAL_COLUMNS})
    pairs, counts, _ = signal_pairs(pairs, rules)  # which pairs a row reads: shared; how a row is built: below
    pairs = pairs.assign(counts=counts)
    memory = memory_sessions(rules)
    rows = []
    for ticker, group in pairs.groupby("ticker", sort=True):
        position = sessions.get_indexer(pd.DatetimeIndex(group.tradable_session))
        for today in np.unique(position[group.counts.to_numpy(dtype=bool)]):
            lo = np.searchsorted(position, today - memory, side="left")
            hi = np.searchsorted(position, today, side="right")
            rows.append(reference_row(group.iloc[lo:hi], position[lo:hi], today, ticker, sessions, rules))
    signals = pd.DataFrame(rows, columns=SIGNAL_COLUMNS)
    return signals.sort_values(["session", "ticker"], kind="stable").reset_index(drop=True)


def reference_row(window: pd.DataFrame, position: np.ndarray, today: int, ticker: str, sessions: pd.DatetimeIndex,
                  rules: SignalRules) -> dict:
    counts = window.counts.to_numpy(dtype=bool)
    age = today - position
    decay = 0.5 ** (age / rules.half_life_sessions) if rules.aggregate == "decay" else np.ones(len(age))
    weights = window.weight.to_numpy(dtype=float) * decay * counts
    scores = window.score.to_numpy(dtype=float)
    behind = weights > 0
    fresh = (age == 0) & counts
    cited = behind | (window.duplicate_of != "").to_numpy()
    published, ids = list(window.published_at), window.news_id.to_numpy()
    order = sorted(np.flatnonzero(cited), key=lambda i: (published[i], ids[i]))
    themes, topics = window.themes.to_numpy()[behind], window.topics.to_numpy()[behind]
    return {
        "session": sessions[today],
        "ticker": ticker,
        "score": aggregate_score(scores[behind], weights[behind], rules.aggregate),
        "score_mean": float(scores[fresh].mean()),
        "score_max": float(scores[fresh].max()),
        "score_min": float(scores[fresh].min()),
        "news_count": int(fresh.sum()),
        "scope": min(window.scope.to_numpy()[fresh], key=SCOPES.index),
        "themes": ";".join(sorted({t for item in themes for t in item})),
        "topics": ";".join(sorted({t for item in topics for t in item})),
        "market_wide": bool(window.market_wide.to_numpy(dtype=bool)[behind].any()),
        "news_ids": ";".join(ids[i] for i in order),
        "news_weights": ";".join(f"{weights[i]:.4g}" for i in order),
        "first_published_at": min(published[i] for i in order),
        "last_published_at": max(published[i] for i in order),
    }


# ------------------------------------------------------------------------------ comparisons
@pytest.mark.parametrize("seed", range(60))
def test_build_signals_equals_the_reference_on_random_frames(seed):
    rng = np.random.default_rng(1000 + seed)
    news = random_news(rng, int(rng.choice([0, 1, 5, 40, 150, 400])))
    rules = random_rules(rng)
    for how in (rules.aggregate, *(a for a in AGGREGATES if a != rules.aggregate and rng.random() < 0.3)):
        rules = SignalRules(**{**rules.__dict__, "aggregate": how})
        fast, reference = build_signals(news, SESSIONS, rules), reference_signals(news, SESSIONS, rules)
        pd.testing.assert_frame_equal(fast, reference, check_exact=True)
        assert fast.to_csv() == reference.to_csv()  # -0.0 and 0.0 too


def test_the_random_frames_reach_long_memory_windows_and_signed_zeros():
    """Guard the generator: windows longer than numpy's 8-number sum block, and zero-score rows, do occur."""
    longest, zero = 0, False
    for seed in range(60):
        rng = np.random.default_rng(1000 + seed)
        news = random_news(rng, 400)
        rules = random_rules(rng)
        signals = reference_signals(news, SESSIONS, rules)
        longest = max([longest, *(len(ids.split(";")) for ids in signals.news_ids)])
        zero |= bool((signals.score == 0).any())
    assert longest > 8 and zero


@pytest.mark.parametrize("seed", range(5))
def test_sums_add_each_run_as_numpy_does(seed):
    rng = np.random.default_rng(seed)
    lengths = np.concatenate([rng.integers(1, 20, 300), rng.integers(1, 700, 40), [1, 7, 8, 9, 127, 128, 129, 256, 257]])
    values = rng.normal(size=lengths.sum()) * rng.choice([1e-9, 1e-3, 1.0, 1e3, 1e12], lengths.sum())
    values[rng.random(len(values)) < 0.1] = -0.0
    values[: lengths[0]] = -0.0  # a run of negative zeros alone
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    expected = np.array([values[a:a + n].sum() for a, n in zip(starts, lengths)])
    assert _sums(values, starts).tobytes() == expected.tobytes()
