"""The price-frame contract every source meets (see :mod:`hkbt.prices`) and the helpers they share.

Pure functions: nothing here reads files or the network.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from hkbt.errors import DataError

PRICE_COLUMNS = ("open", "high", "low", "close", "volume")

_TICKER = re.compile(r"[A-Za-z0-9.^=-]+")


def check_prices(frame: pd.DataFrame, where: str) -> None:
    """Raise :class:`DataError` unless ``frame`` is a usable price frame.

    Checks: the :data:`PRICE_COLUMNS` are present, there is at least one row, dates are unique,
    open/high/low/close are finite positive numbers, volume is a finite number >= 0, and every bar
    has ``low <= open, close <= high`` (see :func:`first_bad_row`). Row problems name the
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
    problem = first_bad_row(frame, PRICE_COLUMNS)
    if problem is not None:
        position, what, fix = problem
        raise DataError(where, f"{frame.index[position]:%Y-%m-%d}: {what}", fix)


def first_bad_row(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[int, str, str] | None:
    """Find the first row problem: ``(row position, what is wrong, how to fix it)`` or ``None``.

    Prices (every column except ``volume``) must be finite positive numbers; volume must be a
    finite number >= 0; and each bar must be a bar: ``low <= open, close <= high`` (within half a
    unit of the fourth decimal, what a CSV rounded to 4 places can lose).
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
        for bad, what in ((missing, "is missing (NaN)"), (np.isinf(values), "is infinite"), (out_of_range, problem)):
            if bad.any():
                return _first(bad, values, f"{column} {what}", fix, show=not missing[int(np.argmax(bad))])
    if all(column in columns for column in ("open", "high", "low", "close")):
        o, h, lo, c = (frame[column].to_numpy(dtype="float64") for column in ("open", "high", "low", "close"))
        slack = 5e-5 + 1e-9 * np.abs(h)
        fix = "fix the bar in the source data (columns swapped, or a bad tick)"
        for bad, what, values in (
            (lo > h + slack, "high is below low", h),
            (np.maximum(o, c) > h + slack, "high is below the open or close", h),
            (np.minimum(o, c) < lo - slack, "low is above the open or close", lo),
        ):
            if bad.any():
                return _first(bad, values, what, fix, show=True)
    return None


def _first(bad: np.ndarray, values: np.ndarray, what: str, fix: str, show: bool) -> tuple[int, str, str]:
    position = int(np.argmax(bad))
    value = f" ({values[position]:g})" if show else ""
    count = int(bad.sum())
    more = f"; {count} rows like this" if count > 1 else ""
    return position, f"{what}{value}{more}", fix


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


def column_name(cell: str) -> str:
    """A CSV header cell or yfinance column as a column name: ``' Adj_Close '`` -> ``'adj close'``."""
    return re.sub(r"[\s_]+", " ", cell.strip().lower())


def slice_dates(frame: pd.DataFrame, ticker: str, start: date, end: date, source: str) -> pd.DataFrame:
    """Rows with ``start <= date <= end``; a :class:`DataError` naming ``source``'s range if none."""
    part = frame.loc[pd.Timestamp(start):pd.Timestamp(end)]
    if part.empty:
        raise DataError(
            f"prices: {ticker}",
            f"no rows between {start} and {end}; {source} covers "
            f"{frame.index[0]:%Y-%m-%d} .. {frame.index[-1]:%Y-%m-%d}",
            "choose run dates inside that range, drop the ticker from universe.tickers, or get more data",
        )
    return part


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
