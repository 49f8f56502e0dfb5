"""Statistics checked against numbers computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hkbt.backtest.benchmark import compute_index_benchmark, compute_proxy_benchmark
from hkbt.backtest.costs import FeeSchedule, compute_fees
from hkbt.backtest.metrics import PERIODS_PER_YEAR, compute_drawdown, compute_metrics

DAYS = pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-06", "2025-01-07", "2025-01-08"])


def frames():
    equity = pd.DataFrame(
        {
            "value_hkd": [100.0, 110.0, 99.0, 108.9, 119.79],     # +10 %, -10 %, +10 %, +10 %
            "benchmark_hkd": [100.0, 105.0, 94.5, 99.225, 104.18625],  # +5 %, -10 %, +5 %, +5 %
            "positions": [0, 1, 1, 0, 1],
        },
        index=DAYS,
    )
    trades = pd.DataFrame({"pnl_hkd": [30.0, -10.0, 5.0], "holding_days": [2, 3, 4]})
    fills = pd.DataFrame({"costs_hkd": [1.0, 2.5, 0.5]})
    return equity, trades, fills


def test_metrics_match_hand_computation() -> None:
    equity, trades, fills = frames()
    m = compute_metrics(equity, trades, fills)
    r = np.array([0.1, -0.1, 0.1, 0.1])
    b = np.array([0.05, -0.1, 0.05, 0.05])
    assert m["total_return_pct"] == pytest.approx(19.79)
    assert m["benchmark_total_return_pct"] == pytest.approx(4.18625)
    assert m["excess_return_pct"] == pytest.approx(19.79 - 4.18625, abs=1e-5)
    assert m["cagr_pct"] == pytest.approx(100 * (1.1979 ** (PERIODS_PER_YEAR / 4) - 1), rel=1e-5)
    assert m["annual_volatility_pct"] == pytest.approx(100 * r.std(ddof=1) * math.sqrt(252), rel=1e-5)
    assert m["sharpe"] == pytest.approx(r.mean() / r.std(ddof=1) * math.sqrt(252), rel=1e-5)
    assert m["max_drawdown_pct"] == pytest.approx(-10.0)
    assert (m["max_drawdown_peak"], m["max_drawdown_trough"], m["max_drawdown_recovery"]) == ("2025-01-03", "2025-01-06", "2025-01-08")
    assert m["calmar"] == pytest.approx(m["cagr_pct"] / 10.0, rel=1e-4)
    beta = np.cov(r, b, ddof=1)[0, 1] / b.var(ddof=1)
    assert m["beta"] == pytest.approx(beta, rel=1e-5)
    assert m["correlation"] == pytest.approx(np.corrcoef(r, b)[0, 1], rel=1e-5)
    assert m["trades"] == 3
    assert m["win_rate_pct"] == pytest.approx(200 / 3, rel=1e-6)
    assert m["profit_factor"] == pytest.approx(3.5)
    assert m["avg_holding_days"] == pytest.approx(3.0)
    assert m["exposure_pct"] == pytest.approx(60.0)
    assert m["total_costs_hkd"] == pytest.approx(4.0)
    assert m["final_equity_hkd"] == pytest.approx(119.79)


def test_no_trades_and_no_losses_give_nulls_not_errors() -> None:
    equity, _, _ = frames()
    empty = pd.DataFrame({"pnl_hkd": [], "holding_days": []})
    m = compute_metrics(equity, empty, pd.DataFrame({"costs_hkd": []}))
    assert (m["trades"], m["win_rate_pct"], m["profit_factor"], m["avg_holding_days"]) == (0, None, None, None)
    winners = pd.DataFrame({"pnl_hkd": [1.0], "holding_days": [1]})
    assert compute_metrics(equity, winners, pd.DataFrame({"costs_hkd": []}))["profit_factor"] is None


def test_drawdown_never_recovered_and_flat_curve() -> None:
    falling = pd.Series([100.0, 90.0, 80.0], index=DAYS[:3])
    d = compute_drawdown(falling)
    assert (d["max_drawdown_pct"], d["max_drawdown_recovery"]) == (pytest.approx(-20.0), None)
    flat = compute_drawdown(pd.Series([100.0] * 3, index=DAYS[:3]))
    assert flat["max_drawdown_pct"] == 0.0 and flat["max_drawdown_peak"] is None


def test_index_benchmark_is_the_close_ratio_and_fills_gaps_for_valuation_only() -> None:
    bars = pd.DataFrame({"open": [1.0, 1, 1], "close": [200.0, 220.0, 180.0]}, index=DAYS[[0, 1, 3]])
    value = compute_index_benchmark(bars, DAYS[:4], 1000.0)
    assert value.tolist() == [1000.0, 1100.0, 1100.0, 900.0]


def test_proxy_pays_costs_and_buys_whole_lots() -> None:
    bars = pd.DataFrame({"open": [20.0, 21.0], "close": [20.5, 22.0]}, index=DAYS[:2])
    fees = FeeSchedule()
    value = compute_proxy_benchmark(bars, DAYS[:2], 100_000.0, 500, fees, "2800.HK")
    shares = 4500  # 10 lots cost 100,000 + fees > cash, so 9 lots
    cash = 100_000 - shares * 20.0 - compute_fees(shares * 20.0, fees).total
    assert value.tolist() == pytest.approx([cash + shares * 20.5, cash + shares * 22.0])
