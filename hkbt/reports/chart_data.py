"""Finished run folders in, chart series and audit tables out (for the HTML reports).

Two layers, one way:

- :func:`load_run` reads a *finished* run folder (``backtests/<name>/``) into a
  :class:`RunData`. It is the only function here that touches the disk.
- ``compute_*`` functions are pure: frames in, frames out, no I/O. They derive
  *display series* from what a run wrote (drawdown curve, monthly returns,
  rolling Sharpe and beta, the look-ahead audit). They never recompute a
  headline number: every figure the report prints as a statistic comes from
  ``metrics.json`` as written.

Units follow the rest of hkbt: ``_pct`` in percent (12.5 means 12.5 %),
timestamps tz-aware UTC (HKT only for display), sessions as tz-naive labels.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hkbt.errors import ConfigError, DataError
from hkbt.yaml_input import parse_yaml

if TYPE_CHECKING:
    from hkbt.config import Config
from hkbt.backtest.metrics import PERIODS_PER_YEAR

ROLLING_WINDOW = 60  # sessions

SKIPPED_FILE = "skipped.csv"
RUN_FILES = ("metrics.json", "trades.csv", "equity.csv", "signals.csv", "news.csv", "config.resolved.yaml")
PRICES_FILE = "prices.csv"
RUN_INFO_FILE = "run_info.json"


@dataclass
class RunData:
    """Everything a finished run folder holds, read back (see :func:`load_run`)."""

    folder: Path
    metrics: dict
    trades: pd.DataFrame
    equity: pd.DataFrame
    signals: pd.DataFrame
    news: pd.DataFrame
    config: dict  # settings.resolved(): every setting as plain values (for diffs between runs)
    config_text: str
    prices: pd.DataFrame | None  # long: session, ticker, open, high, low, close (None: older run folder)
    finished_at: datetime  # UTC; from run_info.json, else metrics.json's modification time
    warnings: list[str]  # the run's warnings (run_info.json; empty for older run folders)
    settings: Config  # config.resolved.yaml read through the config schema
    skipped: pd.DataFrame | None = None  # skipped.csv: signals no order cited, and why (None: older run folder)

    @property
    def name(self) -> str:
        return str(self.metrics["run"]["name"])

    @property
    def run(self) -> dict:
        return self.metrics["run"]


# ----------------------------------------------------------------------------- reading


def is_run_folder(path: Path) -> bool:
    """True for a finished run folder: a visible directory holding every run file.

    ``backtests/compare/``, ``backtests/index.html`` and the hidden staging
    folders of a run being written are never run folders.
    """
    try:
        if not path.is_dir() or path.name.startswith("."):
            return False
        if not all((path / name).is_file() for name in RUN_FILES):
            return False
        return isinstance(read_json(path / "metrics.json").get("run"), dict)
    except (ValueError, OSError, AttributeError):
        return False


def read_json(path: Path) -> object:
    """A JSON file's value; ``ValueError`` (never ``RecursionError``) for one nested absurdly deep."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise ValueError(f"{path.name} is nested too deeply") from None


def _read_csv(path: Path, text_columns: list[str], **kwargs) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={c: str for c in text_columns}, keep_default_na=False, na_values={c: [] for c in text_columns}, **kwargs)
    return _text_columns(frame, text_columns)


def _text_columns(frame: pd.DataFrame, text_columns: list[str]) -> pd.DataFrame:
    """``frame`` with its ``text_columns`` as text, missing values as "" (in place)."""
    for column in text_columns:
        if column in frame:
            frame[column] = frame[column].fillna("").astype(str)
    return frame


NEWS_TEXT_COLUMNS = ["news_id", "headline", "source", "url", "tickers", "linked_by", "topics", "scope", "themes", "language"]
"""news.csv's text columns: read as text, a blank field as "" (never NaN, whatever it says: a theme may be called "null")."""


def load_run(folder: Path) -> RunData:
    """Read a finished run folder; :class:`~hkbt.errors.DataError` if it is not one."""
    return _load_run(Path(folder), None)


def load_written_run(folder: Path, news: pd.DataFrame, settings: Config, config_text: str) -> RunData:
    """:func:`load_run` of a folder this process has just written, without reading back its two big files.

    ``news`` is the frame written to news.csv (its columns, lists already joined)
    and ``settings`` / ``config_text`` the config and the exact text written to
    config.resolved.yaml; everything else is read from ``folder``. Reading news.csv
    and validating the YAML again cost more than the rest of the folder together
    (0.08 s of 0.10 s for 20,000 items). The result equals ``load_run(folder)``
    (tested: the same frames, columns, values and dtypes up to the resolution of the
    times, and byte-identical reports).
    """
    return _load_run(Path(folder), (news, settings, config_text))


def _load_run(folder: Path, written: tuple[pd.DataFrame, Config, str] | None) -> RunData:
    missing = [name for name in RUN_FILES if not (folder / name).is_file()]
    if missing:
        raise DataError(str(folder), f"not a finished run folder ({', '.join(missing)} missing)", "run `hkbt run --name NAME` first")
    try:
        metrics = read_json(folder / "metrics.json")
        if not isinstance(metrics, dict) or not isinstance(metrics.get("run"), dict):
            raise DataError(str(folder / "metrics.json"), "no 'run' block", "re-run it with `hkbt run`")
        trades = _read_csv(folder / "trades.csv", ["ticker", "exit_reason", "news_ids", "news_published_at", "exit_news_ids"])
        for column in ("entry_session", "exit_session"):
            trades[column] = pd.to_datetime(trades[column])
        trades["entry_score"] = pd.to_numeric(trades["entry_score"], errors="coerce")  # blank: an entry no news caused
        equity = _read_equity(folder / "equity.csv")
        signals = _read_csv(folder / "signals.csv", ["ticker", "topics", "news_ids", "scope", "themes", "news_weights"])
        signals["session"] = pd.to_datetime(signals["session"])
        if written is None:
            news = _news_times(_read_csv(folder / "news.csv", NEWS_TEXT_COLUMNS))
            config_text = (folder / "config.resolved.yaml").read_text(encoding="utf-8")
            settings = _settings(folder / "config.resolved.yaml", parse_yaml(config_text, str(folder / "config.resolved.yaml"))[0])  # no alias loops or bombs
        else:
            news, settings, config_text = written
            news = _news_times(_text_columns(news.copy(deep=False), NEWS_TEXT_COLUMNS))
        prices = None
        if (folder / PRICES_FILE).is_file():
            prices = _read_csv(folder / PRICES_FILE, ["ticker"])
            prices["session"] = pd.to_datetime(prices["session"])
        skipped = None
        if (folder / SKIPPED_FILE).is_file():
            skipped = _read_csv(folder / SKIPPED_FILE, ["ticker", "reason", "detail", "news_ids"])
            skipped["session"] = pd.to_datetime(skipped["session"])
    except ConfigError as exc:  # from parse_yaml
        raise DataError(str(folder), f"cannot read config.resolved.yaml ({exc.what})", "re-run it with `hkbt run`") from None
    except (ValueError, KeyError, TypeError, OSError) as exc:
        raise DataError(str(folder), f"cannot read the run folder: {exc}", "re-run it with `hkbt run`") from None
    finished_at, warnings = load_run_info(folder)
    return RunData(folder, metrics, trades, equity, signals, news, settings.resolved(), config_text, prices, finished_at, warnings,
                   settings, skipped)


def _news_times(news: pd.DataFrame) -> pd.DataFrame:
    """news.csv's time columns as times: UTC clocks, the session a date (text as read, or times as written)."""
    news["published_at"] = pd.to_datetime(news["published_at"], utc=True, format="ISO8601")
    # runs before the news store have neither column: the publication time was the clock
    news["first_seen_at"] = pd.to_datetime(news.get("first_seen_at", pd.NaT), utc=True, format="ISO8601")
    news["available_at"] = (pd.to_datetime(news["available_at"], utc=True, format="ISO8601")
                            if "available_at" in news else news["published_at"])
    news["tradable_session"] = pd.to_datetime(news["tradable_session"])
    return news


def _settings(path: Path, raw: object):
    """The run's resolved config read through the same schema as a run's (no defaults restated here)."""
    from pydantic import ValidationError

    from hkbt.config import Config

    if not isinstance(raw, dict):
        raise DataError(str(path), "not a mapping of settings", "re-run it with `hkbt run`")
    try:
        return Config.model_validate(raw, context={"strategy": False})  # the strategy need not be findable to read a run
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(p) for p in error["loc"])
        raise DataError(str(path), f"{key}: {error['msg']} (written by another hkbt version?)", "re-run it with `hkbt run`") from None


def _read_equity(path: Path) -> pd.DataFrame:
    """equity.csv: at least one session, and finite strategy and benchmark values (the charts divide by them)."""
    equity = pd.read_csv(path, index_col="session", parse_dates=["session"])
    if equity.empty:
        raise ValueError("equity.csv has no sessions")
    for column in ("value_hkd", "benchmark_hkd"):
        values = pd.to_numeric(equity[column], errors="coerce").to_numpy(dtype="float64")
        if not np.isfinite(values).all() or (values <= 0).any():
            raise ValueError(f"equity.csv: {column} holds a value that is not a positive number")
    if not isinstance(equity.index, pd.DatetimeIndex) or equity.index.hasnans:
        raise ValueError("equity.csv: session is not a date on every row")
    return equity


def load_run_info(folder: Path) -> tuple[datetime, list[str]]:
    """When a run finished (UTC) and its warnings, from ``run_info.json``.

    Older run folders have no such file: their time is ``metrics.json``'s
    modification time and their warnings are unknown (empty).
    """
    info = Path(folder) / RUN_INFO_FILE
    if info.is_file():
        try:
            blob = read_json(info)
            finished_at = datetime.fromisoformat(blob["finished_at"])
            if finished_at.tzinfo is None:
                finished_at = finished_at.replace(tzinfo=timezone.utc)
            return finished_at, [str(line) for line in blob.get("warnings", [])]
        except (ValueError, KeyError, TypeError, AttributeError, OSError):
            pass
    return datetime.fromtimestamp((Path(folder) / "metrics.json").stat().st_mtime, tz=timezone.utc), []


# ----------------------------------------------------------------------------- series


def compute_growth(values: pd.Series) -> pd.Series:
    """Pure: an equity curve rebased to 1.0 at its first session."""
    return values / values.iloc[0]


def compute_drawdown_series(values: pd.Series) -> pd.Series:
    """Pure: per-session drawdown from the running peak, in percent (0 or negative).

    >>> s = pd.Series([100.0, 120.0, 90.0, 130.0])
    >>> compute_drawdown_series(s).tolist()
    [0.0, 0.0, -25.0, 0.0]
    """
    return 100.0 * (values / values.cummax() - 1.0)


def compute_monthly_returns(values: pd.Series) -> pd.DataFrame:
    """Pure: calendar-month returns in percent, one row per year, columns 1..12.

    Each month runs from the previous month's last close (the first month: from
    the first session's value) to its own last close, so compounding every cell
    gives the run's total return. Months outside the run are NaN.
    """
    if values.empty:
        return pd.DataFrame(columns=range(1, 13), dtype=float)
    month_end = values.groupby(values.index.to_period("M")).last()
    previous = month_end.shift(1)
    previous.iloc[0] = values.iloc[0]
    returns = 100.0 * (month_end / previous - 1.0)
    table = pd.DataFrame({"year": returns.index.year, "month": returns.index.month, "ret": returns.to_numpy()})
    return table.pivot(index="year", columns="month", values="ret").reindex(columns=range(1, 13))


def compute_excess_monthly_returns(strategy: pd.Series, benchmark: pd.Series) -> pd.DataFrame:
    """Pure: strategy minus benchmark monthly return, in percentage points."""
    return compute_monthly_returns(strategy) - compute_monthly_returns(benchmark)


def compute_rolling_sharpe(values: pd.Series, window: int = ROLLING_WINDOW, periods: int = PERIODS_PER_YEAR) -> pd.Series:
    """Pure: annualised Sharpe (risk-free 0) of daily returns over a trailing window.

    NaN until ``window`` returns exist, and where returns do not vary (flat, out of
    the market).
    """
    returns = values.pct_change()
    mean = returns.rolling(window).mean()
    std = returns.rolling(window).std(ddof=1)
    sharpe = mean / std.where(std > 1e-12) * math.sqrt(periods)
    return sharpe


def compute_rolling_beta(values: pd.Series, benchmark: pd.Series, window: int = ROLLING_WINDOW) -> pd.Series:
    """Pure: beta of daily returns on the benchmark's over a trailing window."""
    ours = values.pct_change()
    theirs = benchmark.pct_change()
    covariance = ours.rolling(window).cov(theirs)
    variance = theirs.rolling(window).var()
    return covariance / variance.where(variance > 1e-18)


# ----------------------------------------------------------------------------- look-ahead audit

AUDIT_COLUMNS = [
    "trade_id", "ticker", "news_id", "headline", "published_at", "first_seen_at", "available_at", "tradable_session",
    "calendar_session", "entry_session", "cutoff_at", "fill_at", "ok", "problem",
]


def compute_audit(trades: pd.DataFrame, news: pd.DataFrame, schedule: pd.DataFrame, cutoff_minutes: int) -> pd.DataFrame:
    """Pure: check every trade's entry against the news that caused it.

    One row per (trade, cited news item). The clock is the item's
    ``available_at`` (news.csv): when hkbt could have known it, which for news
    from the store may be later than the source's ``published_at`` (a
    back-dated or late-crawled item); for news files it is ``published_at``.
    A row is OK only if

    1. the item was available **strictly before** the cutoff of the entry session
       (``open - cutoff_minutes``), the moment the order had to be placed;
    2. the recorded ``tradable_session`` is not after the entry session;
    3. the recorded ``tradable_session`` equals the one recomputed here from the
       XHKG ``schedule`` (first session whose cutoff is later than availability);
    4. the entry session is an XHKG session, so the fill time (its open) exists.

    A cited item missing from ``news.csv`` is a violation. A trade citing no
    news (an entry not caused by news, e.g. basket_hold's) has one OK row
    saying so: no news could have been read early.

    Args:
        trades: ``trades.csv`` (``trade_id``, ``ticker``, ``entry_session``,
            ``news_ids`` and ``news_published_at``, ";"-joined).
        news: ``news.csv`` (``news_id``, ``headline``, ``tradable_session``,
            and ``first_seen_at`` / ``available_at`` when the run wrote them).
        schedule: XHKG sessions with tz-aware UTC ``open`` (see
            :func:`hkbt.news.sessions.xhkg_schedule`) covering publication to entry.
        cutoff_minutes: ``signals.cutoff_before_open_minutes`` of the run.

    Returns:
        :data:`AUDIT_COLUMNS`; every time in UTC.
    """
    cutoff = pd.Timedelta(minutes=int(cutoff_minutes))
    cited = {i for joined in trades.news_ids.tolist() for i in str(joined).split(";") if i}
    cited_news = news[news.news_id.isin(cited)] if len(news) else news  # only cited items are looked up
    by_id = cited_news.set_index("news_id") if len(news) else pd.DataFrame(columns=["headline", "tradable_session"])
    opens = pd.DatetimeIndex(schedule["open"]) if len(schedule) else pd.DatetimeIndex([], tz="UTC")
    labels = schedule.index
    cutoffs = opens - cutoff
    rows = []
    for trade in trades.itertuples(index=False):
        entry = pd.Timestamp(trade.entry_session)
        fill_at = opens[labels.get_loc(entry)] if entry in labels else pd.NaT
        cutoff_at = fill_at - cutoff if fill_at is not pd.NaT else pd.NaT
        ids = [i for i in str(trade.news_ids).split(";") if i]
        published = [p for p in str(trade.news_published_at).split(";") if p]
        base = {"trade_id": trade.trade_id, "ticker": trade.ticker, "entry_session": entry, "fill_at": fill_at, "cutoff_at": cutoff_at}
        if not ids:  # an entry no news caused (basket_hold, a rebalance): nothing it could have read early
            rows.append(base | {"news_id": "", "headline": "", "published_at": pd.NaT, "first_seen_at": pd.NaT,
                                "available_at": pd.NaT, "tradable_session": pd.NaT, "calendar_session": pd.NaT,
                                "ok": True, "problem": "no news cited: the entry was not news-driven"})
            continue
        for position, news_id in enumerate(ids):
            stamp = published[position] if position < len(published) else None
            rows.append(base | _audit_item(news_id, stamp, entry, fill_at, cutoff_at, by_id, cutoffs, labels))
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS)


def _audit_item(news_id: str, stamp: str | None, entry: pd.Timestamp, fill_at, cutoff_at, by_id: pd.DataFrame,
                cutoffs: pd.DatetimeIndex, labels: pd.Index) -> dict:
    """One cited item of one trade, checked against the rules of :func:`compute_audit`.

    The clock is news.csv's ``available_at`` when the run wrote it, else the publication time.
    """
    known = news_id in by_id.index
    if stamp is None and known:
        stamp = by_id.loc[news_id, "published_at"]
    published_at = _utc(stamp)
    first_seen = _utc(by_id.loc[news_id, "first_seen_at"]) if known and "first_seen_at" in by_id else pd.NaT
    available = _utc(by_id.loc[news_id, "available_at"]) if known and "available_at" in by_id else pd.NaT
    clock = published_at if available is pd.NaT else available
    recorded = pd.Timestamp(by_id.loc[news_id, "tradable_session"]) if known else pd.NaT
    calendar = pd.NaT
    if clock is not pd.NaT and len(cutoffs):
        position = int(np.searchsorted(cutoffs.asi8, clock.as_unit(cutoffs.unit).value, side="right"))
        calendar = labels[position] if position < len(labels) else pd.NaT
    late = ("published after the order cutoff of the entry session" if available is pd.NaT or available == published_at
            else "available (first seen) after the order cutoff of the entry session")
    checks = [
        (not known, "news item not in news.csv"),
        (known and published_at is not pd.NaT and published_at != _utc(by_id.loc[news_id, "published_at"]),
         "trades.csv and news.csv disagree on when it was published"),
        (fill_at is pd.NaT, "entry session is not an XHKG session"),
        (clock is pd.NaT, "no publication time"),
        (clock is not pd.NaT and cutoff_at is not pd.NaT and not clock < cutoff_at, late),
        (recorded is not pd.NaT and recorded > entry, "entered before the news was tradable"),
        (known and (recorded is pd.NaT or calendar is pd.NaT or recorded != calendar),
         "recorded tradable session disagrees with the XHKG calendar"),
    ]
    problems = [text for failed, text in checks if failed]
    return {
        "news_id": news_id, "headline": str(by_id.loc[news_id, "headline"]) if known else "",
        "published_at": published_at, "first_seen_at": first_seen, "available_at": clock,
        "tradable_session": recorded, "calendar_session": calendar, "ok": not problems, "problem": "; ".join(problems),
    }


def _utc(stamp) -> pd.Timestamp:
    """A time from trades.csv / news.csv as a tz-aware UTC Timestamp (NaT for a blank)."""
    if stamp is None or (not isinstance(stamp, str) and pd.isna(stamp)) or stamp == "":
        return pd.NaT
    stamp = pd.Timestamp(stamp)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def compute_audit_summary(audit: pd.DataFrame, trade_count: int) -> dict[str, int]:
    """Pure: ``{"trades": N, "violations": trades with any non-OK row, "items": rows}``."""
    bad = audit.loc[~audit.ok.astype(bool), "trade_id"].nunique() if len(audit) else 0
    return {"trades": int(trade_count), "violations": int(bad), "items": int(len(audit))}


# ----------------------------------------------------------------------------- news usage


def compute_news_usage(trades: pd.DataFrame) -> dict[str, list[int]]:
    """Pure: news_id -> ids of the trades whose entry it caused."""
    used: dict[str, list[int]] = {}
    for trade_id, ids in zip(trades.trade_id, trades.news_ids):
        for news_id in str(ids).split(";"):
            if news_id:
                used.setdefault(news_id, []).append(int(trade_id))
    return used


def compute_news_by_ticker(signals: pd.DataFrame, news: pd.DataFrame, tickers: list[str]) -> dict[str, pd.DataFrame]:
    """Pure: for each ticker, the news items behind its signal rows plus the items naming it, in news order.

    Market-wide policy items (naming no company) count for every ticker whose
    signal they fed, so they appear in each of those panels. The signals' id
    lists and the news' ticker lists are each split once for all tickers (Arrow
    columns are iterated as Python lists: per value, Arrow calls Python).
    """
    wanted = set(tickers)
    cited: dict[str, set[str]] = {ticker: set() for ticker in tickers}
    for ticker, joined in zip(signals.ticker.tolist(), signals.news_ids.tolist()):
        if ticker in wanted:
            cited[ticker].update(str(joined).split(";"))
    for ids in cited.values():
        ids.discard("")
    named: dict[str, list[int]] = {ticker: [] for ticker in tickers}
    for position, joined in enumerate(news.tickers.astype(str).tolist()):
        for ticker in joined.split(";"):
            if ticker in wanted:
                named[ticker].append(position)
    index = pd.Index(news.news_id.to_numpy(dtype=object))  # hashed once for every ticker's lookups
    found = {}
    for ticker in tickers:
        rows = np.zeros(len(news), dtype=bool)
        at = index.get_indexer_for(sorted(cited[ticker]))  # every row of an id, should a hand-edited news.csv repeat one
        rows[at[at >= 0]] = True
        rows[named[ticker]] = True
        found[ticker] = news[rows]
    return found


def split_by_ticker(frame: pd.DataFrame, tickers: list[str]) -> dict[str, pd.DataFrame]:
    """Pure: each ticker's rows of ``frame``, the frames ``frame[frame.ticker == ticker]`` would give, in one pass.

    >>> frame = pd.DataFrame({"ticker": ["A", "B", "A"], "x": [1, 2, 3]})
    >>> {t: rows.x.tolist() for t, rows in split_by_ticker(frame, ["A", "C"]).items()}
    {'A': [1, 3], 'C': []}
    """
    groups = dict(list(frame.groupby("ticker", sort=False))) if len(frame) else {}
    return {ticker: groups[ticker] if ticker in groups else frame[frame.ticker == ticker] for ticker in tickers}


def flatten_config(config: dict, prefix: str = "") -> dict[str, object]:
    """Pure: nested dict -> ``{"strategy.entry_threshold": 0.5, ...}`` (lists kept whole)."""
    flat: dict[str, object] = {}
    for key, value in config.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat |= flatten_config(value, f"{path}.")
        else:
            flat[path] = value
    return flat
