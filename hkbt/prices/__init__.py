"""Daily OHLCV bars for the backtest: saved CSVs, yfinance (cached), or a seeded simulation.

Every source returns *price frames* of one shape::

                     open     high      low    close      volume
    date
    2025-01-27  20118.02 20296.94 20118.02 20197.77  2751200000.0

- index: tz-naive ``DatetimeIndex`` named ``date``, one row per exchange-local session date at
  midnight (``2025-01-27`` means the Hong Kong session of that day), sorted and unique;
- columns: exactly :data:`PRICE_COLUMNS`, all float64. Prices are in the quote currency (HKD for
  ``*.HK``, index points for ``^HSI``); volume is in shares (index volume for ``^HSI``). Volume 0 is
  valid (Hong Kong half-day sessions often report it).

Sources, one module each:

- :mod:`~hkbt.prices.csv_files`: :func:`load_csv_prices` reads ``<folder>/<ticker>.csv`` in any
  layout :func:`read_price_csv` knows.
- :mod:`~hkbt.prices.yahoo`: :func:`fetch_yfinance_prices` downloads auto-adjusted bars and caches
  them per ticker. This is the only place in hkbt that touches the network.
- :mod:`~hkbt.prices.synthetic`: :func:`simulate_prices` makes a seeded one-factor market for the
  offline demo.

:mod:`~hkbt.prices.frames` holds what they share: the frame contract (:func:`check_prices`), cache
and CSV file names (:func:`ticker_filename`) and :func:`align_to_sessions`. Bars are not aligned to
the exchange calendar by the sources; :func:`align_to_sessions` does that (and never forward-fills:
a suspended stock has no bar that day).

.. warning:: Yahoo's OHLC are *back-adjusted* for later dividends and splits, so absolute levels
   from long ago differ from the prices quoted at the time. Compare returns, not levels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from hkbt.prices.csv_files import load_csv_prices, read_price_csv
from hkbt.prices.frames import PRICE_COLUMNS, align_to_sessions, check_prices, ticker_filename
from hkbt.prices.synthetic import SIMULATED_BANNER, simulate_prices


@dataclass(frozen=True)
class PriceRequest:
    """What a price source is asked for: tickers over [first, last] (with warm-up) and how to find them.

    ``settings`` is the config's ``prices:`` section, with its paths already
    resolved against the config's folder.
    """

    tickers: list[str]
    first: date
    last: date
    sessions: pd.DatetimeIndex  # every XHKG session in [first, last]
    benchmark: str
    settings: Any
    progress: Callable[[str], None] | None = None
    cache_dir: Path | None = None  # the run's cache folder (parsed price files are kept there), if any
    warn: Callable[[str], None] | None = None  # told about cache problems (the run goes on)


def __getattr__(name: str) -> Any:
    """``fetch_yfinance_prices`` on first use: the Yahoo module imports ``exchange_calendars``, which a
    run from CSV files with a cached calendar never needs (see :mod:`hkbt.news.calendar_cache`)."""
    if name == "fetch_yfinance_prices":
        from hkbt.prices.yahoo import fetch_yfinance_prices

        return fetch_yfinance_prices
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


PRICE_SOURCES: dict[str, Callable[[PriceRequest], dict[str, pd.DataFrame]]] = {
    "yfinance": lambda r: __getattr__("fetch_yfinance_prices")(r.tickers, r.first, r.last, Path(r.settings.cache_dir), progress=r.progress),
    "csv": lambda r: load_csv_prices(Path(r.settings.csv_dir), r.tickers, r.first, r.last, r.settings.csv_files, r.cache_dir, r.warn),
    "synthetic": lambda r: simulate_prices(r.tickers, r.sessions, r.settings.seed, r.benchmark),
}
"""Registry: ``prices.source`` name -> loader (ticker -> raw bars). The config accepts exactly these names."""

__all__ = [
    "PRICE_COLUMNS",
    "PRICE_SOURCES",
    "PriceRequest",
    "SIMULATED_BANNER",
    "align_to_sessions",
    "check_prices",
    "fetch_yfinance_prices",
    "load_csv_prices",
    "read_price_csv",
    "simulate_prices",
    "ticker_filename",
]
