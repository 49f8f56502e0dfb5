"""The figure a sweep ranks combinations by, and which way is better.

An objective is a ``metrics.json`` key. It may be written without its unit
(``excess_return`` for ``excess_return_pct``). Most figures are better higher;
volatility and costs are better lower; a drawdown (negative) is better closer to 0,
which is higher. Figures with no better direction (beta, the number of trades) cannot
be objectives.

Walk-forward windows rank combinations on a *part* of their value curves, so only the
figures that follow from the curves can be used there (not trade statistics such as the
win rate): :func:`part_scores` computes them with the same functions as ``metrics.json``.

>>> resolve_objective("excess_return").key, resolve_objective("annual_volatility").higher_is_better
('excess_return_pct', False)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hkbt.backtest.metrics import compute_relative_stats, compute_return_stats
from hkbt.errors import ConfigError

HIGHER = {
    "total_return_pct", "cagr_pct", "sharpe", "sortino", "calmar", "max_drawdown_pct", "excess_return_pct", "alpha_pct",
    "information_ratio", "win_rate_pct", "profit_factor", "final_equity_hkd",
}
LOWER = {"annual_volatility_pct", "total_costs_hkd"}
FROM_CURVES = {
    "total_return_pct", "cagr_pct", "sharpe", "sortino", "calmar", "max_drawdown_pct", "annual_volatility_pct",
    "excess_return_pct", "alpha_pct", "information_ratio",
}
"""Objectives a walk-forward window can compute from value curves alone."""
OPTION = "sweep.objective"


@dataclass(frozen=True)
class Objective:
    """A metrics.json key and its direction."""

    key: str
    higher_is_better: bool

    def value(self, metrics: dict) -> float:
        """The figure from a metrics dict, NaN if missing or null."""
        value = metrics.get(self.key)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan

    def signed(self, value: float) -> float:
        """``value`` turned so that higher is always better (for ranking and Optuna's maximise)."""
        return value if self.higher_is_better else -value

    def rank(self, values: pd.Series) -> pd.Series:
        """1 = best; NaN (no figure) ranks last; ties share the better rank."""
        return values.rank(ascending=not self.higher_is_better, method="min", na_option="bottom").astype(int)


def resolve_objective(name: str) -> Objective:
    """The objective called ``name`` (a metrics.json key, its unit suffix optional).

    Raises:
        ConfigError: not a figure that can be ranked, with the list of those that can.
    """
    name = name.strip()
    for key in (name, f"{name}_pct", f"{name}_hkd"):
        if key in HIGHER or key in LOWER:
            return Objective(key, key in HIGHER)
    choices = ", ".join(sorted(HIGHER | LOWER))
    raise ConfigError(OPTION, f"{name!r} is not a figure a sweep can rank by", f"choose one of: {choices}")


def check_walk_forward_objective(objective: Objective) -> None:
    """Refuse an objective a window cannot compute from value curves."""
    if objective.key not in FROM_CURVES:
        raise ConfigError(OPTION, f"{objective.key} needs the trades, which a walk-forward window does not cut",
                          f"use one computed from the value curves: {', '.join(sorted(FROM_CURVES))}")


def part_scores(values: pd.DataFrame, benchmark: pd.Series, objective: Objective) -> pd.Series:
    """The objective of each column of ``values`` over these rows (the first row is the base), signed so higher is better.

    Computed with :func:`hkbt.backtest.metrics.compute_return_stats` and
    :func:`~hkbt.backtest.metrics.compute_relative_stats`, the functions behind ``metrics.json``.
    """
    scores = {}
    bench = compute_return_stats(benchmark)
    for column in values.columns:
        curve = values[column]
        if curve.isna().any():
            scores[column] = math.nan
            continue
        stats = compute_return_stats(curve)
        if objective.key in ("excess_return_pct", "alpha_pct", "information_ratio"):
            stats["excess_return_pct"] = stats["total_return_pct"] - bench["total_return_pct"]
            stats |= compute_relative_stats(curve, benchmark)
        value = stats.get(objective.key)
        scores[column] = objective.signed(float(value)) if value is not None else math.nan
    return pd.Series(scores, dtype=np.float64)
