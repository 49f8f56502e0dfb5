"""Simulated prices (``prices.source: synthetic``): a seeded one-factor market for the offline demo."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from hkbt.errors import DataError

SIMULATED_BANNER = "SIMULATED PRICES"
"""Said by every output of a run on simulated prices: terminal, metrics.json, reports."""

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
