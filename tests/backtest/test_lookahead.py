"""No look-ahead, end to end: news -> tradable session -> signals -> Backtrader -> fills.

The rule under test (:mod:`hkbt.news.sessions`): a news item may only affect orders
that fill strictly after it was published. An item published before
``open - cutoff`` (09:00 HKT) of session ``S`` may fill at ``S``'s open; a
later one waits for the next session. Orders fill at an open, never on the bar
whose close produced them.

The harness replays the pipeline from stage 5 in-process
(:func:`hkbt.backtest.lookahead.replay`) with synthetic prices and a
hand-made, already scored news frame (``score`` and ``topics`` set directly,
bypassing the scorer), so every example runs in a fraction of a second.
:func:`hkbt.backtest.lookahead.check_lookahead` (``hkbt check-lookahead``) is
the reusable check; ``tests/strategies_for_tests/peeking_long.py`` is the
strategy it must catch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from hkbt.backtest.discovery import load_strategy_file, validate_params
from hkbt.backtest.lookahead import check_lookahead, replay, truncate_at_open
from hkbt.backtest.runner import FILL_COLUMNS
from hkbt.backtest.trades import build_trades
from hkbt.config import Config, NoveltyConfig
from hkbt.news.load import NEWS_COLUMNS
from hkbt.news.sessions import HKT, assign_tradable_session, run_sessions, xhkg_schedule
from hkbt.pipeline import WARMUP_DAYS
from hkbt.prices import align_to_sessions, simulate_prices
from hkbt.strategies.sentiment_long import SentimentLong

from conftest import REPO_ROOT

PeekingLong = load_strategy_file(REPO_ROOT / "tests" / "strategies_for_tests" / "peeking_long.py")
TICKERS = ["9988.HK", "0700.HK", "1810.HK"]
CONFIG = Config(
    run={"name": "lookahead", "start": date(2025, 1, 2), "end": date(2025, 3, 31), "initial_cash": 1_000_000},
    universe={"tickers": TICKERS, "lot_sizes": {"9988.HK": 100, "0700.HK": 100, "1810.HK": 200}},
    prices={"source": "synthetic", "seed": 7},
    # two slots for three names, short holds and a stop loss: decisions interact
    # through cash and ranking, and on_close (stop at the close, fill next open) runs too
    strategy={"params": {"entry_threshold": 0.3, "exit_threshold": -0.3, "hold_days": 3, "max_positions": 2, "stop_loss": 0.03}},
)
SESSIONS = run_sessions(CONFIG.run.start, CONFIG.run.end)
# the rule, restated from the calendar (not from hkbt.news.sessions): open - 30 min
SCHEDULE = xhkg_schedule(date(2024, 12, 16), date(2025, 4, 30))
CUTOFF = SCHEDULE.open - pd.Timedelta(minutes=30)


def simulate_universe(config: Config) -> dict[str, pd.DataFrame]:
    """Synthetic bars for the universe, with warm-up, exactly as the pipeline loads them."""
    all_sessions = run_sessions(config.run.start - timedelta(days=WARMUP_DAYS), config.run.end)
    raw = simulate_prices(config.universe.tickers, all_sessions, config.prices.seed, config.universe.benchmark)
    return {t: align_to_sessions(raw[t], all_sessions, t)[0] for t in config.universe.tickers}


PRICES = simulate_universe(CONFIG)


@dataclass
class Run:
    """What one harness run produced (the subset of RunArtifacts these tests need)."""

    news: pd.DataFrame  # with tradable_session, cutoff_at
    signals: pd.DataFrame
    fills: pd.DataFrame
    equity: pd.DataFrame
    trades: pd.DataFrame


def settings_for(strategy: type, extra_params: dict | None = None):
    return validate_params(strategy, CONFIG.strategy.params | (extra_params or {}), CONFIG.topics)


def run_harness(news: pd.DataFrame, *, strategy: type = SentimentLong, extra_params: dict | None = None,
                config: Config = CONFIG) -> Run:
    """run_pipeline's stages 5 onward on scored news, without files or network."""
    aligned = assign_tradable_session(news, config.signals.cutoff_before_open_minutes)
    signals, result = replay(config, aligned, PRICES, SESSIONS, strategy, settings_for(strategy, extra_params))
    last_close = {t: float(bars.close.loc[: SESSIONS[-1]].iloc[-1]) for t, bars in PRICES.items()}
    trades = build_trades(result.fills, aligned, SESSIONS, last_close)
    return Run(news=aligned, signals=signals, fills=result.fills, equity=result.equity, trades=trades)


def make_news(items: list[tuple[pd.Timestamp, list[str], float, list[str]]]) -> pd.DataFrame:
    """A news frame shaped like build_news' output, plus ``score`` and ``topics`` set directly.

    ``items``: (published_at, tickers, score, topics); ids are ``n000``, ``n001``, ... in list order.
    """
    frame = pd.DataFrame(
        {
            "news_id": [f"n{i:03d}" for i in range(len(items))],
            "published_at": pd.DatetimeIndex([pd.Timestamp(p).tz_convert("UTC") for p, *_ in items]).as_unit("ns"),
            "headline": [f"headline {i}" for i in range(len(items))],
            "body": "",
            "source": "test",
            "url": "",
            "tickers": [list(t) for _, t, _, _ in items],
        }
    )
    frame = frame[NEWS_COLUMNS].assign(
        score=[float(s) for _, _, s, _ in items], topics=[list(t) for *_, t in items], outside_universe=False,
        themes=[[] for _ in items], scope=["company" if t else "market" for _, t, _, _ in items],
    )
    return frame.sort_values(["published_at", "news_id"], kind="stable").reset_index(drop=True)


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Identical rows, exactly (two empty frames are the same whatever their dtypes)."""
    if len(a) or len(b):
        a, b = (f.reset_index(drop=f.index.name is None) for f in (a, b))
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    try:
        assert_same(a, b)
    except AssertionError:
        return False
    return True


def find_lookahead_violations(strategy: type, news: pd.DataFrame, cuts: list[pd.Timestamp] | None = None,
                              extra_params: dict | None = None) -> list[str]:
    """hkbt check-lookahead on the harness: every session with a fill or a signal is a cut unless ``cuts`` says."""
    aligned = assign_tradable_session(news, CONFIG.signals.cutoff_before_open_minutes)
    report = check_lookahead(CONFIG, aligned, PRICES, SESSIONS, strategy, settings_for(strategy, extra_params),
                             cuts=cuts if cuts is not None else len(SESSIONS), moves=0 if cuts is not None else 8)
    return [str(v) for v in report.violations]


# ------------------------------------------------------------ news sets


def busy_items(seed: int, size: int) -> list[tuple[pd.Timestamp, list[str], float, list[str]]]:
    """Strong, mostly positive items spread over the run: plenty of entries and exits."""
    rng = np.random.default_rng(seed)
    days = rng.integers(0, len(SESSIONS), size)
    hours = rng.choice([-10.0, -1.0, -0.5, 0.5, 3.0, 7.0], size)  # 23:30 the day before ... 16:30
    return [
        (SCHEDULE.open[SESSIONS[d]] + pd.Timedelta(hours=h), [TICKERS[rng.integers(len(TICKERS))]],
         float(rng.choice([0.9, 0.7, 0.5, -0.6])), ["ai"] if rng.random() < 0.7 else ["policy"])
        for d, h in zip(days, hours)
    ]


WINDOW_START = pd.Timestamp("2024-12-20 00:00", tz=HKT)
WINDOW_SECONDS = int((pd.Timestamp("2025-04-08", tz=HKT) - WINDOW_START).total_seconds())
# offsets from a session's 09:30 open that sit on the rule's edges
EDGE_OFFSETS = [
    pd.Timedelta(minutes=-30),  # exactly the cutoff: too late for this session
    pd.Timedelta(minutes=-30) - pd.Timedelta(1, "ns"),  # a nanosecond earlier: in time
    pd.Timedelta(minutes=-31),
    pd.Timedelta(minutes=-29),
    pd.Timedelta(0),  # the open itself
    pd.Timedelta(hours=3),  # 12:30, lunch break (after the close on a half day)
    pd.Timedelta(hours=6, minutes=40),  # 16:10, after the close
    pd.Timedelta(hours=-10),  # 23:30 the evening before
]
published_times = st.one_of(
    st.builds(lambda i, off: SCHEDULE.open.iloc[i] + off, st.integers(0, len(SCHEDULE) - 1), st.sampled_from(EDGE_OFFSETS)),
    # anywhere in the window: weekends, holidays (Lunar New Year), nights
    st.integers(0, WINDOW_SECONDS).map(lambda s: (WINDOW_START + pd.Timedelta(seconds=s)).tz_convert("UTC")),
)
news_items = st.tuples(
    published_times,
    st.lists(st.sampled_from(TICKERS + ["9618.HK"]), max_size=2, unique=True),  # [] + policy = market wide
    st.one_of(st.floats(-1, 1, allow_nan=False), st.sampled_from([-0.9, 0.6, 0.9])),
    st.lists(st.sampled_from(["policy", "ai"]), max_size=2, unique=True),
)
# a random busy background (so there is a past to protect) plus a few edge-case items
news_sets = st.builds(
    lambda seed, size, extra: make_news(busy_items(seed, size) + extra),
    st.integers(0, 2**16), st.integers(0, 30), st.lists(news_items, min_size=1, max_size=12),
)
delays = st.one_of(
    st.integers(1, 10**9).map(lambda ns: pd.Timedelta(ns, "ns")),  # up to a second: crosses an exact cutoff
    st.integers(1, 60 * 24 * 25).map(lambda m: pd.Timedelta(minutes=m)),  # up to 25 days
    st.integers(1, 10).map(lambda d: pd.Timedelta(days=d)),  # whole days: surely a later session
)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])



# ------------------------------------------------------------------------ tests


@FAST
@given(news=news_sets, pick=st.integers(0, 10**6), prefer_cited=st.booleans(), delay=delays)
def test_delaying_an_item_changes_nothing_before_its_original_session(news, pick, prefer_cited, delay):
    # Invariant: the past before session A (the item's ORIGINAL tradable session)
    # cannot depend on it. Not "before its NEW session": at A and between A and
    # the new session the item was used in the first run and not in the second,
    # so fills there may legitimately change (a buy at A that no longer happens
    # also changes later exits, cash and ranking). Only sessions < A, where the
    # item was unknown in both runs, must be identical, fill for fill and to
    # the last cent of equity.
    base = run_harness(news)
    cited = sorted({i for ids in base.trades.news_ids for i in ids.split(";")})
    candidates = cited if prefer_cited and cited else list(news.news_id)  # moving a cited item matters
    news_id = candidates[pick % len(candidates)]
    later = news.copy()
    later.loc[later.news_id == news_id, "published_at"] += delay
    moved = run_harness(later)
    original = base.news.set_index("news_id").tradable_session[news_id]
    note(f"moved {news_id} (tradable {original.date()}) by {delay}")
    assert moved.news.set_index("news_id").tradable_session[news_id] >= original
    event(f"fills before A: {'some' if (base.fills.session < original).any() else 'none'}")
    event(f"moving it changed the run: {not same(base.fills, moved.fills)}")
    assert_same(base.fills[base.fills.session < original], moved.fills[moved.fills.session < original])
    assert_same(base.equity[base.equity.index < original], moved.equity[moved.equity.index < original])


# Memory and echoes: a slower decay (an item counts for 8 sessions), a wide novelty window, neutral items left
# out, and headlines drawn from a small pool so that many items echo earlier ones. AI items naming no company are
# theme news (china_ai reaches 9988, 0700 and 1810 at 0.6), policy items naming none are market news (0.4).
MEMORY = CONFIG.model_copy(update={"signals": CONFIG.signals.model_copy(update={
    "aggregate": "decay", "half_life_sessions": 2.0, "min_abs_score": 0.1,
    "novelty": NoveltyConfig(window_hours=72, similarity=0.5),
})})
HEADLINES = ["Alibaba shares jump on new AI model", "Alibaba shares jump on its new AI model launch",
             "Tencent slides as game curbs return", "Tencent slides as new game curbs return", "Xiaomi car orders surge"]


def with_memory_cases(news: pd.DataFrame, picks: list[int]) -> pd.DataFrame:
    """``news`` with headlines from :data:`HEADLINES` and AI items naming no company turned into theme news."""
    out = news.copy()
    out["headline"] = [HEADLINES[p % len(HEADLINES)] for p in (picks * len(out))[: len(out)]] if picks else out.headline
    theme = [not t and "ai" in topics and "policy" not in topics for t, topics in zip(out.tickers, out.topics)]
    out["scope"] = ["theme" if th else s for th, s in zip(theme, out.scope)]
    out["themes"] = [["china_ai"] if th else [] for th in theme]
    return out


def dense_items(seed: int, size: int) -> list[tuple[pd.Timestamp, list[str], float, list[str]]]:
    """Items packed into three weeks, so that many share a ticker within the novelty window and the memory."""
    rng = np.random.default_rng(seed)
    days = rng.integers(10, 25, size)
    hours = rng.choice([-10.0, -1.0, 0.5, 3.0, 7.0, 14.0], size)
    return [
        (SCHEDULE.open[SESSIONS[d]] + pd.Timedelta(hours=h),
         [] if rng.random() < 0.25 else [TICKERS[rng.integers(len(TICKERS))]],
         float(rng.choice([0.9, 0.7, 0.5, 0.05, -0.6])), [["ai"], ["policy"], ["ai", "policy"]][rng.integers(3)])
        for d, h in zip(days, hours)
    ]


memory_news_sets = st.builds(
    with_memory_cases,
    st.builds(lambda seed, size, extra: make_news(dense_items(seed, size) + extra),
              st.integers(0, 2**16), st.integers(5, 30), st.lists(news_items, max_size=6)),
    st.lists(st.integers(0, 50), min_size=1, max_size=40),
)


MEMORY_RUNS = settings(FAST, max_examples=20)


def repeats(news: pd.DataFrame) -> list[str]:
    """Ids of items that repeat the story of an earlier item on the same tickers within 72 hours.

    Worked out from the headline pool, not by hkbt.news.novelty: these are the items whose move could
    wrongly change how an earlier item is counted.
    """
    story = {h: HEADLINES.index(h) // 2 for h in HEADLINES}
    found = []
    for row in news.itertuples():
        earlier = news[(news.published_at < row.published_at)
                       & (news.published_at >= row.published_at - pd.Timedelta(hours=72))]
        if any(story.get(h) == story.get(row.headline) and t == row.tickers for h, t in zip(earlier.headline, earlier.tickers)):
            found.append(row.news_id)
    return found


@MEMORY_RUNS
@given(news=memory_news_sets, pick=st.integers(0, 10**6), prefer_repeat=st.booleans(), delay=delays)
def test_with_memory_and_echoes_delaying_an_item_changes_nothing_before_its_original_session(news, pick, prefer_repeat, delay):
    # The same invariant as above, with items that count over later sessions (decay) and items that count
    # once among their echoes (novelty): an echo's status depends only on earlier items, and memory only on
    # items already tradable, so the past before the moved item's original session cannot change.
    base = run_harness(news, config=MEMORY)
    candidates = (repeats(news) if prefer_repeat else []) or list(news.news_id)
    news_id = candidates[pick % len(candidates)]
    later = news.copy()
    later.loc[later.news_id == news_id, "published_at"] += delay
    moved = run_harness(later, config=MEMORY)
    original = base.news.set_index("news_id").tradable_session[news_id]
    event(f"echoes: {'some' if (base.signals.news_weights.str.contains(r'(?:^|;)0(?:;|$)')).any() else 'none'}")
    event(f"memory: {'some' if (base.signals.news_ids.str.count(';') >= base.signals.news_count).any() else 'none'}")
    assert_same(base.signals[base.signals.session < original], moved.signals[moved.signals.session < original])
    assert_same(base.fills[base.fills.session < original], moved.fills[moved.fills.session < original])
    assert_same(base.equity[base.equity.index < original], moved.equity[moved.equity.index < original])


@MEMORY_RUNS
@given(news=memory_news_sets, cut=st.integers(1, len(SESSIONS) - 2))
def test_with_memory_and_echoes_cutting_the_future_changes_no_signal_before_it(news, cut):
    session = SESSIONS[cut]
    full = run_harness(news, config=MEMORY)
    known_news, known_prices = truncate_at_open(session, full.news, PRICES)
    settings = settings_for(SentimentLong)
    signals, part = replay(MEMORY, known_news, known_prices, SESSIONS[SESSIONS <= session], SentimentLong, settings)
    assert_same(full.signals[full.signals.session <= session], signals[signals.session <= session])
    assert_same(full.fills[full.fills.session <= session], part.fills[part.fills.session <= session])
    assert_fills_follow_their_news(full)


def assert_fills_follow_their_news(run: Run) -> None:
    """Every fill is at an open, after (and cutoff-before) every item it or its trade cites."""
    signals = run.signals.reset_index(drop=True)
    published = run.news.set_index("news_id").published_at
    tradable = run.news.set_index("news_id").tradable_session
    for fill in run.fills.itertuples():
        # market orders fill at the open of a run session, never at a close
        assert fill.session in SESSIONS
        # (to the last bits: Backtrader averages a fill's price over its size)
        assert fill.price == pytest.approx(PRICES[fill.ticker].open[fill.session], rel=1e-12, abs=0)
        if not fill.news_ids:
            continue  # hold_days / stop_loss exits cite no news
        cause = signals[(signals.session == fill.session) & (signals.ticker == fill.ticker)]
        assert list(cause.news_ids) == [fill.news_ids]  # sentiment_long cites the signal of the session it fills at
        filled_at = SCHEDULE.open[fill.session]
        for news_id in fill.news_ids.split(";"):
            assert published[news_id] < filled_at, f"{fill} filled before {news_id} was published"
            assert published[news_id] < CUTOFF[fill.session], f"{news_id} published after the cutoff of {fill.session.date()}"
            assert tradable[news_id] <= fill.session  # earlier items count through signals.aggregate=decay
    for trade in run.trades.itertuples():
        for news_id, stamp in zip(trade.news_ids.split(";"), trade.news_published_at.split(";")):
            assert pd.Timestamp(stamp) == published[news_id]
            assert pd.Timestamp(stamp) < CUTOFF[trade.entry_session] < SCHEDULE.open[trade.entry_session]
            assert tradable[news_id] <= trade.entry_session


@FAST
@given(news=news_sets)
def test_no_fill_precedes_the_news_it_cites(news):
    run = run_harness(news)
    event(f"entries: {'some' if (run.fills.reason == 'entry_signal').any() else 'none'}")
    assert_fills_follow_their_news(run)


@FAST
@given(news=news_sets, cut=st.integers(1, len(SESSIONS) - 2))
def test_truncating_the_future_changes_nothing_before_it(news, cut):
    event(f"news tradable after the cut: {bool((assign_tradable_session(news).tradable_session > SESSIONS[cut]).any())}")
    assert find_lookahead_violations(SentimentLong, news, cuts=[SESSIONS[cut]]) == []


def test_sentiment_long_has_no_lookahead_on_a_busy_tape():
    news = make_news(busy_items(seed=3, size=60))
    run = run_harness(news)
    assert len(run.fills) >= 10  # the check is not vacuous
    assert_fills_follow_their_news(run)
    assert find_lookahead_violations(SentimentLong, news) == []


@pytest.mark.parametrize("peek", ["close", "next_signal"])
def test_a_peeking_strategy_is_caught(peek):
    news = make_news(busy_items(seed=3, size=60))  # the tape SentimentLong passes on, above
    violations = find_lookahead_violations(PeekingLong, news, extra_params={"peek": peek})
    assert violations != []
    assert any(v.startswith("truncation at ") and "fills: the full run has" in v for v in violations)


@pytest.mark.parametrize(
    ("published_hkt", "fill_session"),
    [
        ("2025-03-03 08:59", "2025-03-03"),  # Monday, before the 09:00 cutoff: Monday's open
        ("2025-03-03 09:00", "2025-03-04"),  # exactly at the cutoff: Tuesday
        ("2025-03-05 12:30", "2025-03-06"),  # lunch break: next session
        ("2025-01-29 10:00", "2025-02-03"),  # Lunar New Year holiday (29-31 Jan): Monday 3 Feb
    ],
)
def test_hand_made_items_fill_at_the_right_open(published_hkt, fill_session):
    news = make_news([(pd.Timestamp(published_hkt, tz=HKT), ["9988.HK"], 0.9, ["ai"])])
    run = run_harness(news)
    buys = run.fills[run.fills.side == "buy"]
    session = pd.Timestamp(fill_session)
    assert list(buys.ticker) == ["9988.HK"]
    assert list(buys.session) == [session]
    assert buys.price.iloc[0] == PRICES["9988.HK"].open[session]
    assert run.trades.news_ids.tolist() == ["n000"]


def test_an_entry_without_a_signal_cites_no_news():
    # A strategy may buy for a reason that is not a signal (basket_hold does);
    # its fill cites no news, and trades.csv must not borrow any: an entry on
    # 6 January must not be credited to news published on 20 March.
    news = make_news([(pd.Timestamp("2025-03-20 08:00", tz=HKT), ["9988.HK"], 0.9, ["ai"])])
    aligned = assign_tradable_session(news)
    fills = pd.DataFrame(
        [["9988.HK", "buy", pd.Timestamp("2025-01-06"), 50.0, 100, 5_000.0, 60.0, "rebalance", "", float("nan")]], columns=FILL_COLUMNS
    )
    trades = build_trades(fills, aligned, SESSIONS, {"9988.HK": 55.0})
    assert trades.news_ids[0] == ""
    assert trades.news_published_at[0] == ""
    assert np.isnan(trades.entry_score[0])
