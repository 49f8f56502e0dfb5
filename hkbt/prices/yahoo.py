"""Auto-adjusted daily bars from Yahoo through yfinance, cached per ticker as CSV (``prices.source: yfinance``).

This is the only price source that touches the network (news feeds live in :mod:`hkbt.news.feeds`).
yfinance reports failures through its logger rather than by raising, so its log lines are captured
and quoted in the :class:`DataError` an empty download becomes.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import warnings
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from exchange_calendars.exchange_calendar_xhkg import XHKGExchangeCalendar

from hkbt.errors import DataError
from hkbt.files import write_text_atomic
from hkbt.prices.csv_files import read_price_csv
from hkbt.prices.frames import PRICE_COLUMNS, check_prices, column_name, slice_dates, ticker_filename

_log = logging.getLogger(__name__)

_NO_DATA = "yfinance returned no data (network unreachable, bad ticker, or no trading in range)"
_NO_DATA_FIX = "check the ticker, or use prices.source=csv with prices.csv_dir pointing at saved CSVs"

# Cached and freshly downloaded closes on the same day must agree this closely (relative), or Yahoo
# has re-adjusted the history (a new dividend or split) and the whole cache is downloaded again.
_SAME_ADJUSTMENT_RTOL = 1e-5


def fetch_yfinance_prices(
    tickers: Sequence[str],
    start: date,
    end: date,
    cache_dir: Path,
    *,
    download: Callable[..., pd.DataFrame] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, pd.DataFrame]:
    """Auto-adjusted daily bars from Yahoo, cached as ``<cache_dir>/<ticker_filename(ticker)>``.

    Returns ``{ticker: price frame}`` with dates in ``[start, end]`` (both inclusive).

    The cache is a plain ``Date,Open,High,Low,Close,Volume`` CSV. It is used as is when it spans
    the XHKG sessions of the range (first cached date <= first session >= ``start``, last cached
    date >= last session <= ``end``). Otherwise only the missing head and/or tail is downloaded,
    each overlapping the cache by one bar: if that bar's close differs, Yahoo has re-adjusted the
    history since (a dividend or split), and the ticker is downloaded again in full so that old
    and new bars share one adjustment. The file is replaced atomically.

    Without a cache an empty download (yfinance logs errors instead of raising) or an exception
    is a :class:`DataError`. When only a head or tail is missing and the download adds no bars
    (empty, failed, or just the overlap bar), a warning is logged and the cached bars are used:
    a stock listed after ``start`` (9888.HK in 2021) has no earlier bars, and a session closed by
    a typhoon (2023-09-01) has none either.

    ``download`` defaults to :func:`yfinance.download` (tests pass a fake with its signature);
    ``progress(ticker)`` is called after each ticker is ready.

    .. warning:: a bar for a session that is still trading is partial; cached, it stays until
       the cache is next extended. Don't fetch ``end`` = today during Hong Kong trading hours.

    Example::

        fetch_yfinance_prices(["9988.HK", "^HSI"], date(2025, 1, 2), date(2025, 3, 31), Path("data/prices"))
        # downloads once, then reads data/prices/9988.HK.csv and data/prices/HSI.csv
    """
    if download is None:
        import yfinance  # heavy import; only this source needs it

        download = yfinance.download
    sessions = _xhkg_sessions(start, end)
    if sessions.empty:
        raise DataError("prices", f"no XHKG sessions between {start} and {end}", "widen the date range")
    cache_dir = Path(cache_dir)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(str(cache_dir), f"cannot create the price cache folder ({exc.strerror})",
                        "set prices.cache_dir to a writable folder") from None
    frames = {}
    for ticker in tickers:
        path = cache_dir / ticker_filename(ticker)
        frame = _cached_or_downloaded(ticker, path, start, end, sessions, download)
        frames[ticker] = slice_dates(frame, ticker, start, end, source=f"the yfinance cache {path}")
        if progress is not None:
            progress(ticker)
    return frames


def _cached_or_downloaded(
    ticker: str, path: Path, start: date, end: date, sessions: pd.DatetimeIndex, download: Callable
) -> pd.DataFrame:
    """The cached bars, extended (and saved) where they don't span ``sessions``."""
    if not path.exists():
        frame = _download_range(ticker, start, end, download, required=True)
        _write_cache(frame, path)
        return frame

    cached = _read_cache(path)
    first, last = cached.index[0], cached.index[-1]
    missing = []
    if first > sessions[0]:
        missing.append((start, first.date()))
    if last < sessions[-1]:
        missing.append((last.date(), end))
    if not missing:
        return cached
    parts = [_download_range(ticker, lo, hi, download, required=False) for lo, hi in missing]
    parts = [part for part in parts if part is not None and not part.index.difference(cached.index).empty]
    if not parts:
        _log.warning(
            "%s: yfinance has no bars to add to %s (it covers %s .. %s); using the cache as is",
            ticker, path, f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}",
        )
        return cached

    if any(not _same_adjustment(cached, part) for part in parts):
        _log.info("%s: Yahoo re-adjusted the history since it was cached; downloading it again", ticker)
        merged = _download_range(ticker, min(start, first.date()), max(end, last.date()), download, required=True)
    else:
        merged = pd.concat([cached, *parts])
        merged = merged[~merged.index.duplicated(keep="last")].sort_index()
    _write_cache(merged, path)
    return merged


def _same_adjustment(cached: pd.DataFrame, part: pd.DataFrame) -> bool:
    """Do the closes of the dates both frames hold agree (same dividend/split adjustment)?"""
    common = cached.index.intersection(part.index)
    return bool(np.allclose(
        part.loc[common, "close"], cached.loc[common, "close"], rtol=_SAME_ADJUSTMENT_RTOL, atol=0.0
    ))


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def capture_yfinance_log():
    """Keep yfinance's own log lines and pandas deprecation noise off the terminal.

    yfinance reports a failed download only through its logger; the messages
    are collected (yielded list) so the one error line we raise can quote them.
    """
    logger = logging.getLogger("yfinance")
    capture = _Capture()
    saved = logger.handlers[:], logger.propagate, logger.level
    logger.handlers, logger.propagate = [capture], False
    logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            yield capture.messages
    finally:
        logger.handlers, logger.propagate = saved[0], saved[1]
        logger.setLevel(saved[2])


def _no_data(reasons: list[str]) -> str:
    """The standard no-data message, with yfinance's own last reason when it gave one."""
    detail = next((" ".join(r.split())[:160] for r in reversed(reasons) if r.strip()), "")
    return f"{_NO_DATA} [{detail}]" if detail else _NO_DATA


def _download_range(
    ticker: str, start: date, end: date, download: Callable, *, required: bool
) -> pd.DataFrame | None:
    """One ``download`` call for ``[start, end]`` -> a checked price frame.

    If nothing comes back (an empty frame or an exception): with ``required`` raise the standard
    :class:`DataError`, otherwise log the exception and return ``None``.
    """
    try:
        with capture_yfinance_log() as reasons:
            raw = download(
                ticker,
                start=start.strftime("%Y-%m-%d"),
                end=(end + timedelta(days=1)).strftime("%Y-%m-%d"),  # yfinance's end is exclusive
                interval="1d",
                auto_adjust=True,
                actions=False,
                progress=False,
                threads=False,
                multi_level_index=True,
            )
    except Exception as exc:  # noqa: BLE001 - network and library failures of any kind
        if required:
            raise DataError(f"prices: {ticker}", _no_data([f"{type(exc).__name__}: {exc}"]), _NO_DATA_FIX) from exc
        _log.warning("%s: yfinance download of %s .. %s failed: %s", ticker, start, end, exc)
        return None
    frame = _frame_from_download(raw, ticker)
    if frame is None and required:
        raise DataError(f"prices: {ticker}", _no_data(reasons), _NO_DATA_FIX)
    return frame


def _frame_from_download(raw: pd.DataFrame | None, ticker: str) -> pd.DataFrame | None:
    """yfinance ``download()`` output -> price frame (``None`` when it holds no bars).

    Handles the 1.x ``(Price, Ticker)`` column MultiIndex (either level order) and flat columns.
    Rows with no prices at all are dropped (days without trading); partial rows are errors.
    """
    if raw is None or raw.empty:
        return None
    frame = raw
    if isinstance(frame.columns, pd.MultiIndex):
        levels = [{str(value).lower() for value in level} for level in frame.columns.levels]
        price_level = next((i for i, values in enumerate(levels) if {"open", "close"} <= values), 0)
        other = 1 - price_level
        symbols = list(frame.columns.get_level_values(other).unique())
        if len(symbols) > 1:
            matches = [s for s in symbols if str(s).upper() == ticker.upper()]
            if not matches:
                raise DataError(f"prices: {ticker}", f"yfinance returned other tickers ({symbols})", _NO_DATA_FIX)
            frame = frame.xs(matches[0], axis=1, level=other)
        else:
            frame = frame.droplevel(other, axis=1)
    frame = frame.rename(columns=lambda name: column_name(str(name))).rename_axis(columns=None)
    frame = frame[[column for column in PRICE_COLUMNS if column in frame.columns]].astype("float64")
    frame = frame.dropna(how="all", subset=[c for c in ("open", "high", "low", "close") if c in frame.columns])
    if frame.empty:
        return None
    index = pd.DatetimeIndex(frame.index)
    if index.tz is not None:
        index = index.tz_localize(None)  # keep the exchange-local wall date
    frame.index = index.normalize().as_unit("ns").rename("date")
    frame = frame.sort_index()
    check_prices(frame, f"prices: {ticker}")
    return frame


def _read_cache(path: Path) -> pd.DataFrame:
    """Read a cache file; a broken one names the file and says to delete it."""
    try:
        return read_price_csv(path)
    except DataError as exc:
        raise DataError(exc.where, exc.what, f"delete {path} to download it again") from exc


def _write_cache(frame: pd.DataFrame, path: Path) -> None:
    """Write ``Date,Open,High,Low,Close,Volume`` atomically (temp file in the same folder, then rename)."""
    table = frame.rename(columns=str.capitalize)
    table.index = table.index.strftime("%Y-%m-%d").rename("Date")
    write_text_atomic(path, table.to_csv())


@functools.lru_cache(maxsize=4)
def _xhkg_calendar(first_year: int, last_year: int) -> XHKGExchangeCalendar:
    return XHKGExchangeCalendar(start=f"{first_year}-01-01", end=f"{last_year}-12-31")


def _xhkg_sessions(start: date, end: date) -> pd.DatetimeIndex:
    """XHKG session labels in ``[start, end]``, clipped to the years the calendar library knows.

    (The library's default calendar only spans the last 20 years, so one is built per range.)
    """
    lo = max(pd.Timestamp(start), XHKGExchangeCalendar.bound_min())
    hi = min(pd.Timestamp(end), XHKGExchangeCalendar.bound_max())
    if hi < lo:
        return pd.DatetimeIndex([])
    sessions = _xhkg_calendar(lo.year, hi.year).sessions
    return sessions[(sessions >= lo) & (sessions <= hi)]
