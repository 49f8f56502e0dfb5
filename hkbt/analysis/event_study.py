"""Event study: does the news signal carry information about the next sessions' returns?

Every *event* is one news item applied to one universe ticker it reaches (the
same pairs, with the same scope weights and novelty, that
:func:`hkbt.news.signals.build_signals` turns into the strategy's signals, via
:func:`hkbt.news.signals.route_news`), plus the pairs the signals ignore: items
of scope ``other`` (weight 0) are events too, so the study can show whether
ignoring them is right. Its start is the **open of its tradable session** ``S``
-- the first session the strategy could trade it at
(:func:`hkbt.news.sessions.assign_tradable_session`), never the publication date.

Definitions (``k`` = horizon in sessions; default 1, 3, 5, 10)::

    return_k    = open(E_k) / open(S) - 1          E_k = the ticker's own k-th bar after S
    benchmark_k = open_m(E_k) / open_m(S) - 1      ^HSI over the same two dates
    ar_k        = return_k - benchmark_k           market-adjusted abnormal return
    ar_beta_k   = return_k - beta * benchmark_k    beta-adjusted (beta from closes strictly before S)

This is exactly the timing of the strategy's ``hold_days=k`` exit: buy at the
open of ``S``, sell at the open ``k`` of the ticker's own bars later. A
suspended ticker has no bar on a session; its next bars are used (never a
forward-filled price), and the benchmark is measured over the same two dates.

An event is excluded from a horizon (``status``) when the ticker has no bar at
``S`` (``no_bar_at_start``: suspended -- the strategy skips such signals too),
when fewer than ``k`` bars follow ``S`` inside the run window
(``past_end_of_data``), or when the benchmark has no bar on ``S`` or ``E_k``
(``no_benchmark_bar``). Exclusions are counted per group and horizon.

Score buckets use edges ``e_0 < e_1 < ... < e_n`` (default -0.5, 0, 0.5):
``<= e_0``, then ``(e_0, e_1)``, ``[e_1, e_2)``, ..., ``>= e_n``: every bucket
holds its lower edge except the lowest edge, which belongs to the bottom bucket.
A score of exactly 0 (a neutral headline) therefore falls in ``[0, 0.5)``;
edges ``-0.5,-0.05,0.05,0.5`` give neutral items a bucket of their own.

Statistics per group and horizon: count, mean and sample standard deviation
(ddof 1) of ``ar_k``, ``t = mean / (std / sqrt(count))`` and the share of
positive ``ar_k``. Caveat: events are not independent -- one market-wide policy
item becomes one event per ticker on the same dates, and horizons overlap -- so
treat ``t`` as a descriptive score, not a p-value. ``t_stat_sessions`` first
averages the ARs of each tradable session, then takes t across sessions, which
removes the same-day clustering (not the overlap of consecutive windows).

CAR curve: for horizons 1..max(horizons), the mean ``ar_k`` over the events
that have every horizon (a fixed sample, so the curve's shape is not an
artefact of events dropping out near the end of the data). Because ``ar_k`` is
measured from the same open, it is the cumulative (buy-and-hold) abnormal
return up to ``k``.

Everything above ``run_study`` is pure (frames in, frames out);
``run_study`` reads the news and prices like :func:`hkbt.pipeline.run_pipeline`
and ``write_study`` adds the output files to ``backtests/<name>/``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from hkbt.config import Config, StudyConfig
from hkbt.errors import DataError
from hkbt.news.load import describe_news_source
from hkbt.news.scopes import SCOPES
from hkbt.news.signals import SignalRules, route_news, signal_rules_from_config

_DEFAULTS = StudyConfig()  # the options' defaults live in the config schema (study:)
DEFAULT_HORIZONS = tuple(_DEFAULTS.horizons)
DEFAULT_BUCKET_EDGES = tuple(_DEFAULTS.buckets)
DEFAULT_BETA_WINDOW = _DEFAULTS.beta_window  # sessions of close-to-close returns before S; 0 = no beta adjustment
NO_TOPIC = "none"
STUDY_FILES = ("study.csv", "study_events.csv", "study_car.csv", "study.html")

EVENT_COLUMNS = [
    "event", "news_id", "published_at", "tradable_session", "ticker", "scope", "themes", "weight", "market_wide",
    "duplicate_of", "headline", "score", "bucket", "topics",
]
SUMMARY_COLUMNS = [
    "group_by", "group", "horizon_sessions", "events", "count", "excluded",
    "mean_ar_pct", "std_ar_pct", "t_stat", "positive_pct", "mean_return_pct", "mean_benchmark_pct",
    "beta_count", "mean_ar_beta_pct", "t_stat_beta", "sessions", "t_stat_sessions",
    "signed_count", "mean_signed_ar_pct", "t_signed_sessions",
]
CAR_COLUMNS = ["group_by", "group", "horizon_sessions", "count", "car_pct", "t_stat", "car_beta_pct"]


# ----------------------------------------------------------------- buckets


def bucket_labels(edges: Sequence[float]) -> list[str]:
    """Bucket names, lowest first: ``['<=-0.5', '(-0.5, 0)', '[0, 0.5)', '>=0.5']`` for the default edges."""
    fmt = [f"{e:g}" for e in edges]
    middle = [f"{'(' if i == 0 else '['}{lo}, {hi})" for i, (lo, hi) in enumerate(zip(fmt, fmt[1:]))]
    return [f"<={fmt[0]}", *middle, f">={fmt[-1]}"]


def assign_bucket(scores: pd.Series, edges: Sequence[float]) -> pd.Series:
    """Pure: the bucket label of each score (see the module docstring for the edges rule).

    >>> assign_bucket(pd.Series([-0.5, -0.2, 0.0, 0.49, 0.5]), (-0.5, 0, 0.5)).tolist()
    ['<=-0.5', '(-0.5, 0)', '[0, 0.5)', '[0, 0.5)', '>=0.5']
    """
    labels = bucket_labels(edges)
    values = scores.to_numpy(dtype=float)
    position = np.searchsorted(np.asarray(edges, dtype=float), values, side="right")
    position[values <= edges[0]] = 0
    return pd.Series([labels[p] for p in position], index=scores.index, dtype=object)


# ------------------------------------------------------------------ events
def build_events(
    news: pd.DataFrame,
    sessions: pd.DatetimeIndex,
    rules: SignalRules,
    edges: Sequence[float] = DEFAULT_BUCKET_EDGES,
) -> pd.DataFrame:
    """Pure: one row per (news item, universe ticker it reaches) tradable inside ``sessions``.

    Args:
        news: scored, tagged, scoped, aligned news as :func:`hkbt.pipeline.prepare_news`
            returns it.
        sessions, rules: as for :func:`hkbt.news.signals.build_signals` (same
            pairs, same weights), pairs of weight 0 included.
        edges: score bucket edges.

    Returns:
        :data:`EVENT_COLUMNS` (``topics`` and ``themes`` stay lists), sorted by
        session, ticker, publication time and news_id; ``event`` numbers the
        rows 0..n-1 and is also the index. ``weight`` is the pair's weight in
        the signals (0 for scope ``other`` by default, and for echoes, whose
        ``duplicate_of`` names the first item).

    Warning -- look-ahead: the event's start is ``tradable_session``; the
    publication date of after-close news is a session the news could not affect.
    """
    exploded = route_news(news, sessions, rules, keep_zero_weight=True)
    exploded = exploded.sort_values(["tradable_session", "ticker", "published_at", "news_id"], kind="stable")
    events = exploded.reset_index(drop=True)
    events["market_wide"] = events.market_wide.astype(bool)
    events["event"] = np.arange(len(events))
    events["bucket"] = assign_bucket(events.score.astype(float), edges) if len(events) else pd.Series(dtype=object)
    events["topics"] = [list(t) for t in events.topics] if len(events) else pd.Series(dtype=object)
    events["themes"] = [list(t) for t in events.themes] if len(events) else pd.Series(dtype=object)
    events = events[EVENT_COLUMNS]
    events.index = pd.RangeIndex(len(events), name="event")
    return events


# ----------------------------------------------------------------- returns
def compute_forward_returns(
    events: pd.DataFrame, prices: dict[str, pd.DataFrame], benchmark: pd.DataFrame, max_horizon: int
) -> pd.DataFrame:
    """Pure: open-to-open returns of every event for horizons 1..``max_horizon``.

    Args:
        events: :func:`build_events` output (``ticker``, ``tradable_session``).
        prices: ``{ticker: bars}`` with an ``open`` column, indexed by session
            label (tz-naive midnight), suspensions left as gaps.
        benchmark: the index's bars, same shape.
        max_horizon: last horizon, in sessions.

    Returns:
        One row per (event, horizon): ``event``, ``horizon_sessions``,
        ``status`` (``ok`` | ``no_bar_at_start`` | ``past_end_of_data`` |
        ``no_benchmark_bar``), ``entry_open``, ``benchmark_entry_open``,
        ``exit_session``, ``return_pct``, ``benchmark_pct``, ``ar_pct``
        (NaN unless ``status == "ok"``). Percent: 1.0 = 1 %.

    >>> bars = pd.DataFrame({"open": [10.0, 11.0]}, index=pd.to_datetime(["2025-03-03", "2025-03-04"]))
    >>> hsi = pd.DataFrame({"open": [100.0, 101.0]}, index=bars.index)
    >>> ev = pd.DataFrame({"ticker": ["X"], "tradable_session": [bars.index[0]]})
    >>> round(float(compute_forward_returns(ev, {"X": bars}, hsi, 1).ar_pct[0]), 6)   # 10 % - 1 %
    9.0
    """
    horizons = np.arange(1, max_horizon + 1)
    bench_open = benchmark.open.astype(float)
    parts = []
    for ticker, group in events.groupby("ticker", sort=True):
        bars = prices.get(ticker)
        if bars is None:
            raise DataError(f"prices: {ticker}", "no bars for a ticker that has news events", "add it to the price data")
        opens = bars.open.astype(float).sort_index()
        start = opens.index.get_indexer(pd.DatetimeIndex(group.tradable_session))
        count = len(group)
        event = np.repeat(group.index.to_numpy(), len(horizons))
        k = np.tile(horizons, count)
        start_pos = np.repeat(start, len(horizons))
        exit_pos = start_pos + k
        has_start = start_pos >= 0
        has_exit = has_start & (exit_pos < len(opens))
        entry_session = np.repeat(pd.DatetimeIndex(group.tradable_session).to_numpy(), len(horizons))
        exit_session = np.where(has_exit, opens.index.to_numpy()[np.clip(exit_pos, 0, len(opens) - 1)], np.datetime64("NaT"))
        entry_open = np.where(has_start, opens.to_numpy()[np.clip(start_pos, 0, len(opens) - 1)], np.nan)
        exit_open = np.where(has_exit, opens.to_numpy()[np.clip(exit_pos, 0, len(opens) - 1)], np.nan)
        bench_entry = bench_open.reindex(pd.DatetimeIndex(entry_session)).to_numpy()
        bench_exit = bench_open.reindex(pd.DatetimeIndex(exit_session)).to_numpy()
        has_bench = ~np.isnan(bench_entry) & ~np.isnan(bench_exit)
        status = np.select(
            [~has_start, ~has_exit, ~has_bench], ["no_bar_at_start", "past_end_of_data", "no_benchmark_bar"], "ok"
        )
        ok = status == "ok"
        stock = np.where(ok, (exit_open / entry_open - 1.0) * 100.0, np.nan)
        market = np.where(ok, (bench_exit / bench_entry - 1.0) * 100.0, np.nan)
        parts.append(pd.DataFrame({
            "event": event, "horizon_sessions": k, "status": status,
            "entry_open": entry_open, "benchmark_entry_open": np.where(np.isnan(bench_entry), np.nan, bench_entry),
            "exit_session": pd.DatetimeIndex(exit_session), "return_pct": stock, "benchmark_pct": market,
            "ar_pct": stock - market,
        }))
    columns = ["event", "horizon_sessions", "status", "entry_open", "benchmark_entry_open", "exit_session",
               "return_pct", "benchmark_pct", "ar_pct"]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
    return pd.concat(parts, ignore_index=True).sort_values(["event", "horizon_sessions"], ignore_index=True)[columns]


def compute_betas(
    events: pd.DataFrame, prices: dict[str, pd.DataFrame], benchmark: pd.DataFrame,
    window: int = DEFAULT_BETA_WINDOW, min_obs: int | None = None,
) -> pd.Series:
    """Pure: each event's beta to the benchmark, estimated strictly before its session ``S``.

    OLS slope of the ticker's close-to-close returns on the benchmark's, over the
    last ``window`` returns dated before ``S`` (dates where both have a bar; the
    latest one ends at the close of the session before ``S``, known before
    ``S``'s open). NaN with fewer than ``min_obs`` returns (default ``window // 2``).

    Warning -- look-ahead: nothing from ``S`` itself (its close) or later enters the estimate.
    """
    betas = pd.Series(np.nan, index=events.index, name="beta", dtype=float)
    if window <= 1 or events.empty:
        return betas
    min_obs = max(2, min_obs if min_obs is not None else window // 2)
    for ticker, group in events.groupby("ticker", sort=True):
        joined = pd.concat({"stock": prices[ticker].close, "market": benchmark.close}, axis=1, join="inner").sort_index()
        returns = joined.astype(float).pct_change().iloc[1:]
        cov = returns.stock.rolling(window, min_periods=min_obs).cov(returns.market)
        var = returns.market.rolling(window, min_periods=min_obs).var()
        beta = (cov / var).to_numpy()
        # the estimate dated d uses returns up to d's close: take the last d strictly before S
        last = returns.index.searchsorted(pd.DatetimeIndex(group.tradable_session), side="left") - 1
        betas.loc[group.index] = np.where(last >= 0, beta[np.clip(last, 0, None)] if len(beta) else np.nan, np.nan)
    return betas


def add_beta_adjusted(returns: pd.DataFrame, betas: pd.Series) -> pd.DataFrame:
    """Pure: add ``beta`` and ``ar_beta_pct = return_pct - beta * benchmark_pct``."""
    out = returns.copy()
    out["beta"] = betas.reindex(out.event.to_numpy()).to_numpy()
    out["ar_beta_pct"] = out.return_pct - out.beta * out.benchmark_pct
    return out


# -------------------------------------------------------------- aggregates
def summarise(values: pd.Series) -> dict[str, float]:
    """Count, mean, sample std (ddof 1), t = mean / (std / sqrt(n)) and share positive (%) of the non-NaN values."""
    values = values.dropna().astype(float)
    count = len(values)
    mean = float(values.mean()) if count else math.nan
    std = float(values.std(ddof=1)) if count > 1 else math.nan
    t_stat = mean / (std / math.sqrt(count)) if count > 1 and std > 0 else math.nan
    positive = float((values > 0).mean() * 100.0) if count else math.nan
    return {"count": count, "mean": mean, "std": std, "t_stat": t_stat, "positive_pct": positive}


def event_groups(
    events: pd.DataFrame, topics: Sequence[str], edges: Sequence[float], themes: Sequence[str] = ()
) -> list[tuple[str, str, pd.Index]]:
    """Pure: ``(group_by, group, event ids)`` for ``all``, topics, buckets, scopes and themes.

    ``all``, the topic groups (every topic plus ``none``) and the score buckets
    hold the events the signals use (weight above 0). The scope groups
    (company, theme, market, other) hold every event but echoes, so ``other``
    shows what the signals ignore; a theme group holds the events whose item
    is about that theme, whatever its scope. An event with two topics (or
    themes) belongs to both groups.
    """
    used = events.index[(events.weight > 0).to_numpy()]
    original = events.index[(events.duplicate_of == "").to_numpy()]
    groups = [("all", "all", used)]
    for topic in [*topics, NO_TOPIC]:
        member = [(not t) if topic == NO_TOPIC else (topic in t) for t in events.topics]
        groups.append(("topic", topic, used.intersection(events.index[np.asarray(member, dtype=bool)])))
    for label in bucket_labels(edges):
        groups.append(("bucket", label, used.intersection(events.index[(events.bucket == label).to_numpy()])))
    for scope in SCOPES:
        groups.append(("scope", scope, original.intersection(events.index[(events.scope == scope).to_numpy()])))
    for theme in themes:
        member = np.asarray([theme in t for t in events.themes], dtype=bool)
        groups.append(("theme", theme, original.intersection(events.index[member])))
    return groups


def compute_study(
    events: pd.DataFrame, returns: pd.DataFrame, horizons: Sequence[int], topics: Sequence[str],
    edges: Sequence[float] = DEFAULT_BUCKET_EDGES, themes: Sequence[str] = (),
) -> pd.DataFrame:
    """Pure: :data:`SUMMARY_COLUMNS`, one row per (group, horizon); groups as :func:`event_groups`.

    ``events`` counts the group's events, ``count`` those with a return at that
    horizon and ``excluded`` the rest. ``mean_ar_pct``/``std_ar_pct``/``t_stat``/
    ``positive_pct`` describe the market-adjusted ``ar_pct``; ``beta_*`` the
    beta-adjusted one (events with a beta estimate only). ``sessions`` counts
    the distinct tradable sessions behind ``count`` and ``t_stat_sessions`` is
    the t-statistic of the per-session mean ARs: events of one session (e.g. a
    market-wide item applied to every ticker) count once, a more honest t.

    The ``signed`` columns ask whether the score's *direction* was right:
    each AR times the sign of its event's score (events scoring exactly 0
    left out, ``signed_count``), averaged, with the same per-session t. A
    group whose good news rises and bad news falls has a positive signed AR
    even when its plain mean AR is 0.
    """
    rows = []
    sign = np.sign(events.score.astype(float))
    by_horizon = {k: returns[returns.horizon_sessions == k].set_index("event") for k in horizons}
    for group_by, group, members in event_groups(events, topics, edges, themes):
        for k in horizons:
            sample = by_horizon[k].reindex(members)
            ar = summarise(sample.ar_pct) if len(sample) else summarise(pd.Series(dtype=float))
            beta = summarise(sample.ar_beta_pct) if "ar_beta_pct" in sample and len(sample) else summarise(pd.Series(dtype=float))
            per_session = sample.ar_pct.groupby(events.tradable_session.reindex(sample.index).to_numpy()).mean() if len(sample) else sample.ar_pct
            clustered = summarise(per_session)
            signed_ar = (sample.ar_pct * sign.reindex(sample.index)).where(sign.reindex(sample.index) != 0)
            signed = summarise(signed_ar)
            per_session_signed = summarise(
                signed_ar.groupby(events.tradable_session.reindex(sample.index).to_numpy()).mean() if len(sample) else signed_ar
            )
            rows.append({
                "group_by": group_by, "group": group, "horizon_sessions": k, "events": len(members),
                "count": ar["count"], "excluded": len(members) - ar["count"],
                "mean_ar_pct": ar["mean"], "std_ar_pct": ar["std"], "t_stat": ar["t_stat"], "positive_pct": ar["positive_pct"],
                "mean_return_pct": float(sample.return_pct.mean()) if ar["count"] else math.nan,
                "mean_benchmark_pct": float(sample.benchmark_pct.mean()) if ar["count"] else math.nan,
                "beta_count": beta["count"], "mean_ar_beta_pct": beta["mean"], "t_stat_beta": beta["t_stat"],
                "sessions": clustered["count"], "t_stat_sessions": clustered["t_stat"],
                "signed_count": signed["count"], "mean_signed_ar_pct": signed["mean"],
                "t_signed_sessions": per_session_signed["t_stat"],
            })
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def compute_car(
    events: pd.DataFrame, returns: pd.DataFrame, max_horizon: int, topics: Sequence[str],
    edges: Sequence[float] = DEFAULT_BUCKET_EDGES, themes: Sequence[str] = (),
) -> pd.DataFrame:
    """Pure: :data:`CAR_COLUMNS`, the mean cumulative abnormal return at 1..``max_horizon`` per group.

    Only events with a return at *every* horizon 1..``max_horizon`` are used
    (one fixed sample per group, ``count``).
    """
    wide = returns[returns.horizon_sessions <= max_horizon].pivot(index="event", columns="horizon_sessions", values="ar_pct")
    complete = wide.index[wide.notna().all(axis=1)] if len(wide) else pd.Index([])
    beta_wide = (
        returns[returns.horizon_sessions <= max_horizon].pivot(index="event", columns="horizon_sessions", values="ar_beta_pct")
        if "ar_beta_pct" in returns and len(returns) else None
    )
    rows = []
    for group_by, group, members in event_groups(events, topics, edges, themes):
        sample = members.intersection(complete)
        for k in range(1, max_horizon + 1):
            stats = summarise(wide.loc[sample, k]) if len(sample) else summarise(pd.Series(dtype=float))
            car_beta = float(beta_wide.loc[sample, k].mean()) if beta_wide is not None and len(sample) else math.nan
            rows.append({"group_by": group_by, "group": group, "horizon_sessions": k, "count": len(sample),
                         "car_pct": stats["mean"], "t_stat": stats["t_stat"], "car_beta_pct": car_beta})
    return pd.DataFrame(rows, columns=CAR_COLUMNS)


def build_event_table(events: pd.DataFrame, returns: pd.DataFrame, horizons: Sequence[int]) -> pd.DataFrame:
    """Pure: one row per event with its returns at ``horizons`` (the ``study_events.csv`` layout).

    Columns: :data:`EVENT_COLUMNS` (topics, themes ";"-joined), ``status`` at the longest
    horizon, ``entry_open``, ``benchmark_entry_open``, ``beta`` and for each
    horizon ``k``: ``h<k>_exit_session``, ``h<k>_return_pct``, ``h<k>_benchmark_pct``,
    ``h<k>_ar_pct``, ``h<k>_ar_beta_pct``.
    """
    table = events.assign(topics=events.topics.map(";".join), themes=events.themes.map(";".join)).copy()
    first = returns[returns.horizon_sessions == 1].set_index("event")
    last = returns[returns.horizon_sessions == max(horizons)].set_index("event")
    table["status"] = last.status.reindex(table.index)
    table["entry_open"] = first.entry_open.reindex(table.index)
    table["benchmark_entry_open"] = first.benchmark_entry_open.reindex(table.index)
    table["beta"] = first.beta.reindex(table.index) if "beta" in first else np.nan
    for k in horizons:
        at = returns[returns.horizon_sessions == k].set_index("event").reindex(table.index)
        table[f"h{k}_exit_session"] = at.exit_session
        table[f"h{k}_return_pct"] = at.return_pct
        table[f"h{k}_benchmark_pct"] = at.benchmark_pct
        table[f"h{k}_ar_pct"] = at.ar_pct
        table[f"h{k}_ar_beta_pct"] = at.ar_beta_pct if "ar_beta_pct" in at else np.nan
    return table.reset_index(drop=True)


def count_statuses(returns: pd.DataFrame, horizons: Sequence[int]) -> dict[int, dict[str, int]]:
    """Pure: ``{horizon: {status: events}}`` -- why events are excluded at each horizon."""
    out = {}
    for k in horizons:
        counts = returns[returns.horizon_sessions == k].status.value_counts()
        out[k] = {str(s): int(n) for s, n in counts.sort_index().items()}
    return out


# ------------------------------------------------------------ run and write
@dataclass
class StudyArtifacts:
    """Everything one event study produced, before it is written."""

    config: Config
    horizons: tuple[int, ...]
    edges: tuple[float, ...]
    beta_window: int
    events: pd.DataFrame        # build_event_table layout
    summary: pd.DataFrame       # SUMMARY_COLUMNS
    car: pd.DataFrame           # CAR_COLUMNS
    meta: dict[str, object]
    warnings: list[str] = field(default_factory=list)


def beta_warmup_days(beta_window: int) -> int:
    """Calendar days of extra price history needed for ``beta_window`` sessions of returns."""
    return math.ceil(beta_window * 7 / 5 * 1.1) + 14 if beta_window > 0 else 0


def run_study(config: Config, base_dir: Path = Path("."), progress=None) -> StudyArtifacts:
    """Read the news and prices of ``config`` and compute the whole study (nothing is written).

    The options are ``config.study``: ``horizons``, ``buckets`` (score bucket
    edges) and ``beta_window``, part of the config and of its hash.

    News goes through exactly the pipeline of ``hkbt run`` (:func:`hkbt.pipeline.prepare_news`),
    prices through :func:`hkbt.pipeline.load_prices`, loaded from ``beta_window`` sessions
    before ``run.start`` to ``run.end``: returns never use bars after ``run.end``.
    """
    from hkbt.pipeline import load_prices, prepare_news
    from hkbt.prices import SIMULATED_BANNER
    from hkbt.news.sessions import run_sessions

    horizons, edges, beta_window = tuple(sorted(config.study.horizons)), tuple(config.study.buckets), config.study.beta_window
    universe = config.universe
    sessions = run_sessions(config.run.start, config.run.end)
    news, news_report = prepare_news(config, base_dir, progress)
    events = build_events(news, sessions, signal_rules_from_config(config), edges)
    early = config.model_copy(update={"run": config.run.model_copy(update={"start": config.run.start - timedelta(days=beta_warmup_days(beta_window))})})
    prices, warnings = load_prices(early, base_dir, sessions, progress)
    benchmark = prices[universe.benchmark]
    returns = compute_forward_returns(events, prices, benchmark, max(horizons))
    returns = add_beta_adjusted(returns, compute_betas(events, prices, benchmark, beta_window))
    summary = compute_study(events, returns, horizons, list(config.topics), edges, list(config.themes))
    car = compute_car(events, returns, max(horizons), list(config.topics), edges, list(config.themes))
    table = build_event_table(events, returns, horizons)
    if events.empty:
        warnings.append("no tradable news event in the run window for the universe: the study is empty")
    simulated = config.prices.source == "synthetic"
    meta = {
        **({"warning": SIMULATED_BANNER} if simulated else {}),
        "name": config.run.name,
        "start": sessions[0].date().isoformat(),
        "end": sessions[-1].date().isoformat(),
        "sessions": len(sessions),
        "price_source": config.prices.source,
        "simulated_prices": simulated,
        "benchmark": universe.benchmark,
        "news_path": describe_news_source(config.news),
        "news_items": int(len(news)),
        "news_events": int(events.news_id.nunique()),
        "events": int(len(events)),
        "market_wide_events": int(events.market_wide.sum()),
        "scope_events": {scope: int((events.scope == scope).sum()) for scope in SCOPES},
        "scorer": config.sentiment.scorer,
        "horizons": list(horizons),
        "bucket_edges": list(edges),
        "bucket_labels": bucket_labels(edges),
        "beta_window": beta_window,
        "statuses": count_statuses(returns, horizons),
        "config_hash": config.config_hash(),
    }
    warnings = news_report.warnings(config.news.timezone) + warnings
    return StudyArtifacts(config=config, horizons=horizons, edges=edges, beta_window=beta_window, events=table,
                          summary=summary, car=car, meta=meta, warnings=warnings)


def write_study(artifacts: StudyArtifacts, folder: Path, html: str) -> list[Path]:
    """Add :data:`STUDY_FILES` to ``folder`` (a run folder or a new one), leaving its other files alone.

    The files are written completely into a staging folder first, which then
    replaces ``folder`` with its other files in one atomic step
    (:func:`hkbt.backtest.results.add_files`).
    """
    from hkbt.backtest.results import add_files

    def write(staging: Path) -> None:
        artifacts.summary.to_csv(staging / "study.csv", index=False)
        events = artifacts.events.assign(published_at=[t.isoformat() for t in artifacts.events.published_at])
        events.to_csv(staging / "study_events.csv", index=False, date_format="%Y-%m-%d")
        artifacts.car.to_csv(staging / "study_car.csv", index=False)
        (staging / "study.html").write_text(html, encoding="utf-8")

    return add_files(folder, write)
