"""Daily OHLCV bars for the backtest: saved CSVs, yfinance (cached), or a seeded simulation.

Every function returns *price frames* of one shape::

                     open     high      low    close      volume
    date
    2025-01-27  20118.02 20296.94 20118.02 20197.77  2751200000.0

- index: tz-naive ``DatetimeIndex`` named ``date``, one row per exchange-local session date at
  midnight (``2025-01-27`` means the Hong Kong session of that day), sorted and unique;
- columns: exactly :data:`PRICE_COLUMNS`, all float64. Prices are in the quote currency (HKD for
  ``*.HK``, index points for ``^HSI``); volume is in shares (index volume for ``^HSI``). Volume 0 is
  valid (Hong Kong half-day sessions often report it).

Sources:

- :func:`load_csv_prices` reads ``<folder>/<ticker>.csv`` in any layout :func:`read_price_csv` knows.
- :func:`fetch_yfinance_prices` downloads auto-adjusted bars and caches them per ticker. This is the
  only place in hkbt that touches the network.
- :func:`simulate_prices` makes a seeded one-factor market for the offline demo.

Bars are not aligned to the exchange calendar here; :func:`align_to_sessions` does that (and never
forward-fills: a suspended stock has no bar that day).

.. warning:: Yahoo's OHLC are *back-adjusted* for later dividends and splits, so absolute levels
   from long ago differ from the prices quoted at the time. Compare returns, not levels.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import functools
import hashlib
import itertools
import logging
import os
import re
import tempfile
import warnings
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from exchange_calendars.exchange_calendar_xhkg import XHKGExchangeCalendar

from hkbt.errors import DataError
from hkbt.files import write_text_atomic

PRICE_COLUMNS = ("open", "high", "low", "close", "volume")

_log = logging.getLogger(__name__)

_TICKER = re.compile(r"[A-Za-z0-9.^=-]+")
_DATE_HINT = "use ISO dates: YYYY-MM-DD, optionally with a time and UTC offset (2020-01-02 00:00:00+08:00)"
_CSV_FIX = "use prices.source=yfinance, or fix the file"
# A UTC offset after a clock time ("... 00:00:00+08:00", "...T09:30Z"); a bare date has none.
_UTC_OFFSET = re.compile(r"(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|[+-]\d{2}:?\d{2})$")
# Cached and freshly downloaded closes on the same day must agree this closely (relative), or Yahoo
# has re-adjusted the history (a new dividend or split) and the whole cache is downloaded again.
_SAME_ADJUSTMENT_RTOL = 1e-5


# --------------------------------------------------------------------------------------------------
# Validation shared by every source


def check_prices(frame: pd.DataFrame, where: str) -> None:
    """Raise :class:`DataError` unless ``frame`` is a usable price frame.

    Checks: the :data:`PRICE_COLUMNS` are present, there is at least one row, dates are unique,
    open/high/low/close are positive numbers and volume is a number >= 0. Row problems name the
    date of the first bad row, e.g. ``prices: 9988.HK: 2024-01-02: close is missing (NaN)``.
    """
    missing = [column for column in PRICE_COLUMNS if column not in frame.columns]
    if missing:
        raise DataError(
            where,
            f"missing column(s) {', '.join(missing)} (found: {', '.join(map(str, frame.columns))})",
            "provide open, high, low, close and volume",
        )
    if frame.empty:
        raise DataError(where, "no price rows", "check the source and the date range")
    duplicated = frame.index.duplicated()
    if duplicated.any():
        day = frame.index[duplicated][0]
        raise DataError(where, f"date {day:%Y-%m-%d} appears more than once", "keep one row per date")
    problem = _first_bad_row(frame, PRICE_COLUMNS)
    if problem is not None:
        position, what, fix = problem
        raise DataError(where, f"{frame.index[position]:%Y-%m-%d}: {what}", fix)


def _first_bad_row(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[int, str, str] | None:
    """Find the first row problem: ``(row position, what is wrong, how to fix it)`` or ``None``.

    Prices (every column except ``volume``) must be positive numbers; volume must be >= 0.
    """
    for column in columns:
        values = frame[column].to_numpy(dtype="float64")
        if column == "volume":
            out_of_range, problem = values < 0, "is negative"
            fix = "set volume to 0 or drop those rows (0 is valid, e.g. on half-day sessions)"
        else:
            out_of_range, problem = values <= 0, "is not positive"
            fix = "drop or fill those rows (e.g. carry the previous close forward) in the source data"
        missing = np.isnan(values)
        for bad, what in ((missing, "is missing (NaN)"), (out_of_range, problem)):
            if bad.any():
                position = int(np.argmax(bad))
                value = "" if missing[position] else f" ({values[position]:g})"
                count = int(bad.sum())
                more = f"; {count} rows like this" if count > 1 else ""
                return position, f"{column} {what}{value}{more}", fix
    return None


# --------------------------------------------------------------------------------------------------
# CSV files


def ticker_filename(ticker: str) -> str:
    """File name for a ticker's CSV: ``'^HSI'`` -> ``'HSI.csv'``, ``'9988.HK'`` -> ``'9988.HK.csv'``.

    Tickers come from user config, so anything that could escape the folder is refused: only
    letters, digits and ``. ^ = -`` are allowed, and no ``..``. (``^HSI`` and ``HSI`` share a file.)
    """
    name = ticker.replace("^", "")
    if not _TICKER.fullmatch(ticker) or ".." in ticker or not name.strip("."):
        raise DataError(
            f"prices: {ticker!r}",
            "not a valid ticker (only letters, digits and . ^ = - are allowed)",
            "use a Yahoo-style ticker such as 9988.HK or ^HSI",
        )
    return f"{name}.csv"


def read_price_csv(path: Path) -> pd.DataFrame:
    """Read one daily OHLCV CSV into a price frame (see the module docstring for its shape).

    Three layouts are recognised (column names in any case):

    A. yfinance ``Ticker.history()``: ``Date,Open,High,Low,Close,Volume,Dividends,Stock Splits``
       with tz-aware dates (``2020-01-02 00:00:00+08:00``). The local wall date is kept and the
       offset dropped; extra columns are ignored. A plain ``Date,Open,High,Low,Close,Volume``
       file (what the yfinance cache writes) is read the same way.
    B. yfinance ``download()``: a three-line header ``Price,Close,High,Low,Open,Volume`` /
       ``Ticker,^HSI,...`` / ``Date,,,,,`` and Close-first columns. One ticker per file.
    C. classic Yahoo: ``Date,Open,High,Low,Close,Adj Close,Volume``. Open/high/low/close are
       multiplied by ``Adj Close / Close`` so that the whole bar is adjusted.

    Problems raise :class:`DataError` whose ``where`` is the file (``path:LINE`` for a bad row):
    an empty file, missing columns, unreadable dates or numbers, duplicate dates, missing or
    non-positive prices, negative volume. Unsorted rows are sorted silently.

    Example::

        read_price_csv(Path("../shared/data/prices/HSI.csv")).loc["2025-01-27", "close"]
        # 20197.76953125 (layout B; open 20118.02, high 20296.94, low 20118.02)
    """
    path = Path(path)
    where = str(path)
    header_lines, names = _read_header(path)
    try:
        raw = pd.read_csv(
            path, skiprows=header_lines, header=None, names=names, dtype=str,
            encoding="utf-8-sig", skip_blank_lines=False,
        )
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(where, f"not a readable CSV ({exc})", _CSV_FIX) from exc
    lines = np.arange(len(raw)) + header_lines + 1  # CSV line number of each row
    blank = raw.isna().all(axis=1).to_numpy()
    raw, lines = raw.loc[~blank].reset_index(drop=True), lines[~blank]
    if raw.empty:
        raise DataError(where, "has a header but no data rows", _CSV_FIX)

    dates = _parse_dates(raw["date"], where, lines)
    numbers = [*PRICE_COLUMNS, "adj close"] if "adj close" in raw.columns else list(PRICE_COLUMNS)
    frame = pd.DataFrame({column: _parse_numbers(raw[column], where, lines) for column in numbers})
    frame.index = pd.DatetimeIndex(dates, name="date")

    duplicated = frame.index.duplicated(keep=False)
    if duplicated.any():
        day = frame.index[duplicated][0]
        twice = lines[frame.index == day]
        raise DataError(
            f"{where}:{twice[1]}",
            f"date {day:%Y-%m-%d} also appears on line {twice[0]}",
            "keep one row per date",
        )
    problem = _first_bad_row(frame, numbers)
    if problem is not None:
        position, what, fix = problem
        raise DataError(f"{where}:{lines[position]}", what, fix)

    if "adj close" in frame.columns:
        factor = frame["adj close"] / frame["close"]
        frame[["open", "high", "low", "close"]] = frame[["open", "high", "low", "close"]].mul(factor, axis=0)
    return frame[list(PRICE_COLUMNS)].sort_index()


def _read_header(path: Path) -> tuple[int, list[str]]:
    """Detect the layout: return ``(number of header lines, normalised column names)``.

    Layout B's ``Price`` / ``Ticker`` / ``Date`` header lines are recognised, and its first
    column (headed ``Price``) becomes ``date``.
    """
    where = str(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(itertools.islice(csv.reader(handle), 3))
    except FileNotFoundError as exc:
        raise DataError(where, "file not found", "check the path") from exc
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(where, f"cannot read the file ({exc})", _CSV_FIX) from exc
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise DataError(where, "file is empty", "download the prices again or remove the file")

    names = [_column_name(cell) for cell in rows[0]]
    header_lines = 1
    if names[0] == "price" and len(rows) > 1 and _column_name(rows[1][0]) == "ticker":  # layout B
        tickers = sorted({cell.strip() for cell in rows[1][1:]})
        if len(tickers) > 1:
            raise DataError(where, f"holds several tickers ({', '.join(tickers)})", "save one ticker per file")
        third = rows[2] if len(rows) > 2 else []
        index_name_line = bool(third) and _column_name(third[0]) == "date" and not any(c.strip() for c in third[1:])
        header_lines = 3 if index_name_line else 2
        names[0] = "date"  # the "Price" cell heads the date column
    elif names[0] in ("", "datetime"):
        names[0] = "date"  # an unnamed pandas index, or yfinance's intraday name

    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise DataError(where, f"column(s) {', '.join(repeated)} appear more than once", "keep one of each")
    missing = [column for column in ("date", *PRICE_COLUMNS) if column not in names]
    if missing:
        raise DataError(
            where,
            f"missing column(s) {', '.join(missing)} (found: {', '.join(names)})",
            "the CSV needs Date, Open, High, Low, Close and Volume columns (any case)",
        )
    return header_lines, names


def _column_name(cell: str) -> str:
    """``' Adj_Close '`` -> ``'adj close'``."""
    return re.sub(r"[\s_]+", " ", cell.strip().lower())


def _parse_dates(text: pd.Series, where: str, lines: np.ndarray) -> pd.DatetimeIndex:
    """ISO date strings -> local session dates at midnight (any UTC offset is dropped, not applied)."""
    local = text.str.strip().str.replace(_UTC_OFFSET, r"\1", regex=True)
    parsed = pd.to_datetime(local, format="ISO8601", errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        position = int(np.argmax(bad))
        raise DataError(f"{where}:{lines[position]}", f"cannot read date {text.iloc[position]!r}", _DATE_HINT)
    return pd.DatetimeIndex(parsed).normalize().as_unit("ns")


def _parse_numbers(text: pd.Series, where: str, lines: np.ndarray) -> pd.Series:
    """Strings -> float64; empty cells become NaN, anything else unreadable is an error."""
    values = pd.to_numeric(text.str.strip(), errors="coerce").astype("float64")
    bad = (values.isna() & text.notna()).to_numpy()
    if bad.any():
        position = int(np.argmax(bad))
        raise DataError(
            f"{where}:{lines[position]}",
            f"{text.name} is not a number ({text.iloc[position]!r})",
            "fix or drop that row",
        )
    return values


def load_csv_prices(folder: Path, tickers: Sequence[str], start: date, end: date) -> dict[str, pd.DataFrame]:
    """Read ``<folder>/<ticker_filename(ticker)>`` for each ticker, keeping dates in ``[start, end]``.

    Returns ``{ticker: price frame}`` in the order given. Raises :class:`DataError` for a missing
    folder or file (suggesting a close file name when there is one) and when a file has no rows in
    the range (naming the range it does cover).

    Example::

        load_csv_prices(Path("../shared/data/prices"), ["0700.HK", "^HSI"], date(2025, 1, 2), date(2025, 3, 31))
        # {"0700.HK": <60 rows from 0700.HK.csv>, "^HSI": <60 rows from HSI.csv>}
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(
            str(folder), "price folder not found",
            "create it and put <TICKER>.csv files there (e.g. 9988.HK.csv, HSI.csv), or use prices.source=yfinance",
        )
    frames = {}
    for ticker in tickers:
        path = folder / ticker_filename(ticker)
        if not path.is_file():
            near = difflib.get_close_matches(path.name, sorted(p.name for p in folder.glob("*.csv")), n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise DataError(
                str(path), f"no price file for {ticker}{hint}",
                f"put {path.name} there or use prices.source=yfinance",
            )
        frames[ticker] = _slice(read_price_csv(path), ticker, start, end, source=str(path))
    return frames


def _slice(frame: pd.DataFrame, ticker: str, start: date, end: date, source: str) -> pd.DataFrame:
    """Rows with ``start <= date <= end``; a :class:`DataError` naming ``source``'s range if none."""
    part = frame.loc[pd.Timestamp(start):pd.Timestamp(end)]
    if part.empty:
        raise DataError(
            f"prices: {ticker}",
            f"no rows between {start} and {end}; {source} covers "
            f"{frame.index[0]:%Y-%m-%d} .. {frame.index[-1]:%Y-%m-%d}",
            "choose run dates inside that range or get more data",
        )
    return part


# --------------------------------------------------------------------------------------------------
# yfinance with a per-ticker CSV cache

_NO_DATA = "yfinance returned no data (network unreachable, bad ticker, or no trading in range)"
_NO_DATA_FIX = "check the ticker, or use prices.source=csv with prices.csv_dir pointing at saved CSVs"


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
        frames[ticker] = _slice(frame, ticker, start, end, source=f"the yfinance cache {path}")
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
def _yfinance_log():
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
        with _yfinance_log() as reasons:
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
    frame = frame.rename(columns=lambda name: _column_name(str(name))).rename_axis(columns=None)
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


# --------------------------------------------------------------------------------------------------
# Simulation (offline demo only)

_TRADING_DAYS = 252
_BENCHMARK_VOL = 0.22  # annualised, roughly the Hang Seng Index's
_BENCHMARK_DRIFT = 0.04  # annualised
_STOCK_DRIFT = 0.05  # annualised
_TAIL_DF = 5  # Student-t degrees of freedom: fatter tails than a normal, like real daily returns


def simulate_prices(
    tickers: Sequence[str], sessions: pd.DatetimeIndex, seed: int, benchmark: str
) -> dict[str, pd.DataFrame]:
    """A seeded fake market on exactly ``sessions`` -- for the offline demo, never for research.

    One-factor model: the ``benchmark`` follows a geometric random walk with ~22 % annual
    volatility from a level of 17,000-20,000; each stock has a beta of 1.0-1.4 to it plus its own
    noise (30-45 % total annual volatility), starting between 10 and 400. Daily bars have
    overnight gaps (open != previous close), ``low <= min(open, close)``,
    ``high >= max(open, close)`` and positive volume.

    Returns ``{ticker: price frame}`` for every ticker and the benchmark (added if not listed).
    Each series depends only on ``seed`` (a non-negative int), its own name and, for stocks, the
    benchmark's path, so adding a ticker does not change the others.

    >>> sessions = pd.bdate_range("2025-01-02", "2025-03-31")
    >>> market = simulate_prices(["9988.HK"], sessions, seed=7, benchmark="^HSI")
    >>> sorted(market)
    ['9988.HK', '^HSI']
    """
    index = pd.DatetimeIndex(sessions)
    if index.empty:
        raise DataError("prices: synthetic", "no sessions to simulate", "widen the date range")
    if index.tz is not None:
        index = index.tz_localize(None)
    index = index.as_unit("ns").rename("date")
    days = len(index)

    market_rng = _rng(seed, benchmark)
    market_sigma = _BENCHMARK_VOL / np.sqrt(_TRADING_DAYS)
    market_shock = market_sigma * _unit_t(market_rng, days)
    market = _bars(
        market_rng, index, market_shock + _BENCHMARK_DRIFT / _TRADING_DAYS - market_sigma**2 / 2,
        level=market_rng.uniform(17_000, 20_000), sigma=market_sigma, volume=2.5e9,
    )
    frames = {benchmark: market}
    for ticker in tickers:
        if ticker == benchmark:
            continue
        rng = _rng(seed, ticker)
        beta = rng.uniform(1.0, 1.4)
        total_vol = rng.uniform(0.30, 0.45)
        own_vol = np.sqrt(max(total_vol**2 - (beta * _BENCHMARK_VOL) ** 2, 0.10**2))
        own_sigma = own_vol / np.sqrt(_TRADING_DAYS)
        sigma = np.hypot(beta * market_sigma, own_sigma)
        returns = beta * market_shock + own_sigma * _unit_t(rng, days) + _STOCK_DRIFT / _TRADING_DAYS - sigma**2 / 2
        level = float(np.exp(rng.uniform(np.log(10), np.log(400))))
        frames[ticker] = _bars(rng, index, returns, level=level, sigma=sigma, volume=rng.uniform(5e6, 5e7))
    return frames


def _rng(seed: int, name: str) -> np.random.Generator:
    """A generator seeded by ``seed`` and a stable hash of ``name`` (not Python's salted ``hash``)."""
    digest = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big")
    return np.random.default_rng([seed, digest])


def _unit_t(rng: np.random.Generator, size: int) -> np.ndarray:
    """Student-t draws scaled to unit variance."""
    return rng.standard_t(_TAIL_DF, size) * np.sqrt((_TAIL_DF - 2) / _TAIL_DF)


def _bars(
    rng: np.random.Generator, index: pd.DatetimeIndex, returns: np.ndarray, *, level: float, sigma: float,
    volume: float,
) -> pd.DataFrame:
    """Daily log returns -> OHLCV bars.

    About a third of each close-to-close return happens overnight (the gap to the open), the rest
    intraday; high/low reach beyond the open and close by a random fraction of daily volatility.
    Volume is lognormal around ``volume`` and rises on big moves.
    """
    days = len(index)
    close = level * np.exp(np.cumsum(returns))
    previous_close = np.concatenate([[level], close[:-1]])
    gap = returns / 3 + rng.normal(0.0, sigma / 4, days)
    open_ = previous_close * np.exp(gap)
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, sigma / 2, days)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, sigma / 2, days)))
    shares = np.round(volume * np.exp(rng.normal(0.0, 0.3, days)) * (1 + np.abs(returns) / sigma / 2))
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": np.maximum(shares, 1.0)},
        index=index,
    )


# --------------------------------------------------------------------------------------------------
# Calendar alignment


def align_to_sessions(
    frame: pd.DataFrame, sessions: pd.DatetimeIndex, ticker: str
) -> tuple[pd.DataFrame, list[pd.Timestamp]]:
    """Keep the bars dated on ``sessions``; return them and the dropped non-session dates.

    Bars outside ``sessions[0] .. sessions[-1]`` are simply cut off; bars inside that span but not
    on a session (a weekend or holiday row) are dropped and returned so the caller can warn.
    Missing sessions are **not** filled: a suspended stock has no bar that day, and a filled bar
    would let a strategy trade at a price that never existed. (In the shared data 2023-09-01 and
    2023-09-08, typhoon and rainstorm closures, are XHKG sessions without bars.)

    Example::

        aligned, dropped = align_to_sessions(frame, sessions, "9988.HK")
        for day in dropped:
            log.warning("9988.HK: dropped bar on %s (not an XHKG session)", day.date())
    """
    within = frame.loc[sessions[0]:sessions[-1]] if len(sessions) else frame.iloc[:0]
    on_session = within.index.isin(sessions)
    dropped = list(within.index[~on_session])
    aligned = within.loc[on_session]
    if aligned.empty:
        span = f"{sessions[0]:%Y-%m-%d} .. {sessions[-1]:%Y-%m-%d}" if len(sessions) else "the (empty) run range"
        raise DataError(
            f"prices: {ticker}",
            f"no bars on XHKG sessions in {span}",
            "check the run dates against the price data's date range",
        )
    return aligned, dropped
