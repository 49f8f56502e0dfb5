"""What a sweep costs: per combination against one Backtrader run, 1,000 combinations on two workers, memory.

    .venv/bin/python benchmarks/bench_sweep.py                    # all three parts
    .venv/bin/python benchmarks/bench_sweep.py --combos 200       # a smaller grid for part 2
    .venv/bin/python benchmarks/bench_sweep.py --vectorbt-python /path/to/venv/bin/python

The real case of ``benchmarks/cases.py`` (nine names, 2020-2024, 20,000 real headlines).

1. **Per combination, in-process** (CPU seconds, paired, median over ``--pairs``
   combinations drawn from the grid): ``run_backtest`` alone — the Backtrader run of that
   combination on ready inputs, the least a combination can cost — against
   :func:`hkbt.tuning.sweep.run_combo`, everything a sweep does for a combination on a worker
   (``run_variant``: the backtest, round trips, benchmark, metrics; the result record).
2. **The whole sweep**: ``hkbt sweep --workers 2`` on a grid of ``--combos`` combinations
   (1,000 by default: entry_threshold x hold_days x max_positions x stop_loss), as a fresh
   process: wall time (inputs built once, a local Dask cluster of two worker processes),
   the peak memory of the whole process tree (sampled every 0.2 s) and the size of what it
   wrote (no run folder per combination). The per-combination cost there is wall time x
   workers / combinations, against part 1's Backtrader median. On a shared machine the wall
   time mostly says how busy it was, so the CPU seconds of the process tree are reported
   too: the client (inputs, Dask scheduler, results and page), the worker processes, and
   the combinations' own CPU as the workers measured it; with the load average.
3. **vectorbt**, when a Python with vectorbt installed is given (``--vectorbt-python``; it
   is not a dependency of hkbt): the same grid over the same prices and the same per-session
   signals as one vectorised ``Portfolio.from_signals`` call (see
   ``benchmarks/vectorbt_grid.py`` for what it does and does not model).

Targets (issue 11): part 1 ratio <= 1.2; part 2 <= 300 s for 1,000 combinations. The machine
is shared with other jobs: the figures are medians and say the load; this is never a test.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cases  # noqa: E402

BIN = Path(sys.executable).parent
TARGET_RATIO, TARGET_1000_S = 1.2, 300.0
GRID = {  # 10 x 10 x 5 x 2 = 1,000
    "entry_threshold": [0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7],
    "hold_days": [1, 2, 3, 4, 5, 6, 8, 10, 15, 20],
    "max_positions": [1, 2, 3, 5, 9],
    "stop_loss": [None, 0.05],
}


def grid(combos: int) -> dict[str, list]:
    """The first keys' values cut down so that the grid has about ``combos`` combinations."""
    keys = list(GRID)
    sizes = {k: len(v) for k, v in GRID.items()}
    while sizes["entry_threshold"] * sizes["hold_days"] * sizes["max_positions"] * sizes["stop_loss"] > combos:
        biggest = max(keys[:3], key=lambda k: sizes[k])
        sizes[biggest] -= 1
    return {k: GRID[k][: sizes[k]] for k in keys}


def per_combination(case: dict[str, Path], pairs: int) -> dict[str, object]:
    """Part 1: paired CPU seconds of run_backtest alone and of run_combo, per combination."""
    from hkbt.backtest.costs import FeeSchedule
    from hkbt.backtest.discovery import validate_params
    from hkbt.backtest.runner import run_backtest
    from hkbt.config import load_config
    from hkbt.pipeline import build_inputs, resolve_strategy
    from hkbt.tuning.space import overrides
    from hkbt.tuning.sweep import run_combo

    config_path = case["config"]
    base = load_config(config_path)
    inputs = build_inputs(base, config_path.parent)
    combos = [dict(zip(GRID, values)) for values in itertools.product(*GRID.values())]
    picked = [combos[i] for i in range(0, len(combos), max(len(combos) // pairs, 1))][:pairs]
    rows = []
    for combo in picked:
        config = load_config(config_path, overrides({f"strategy.params.{k}": v for k, v in combo.items()}))
        found = resolve_strategy(config, config_path.parent)
        settings = validate_params(found.cls, config.strategy.params, config.topics)
        fees = FeeSchedule(brokerage_rate=config.costs.brokerage_rate, brokerage_min=config.costs.brokerage_min)
        tick = time.process_time()
        run_backtest({t: inputs.prices[t] for t in config.universe.tickers}, inputs.signals, strategy=found.cls, settings=settings,
                     lot_sizes=config.universe.lot_sizes, initial_cash=config.run.initial_cash, fees=fees, sessions=inputs.sessions)
        backtest = time.process_time() - tick
        tick = time.process_time()
        outcome = run_combo(config, inputs, config_path.parent, "bench", combo)
        whole = time.process_time() - tick
        rows.append({"combo": combo, "backtest_s": backtest, "run_combo_s": whole, "ratio": whole / backtest,
                     "trades": outcome.metrics.get("trades")})
    return {"rows": rows, "median_backtest_s": statistics.median(r["backtest_s"] for r in rows),
            "median_run_combo_s": statistics.median(r["run_combo_s"] for r in rows),
            "median_ratio": statistics.median(r["ratio"] for r in rows)}


def _sample_tree(pid: int, cpu: dict[int, tuple[int, float]]) -> int:
    """The resident memory of ``pid`` and its descendants; records each one's CPU seconds so far in ``cpu``.

    ``cpu``: pid -> (0 for ``pid`` itself, 1 for a descendant: the Dask worker processes), seconds.
    """
    import psutil

    try:
        root = psutil.Process(pid)
        processes = [(0, root), *((1, p) for p in root.children(recursive=True))]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for depth, process in processes:
        try:
            total += process.memory_info().rss
            times = process.cpu_times()
            cpu[process.pid] = (depth, times.user + times.system)
        except psutil.NoSuchProcess:
            continue
    return total


def whole_sweep(case: dict[str, Path], combos: int, workers: int) -> dict[str, object]:
    """Part 2: ``hkbt sweep`` as a fresh process on a grid of about ``combos`` combinations."""
    chosen = grid(combos)
    name = f"bench{combos}"
    args = [str(BIN / "hkbt"), "sweep", "--config", str(case["config"]), "--workers", str(workers), "--name", name]
    for key, values in chosen.items():
        args += ["--grid", f"{key}=" + ",".join("null" if v is None else str(v) for v in values)]
    folder = case["folder"] / "out" / "sweeps" / name
    if folder.exists():  # a fresh sweep, not a resumed one
        import shutil

        shutil.rmtree(folder)
    peak, cpu = [0], {}
    load = os.getloadavg()
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=case["folder"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _sample_tree(process.pid, cpu))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    output = process.stdout.read().decode()
    process.stdout.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"hkbt sweep failed:\n{output}")
    summary = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
    written = sum(p.stat().st_size for p in folder.iterdir())
    by_depth = [sum(seconds for depth, seconds in cpu.values() if depth == level) for level in range(2)]
    return {"combinations": summary["combinations"], "ok": summary["ok"], "failed": summary["failed"], "wall_s": wall,
            "sweep_s": summary["seconds"], "median_combo_cpu_s": summary["median_combo_seconds"], "workers": workers,
            "peak_tree_rss_mb": peak[0] / 2**20, "written_mb": written / 2**20, "engine": summary["engine"],
            "tree_cpu_s": usage.ru_utime + usage.ru_stime, "client_cpu_s": by_depth[0], "workers_cpu_s": by_depth[1],
            "combo_cpu_s": summary["combo_cpu_seconds"], "load_avg_before": load, "load_avg_after": os.getloadavg(), "folder": str(folder)}


def vectorbt_comparison(case: dict[str, Path], python: str, combos: int) -> dict[str, object]:
    """Part 3: the same grid in vectorbt, run by another interpreter (see benchmarks/vectorbt_grid.py)."""
    from hkbt.config import load_config
    from hkbt.pipeline import build_inputs

    base = load_config(case["config"])
    inputs = build_inputs(base, case["config"].parent)
    sessions = inputs.sessions
    close = {t: inputs.prices[t].close.reindex(sessions) for t in base.universe.tickers}
    opens = {t: inputs.prices[t].open.reindex(sessions) for t in base.universe.tickers}
    import pandas as pd

    payload = case["folder"] / "vectorbt"
    payload.mkdir(exist_ok=True)
    pd.DataFrame(close).to_parquet(payload / "close.parquet")
    pd.DataFrame(opens).to_parquet(payload / "open.parquet")
    inputs.signals.to_parquet(payload / "signals.parquet")
    (payload / "grid.json").write_text(json.dumps(grid(combos)), encoding="utf-8")
    result = subprocess.run([python, str(Path(__file__).with_name("vectorbt_grid.py")), str(payload)], capture_output=True, text=True)
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "failed"}
    return json.loads(result.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=9, help="combinations timed in part 1")
    parser.add_argument("--combos", type=int, default=1000, help="size of the part 2 grid")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--vectorbt-python", help="a Python with vectorbt installed, for part 3")
    parser.add_argument("--keep", type=Path, help="build the case in this folder and keep it")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--skip", nargs="*", default=[], choices=["per-combo", "sweep"], help="parts to leave out")
    args = parser.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="hkbt-bench-sweep-"))
    case = cases.build_case(root / "real")
    report: dict[str, object] = {"load_avg_at_start": os.getloadavg(), "cpus": os.cpu_count()}
    if "per-combo" not in args.skip:
        report["per_combination"] = part = per_combination(case, args.pairs)
        print(f"per combination (in-process, CPU, median of {len(part['rows'])}): Backtrader run {part['median_backtest_s']:.3f} s, "
              f"sweep task {part['median_run_combo_s']:.3f} s; paired ratio {part['median_ratio']:.2f}x [target <= {TARGET_RATIO}x]")
    if "sweep" not in args.skip:
        report["sweep"] = whole = whole_sweep(case, args.combos, args.workers)
        per = whole["wall_s"] * whole["workers"] / max(whole["combinations"], 1)
        line = (f"hkbt sweep, {whole['combinations']} combinations ({whole['failed']} failed) on {whole['engine']}: {whole['wall_s']:.0f} s wall "
                f"(sweep itself {whole['sweep_s']:.0f} s), {per:.3f} s per combination per worker, median {whole['median_combo_cpu_s']:.3f} s CPU "
                f"per combination; peak memory of all processes {whole['peak_tree_rss_mb']:.0f} MB; wrote {whole['written_mb']:.1f} MB. "
                f"CPU of the process tree {whole['tree_cpu_s']:.0f} s: the client (inputs, scheduler, results) {whole['client_cpu_s']:.0f} s, "
                f"the worker processes {whole['workers_cpu_s']:.0f} s (sampled every 0.2 s), of which the combinations themselves "
                f"{whole['combo_cpu_s']:.0f} s; load average {whole['load_avg_before'][0]:.1f} before, {whole['load_avg_after'][0]:.1f} after")
        if "per_combination" in report:
            backtest = report["per_combination"]["median_backtest_s"]
            cpu = whole["tree_cpu_s"] / max(whole["combinations"], 1)
            line += (f"; per combination {per / backtest:.2f}x the in-process Backtrader run by wall time, "
                     f"{cpu / backtest:.2f}x by the tree's CPU ({cpu:.3f} s, inputs and start-up included)")
        print(line + (f"  [target <= {TARGET_1000_S:.0f} s]" if whole["combinations"] >= 1000 else ""))
    if args.vectorbt_python:
        report["vectorbt"] = vbt = vectorbt_comparison(case, args.vectorbt_python, args.combos)
        if "error" in vbt:
            print(f"vectorbt: could not run ({vbt['error']})")
        else:
            print(f"vectorbt {vbt['version']}: the same {vbt['combinations']} combinations in {vbt['seconds']:.1f} s wall in one process "
                  f"({1000 * vbt['seconds'] / vbt['combinations']:.1f} ms per combination; first call incl. numba compilation "
                  f"{vbt['first_seconds']:.1f} s)")
    return cases.finish(report, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
