"""One run, start to finish: config in, every artifact of the run out (no writing).

The stages, in the order data flows::

    load_news -> detect_languages/filter_languages -> mask_false_friends -> link_entities -> compute_sentiment
      -> tag_topics -> assign_scope -> assign_tradable_session -> build_signals
      -> prices (csv | yfinance | synthetic) -> run_backtest (Backtrader)
      -> build_trades -> benchmarks -> compute_metrics

``run_pipeline`` returns a :class:`RunArtifacts`; :mod:`hkbt.backtest.results` writes
it. It is :func:`build_inputs` (everything up to the prices, shared by the
variants of an experiment) followed by :func:`run_variant` (one strategy on
those inputs); ``hkbt run --experiments`` calls them separately. Relative paths in the config are resolved against ``base_dir`` (the
folder of the config file), so a config works from any working directory.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd

from hkbt import __version__
from hkbt.backtest.benchmark import compute_index_benchmark, compute_proxy_benchmark
from hkbt.config import Config
from hkbt.backtest.costs import FeeSchedule
from hkbt.news.prepared_cache import PREPARED_KEYS, file_digest, prepared_key, read_prepared, write_prepared
from hkbt.backtest.metrics import compute_metrics
from hkbt.news.load import NewsReport, load_news
from hkbt.prices import PRICE_SOURCES, SIMULATED_BANNER, PriceRequest, align_to_sessions
from hkbt.backtest.discovery import FoundStrategy, find_strategy, validate_params
from hkbt.backtest.runner import run_backtest
from hkbt.news.sessions import assign_tradable_session, load_calendar, run_sessions
from hkbt.news.signals import build_signals, signal_rules_from_config
from hkbt.backtest.trades import build_trades

WARMUP_DAYS = 14  # calendar days of bars loaded before run.start (previous close for sizing)


@dataclass
class Progress:
    """Optional callbacks the CLI hooks progress bars onto."""

    price: Callable[[str], None] | None = None
    scored: Callable[[int], None] | None = None
    scoring_total: Callable[[int], None] | None = None


@dataclass
class RunArtifacts:
    """Everything a run produced, before it is written to ``backtests/<name>/``."""

    config: Config
    news: pd.DataFrame
    news_report: NewsReport
    signals: pd.DataFrame
    fills: pd.DataFrame
    rejected: pd.DataFrame
    skipped: pd.DataFrame
    trades: pd.DataFrame
    equity: pd.DataFrame
    prices: dict[str, pd.DataFrame]
    metrics: dict[str, object]
    warnings: list[str] = field(default_factory=list)


def resolve_path(path: Path, base_dir: Path) -> Path:
    """``path`` if absolute, else relative to ``base_dir``."""
    return path if path.is_absolute() else base_dir / path


def cache_dir(config: Config, base_dir: Path) -> Path | None:
    """The run's cache folder (``sentiment.cache_dir``: scores, languages, prepared news, calendar, price files), if any."""
    return resolve_path(config.sentiment.cache_dir, base_dir) if config.sentiment.cache_dir else None


def read_news(config: Config, base_dir: Path, as_of: pd.Timestamp | None = None) -> tuple[pd.DataFrame, NewsReport]:
    """Stage 1: the run's news, from ``news.store`` when set, else from the ``news.path`` file.

    Either way the frame has ``available_at``, the time sessions are assigned
    from: the publication time for a file, and the ``news.timestamp`` rule for
    the store (so a back-dated item never trades before hkbt saw it); and
    ``first_seen_at`` (NaT for a file). ``as_of`` keeps only items available by
    then (``hkbt today``).
    """
    news_config = config.news
    if news_config.store is not None:
        from hkbt.news.store import load_store_news

        return load_store_news(resolve_path(news_config.store, base_dir), news_config.filters, news_config.timestamp,
                               news_config.timezone, as_of)
    news, report = load_news(resolve_path(news_config.path, base_dir), news_config.columns, news_config.timezone,
                             news_config.format)
    news = news.assign(first_seen_at=pd.Series(pd.NaT, index=news.index, dtype="datetime64[ns, UTC]"),
                       available_at=news.published_at)
    if as_of is not None:
        news = news[news.available_at <= as_of].reset_index(drop=True)
    return news, report


def prepare_news(config: Config, base_dir: Path, progress: Progress | None = None,
                 as_of: pd.Timestamp | None = None) -> tuple[pd.DataFrame, NewsReport]:
    """Load, link, score, tag and align the news (stages 1-5 before aggregation).

    With a cache folder (``sentiment.cache_dir``) and a news file, everything before
    the sessions comes from the prepared-news cache when this file, these settings and
    this hkbt have been seen before (:mod:`hkbt.news.prepared_cache`).
    """
    cache = cache_dir(config, base_dir)
    path = resolve_path(config.news.path, base_dir)
    key = digest = None
    if cache is not None and config.news.store is None and as_of is None:
        try:
            digest = file_digest(path)
        except OSError:
            pass  # load_news says what is wrong with the file
        else:
            key = prepared_key(picked_settings(config, PREPARED_KEYS), digest)
    notes = []
    news = report = None
    if key is not None:
        news, report, note = read_prepared(cache, key)
        notes += [note] if note else []
    if news is None:
        news, report = _prepare_news(config, base_dir, cache, progress or Progress(), as_of)
        if key is not None and len(news) and _unchanged(path, digest):
            note = write_prepared(cache, key, news, report)
            notes += [note] if note else []
    news = assign_tradable_session(news, config.signals.cutoff_before_open_minutes)
    return news, dataclasses.replace(report, notes=report.notes + tuple(notes))


def _unchanged(path: Path, digest: str) -> bool:
    """The news file still has the bytes the key was made from (it was not rewritten while it was read)."""
    try:
        return file_digest(path) == digest
    except OSError:
        return False


def _prepare_news(config: Config, base_dir: Path, cache: Path | None, progress: Progress,
                  as_of: pd.Timestamp | None) -> tuple[pd.DataFrame, NewsReport]:
    """Stages 1-4: read, detect languages, link, score, tag topics and scopes (no cache of the result).

    Their modules are imported here, not at the top: a run that finds its news in the
    prepared-news cache needs none of them (the scorers alone take about 0.05 s to import).
    """
    from hkbt.news.entities import link_entities
    from hkbt.news.language import detect_languages, filter_languages
    from hkbt.news.scopes import assign_scope, mask_false_friends, scope_rules_from_config
    from hkbt.news.topics import tag_topics
    from hkbt.sentiment.scoring import compose_text, compute_sentiment, scorers_for

    news, report = read_news(config, base_dir, as_of)
    news = news.assign(language=detect_languages(compose_text(news, config.sentiment.text), cache))
    news, dropped = filter_languages(news, config.news.languages)
    report = dataclasses.replace(report, languages_dropped=tuple(dropped.items()))
    text = compose_text(news, config.sentiment.text)
    rules = scope_rules_from_config(config)
    matched = mask_false_friends(text, rules.false_friends)  # what companies, themes and scopes are searched in
    news = link_entities(news, config.universe.tickers, config.universe.aliases, matched)
    outside = news.unknown_tickers[news.outside_universe]
    report = dataclasses.replace(
        report, outside_universe=len(outside), outside_examples=tuple(sorted({t for ts in outside for t in ts}))[:3]
    )
    if progress.scoring_total:
        progress.scoring_total(len(news))
    news = compute_sentiment(news, scorers_for(config), text=config.sentiment.text, cache_dir=cache, progress=progress.scored)
    news = tag_topics(news, config.topics, text)
    news = assign_scope(news, rules, matched)
    return news, report


def load_prices(config: Config, base_dir: Path, sessions: pd.DatetimeIndex, progress: Progress | None = None) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Bars for the universe, benchmark and proxy, on XHKG sessions, with warm-up.

    Returns ``(prices, warnings)``; ``prices`` is keyed by ticker.
    """
    progress = progress or Progress()
    universe = config.universe
    tickers = list(dict.fromkeys(universe.tickers + [universe.benchmark] + ([universe.proxy] if universe.proxy else [])))
    first = config.run.start - timedelta(days=WARMUP_DAYS)
    all_sessions = run_sessions(first, config.run.end, whole_window=False)  # warm-up may start before the calendar
    settings = config.prices.model_copy(update={
        "csv_dir": resolve_path(config.prices.csv_dir, base_dir), "cache_dir": resolve_path(config.prices.cache_dir, base_dir),
    })
    warnings: list[str] = []
    request = PriceRequest(tickers, first, config.run.end, all_sessions, universe.benchmark, settings, progress.price,
                           cache_dir(config, base_dir), warnings.append)
    raw = PRICE_SOURCES[config.prices.source](request)
    prices, gaps = {}, []
    for ticker in tickers:
        prices[ticker], dropped = align_to_sessions(raw[ticker], all_sessions, ticker)
        if dropped:
            warnings.append(f"{ticker}: dropped {len(dropped)} bar(s) on non-XHKG dates, e.g. {dropped[0].date()}")
        missing = sessions.difference(prices[ticker].index)
        if len(missing):
            gaps.append(f"{ticker} {len(missing)} (first {missing[0].date()})")
    if gaps:
        warnings.append(f"sessions without a bar (suspension or data gap; not filled, not traded): {', '.join(gaps)}")
    return prices, warnings


def compute_data_hash(news_path: Path | None, prices: dict[str, pd.DataFrame], news: pd.DataFrame | None = None) -> str:
    """sha256 over the news file bytes (or, from the store, the items read) and every price frame, in ticker order."""
    if news_path is not None:
        digest = hashlib.sha256(news_path.read_bytes())
    else:
        fields = ["news_id", "published_at", "available_at", "headline", "body", "source", "url"]
        digest = hashlib.sha256(pd.util.hash_pandas_object(news[fields], index=False).to_numpy().tobytes())
    for ticker in sorted(prices):
        digest.update(ticker.encode())
        digest.update(pd.util.hash_pandas_object(prices[ticker], index=True).to_numpy().tobytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def _installed_versions() -> tuple[tuple[str, str], ...]:
    found = []
    for name in ("backtrader", "pandas", "numpy", "vaderSentiment", "exchange_calendars", "yfinance"):
        try:
            found.append((name, version(name)))
        except PackageNotFoundError:
            found.append((name, "not installed"))
    return tuple(found)


def package_versions() -> dict[str, str]:
    """Versions of the packages that shape a run's numbers (looked up once per process: a sweep asks per combination)."""
    return {"hkbt": __version__, "python": platform.python_version(), **dict(_installed_versions())}


INPUT_KEYS = ("universe.tickers", "universe.benchmark", "universe.proxy", "universe.aliases", "news", "sentiment",
              "topics", "scopes", "themes", "signals", "prices", "run.start", "run.end")
"""The settings that shape a run's inputs (news, scores, signals, prices). Variants that agree on
these share one :class:`SharedInputs`; everything else (strategy, costs, cash, lots) is per variant."""


def picked_settings(config: Config, keys: tuple[str, ...]) -> dict[str, object]:
    """The resolved values of dotted ``keys`` (e.g. :data:`INPUT_KEYS`), as ``{key: value}``."""
    resolved = config.resolved()
    picked = {}
    for key in keys:
        node = resolved
        for part in key.split("."):
            node = node[part]
        picked[key] = node
    return picked


def inputs_key(config: Config) -> str:
    """sha256 of the settings in :data:`INPUT_KEYS`: equal keys mean the same shared inputs."""
    return hashlib.sha256(json.dumps(picked_settings(config, INPUT_KEYS), sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass
class SharedInputs:
    """What every variant of an experiment reads, computed once: aligned news, signals, prices.

    Built by :func:`build_inputs`; :func:`run_variant` runs one strategy on it.
    ``key`` is :func:`inputs_key` of the config it was built from.
    """

    key: str
    sessions: pd.DatetimeIndex
    news: pd.DataFrame
    news_report: NewsReport
    signals: pd.DataFrame
    prices: dict[str, pd.DataFrame]
    warnings: list[str]
    data_hash: str


def build_inputs(config: Config, base_dir: Path = Path("."), progress: Progress | None = None) -> SharedInputs:
    """Load, score, tag and align the news, aggregate the signals and load the prices (no backtest)."""
    calendar_note = load_calendar(cache_dir(config, base_dir))
    sessions = run_sessions(config.run.start, config.run.end)
    news, news_report = prepare_news(config, base_dir, progress)
    signals = build_signals(news, sessions, signal_rules_from_config(config))
    prices, warnings = load_prices(config, base_dir, sessions, progress)
    return SharedInputs(
        key=inputs_key(config), sessions=sessions, news=news, news_report=news_report, signals=signals, prices=prices,
        warnings=news_report.warnings(config.news.timezone) + warnings + ([calendar_note] if calendar_note else []),
        data_hash=compute_data_hash(None if config.news.store else resolve_path(config.news.path, base_dir), prices, news),
    )


def resolve_strategy(config: Config, base_dir: Path = Path(".")) -> FoundStrategy:
    """The config's strategy class: the one found when the config was validated, else looked up now."""
    return config.strategy.found or find_strategy(config.strategy.name, config.strategy.path, base_dir)


def run_variant(config: Config, inputs: SharedInputs, base_dir: Path = Path(".")) -> RunArtifacts:
    """Run ``config``'s strategy on shared inputs and return the run's artifacts (nothing is written).

    Raises:
        ValueError: ``inputs`` were built from settings that differ from
            ``config``'s in :data:`INPUT_KEYS` (a programming error).
    """
    if inputs_key(config) != inputs.key:
        raise ValueError("these shared inputs were built from other news/prices/sessions settings than this config's")
    found = resolve_strategy(config, base_dir)
    settings = validate_params(found.cls, config.strategy.params, config.topics)
    sessions, news, signals, prices = inputs.sessions, inputs.news, inputs.signals, inputs.prices
    universe = config.universe
    fees = FeeSchedule(brokerage_rate=config.costs.brokerage_rate, brokerage_min=config.costs.brokerage_min)

    traded = {t: prices[t] for t in universe.tickers}
    result = run_backtest(
        traded, signals, strategy=found.cls, settings=settings, lot_sizes=universe.lot_sizes,
        initial_cash=config.run.initial_cash, fees=fees, sessions=sessions,
    )
    last_close = {t: float(bars.loc[: sessions[-1]].close.iloc[-1]) for t, bars in traded.items()}
    trades = build_trades(result.fills, news, sessions, last_close)

    equity = result.equity.reindex(sessions)
    equity["value_hkd"] = equity.value_hkd.ffill().fillna(config.run.initial_cash)
    equity["cash_hkd"] = equity.cash_hkd.ffill().fillna(config.run.initial_cash)
    equity["positions"] = equity.positions.ffill().fillna(0).astype(int)
    equity["benchmark_hkd"] = compute_index_benchmark(prices[universe.benchmark], sessions, config.run.initial_cash, universe.benchmark)
    if universe.proxy:
        equity["proxy_hkd"] = compute_proxy_benchmark(
            prices[universe.proxy], sessions, config.run.initial_cash, universe.lot_sizes[universe.proxy], fees, universe.proxy
        )
    equity.index.name = "session"

    warnings = list(inputs.warnings)
    no_bar = int((result.skipped.reason == "no_bar").sum())
    if no_bar:
        warnings.append(f"{no_bar} signal(s) fell on sessions where the ticker had no bar (suspended); ignored")
    if len(result.rejected):
        warnings.append(f"{len(result.rejected)} order(s) refused by the broker (not enough cash at the open)")

    metrics = compute_metrics(equity, trades, result.fills)
    simulated = config.prices.source == "synthetic"
    metrics = {
        **({"warning": SIMULATED_BANNER} if simulated else {}),
        **metrics,
        "run": {
            "name": config.run.name,
            "start": sessions[0].date().isoformat(),
            "end": sessions[-1].date().isoformat(),
            "sessions": len(sessions),
            "initial_cash_hkd": config.run.initial_cash,
            "strategy": config.strategy.name,
            "strategy_source": found.source if found.source.startswith(("built-in", "entry point")) else Path(found.source).name,
            "price_source": config.prices.source,
            "simulated_prices": simulated,
            "benchmark": universe.benchmark,
            "benchmark_costs": "none (an index cannot be traded)",
            "proxy": universe.proxy,
            "news_items": int(len(news)),
            "news_duplicates_dropped": inputs.news_report.duplicates_dropped,
            "news_tradable_in_window": int(news.tradable_session.isin(sessions).sum()),
            "signals": int(len(signals)),
            "signals_not_traded": int(len(result.skipped)),
            "orders_refused": int(len(result.rejected)),
            "config_hash": config.config_hash(),
            "data_hash": inputs.data_hash,
            "versions": package_versions(),
        },
    }
    return RunArtifacts(
        config=config, news=news, news_report=inputs.news_report, signals=signals, fills=result.fills,
        rejected=result.rejected, skipped=result.skipped, trades=trades, equity=equity, prices=prices, metrics=metrics,
        warnings=warnings,
    )


def run_pipeline(config: Config, base_dir: Path = Path("."), progress: Progress | None = None) -> RunArtifacts:
    """Run every stage of one backtest and return its artifacts (nothing is written)."""
    resolve_strategy(config, base_dir)  # an unknown strategy fails before any news is scored
    return run_variant(config, build_inputs(config, base_dir, progress), base_dir)
