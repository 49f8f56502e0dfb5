"""A finished sweep as tables, and the three guards against fooling yourself with it.

* :func:`results_frame`: one row per combination (its values, every ``metrics.json``
  figure, the objective and its rank, how to reproduce it).
* :func:`curves_frame`: the daily value curve of every combination that ran, beside the
  benchmark's (one session calendar).
* :func:`deflate_best`: the deflated Sharpe ratio of the best combination, given how many
  were tried.
* :func:`overfitting_probability`: PBO by combinatorially symmetric cross-validation.
* :func:`walk_forward`: choose on each training part, judge on the test part after it;
  the stitched out-of-sample record against the benchmark, in-sample beside out-of-sample.

Each returns plain data (frames and dicts) that ``sweep.json`` and ``sweep.html`` show.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from hkbt.backtest import return_stats as rs
from hkbt.backtest.metrics import compute_return_stats
from hkbt.tuning.objectives import Objective, part_scores
from hkbt.tuning.overfitting import deflated_sharpe_ratio, probability_of_backtest_overfitting
from hkbt.tuning.walk_forward import WalkForwardSpec, choose_per_window, part_of, stitch, walk_forward_windows

RUN_FIGURES = ("signals_not_traded", "orders_refused")  # from the run block of metrics.json, kept as columns


def results_frame(run) -> pd.DataFrame:
    """One row per combination, in sweep order (see the module docstring)."""
    plan = run.plan
    rows = []
    for ident, combo in run.combos.items():
        outcome = run.outcomes.get(ident)
        metrics = outcome.metrics if outcome is not None else {}
        row: dict[str, Any] = {"combo_id": ident, **combo}
        row["status"] = outcome.status if outcome is not None else "not run"
        row["error"] = outcome.error if outcome is not None else ""
        row["objective"] = plan.objective.value(metrics)
        row |= {k: v for k, v in metrics.items() if k not in ("run", "warning")}
        row |= {k: metrics.get("run", {}).get(k) for k in RUN_FIGURES}
        row["seconds"] = outcome.seconds if outcome is not None else math.nan
        row["run_name"] = plan.run_name(combo)
        row["command"] = plan.command(combo)
        row["metrics_json"] = json.dumps(metrics, sort_keys=False) if metrics else ""
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame.insert(1, "rank", plan.objective.rank(frame.objective.where(frame.status == "ok")))
    for key in plan.keys:  # a column of values of mixed types (lists, null) is stored as their --set text
        if frame[key].map(lambda v: isinstance(v, (list, dict))).any():
            frame[key] = frame[key].map(lambda v: json.dumps(v, default=str))
    return frame


def curves_frame(run, store) -> tuple[pd.DataFrame, pd.Series] | None:
    """(value curves, one column per combination that ran, and the benchmark's growth) on the sessions they share.

    ``None`` when the combinations ran on different session calendars (a swept run.start),
    which the guards cannot compare.
    """
    ok = {ident: o for ident, o in run.outcomes.items() if o.status == "ok" and o.values is not None}
    calendars = {o.inputs_key for o in ok.values()}
    if len(calendars) != 1:
        return None
    calendar = store.calendars[calendars.pop()]
    index = pd.DatetimeIndex(pd.to_datetime(calendar.sessions), name="session")
    values = pd.DataFrame({ident: o.values for ident, o in ok.items()}, index=index)
    return values, pd.Series(calendar.benchmark, index=index, name="benchmark")


def best_row(results: pd.DataFrame) -> pd.Series | None:
    ranked = results[(results.status == "ok") & results.objective.notna()]
    return ranked.sort_values("rank", kind="stable").iloc[0] if len(ranked) else None


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def deflate_best(values: pd.DataFrame, best: str) -> dict[str, Any]:
    """The deflated Sharpe ratio of combination ``best`` among every column of ``values`` (each one trial)."""
    returns = values.pct_change().iloc[1:]
    trial_sharpes = np.array([rs.sharpe(returns[c].to_numpy(), periods=1) for c in returns.columns])
    result = deflated_sharpe_ratio(returns[best].to_numpy(), trial_sharpes)
    blob = {k: _finite(v) if isinstance(v, float) else v for k, v in asdict(result).items()}
    blob["annual_sharpe"] = _finite(result.sharpe * math.sqrt(rs.PERIODS_PER_YEAR))
    blob["annual_expected_max_sharpe"] = _finite(result.expected_max_sharpe * math.sqrt(rs.PERIODS_PER_YEAR))
    return blob


def overfitting_probability(values: pd.DataFrame, blocks: int) -> dict[str, Any]:
    """PBO of picking the best Sharpe ratio among the columns of ``values``, with the logits for a histogram."""
    returns = values.pct_change().iloc[1:].to_numpy()
    result = probability_of_backtest_overfitting(returns, blocks=blocks)
    return {
        "pbo": result.pbo, "splits": result.splits, "blocks": result.blocks, "combinations": int(returns.shape[1]),
        "logits": [_finite(x) for x in np.round(result.logits, 4)],
        "out_of_sample_loss_rate": _finite(result.out_of_sample_loss_rate),
        "in_sample_sharpe_median": _finite(float(np.nanmedian(result.in_sample)) * math.sqrt(rs.PERIODS_PER_YEAR)),
        "out_of_sample_sharpe_median": _finite(float(np.nanmedian(result.out_of_sample)) * math.sqrt(rs.PERIODS_PER_YEAR)),
    }


def walk_forward(values: pd.DataFrame, benchmark: pd.Series, spec: WalkForwardSpec, objective: Objective,
                 combos: dict[str, dict]) -> dict[str, Any]:
    """Walk-forward validation over the sweep's value curves (see :mod:`hkbt.tuning.walk_forward`).

    Each window's choice sees only its training part; the chosen curve's test part is
    then scored with the same objective. Returns the windows, the stitched out-of-sample
    curve and the benchmark over the same sessions (both from 1.0), and their figures.
    """
    windows = walk_forward_windows(values.index, spec)

    def score(part: pd.DataFrame) -> pd.Series:  # the training rows only, the benchmark on the same rows
        return part_scores(part, benchmark.loc[part.index], objective)

    chosen = choose_per_window(values, windows, score)
    rows = []
    for window in windows:
        pick = chosen[window.number]
        test_bench = part_of(benchmark, window.test_start, window.test_end)
        row = {
            "window": window.number, "train_start": window.train_start.date().isoformat(), "train_end": window.train_end.date().isoformat(),
            "test_start": window.test_start.date().isoformat(), "test_end": window.test_end.date().isoformat(),
            "train_sessions": window.train_sessions, "test_sessions": window.test_sessions, "combo_id": pick,
            "params": combos.get(pick, {}), "in_sample": None, "out_of_sample": None, "in_sample_return_pct": None,
            "out_of_sample_return_pct": 0.0, "benchmark_return_pct": _finite(100 * (test_bench.iloc[-1] / test_bench.iloc[0] - 1)),
        }
        if pick is not None:
            train = part_of(values[[pick]], window.train_start, window.train_end)
            test = part_of(values[[pick]], window.test_start, window.test_end)
            row |= {
                "in_sample": _finite(objective.signed(part_scores(train, benchmark.loc[train.index], objective).iloc[0])),
                "out_of_sample": _finite(objective.signed(part_scores(test, benchmark.loc[test.index], objective).iloc[0])),
                "in_sample_return_pct": _finite(100 * (train[pick].iloc[-1] / train[pick].iloc[0] - 1)),
                "out_of_sample_return_pct": _finite(100 * (test[pick].iloc[-1] / test[pick].iloc[0] - 1)),
            }
        rows.append(row)
    oos = stitch(values, windows, chosen)
    bench = benchmark.loc[oos.index]
    bench = bench / bench.iloc[0]
    oos_stats, bench_stats = compute_return_stats(oos), compute_return_stats(bench)
    in_sample = [r["in_sample"] for r in rows if r["in_sample"] is not None]
    out_sample = [r["out_of_sample"] for r in rows if r["out_of_sample"] is not None]
    return {
        "spec": str(spec), "objective": objective.key, "windows": rows,
        "distinct_choices": len({c for c in chosen.values() if c is not None}),
        "windows_without_choice": sum(1 for c in chosen.values() if c is None),
        "curve": {"sessions": [d.date().isoformat() for d in oos.index], "out_of_sample": [round(float(x), 6) for x in oos],
                  "benchmark": [round(float(x), 6) for x in bench]},
        "out_of_sample": {k: oos_stats[k] for k in ("total_return_pct", "cagr_pct", "sharpe", "max_drawdown_pct")},
        "benchmark": {k: bench_stats[k] for k in ("total_return_pct", "cagr_pct", "sharpe", "max_drawdown_pct")},
        "mean_in_sample": _finite(float(np.mean(in_sample))) if in_sample else None,
        "mean_out_of_sample": _finite(float(np.mean(out_sample))) if out_sample else None,
    }
