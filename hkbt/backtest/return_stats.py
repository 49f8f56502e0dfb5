"""Statistics of a daily return series, in plain NumPy (no 2-second library import for 50 ms of sums).

Every function takes simple daily returns as a 1-D float array (``r[t] = V[t] / V[t-1] - 1``),
annualises with ``periods`` per year (252 sessions), and assumes a risk-free rate of 0. A
value that does not exist (a flat curve has no Sharpe ratio, a series without losses no
Sortino ratio) is NaN, which :mod:`hkbt.backtest.metrics` writes as ``null``.

The definitions are the usual ones, as quantstats computes them (hkbt used quantstats for
these figures before; its numbers and these agree to the last printed digit, checked on
real runs when the module was written):

==================  =====================================================================
cagr                ``prod(1 + r) ** (periods / n) - 1`` (n returns = n / periods years)
annual_volatility   ``std(r, ddof=1) * sqrt(periods)``
sharpe              ``mean(r) / std(r, ddof=1) * sqrt(periods)``
sortino             ``mean(r) / sqrt(sum(r[r < 0] ** 2) / n) * sqrt(periods)``
max_drawdown        worst ``V / running max(V) - 1`` of the value curve (a fraction <= 0)
calmar              ``cagr / |max_drawdown|``
alpha_beta          OLS of ``r`` on the benchmark's ``b``: ``beta = cov(r, b) / var(b)``,
                    ``alpha = (mean(r) - beta * mean(b)) * periods``
information_ratio   ``mean(r - b) / std(r - b, ddof=1)`` (per period, not annualised)
correlation         Pearson correlation of ``r`` and ``b``
skewness, kurtosis  third and fourth standardised moments (population form; kurtosis is
                    *not* excess: a normal distribution has 3), as the deflated Sharpe
                    ratio needs them
==================  =====================================================================

>>> r = np.array([0.10, -0.10, 0.10, 0.10])
>>> round(sharpe(r, periods=1), 6)   # mean 0.05 / std 0.1
0.5
>>> round(max_drawdown(np.array([100.0, 110.0, 99.0, 108.9])), 6)
-0.1
"""

from __future__ import annotations

import math

import numpy as np

PERIODS_PER_YEAR = 252


def daily_returns(values: np.ndarray) -> np.ndarray:
    """``values[1:] / values[:-1] - 1``: the returns of a value curve (one fewer than values)."""
    values = np.asarray(values, dtype=np.float64)
    return values[1:] / values[:-1] - 1.0


def _std(returns: np.ndarray) -> float:
    return float(np.std(returns, ddof=1)) if len(returns) > 1 else math.nan


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when the denominator is 0 or NaN (no ratio exists)."""
    if not denominator or math.isnan(denominator):
        return math.nan
    return numerator / denominator


def cagr(returns: np.ndarray, periods: int = PERIODS_PER_YEAR) -> float:
    """Compound annual growth rate; NaN without returns."""
    if not len(returns):
        return math.nan
    growth = float(np.prod(1.0 + returns))
    return math.nan if growth < 0 else growth ** (periods / len(returns)) - 1.0


def annual_volatility(returns: np.ndarray, periods: int = PERIODS_PER_YEAR) -> float:
    """Sample standard deviation of the returns, annualised."""
    return _std(returns) * math.sqrt(periods)


def sharpe(returns: np.ndarray, periods: int = PERIODS_PER_YEAR) -> float:
    """Annualised Sharpe ratio (risk-free 0); ``periods=1`` gives the per-period ratio."""
    if not len(returns):
        return math.nan
    return _ratio(float(np.mean(returns)), _std(returns)) * math.sqrt(periods)


def sortino(returns: np.ndarray, periods: int = PERIODS_PER_YEAR) -> float:
    """Annualised Sortino ratio: the mean over the root mean square of the losses (all n in the mean)."""
    if not len(returns):
        return math.nan
    losses = returns[returns < 0]
    downside = math.sqrt(float(np.sum(losses**2)) / len(returns))
    return _ratio(float(np.mean(returns)), downside) * math.sqrt(periods)


def max_drawdown(values: np.ndarray) -> float:
    """Worst fall from a running peak of a value curve, as a fraction (``-0.25`` = 25 % down); 0 if it never fell."""
    values = np.asarray(values, dtype=np.float64)
    if not len(values):
        return math.nan
    return float(np.min(values / np.maximum.accumulate(values) - 1.0))


def calmar(returns: np.ndarray, values: np.ndarray, periods: int = PERIODS_PER_YEAR) -> float:
    """CAGR over the absolute maximum drawdown of ``values`` (NaN if it never fell)."""
    return _ratio(cagr(returns, periods), abs(max_drawdown(values)))


def alpha_beta(returns: np.ndarray, benchmark: np.ndarray, periods: int = PERIODS_PER_YEAR) -> tuple[float, float]:
    """``(alpha, beta)`` of the returns on the benchmark's; alpha annualised. NaN when the benchmark never moved.

    Pairs where either side is NaN are left out.
    """
    r, b = _paired(returns, benchmark)
    if len(r) < 2:
        return math.nan, math.nan
    covariance = np.cov(r, b, ddof=1)
    beta = _ratio(float(covariance[0, 1]), float(covariance[1, 1]))
    return (float(np.mean(r)) - beta * float(np.mean(b))) * periods, beta


def information_ratio(returns: np.ndarray, benchmark: np.ndarray) -> float:
    """Mean over standard deviation of the active returns ``r - b``, per period (not annualised)."""
    r, b = _paired(returns, benchmark)
    active = r - b
    return _ratio(float(np.mean(active)), _std(active)) if len(active) else math.nan


def correlation(returns: np.ndarray, benchmark: np.ndarray) -> float:
    """Pearson correlation (NaN if either side is constant)."""
    r, b = _paired(returns, benchmark)
    if len(r) < 2:
        return math.nan
    r, b = r - r.mean(), b - b.mean()
    return _ratio(float(np.sum(r * b)), math.sqrt(float(np.sum(r * r)) * float(np.sum(b * b))))


def skewness(returns: np.ndarray) -> float:
    """Third standardised moment ``m3 / m2 ** 1.5`` (population moments); NaN for a constant series."""
    centred = np.asarray(returns, dtype=np.float64) - np.mean(returns)
    m2 = float(np.mean(centred**2))
    return _ratio(float(np.mean(centred**3)), m2**1.5)


def kurtosis(returns: np.ndarray) -> float:
    """Fourth standardised moment ``m4 / m2 ** 2`` (population moments; 3 for a normal distribution)."""
    centred = np.asarray(returns, dtype=np.float64) - np.mean(returns)
    m2 = float(np.mean(centred**2))
    return _ratio(float(np.mean(centred**4)), m2**2)


def _paired(returns: np.ndarray, benchmark: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r, b = np.asarray(returns, dtype=np.float64), np.asarray(benchmark, dtype=np.float64)
    both = ~(np.isnan(r) | np.isnan(b))
    return r[both], b[both]
