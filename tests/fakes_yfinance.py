"""A stand-in for ``yfinance.download`` that answers like yfinance 1.x, from saved CSVs, offline.

Shape of a real single-ticker ``download(..., multi_level_index=True)`` result (yfinance 1.7,
``multi.py``: per-ticker ``Ticker.history`` frames are made tz-naive for daily data, concatenated
with keys, levels swapped to ``(Price, Ticker)`` and sorted, hence Close-first)::

    Price              Close          High  ...          Open      Volume
    Ticker              ^HSI          ^HSI  ...          ^HSI        ^HSI
    Date
    2021-06-24  28882.460938  28993.369141  ...  28865.460938  1723200000

On failure yfinance logs and returns an empty frame with columns
``(Adj Close|Close|High|Low|Open|Volume, TICKER)`` and an empty ``DatetimeIndex``.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pandas as pd
import yfinance

DOWNLOAD_SIGNATURE = inspect.signature(yfinance.download)


def download_frame_from_csv(path: Path, ticker: str) -> pd.DataFrame:
    """What ``yfinance.download(ticker)`` returns for every date in a saved CSV.

    Layout B files (yfinance's own ``download().to_csv()``) are read back with ``header=[0, 1]``,
    which restores the ``(Price, Ticker)`` columns exactly; layout A files (``Ticker.history()``)
    are reshaped the way ``download()`` reshapes ``history()``.
    """
    with open(path, encoding="utf-8") as handle:
        first = handle.readline()
    if first.startswith("Price,"):
        frame = pd.read_csv(path, header=[0, 1], index_col=0)
        frame.index = pd.to_datetime(frame.index).rename("Date")
        return frame
    history = pd.read_csv(path, index_col=0).drop(columns=["Dividends", "Stock Splits"])
    history.index = pd.to_datetime(history.index).tz_localize(None).rename("Date")
    history = history[sorted(history.columns)]
    history.columns = pd.MultiIndex.from_product([history.columns, [ticker.upper()]], names=["Price", "Ticker"])
    return history


def empty_download(ticker: str) -> pd.DataFrame:
    """yfinance 1.x's answer when a download fails (it only logs the error)."""
    columns = pd.MultiIndex.from_product(
        [["Adj Close", "Close", "High", "Low", "Open", "Volume"], [ticker.upper()]], names=["Price", "Ticker"]
    )
    return pd.DataFrame(index=pd.DatetimeIndex([]), columns=columns, dtype="float64")


class FakeDownload:
    """Callable with ``yfinance.download``'s exact signature, serving ``frames[ticker]``.

    Every call is bound against the real signature (so an argument yfinance does not have is a
    ``TypeError``) and recorded in :attr:`calls` as a dict of all arguments. ``start`` is
    inclusive and ``end`` exclusive, as in yfinance. Unknown tickers and empty ranges get
    :func:`empty_download`. Set :attr:`error` to make every call raise it.
    """

    def __init__(self, frames: dict[str, pd.DataFrame]) -> None:
        self.frames = frames
        self.calls: list[dict] = []
        self.error: Exception | None = None

    def __call__(self, *args, **kwargs) -> pd.DataFrame:
        bound = DOWNLOAD_SIGNATURE.bind(*args, **kwargs)
        bound.apply_defaults()
        call = dict(bound.arguments)
        self.calls.append(call)
        if self.error is not None:
            raise self.error
        ticker = call["tickers"]
        full = self.frames.get(ticker)
        if full is None:
            return empty_download(ticker)
        inside = (full.index >= pd.Timestamp(call["start"])) & (full.index < pd.Timestamp(call["end"]))
        part = full.loc[inside].copy()
        if part.empty:
            return empty_download(ticker)
        if not call["multi_level_index"]:
            part = part.droplevel(1, axis=1).rename_axis(None, axis=1)
        return part

    def starts_ends(self) -> list[tuple[str, str, str]]:
        """``(ticker, start, end)`` of every call, for compact assertions."""
        return [(c["tickers"], c["start"], c["end"]) for c in self.calls]
