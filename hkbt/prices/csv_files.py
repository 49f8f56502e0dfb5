"""Saved daily OHLCV CSVs: :func:`read_price_csv` reads one file in any of three layouts, and
:func:`load_csv_prices` reads one file per ticker from a folder (``prices.source: csv``).
"""

from __future__ import annotations

import csv
import difflib
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from hkbt.errors import DataError
from hkbt.prices.frames import PRICE_COLUMNS, column_name, first_bad_row, slice_dates, ticker_filename

_DATE_HINT = "use ISO dates: YYYY-MM-DD, optionally with a time and UTC offset (2020-01-02 00:00:00+08:00)"
_CSV_FIX = "use prices.source=yfinance, or fix the file"
# A UTC offset after a clock time ("... 00:00:00+08:00", "...T09:30Z"); a bare date has none.
_UTC_OFFSET = re.compile(r"(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|[+-]\d{2}:?\d{2})$")
# The same pattern spelled in ASCII classes, for text that is all ASCII: \d is then 0-9 and \s the ASCII
# characters str.isspace() accepts. As a string (not a compiled pattern) pandas hands it to pyarrow's regex
# engine, which runs over the whole column at once instead of calling re once per row (0.03 s a run).
_UTC_OFFSET_ASCII = r"([0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)[\t\n\x0b\x0c\r\x1c-\x1f ]*(?:Z|[+-][0-9]{2}:?[0-9]{2})$"


def read_price_csv(path: Path, ticker: str | None = None) -> pd.DataFrame:
    """Read one daily OHLCV CSV into a price frame (see :mod:`hkbt.prices` for its shape).

    Three layouts are recognised (column names in any case):

    A. yfinance ``Ticker.history()``: ``Date,Open,High,Low,Close,Volume,Dividends,Stock Splits``
       with tz-aware dates (``2020-01-02 00:00:00+08:00``). The local wall date is kept and the
       offset dropped; extra columns are ignored. A plain ``Date,Open,High,Low,Close,Volume``
       file (what the yfinance cache writes) is read the same way.
    B. yfinance ``download()``: a three-line header ``Price,Close,High,Low,Open,Volume`` /
       ``Ticker,^HSI,...`` / ``Date,,,,,`` and Close-first columns. One ticker per file.
    C. classic Yahoo: ``Date,Open,High,Low,Close,Adj Close,Volume``. Open/high/low/close are
       multiplied by ``Adj Close / Close`` so that the whole bar is adjusted.

    With ``ticker``, a layout-B file whose ``Ticker`` row names another ticker is refused (a file
    saved under the wrong name would otherwise trade one stock on another's prices).

    Problems raise :class:`DataError` whose ``where`` is the file (``path:LINE`` for a bad row):
    an empty file, missing columns, unreadable dates or numbers, duplicate dates, missing or
    non-positive prices, negative volume. Unsorted rows are sorted silently.

    Example::

        read_price_csv(Path("../shared/data/prices/HSI.csv")).loc["2025-01-27", "close"]
        # 20197.76953125 (layout B; open 20118.02, high 20296.94, low 20118.02)
    """
    path = Path(path)
    where = str(path)
    header_lines, names = _read_header(path, ticker)
    try:
        raw = pd.read_csv(
            path, skiprows=header_lines, header=None, names=names, dtype=str,
            encoding="utf-8-sig", skip_blank_lines=False,
        )
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(where, f"not a readable CSV ({str(exc).splitlines()[0]})", _CSV_FIX) from exc
    except OSError as exc:
        raise DataError(where, f"cannot read the file ({exc.strerror or exc})", "check its permissions") from None
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
    problem = first_bad_row(frame, numbers)
    if problem is not None:
        position, what, fix = problem
        raise DataError(f"{where}:{lines[position]}", what, fix)

    if "adj close" in frame.columns:
        factor = frame["adj close"] / frame["close"]
        frame[["open", "high", "low", "close"]] = frame[["open", "high", "low", "close"]].mul(factor, axis=0)
    return frame[list(PRICE_COLUMNS)].sort_index()


def _read_header(path: Path, ticker: str | None = None) -> tuple[int, list[str]]:
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

    names = [column_name(cell) for cell in rows[0]]
    header_lines = 1
    if names[0] == "price" and len(rows) > 1 and column_name(rows[1][0]) == "ticker":  # layout B
        tickers = sorted({cell.strip() for cell in rows[1][1:]})
        if len(tickers) > 1:
            raise DataError(where, f"holds several tickers ({', '.join(tickers)})", "save one ticker per file")
        if ticker is not None and tickers and tickers[0].lstrip("^").upper() != ticker.lstrip("^").upper():
            raise DataError(f"{where}:2", f"its Ticker row says {tickers[0]}, not {ticker}",
                            "save each ticker's prices under its own name (or fix prices.csv_files)")
        third = rows[2] if len(rows) > 2 else []
        index_name_line = bool(third) and column_name(third[0]) == "date" and not any(c.strip() for c in third[1:])
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


def _parse_dates(text: pd.Series, where: str, lines: np.ndarray) -> pd.DatetimeIndex:
    """ISO date strings -> local session dates at midnight (any UTC offset is dropped, not applied)."""
    stripped = text.str.strip()
    local = stripped.str.replace(_UTC_OFFSET_ASCII if stripped.str.isascii().all() else _UTC_OFFSET, r"\1", regex=True)
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


def load_csv_prices(
    folder: Path, tickers: Sequence[str], start: date, end: date, files: Mapping[str, Path] | None = None,
    cache_dir: Path | None = None, warn: Callable[[str], None] | None = None,
) -> dict[str, pd.DataFrame]:
    """Read ``<folder>/<ticker_filename(ticker)>`` for each ticker, keeping dates in ``[start, end]``.

    ``files`` names a file for some tickers instead (``prices.csv_files``), e.g. a
    longer index history: ``{"^HSI": Path("alt/HSI_1986-12-31_2024-08-05.csv")}``;
    relative paths there are read from ``folder``. With ``cache_dir`` a file read before
    comes from the price cache (:mod:`hkbt.prices.price_cache`), whose problems go to ``warn``.

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
    files = dict(files or {})
    try:
        return {ticker: _load_one(folder, ticker, files, start, end, cache_dir, warn or (lambda note: None)) for ticker in tickers}
    except OSError as exc:  # an unreadable folder: is_file() and glob() raise PermissionError
        raise DataError(str(folder), f"cannot read the price folder ({exc.strerror or exc})", "check its permissions") from None


def _load_one(folder: Path, ticker: str, files: Mapping[str, Path], start: date, end: date, cache_dir: Path | None,
              warn: Callable[[str], None]) -> pd.DataFrame:
    """One ticker's file from ``folder`` (or ``files``), cut to ``[start, end]``."""
    path = folder / files[ticker] if ticker in files else folder / ticker_filename(ticker)
    if ticker in files and not path.is_file():
        raise DataError(str(path), f"no such file (prices.csv_files.{ticker})", "fix the path; relative paths are read from prices.csv_dir")
    if not path.is_file():
        near = difflib.get_close_matches(path.name, sorted(p.name for p in folder.glob("*.csv")), n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        raise DataError(
            str(path), f"no price file for {ticker}{hint}",
            f"put {path.name} there or use prices.source=yfinance",
        )
    if cache_dir is None:
        frame = read_price_csv(path, ticker)
    else:
        from hkbt.prices.price_cache import read_price_csv_cached  # it reads files with read_price_csv

        frame = read_price_csv_cached(path, ticker, cache_dir, warn)
    return slice_dates(frame, ticker, start, end, source=str(path))
