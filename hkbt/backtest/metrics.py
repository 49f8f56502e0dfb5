"""Performance statistics: equity curves and trades in, a flat dict out.

``compute_metrics`` is pure: no I/O, no drawing. Return statistics come from
:mod:`hkbt.backtest.return_stats` (daily returns, ``PERIODS_PER_YEAR`` = 252,
risk-free rate 0); trade statistics come from the round trips. Every key carries its
unit: ``_pct`` is in percent (12.5 means 12.5 %), ``_hkd`` in Hong Kong
dollars, ``_days`` in exchange sessions; ratios have no suffix.

=================================  ============================================
key                                meaning
=================================  ============================================
total_return_pct                   final / initial equity - 1
cagr_pct                           compound annual growth (sessions / 252 years)
annual_volatility_pct              std of daily returns x sqrt(252)
sharpe, sortino                    annualised, risk-free 0
max_drawdown_pct                   worst peak-to-trough fall (negative)
max_drawdown_peak / _trough        sessions of that peak and trough
max_drawdown_recovery              first session back at the peak, or null
calmar                             CAGR / |max drawdown|
trades                             round trips (open ones included)
win_rate_pct                       trades with pnl_hkd > 0 over all trades
profit_factor                      gross profit / gross loss (null if no loss)
avg_holding_days                   mean sessions held
exposure_pct                       sessions ending with a position / sessions
total_costs_hkd                    all fees paid (both sides, every fill)
final_equity_hkd                   equity at the last close
benchmark_total_return_pct         buy-and-hold index, same window
benchmark_cagr_pct                 ''
benchmark_max_drawdown_pct         ''
benchmark_annual_volatility_pct    '' (and benchmark_sharpe, _sortino, _calmar:
                                   the side-by-side columns of the report)
excess_return_pct                  total_return_pct - benchmark_total_return_pct
alpha_pct, beta                    CAPM regression of daily returns on the index
                                   (alpha annualised)
information_ratio                  mean/std of daily excess returns (not annualised)
correlation                        of daily returns with the index
=================================  ============================================
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hkbt.backtest import return_stats as rs
from hkbt.backtest.return_stats import PERIODS_PER_YEAR

__all__ = ["PERIODS_PER_YEAR", "compute_drawdown", "compute_return_stats", "compute_relative_stats",
           "compute_trade_stats", "compute_metrics"]


def _num(value: float | None, digits: int = 6) -> float | None:
    """Round for JSON; NaN/inf become None (JSON has no NaN)."""
    if value is None:
        return None
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def compute_drawdown(equity: pd.Series) -> dict[str, object]:
    """Worst drawdown of an equity curve, with the sessions that bound it.

    >>> s = pd.Series([100, 120, 90, 130], index=pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-06", "2025-01-07"]))
    >>> d = compute_drawdown(s); d["max_drawdown_pct"], str(d["max_drawdown_trough"])
    (-25.0, '2025-01-06')
    """
    peak = equity.cummax()
    drawdown = equity / peak - 1.0
    trough = drawdown.idxmin()
    if drawdown.loc[trough] == 0:
        return {"max_drawdown_pct": 0.0, "max_drawdown_peak": None, "max_drawdown_trough": None, "max_drawdown_recovery": None}
    peak_session = equity.loc[:trough].idxmax()
    after = equity.loc[trough:]
    recovered = after[after >= equity.loc[peak_session]]
    return {
        "max_drawdown_pct": 100.0 * float(drawdown.loc[trough]),
        "max_drawdown_peak": peak_session.date().isoformat(),
        "max_drawdown_trough": trough.date().isoformat(),
        "max_drawdown_recovery": recovered.index[0].date().isoformat() if len(recovered) else None,
    }


def compute_return_stats(equity: pd.Series, prefix: str = "") -> dict[str, float | None]:
    """Total return, CAGR, volatility, Sharpe, Sortino, Calmar and drawdown of one value curve."""
    values = equity.to_numpy(dtype=np.float64)
    returns = rs.daily_returns(values)
    drawdown = compute_drawdown(equity)
    stats = {
        "total_return_pct": 100.0 * (values[-1] / values[0] - 1.0),
        "cagr_pct": 100.0 * rs.cagr(returns),
        "annual_volatility_pct": 100.0 * rs.annual_volatility(returns),
        "sharpe": rs.sharpe(returns),
        "sortino": rs.sortino(returns),
        "calmar": rs.calmar(returns, values),
    } | drawdown
    return {f"{prefix}{k}": (v if isinstance(v, str) or v is None else _num(v)) for k, v in stats.items()}


def compute_relative_stats(strategy: pd.Series, benchmark: pd.Series) -> dict[str, float | None]:
    """Alpha, beta, information ratio and correlation of daily returns."""
    ours = rs.daily_returns(strategy.to_numpy(dtype=np.float64))
    theirs = rs.daily_returns(benchmark.to_numpy(dtype=np.float64))
    alpha, beta = rs.alpha_beta(ours, theirs)
    return {
        "alpha_pct": _num(100.0 * alpha),
        "beta": _num(beta),
        "information_ratio": _num(rs.information_ratio(ours, theirs)),
        "correlation": _num(rs.correlation(ours, theirs)),
    }


def compute_trade_stats(trades: pd.DataFrame, equity: pd.DataFrame, fills: pd.DataFrame) -> dict[str, float | int | None]:
    """Counts, win rate, profit factor, holding time, exposure and costs."""
    pnl = trades.pnl_hkd
    losses = -pnl[pnl < 0].sum()
    return {
        "trades": int(len(trades)),
        "win_rate_pct": _num(100.0 * (pnl > 0).mean()) if len(trades) else None,
        "profit_factor": _num(pnl[pnl > 0].sum() / losses) if losses > 0 else None,
        "avg_holding_days": _num(trades.holding_days.mean()) if len(trades) else None,
        "exposure_pct": _num(100.0 * (equity.positions > 0).mean()),
        "total_costs_hkd": _num(fills.costs_hkd.sum(), 2),
    }


def compute_metrics(equity: pd.DataFrame, trades: pd.DataFrame, fills: pd.DataFrame) -> dict[str, object]:
    """Pure: every headline statistic of a run.

    Args:
        equity: per session, ``value_hkd`` (strategy), ``benchmark_hkd``,
            optionally ``proxy_hkd``, and ``positions``.
        trades: :func:`hkbt.backtest.trades.build_trades` output.
        fills: the executed orders (for costs).
    """
    strategy = equity.value_hkd
    metrics = compute_return_stats(strategy)
    metrics |= compute_trade_stats(trades, equity, fills)
    metrics["final_equity_hkd"] = _num(strategy.iloc[-1], 2)
    bench = compute_return_stats(equity.benchmark_hkd, prefix="benchmark_")
    metrics |= {k: bench[k] for k in ("benchmark_total_return_pct", "benchmark_cagr_pct", "benchmark_max_drawdown_pct",
                                      "benchmark_annual_volatility_pct", "benchmark_sharpe", "benchmark_sortino", "benchmark_calmar")}
    metrics["excess_return_pct"] = _num(metrics["total_return_pct"] - metrics["benchmark_total_return_pct"])
    metrics |= compute_relative_stats(strategy, equity.benchmark_hkd)
    if "proxy_hkd" in equity:
        proxy = compute_return_stats(equity.proxy_hkd, prefix="proxy_")
        metrics |= {k: proxy[k] for k in ("proxy_total_return_pct", "proxy_cagr_pct", "proxy_max_drawdown_pct")}
    return metrics

