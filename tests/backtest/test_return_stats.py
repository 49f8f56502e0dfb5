"""hkbt.backtest.return_stats against numbers worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hkbt.backtest import return_stats as rs
from hkbt.backtest.metrics import compute_metrics

R = np.array([0.10, -0.10, 0.10, 0.10])  # value 100 -> 110 -> 99 -> 108.9 -> 119.79
B = np.array([0.05, -0.10, 0.05, 0.05])
VALUES = np.array([100.0, 110.0, 99.0, 108.9, 119.79])


def test_returns_of_a_value_curve() -> None:
    assert rs.daily_returns(VALUES) == pytest.approx(R)


def test_growth_volatility_and_ratios_by_hand() -> None:
    # mean 0.05; deviations .05 -.15 .05 .05 -> squares sum 0.03 -> variance 0.01 (ddof 1) -> std 0.1
    assert rs.annual_volatility(R, periods=4) == pytest.approx(0.1 * 2)
    assert rs.sharpe(R, periods=4) == pytest.approx(0.05 / 0.1 * 2)
    # downside: one loss of 0.1 -> sqrt(0.01 / 4) = 0.05 -> 0.05 / 0.05 = 1 per period
    assert rs.sortino(R, periods=4) == pytest.approx(1.0 * 2)
    # 4 returns at 4 periods a year = one year: CAGR = total return = 19.79 %
    assert rs.cagr(R, periods=4) == pytest.approx(0.1979)
    assert rs.cagr(R, periods=2) == pytest.approx(1.1979 ** 0.5 - 1)  # two years
    assert rs.max_drawdown(VALUES) == pytest.approx(-0.1)
    assert rs.calmar(R, VALUES, periods=4) == pytest.approx(0.1979 / 0.1)


def test_benchmark_relative_by_hand() -> None:
    # b: mean 0.0125, deviations .0375 -.1125 .0375 .0375 -> var = (3 * .00140625 + .01265625) / 3 = .016875 / 3
    var_b = 0.016875 / 3
    # cov: (.05 * .0375) * 3 + (-.15 * -.1125) = .005625 + .016875 = .0225 -> / 3
    cov = 0.0225 / 3
    beta = cov / var_b
    alpha, got_beta = rs.alpha_beta(R, B, periods=4)
    assert got_beta == pytest.approx(beta)
    assert alpha == pytest.approx((0.05 - beta * 0.0125) * 4)
    # active returns .05 0 .05 .05: mean .0375, std sqrt((3 * .0125**2 + .0375**2) / 3)
    active_std = math.sqrt((3 * 0.0125**2 + 0.0375**2) / 3)
    assert rs.information_ratio(R, B) == pytest.approx(0.0375 / active_std)
    assert rs.correlation(R, B) == pytest.approx(cov / (0.1 * math.sqrt(var_b)))


def test_moments_by_hand() -> None:
    x = np.array([1.0, 2.0, 3.0, 10.0])  # mean 4; deviations -3 -2 -1 6
    m2 = (9 + 4 + 1 + 36) / 4
    assert rs.skewness(x) == pytest.approx(((-27 - 8 - 1 + 216) / 4) / m2**1.5)
    assert rs.kurtosis(x) == pytest.approx(((81 + 16 + 1 + 1296) / 4) / m2**2)
    normal = np.random.default_rng(0).normal(size=200_000)
    assert rs.skewness(normal) == pytest.approx(0.0, abs=0.02)
    assert rs.kurtosis(normal) == pytest.approx(3.0, abs=0.05)  # not excess kurtosis


def test_what_does_not_exist_is_nan() -> None:
    flat = np.zeros(5)
    assert math.isnan(rs.sharpe(flat)) and math.isnan(rs.sortino(flat)) and math.isnan(rs.skewness(flat))
    assert math.isnan(rs.sortino(np.array([0.01, 0.02])))  # no losses: no downside deviation
    assert math.isnan(rs.calmar(np.array([0.01]), np.array([1.0, 1.01])))  # never fell
    assert math.isnan(rs.alpha_beta(R, np.zeros(4))[1])  # a benchmark that never moved has no beta
    assert math.isnan(rs.information_ratio(R, R))  # no active risk
    assert math.isnan(rs.cagr(np.array([])))
    assert math.isnan(rs.cagr(np.array([-0.5, -0.8, -2.0])))  # value below zero: no growth rate


def test_nan_pairs_are_left_out_of_relative_figures() -> None:
    b = np.array([0.05, np.nan, 0.05, 0.05, -0.10])
    r = np.array([0.10, 0.30, 0.10, 0.10, -0.10])
    assert rs.alpha_beta(r, b) == pytest.approx(rs.alpha_beta(r[[0, 2, 3, 4]], b[[0, 2, 3, 4]]))


def test_metrics_of_a_one_session_run_are_nulls_not_an_error() -> None:
    day = pd.to_datetime(["2025-01-02"])
    equity = pd.DataFrame({"value_hkd": [1e6], "benchmark_hkd": [1e6], "positions": [0]}, index=day)
    m = compute_metrics(equity, pd.DataFrame({"pnl_hkd": [], "holding_days": []}), pd.DataFrame({"costs_hkd": []}))
    assert m["total_return_pct"] == 0.0 and m["sharpe"] is None and m["cagr_pct"] is None and m["beta"] is None
