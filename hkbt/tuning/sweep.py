"""``hkbt sweep``: run many combinations of one experiment's settings, cheaply and reproducibly.

How a sweep runs:

1. **Plan** (:func:`plan_sweep`): the experiment file with its ``sweep:`` section (and
   ``--set``) gives the base config, the swept settings and how to combine them: the
   whole grid, ``random`` draws, or ``optuna`` trials.
2. **Configs**: each combination becomes the config ``hkbt run --config FILE --set ...
   --name <sweep>-<id>`` would build (:func:`combo_config`). A combination whose
   settings are invalid is recorded as failed; the others go on.
3. **Shared inputs**: combinations that agree on every input setting
   (:data:`hkbt.pipeline.INPUT_KEYS`: news, scoring, topics, signals, prices, dates) share
   one :class:`~hkbt.pipeline.SharedInputs`, built once here and sent once to each worker.
4. **Backtests**: each combination runs :func:`hkbt.pipeline.run_variant` — the function
   ``hkbt run`` calls after building the same inputs — on a worker (:func:`run_combo`),
   so its ``metrics.json`` figures are exactly those of that ``hkbt run``. Only the
   figures and the daily value curve come back; no run folder is written.
5. **Memory**: every result is appended to ``combos.jsonl`` as it arrives
   (:mod:`hkbt.tuning.store`); running the same sweep again skips what is there.

:func:`finish_sweep` then ranks the combinations, applies the overfitting guards
(:mod:`hkbt.tuning.guards`) and writes ``results.parquet``/``.csv``, ``curves.parquet``,
``sweep.json`` and ``sweep.html``; ``save_top`` writes full run folders for the best.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hkbt.config import Config, load_config
from hkbt.errors import ConfigError, HkbtError
from hkbt.tuning.objectives import Objective, check_walk_forward_objective, resolve_objective
from hkbt.tuning.space import (
    Combo,
    combo_from_trial,
    combo_id,
    expand_key,
    grid_combos,
    optuna_distributions,
    overrides,
    random_combos,
)
from hkbt.tuning.store import Calendar, Outcome, ResultStore, cache_key
from hkbt.tuning.walk_forward import WalkForwardSpec, parse_walk_forward

SWEEPS_DIR = "sweeps"


@dataclass
class SweepPlan:
    """Everything decided before the first backtest."""

    name: str
    config_path: Path
    base_overrides: list[str]
    base: Config
    base_dir: Path
    mode: str  # "grid" | "random" | "optuna"
    keys: list[str]
    combos: list[Combo]
    objective: Objective
    walk_forward: WalkForwardSpec | None

    @property
    def settings(self):
        return self.base.sweep

    def run_name(self, combo: Combo) -> str:
        """The run name of a combination: ``<sweep>-<combo id>``."""
        return f"{self.name[:50]}-{combo_id(combo)}"

    @property
    def run_overrides(self) -> list[str]:
        """The ``--set`` items that shape a run (``sweep.*`` only steer the sweep)."""
        return [item for item in self.base_overrides if not item.strip().startswith("sweep.")]

    def command(self, combo: Combo) -> str:
        """The ``hkbt run`` that reproduces a combination exactly."""
        sets = [*self.run_overrides, *overrides(combo)]
        parts = ["hkbt run", f"--config {_quote(str(self.config_path))}", *(f"--set {_quote(item)}" for item in sets),
                 f"--name {self.run_name(combo)}"]
        return " ".join(parts)


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def plan_sweep(config_path: Path, base_overrides: list[str]) -> SweepPlan:
    """Read the experiment and its ``sweep:`` section; decide the combinations (not yet for Optuna).

    Raises:
        ConfigError: no swept setting, ranges without random/optuna, an unknown objective ...
    """
    base = load_config(config_path, base_overrides)
    sweep = base.sweep
    grid = {expand_key(k): v for k, v in sweep.grid.items()}
    ranges = {expand_key(k): v for k, v in sweep.ranges.items()}
    if not grid and not ranges:
        raise ConfigError("sweep.grid", "nothing to sweep", "give --grid KEY=V1,V2,... (or sweep.grid in the experiment file)")
    if sweep.random and sweep.optuna:
        raise ConfigError("sweep.optuna", "choose --random or --optuna, not both")
    if ranges and not (sweep.random or sweep.optuna):
        raise ConfigError("sweep.ranges", "a range needs --random N or --optuna N to draw from it", "or give a list with --grid")
    objective = resolve_objective(sweep.objective)
    walk = parse_walk_forward(sweep.walk_forward) if sweep.walk_forward else None
    if walk:
        check_walk_forward_objective(objective)
    mode = "optuna" if sweep.optuna else "random" if sweep.random else "grid"
    combos = (grid_combos(grid) if mode == "grid" else random_combos(grid, ranges, sweep.random, sweep.seed) if mode == "random" else [])
    keys = list(grid) + [k for k in ranges if k not in grid]
    name = sweep.name or base.run.name
    return SweepPlan(name, Path(config_path), list(base_overrides), base, Path(config_path).resolve().parent, mode, keys,
                     combos, objective, walk)


def sweep_folder(plan: SweepPlan) -> Path:
    """``<run.output_dir>/sweeps/<name>/`` (never outside it)."""
    from hkbt.backtest.results import run_folder

    return run_folder(plan.base_dir / plan.base.run.output_dir / SWEEPS_DIR, plan.name)


def combo_config(plan: SweepPlan, combo: Combo) -> Config:
    """The config ``hkbt run --config FILE --set <base> --set <combo> --name <sweep>-<id>`` builds."""
    return load_config(plan.config_path, [*plan.run_overrides, *overrides(combo), f"run.name={json.dumps(plan.run_name(combo))}"])


# ----------------------------------------------------------------------------- on a worker


def run_combo(config: Config, inputs, base_dir: Path, key: str, combo: Combo) -> Outcome:
    """Run one combination on shared inputs (on a worker): its figures and value curve, or its error.

    This is :func:`hkbt.pipeline.run_variant`, the very function behind ``hkbt run``.
    """
    from hkbt.pipeline import run_variant

    started = time.process_time()
    ident = combo_id(combo)
    try:
        artifacts = run_variant(config, inputs, base_dir)
    except HkbtError as exc:
        return Outcome(key, ident, combo, "failed", inputs.key, error=str(exc), seconds=time.process_time() - started)
    except Exception as exc:  # noqa: BLE001 - one broken combination is recorded; the sweep goes on
        return Outcome(key, ident, combo, "failed", inputs.key, error=f"{type(exc).__name__}: {exc}",
                       seconds=time.process_time() - started)
    return Outcome(key, ident, combo, "ok", inputs.key, metrics=artifacts.metrics,
                   values=artifacts.equity.value_hkd.to_numpy(dtype=np.float64), seconds=time.process_time() - started)


def run_combos(inputs, base_dir: Path, batch: list[tuple[Config, str, Combo]]) -> list[Outcome]:
    """Run a batch of ``(config, cache key, combo)`` one after another (one task on a worker): :func:`run_combo` each.

    Each combination still gets its own outcome (a failing one is recorded, the rest go on);
    batching only spreads the engine's cost per task over several combinations.
    """
    return [run_combo(config, inputs, base_dir, key, combo) for config, key, combo in batch]


# ----------------------------------------------------------------------------- running


@dataclass
class Hooks:
    """Progress callbacks (the CLI's bar): a phase's name, the total and how many need no run, one more done."""

    phase: Callable[[str], None] = lambda text: None
    total: Callable[[int, int], None] = lambda total, cached: None
    advance: Callable[[Outcome], None] = lambda outcome: None


@dataclass
class SweepRun:
    """The combinations of this sweep, their outcomes, and the inputs they were built on."""

    plan: SweepPlan
    configs: dict[str, Config] = field(default_factory=dict)  # combo id -> config
    keys: dict[str, str] = field(default_factory=dict)  # combo id -> cache key
    combos: dict[str, Combo] = field(default_factory=dict)  # combo id -> combo, in sweep order
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # combo id -> outcome
    inputs: dict[str, Any] = field(default_factory=dict)  # inputs key -> SharedInputs
    input_errors: dict[str, str] = field(default_factory=dict)  # inputs key -> why its inputs could not be built
    ran: int = 0
    cached: int = 0
    seconds: float = 0.0
    engine: str = ""


def run_sweep(plan: SweepPlan, store: ResultStore, engine, hooks: Hooks | None = None) -> SweepRun:
    """Run every combination of ``plan`` not already in ``store`` on ``engine``; record each outcome as it arrives.

    Interrupting (Ctrl-C) keeps what has finished: the next run of the same sweep resumes.
    """
    hooks = hooks or Hooks()
    started = time.perf_counter()
    run = SweepRun(plan, engine=engine.description)
    if plan.mode == "optuna":
        _run_optuna(run, store, engine, hooks)
    else:
        hooks.phase("news, scores, signals and prices")
        pending = _prepare(run, plan.combos, store)
        hooks.total(len(plan.combos), len(plan.combos) - len(pending))
        _execute(run, pending, store, engine, hooks)
    run.seconds = time.perf_counter() - started
    return run


def _prepare(run: SweepRun, combos: list[Combo], store: ResultStore) -> list[tuple[str, Config]]:
    """Configs, shared inputs and cache keys of ``combos``; cached and invalid ones get their outcome. Returns what must run."""
    from hkbt.backtest.benchmark import compute_index_benchmark
    from hkbt.pipeline import build_inputs, inputs_key

    plan = run.plan
    pending = []
    for combo in combos:
        ident = combo_id(combo)
        run.combos[ident] = combo
        try:
            config = combo_config(plan, combo)
        except HkbtError as exc:
            run.outcomes[ident] = Outcome(f"invalid-{ident}", ident, combo, "failed", error=str(exc))
            continue
        run.configs[ident] = config
        ikey = inputs_key(config)
        if ikey not in run.inputs and ikey not in run.input_errors:
            try:
                inputs = build_inputs(config, plan.base_dir)
            except HkbtError as exc:  # e.g. a swept universe with a ticker that has no prices: those combinations fail
                run.input_errors[ikey] = str(exc)
            else:
                run.inputs[ikey] = inputs
                benchmark = compute_index_benchmark(inputs.prices[config.universe.benchmark], inputs.sessions, 1.0,
                                                    config.universe.benchmark)
                store.add_calendar(Calendar(ikey, [s.date().isoformat() for s in inputs.sessions], benchmark.to_numpy(dtype=np.float64)))
        if ikey in run.input_errors:
            run.outcomes[ident] = Outcome(f"inputs-{ident}", ident, combo, "failed", ikey, error=run.input_errors[ikey])
            continue
        run.keys[ident] = key = cache_key(config.resolved(), run.inputs[ikey].data_hash)
        done = store.done(key)
        if done is not None:
            run.outcomes[ident] = done
            run.cached += 1
        else:
            pending.append((ident, config))
    return pending


def _execute(run: SweepRun, pending: list[tuple[str, Config]], store: ResultStore, engine, hooks: Hooks) -> None:
    """Run ``pending`` in batches (one task each, :meth:`engine.batch_size`); record each combination's outcome as its batch ends."""
    if not pending:
        return
    from hkbt.pipeline import inputs_key

    shared = {key: engine.share(inputs) for key, inputs in run.inputs.items()}  # once per set of inputs, not per task
    by_inputs: dict[str, list[str]] = {}
    for ident, config in pending:
        by_inputs.setdefault(inputs_key(config), []).append(ident)
    futures, owner = [], {}
    for ikey, idents in by_inputs.items():
        size = engine.batch_size(len(idents))
        for start in range(0, len(idents), size):
            batch = idents[start:start + size]
            future = engine.submit(run_combos, shared[ikey], run.plan.base_dir,
                                   [(run.configs[ident], run.keys[ident], run.combos[ident]) for ident in batch])
            futures.append(future)
            owner[id(future)] = batch
    try:
        for future, outcomes, error in engine.results(futures):
            for position, ident in enumerate(owner[id(future)]):
                if error is None:
                    outcome = outcomes[position]
                else:  # the task itself failed (a worker lost): every combination of its batch is recorded as failed
                    outcome = Outcome(run.keys[ident], ident, run.combos[ident], "failed", error=f"{type(error).__name__}: {error}")
                store.add(outcome)
                run.outcomes[ident] = outcome
                run.ran += 1
                hooks.advance(outcome)
    except BaseException:
        engine.cancel(futures)
        raise


def _run_optuna(run: SweepRun, store: ResultStore, engine, hooks: Hooks) -> None:
    """Ask Optuna for a batch of trials (one per worker), run them, tell it the objective; repeat.

    Optuna's TPE sampler proposes each batch from the figures of all earlier trials. A
    combination already in the store (a resumed sweep) is told at once without running.
    """
    import optuna

    plan = run.plan
    grid = {expand_key(k): v for k, v in plan.settings.grid.items()}
    ranges = {expand_key(k): v for k, v in plan.settings.ranges.items()}
    distributions, choices = optuna_distributions(grid, ranges)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=plan.settings.seed))
    total = plan.settings.optuna
    hooks.total(total, 0)
    asked = 0
    while asked < total:
        batch = [study.ask(distributions) for _ in range(min(engine.workers, total - asked))]
        asked += len(batch)
        combos = [combo_from_trial(trial.params, choices) for trial in batch]
        new = list({combo_id(c): c for c in combos if combo_id(c) not in run.combos}.values())  # Optuna may repeat itself
        plan.combos.extend(new)
        pending = _prepare(run, new, store)
        running = {ident for ident, _ in pending}
        for combo in combos:
            if combo_id(combo) not in running:
                hooks.advance(run.outcomes[combo_id(combo)])
        _execute(run, pending, store, engine, hooks)
        for trial, combo in zip(batch, combos):
            outcome = run.outcomes[combo_id(combo)]
            value = plan.objective.value(outcome.metrics) if outcome.status == "ok" else float("nan")
            if np.isfinite(value):
                study.tell(trial, plan.objective.signed(value))
            else:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)


# ----------------------------------------------------------------------------- results


def finish_sweep(run: SweepRun, store: ResultStore) -> tuple[pd.DataFrame, tuple[pd.DataFrame, pd.Series] | None, dict[str, Any]]:
    """The results table, the value curves and the summary (with the overfitting guards) of a finished sweep."""
    from hkbt.prices import SIMULATED_BANNER
    from hkbt.tuning import guards
    from hkbt.tuning.space import short_name

    plan = run.plan
    results = guards.results_frame(run)
    curves = guards.curves_frame(run, store)
    ok = results[results.status == "ok"]
    seconds = [o.seconds for o in run.outcomes.values() if o.status == "ok" and o.seconds]
    sessions = curves[0].index if curves is not None else None
    summary: dict[str, Any] = {
        "name": plan.name, "mode": plan.mode, "keys": plan.keys, "objective": plan.objective.key,
        "higher_is_better": plan.objective.higher_is_better, "combinations": len(run.combos), "ok": int(len(ok)),
        "failed": int((results.status == "failed").sum()), "ran": run.ran, "cached": run.cached, "seconds": round(run.seconds, 3),
        "median_combo_seconds": float(np.median(seconds)) if seconds else None, "combo_cpu_seconds": float(sum(seconds)),
        "engine": run.engine, "strategy": plan.base.strategy.name, "benchmark": plan.base.universe.benchmark,
        "start": sessions[0].date().isoformat() if sessions is not None else str(plan.base.run.start),
        "end": sessions[-1].date().isoformat() if sessions is not None else str(plan.base.run.end),
        "simulated": plan.base.prices.source == "synthetic", "banner": SIMULATED_BANNER, "warnings": [],
        "best": None, "dsr": None, "pbo": None, "walk_forward": None,
        "dsr_note": "", "pbo_note": "not asked for (--pbo)", "walk_forward_note": "not asked for (--walk-forward train=2y,test=6m)",
    }
    best = guards.best_row(results)
    if best is not None:
        summary["best"] = {
            "combo_id": best.combo_id, "params": [(short_name(k), _shown(best[k])) for k in plan.keys],
            "objective": f"{best.objective:.4g}", "total_return": _pct(best.get("total_return_pct")),
            "benchmark_return": _pct(best.get("benchmark_total_return_pct")), "run_name": best.run_name, "command": best.command, "link": "",
        }
    if curves is None:
        note = "the combinations ran on different session calendars (a swept run.start or run.end), which cannot be compared day by day"
        summary["dsr_note"] = summary["pbo_note"] = summary["walk_forward_note"] = note
        return results, curves, summary
    values, benchmark = curves
    if best is not None:
        summary["dsr"] = guards.deflate_best(values, best.combo_id)
    else:
        summary["dsr_note"] = "no combination ran"
    if plan.settings.pbo:
        try:
            summary["pbo"] = guards.overfitting_probability(values, plan.settings.pbo_blocks)
        except ValueError as exc:
            summary["pbo_note"] = f"cannot be computed: {exc}"
            summary["warnings"].append(f"PBO {summary['pbo_note']}")
    if plan.walk_forward:
        try:
            summary["walk_forward"] = guards.walk_forward(values, benchmark, plan.walk_forward, plan.objective,
                                                          {ident: run.combos[ident] for ident in values.columns})
        except ConfigError as exc:
            summary["walk_forward_note"] = f"cannot be computed: {exc}"
            summary["warnings"].append(f"walk-forward {summary['walk_forward_note']}")
    return results, curves, summary


def _shown(value: Any) -> str:
    return "null" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _pct(value: Any) -> str:
    return f"{value:+.2f} %" if isinstance(value, (int, float)) and np.isfinite(value) else "—"


def save_top(run: SweepRun, results: pd.DataFrame, count: int, sweep_dir: Path) -> dict[str, str]:
    """Write full run folders (report included) for the ``count`` best combinations; return combo id -> link from the sweep page.

    Each is the ordinary run folder ``hkbt run`` would write for the combination's command
    (``<run.output_dir>/<sweep>-<id>/``), produced by the same :func:`hkbt.pipeline.run_variant`.
    """
    from hkbt.backtest.results import claim_run_folder, run_folder, write_run
    from hkbt.pipeline import inputs_key, run_variant
    from hkbt.reports.compare import _relative
    from hkbt.reports.run_report import render_report

    links = {}
    ranked = results[(results.status == "ok") & results.objective.notna()].sort_values("rank", kind="stable")
    for ident in ranked.combo_id.head(count):
        config = run.configs[ident]
        artifacts = run_variant(config, run.inputs[inputs_key(config)], run.plan.base_dir)
        folder = run_folder(run.plan.base_dir / config.run.output_dir, config.run.name)
        with claim_run_folder(folder):
            write_run(artifacts, folder, render_report)
        links[ident] = _relative(folder / "report.html", sweep_dir)
    return links


def write_sweep_files(folder: Path, results: pd.DataFrame, curves, summary: dict[str, Any], html: str) -> list[Path]:
    """``results.parquet``, ``results.csv``, ``curves.parquet``, ``sweep.json`` and ``sweep.html``, added to the sweep folder atomically."""
    from hkbt.backtest.results import add_files

    def write(staging: Path) -> None:
        results.to_parquet(staging / "results.parquet", index=False)
        results.to_csv(staging / "results.csv", index=False)
        if curves is not None:
            values, benchmark = curves
            values.assign(benchmark=benchmark).to_parquet(staging / "curves.parquet")
        (staging / "sweep.json").write_text(json.dumps(summary, indent=1, default=str, allow_nan=False) + "\n", encoding="utf-8")
        (staging / "sweep.html").write_text(html, encoding="utf-8")

    return add_files(folder, write)
