"""route_news (items routed once per distinct scope/tickers/themes, rows copied after filtering) and find_echoes
(candidates filtered before they are sorted) equal the straightforward implementations they replaced, kept here as
the references, on random frames."""

from __future__ import annotations

from collections import Counter, deque

import numpy as np
import pandas as pd
import pytest

from hkbt.news.novelty import find_echoes, headline_tokens
from hkbt.news.scopes import SCOPES
from hkbt.news.sessions import assign_tradable_session, run_sessions
from hkbt.news.signals import AGGREGATES, SignalRules, build_signals, route_news

UNIVERSE = ("9988.HK", "0700.HK", "1810.HK", "1211.HK")
OUTSIDE = ("0005.HK", "2800.HK")
SESSIONS = run_sessions(pd.Timestamp("2025-03-03").date(), pd.Timestamp("2025-03-14").date())
THEMES = {"china_ai": ("9988.HK", "0700.HK", "1810.HK"), "china_ev": ("1211.HK", "1810.HK"), "empty": ()}
WORDS = "alibaba tencent xi meets jack ma pony stimulus rate cut deepseek chips byd shares jump fall".split()


# ------------------------------------------------------------------- the reference (the code before)
def reference_targets(row, rules: SignalRules) -> tuple[dict[str, float], bool]:
    scope = row.scope
    if scope == "company":
        weight = rules.scope_weights["company"]
        return {t: weight for t in row.tickers if t in rules.universe}, False
    if scope == "theme":
        reached: dict[str, float] = {}
        for theme in row.themes:
            weight = rules.theme_weights.get(theme, rules.scope_weights["theme"])
            for ticker in rules.theme_tickers.get(theme, ()):
                reached[ticker] = max(reached.get(ticker, 0.0), weight)
        return reached, False
    if row.outside_universe or not rules.market_wide_policy or "policy" not in row.topics:
        return {}, False
    weight = rules.scope_weights[scope]
    return dict.fromkeys(rules.universe, weight), True


def reference_route(news: pd.DataFrame, sessions: pd.DatetimeIndex, rules: SignalRules, keep_zero_weight: bool = False) -> pd.DataFrame:
    columns = ["scope", "tickers", "themes", "topics", "outside_universe"]
    routed = [reference_targets(row, rules) for row in news[columns].itertuples(index=False)]
    repeat = np.array([len(targets) for targets, _ in routed], dtype=int)
    pairs = news.iloc[np.repeat(np.arange(len(news)), repeat)].copy()
    pairs["ticker"] = [t for targets, _ in routed for t in targets]
    pairs["weight"] = np.array([w for targets, _ in routed for w in targets.values()], dtype=float)
    pairs["market_wide"] = np.repeat([m for _, m in routed], repeat).astype(bool)
    pairs["duplicate_of"] = reference_duplicates(news, pairs, rules)
    pairs.loc[pairs.duplicate_of != "", "weight"] = 0.0
    pairs = pairs[pairs.tradable_session.isin(sessions)]
    if not keep_zero_weight:
        pairs = pairs[(pairs.weight > 0) | (pairs.duplicate_of != "")]
    return pairs


def reference_duplicates(news: pd.DataFrame, pairs: pd.DataFrame, rules: SignalRules) -> list[str]:
    if rules.novelty_hours <= 0 or pairs.empty:
        return [""] * len(pairs)
    ids, tickers = pairs.news_id.tolist(), pairs.ticker.tolist()
    routed = news[news.news_id.isin(set(ids))]
    echoes = dict(zip(routed.news_id.tolist(), reference_echoes(routed, rules.novelty_hours, rules.novelty_similarity)))
    sign = dict(zip(news.news_id.tolist(), np.sign(news.score.to_numpy(dtype=float)).tolist()))
    reached = set(zip(ids, tickers))
    return [next((e for e in echoes[i] if (e, t) in reached and sign[e] == sign[i]), "") for i, t in zip(ids, tickers)]


def reference_echoes(news: pd.DataFrame, window_hours: float, similarity: float) -> pd.Series:
    if window_hours <= 0 or news.empty:
        return pd.Series([[] for _ in range(len(news))], index=news.index, dtype=object)
    order = news.sort_values(["published_at", "news_id"], kind="stable")
    stamps = pd.DatetimeIndex(order.published_at).as_unit("ns").asi8
    window = int(window_hours * 3600 * 1e9)
    items = []
    postings = {}
    first = 0
    found = []
    for news_id, stamp, headline in zip(order.news_id.tolist(), stamps.tolist(), order.headline.tolist()):
        while first < len(items) and stamp - items[first][0] > window:
            first += 1
        words = headline_tokens(headline)
        shared = Counter()
        for word in words:
            positions = postings.get(word)
            while positions and positions[0] < first:
                positions.popleft()
            shared.update(positions or ())
        found.append([
            items[p][1] for p, common in sorted(shared.items())
            if common / (len(words) + len(items[p][2]) - common) >= similarity
        ])
        for word in words:
            postings.setdefault(word, deque()).append(len(items))
        items.append((stamp, news_id, words))
    return pd.Series(found, index=order.index, dtype=object).reindex(news.index)


# ------------------------------------------------------------------------------ random frames
def random_news(rng: np.random.Generator, n: int) -> pd.DataFrame:
    start = pd.Timestamp("2025-02-26", tz="UTC")
    stamps = start + pd.to_timedelta(rng.integers(0, 24 * 22, n) * 30, unit="min")  # some before, some after the sessions
    rows = []
    for i in range(n):
        scope = SCOPES[rng.integers(len(SCOPES))]
        pool = UNIVERSE + OUTSIDE
        tickers = sorted(set(rng.choice(pool, rng.integers(0, 4)).tolist())) if scope == "company" else []
        rows.append({
            "news_id": f"n{i:03d}",
            "published_at": stamps[i],
            "headline": " ".join(rng.choice(WORDS, rng.integers(1, 6)).tolist()),
            "score": float(rng.choice([0.0, -0.0, 0.03, -0.5, 0.5, 0.9, -0.9, 1.0])),
            "scope": scope,
            "tickers": tickers,
            "themes": sorted(set(rng.choice(list(THEMES) + ["unknown"], rng.integers(0, 3)).tolist())),
            "topics": sorted(set(rng.choice(["policy", "ai"], rng.integers(0, 3)).tolist())),
            "outside_universe": bool(rng.random() < 0.15),
        })
    frame = pd.DataFrame(rows, columns=["news_id", "published_at", "headline", "score", "scope", "tickers", "themes",
                                        "topics", "outside_universe"])
    frame["published_at"] = pd.to_datetime(frame.published_at, utc=True)
    frame = assign_tradable_session(frame)
    return frame.set_axis(rng.permutation(len(frame)) * 3, axis=0)  # an index that is not 0..n-1


def random_rules(rng: np.random.Generator) -> SignalRules:
    weights = {scope: float(rng.choice([0.0, 0.4, 1.0])) for scope in SCOPES}
    return SignalRules(
        universe=UNIVERSE, market_wide_policy=bool(rng.random() < 0.8), scope_weights=weights,
        theme_tickers=THEMES, theme_weights={"china_ai": float(rng.choice([0.0, 0.6])), "china_ev": 0.5},
        aggregate=str(rng.choice(AGGREGATES)), half_life_sessions=float(rng.choice([0.5, 1.0, 2.0])),
        min_abs_score=float(rng.choice([0.0, 0.05])), novelty_hours=float(rng.choice([0.0, 6.0, 48.0])),
        novelty_similarity=float(rng.choice([0.3, 0.6, 1.0])),
    )


@pytest.mark.parametrize("seed", range(40))
def test_route_news_equals_the_reference_on_random_frames(seed):
    rng = np.random.default_rng(seed)
    news = random_news(rng, int(rng.choice([0, 1, 5, 40, 120])))
    rules = random_rules(rng)
    for keep in (False, True):
        pd.testing.assert_frame_equal(route_news(news, SESSIONS, rules, keep_zero_weight=keep),
                                      reference_route(news, SESSIONS, rules, keep_zero_weight=keep))
    build_signals(news, SESSIONS, rules)  # and the signals are built from them


@pytest.mark.parametrize("seed", range(20))
def test_find_echoes_equals_the_reference_on_random_frames(seed):
    rng = np.random.default_rng(seed)
    news = random_news(rng, int(rng.choice([0, 1, 30, 200])))
    for hours in (0.0, 1.0, 12.0, 200.0):
        for similarity in (0.2, 0.5, 0.6, 1.0):
            pd.testing.assert_series_equal(find_echoes(news, hours, similarity), reference_echoes(news, hours, similarity))


def test_the_random_frames_exercise_echoes_and_every_scope():
    """Guard the generator: the cases the comparison is meant to cover do occur."""
    seen_echo, scopes = False, set()
    for seed in range(40):
        rng = np.random.default_rng(seed)
        news = random_news(rng, 120)
        rules = random_rules(rng)
        pairs = reference_route(news, SESSIONS, rules, keep_zero_weight=True)
        seen_echo |= bool((pairs.duplicate_of != "").any())
        scopes |= set(pairs.scope)
    assert seen_echo and scopes == set(SCOPES)


def test_an_echo_of_an_item_tradable_before_the_sessions_is_still_found():
    """route_news looks only at the news the run's sessions depend on; that includes earlier items an echo names."""
    stamps = pd.to_datetime(["2025-02-27 20:00", "2025-02-28 10:00", "2025-02-20 10:00", "2025-03-20 10:00"]).tz_localize("Asia/Hong_Kong")
    news = pd.DataFrame({
        "news_id": ["before", "echo", "long_before", "after"], "published_at": stamps.tz_convert("UTC"),
        "headline": ["Alibaba shares jump after Xi meets Jack Ma"] * 4, "score": [0.8] * 4, "scope": ["company"] * 4,
        "tickers": [["9988.HK"]] * 4, "themes": [[]] * 4, "topics": [["policy"]] * 4, "outside_universe": [False] * 4,
    })
    news = assign_tradable_session(news)
    assert not SESSIONS.isin(news.tradable_session[[0, 2]]).any() and news.tradable_session[1] == SESSIONS[0]
    rules = SignalRules(universe=UNIVERSE, novelty_hours=24.0)
    pairs = route_news(news, SESSIONS, rules)
    assert pairs.news_id.tolist() == ["echo"] and pairs.duplicate_of.tolist() == ["before"] and pairs.weight.tolist() == [0.0]
    pd.testing.assert_frame_equal(pairs, reference_route(news, SESSIONS, rules))
