"""What one ``hkbt run`` costs, against Backtrader alone replaying the same trades.

    .venv/bin/python benchmarks/bench_run.py                 # the real case, 5 paired runs
    .venv/bin/python benchmarks/bench_run.py --repeat 7 --big # and the 100,000-news case
    .venv/bin/python benchmarks/bench_run.py --json out.json # also keep every figure

The real case (see ``benchmarks/cases.py``): the nine names, 2020-01-02 .. 2024-12-31, 20,000
real Reuters and RTHK headlines, csv prices, the default strategy.

1. **Paired runs.** Each round runs ``hkbt run`` as a fresh process (start-up, imports,
   every stage, the run folder and its report, the index page), then
   ``benchmarks/bare_replay.py`` (Backtrader and pandas only: the same price files, the
   same trades). The figure is the median over rounds of the per-round ratio of CPU time
   (user + system of the child process), which stays meaningful on a shared machine where
   wall time does not; wall times are shown too. Runs are measured twice: with the score
   cache warm (the usual case: re-running an experiment) and without a cache
   (``sentiment.cache_dir=null``: all 20,000 headlines scored).
2. **Stages.** One in-process run with a timer around each stage that ``run_pipeline``
   calls, then the run folder and the report (rendered as ``hkbt run`` renders it, from
   the run held in memory), best of ``--repeat`` (CPU seconds).
3. **Start-up.** ``python -c "import hkbt.cli.main"`` and ``hkbt --help`` as processes.
4. ``--big``: the 100,000-item case, ``hkbt run`` wall and CPU time (no score cache, and
   with a warm one).

Targets (issue 11): run <= 1.5x the bare replay; 100,000 news <= 10 s. Timings depend on
the machine and its load: this is a script, never a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cases  # noqa: E402

REPO = cases.REPO
BIN = Path(sys.executable).parent
TARGET_RATIO, TARGET_BIG_S = 1.5, 10.0
STAGES = [  # names run_pipeline looks up in its module; each is timed where it is called (missing names are skipped)
    "file_digest", "read_prepared", "write_prepared", "read_news", "detect_languages", "filter_languages", "compose_text",
    "mask_false_friends", "link_entities",
    "compute_sentiment", "tag_topics", "assign_scope", "assign_tradable_session", "build_signals", "load_prices",
    "run_backtest", "build_trades", "compute_index_benchmark", "compute_metrics", "compute_data_hash",
]


def measure(command: list[str], cwd: Path) -> dict[str, float]:
    """Run ``command`` as a child process; its wall time, CPU time (user + sys) and peak memory."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    out, err = process.stdout.read().decode(), process.stderr.read().decode()
    process.stdout.close(), process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{err}{out}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024, "out": out}


def hkbt_run(config: Path, name: str) -> list[str]:
    return [str(BIN / "hkbt"), "run", "--config", str(config), "--name", name]


def bare(case: dict[str, Path], trades: Path) -> list[str]:
    return [sys.executable, str(REPO / "benchmarks" / "bare_replay.py"), str(case["prices"]), str(trades),
            cases.START, cases.END, ",".join(cases.TICKERS)]


def paired(case: dict[str, Path], config: Path, repeat: int) -> dict[str, object]:
    """``repeat`` rounds of (hkbt run, bare replay); per-round CPU ratios and their median."""
    folder = case["folder"]
    measure(hkbt_run(config, "warmup"), folder)  # fills the score cache (when there is one) and the OS file cache
    trades = folder / "out" / "warmup" / "trades.csv"
    rounds = []
    for _ in range(repeat):
        run = measure(hkbt_run(config, "paired"), folder)
        replay = measure(bare(case, trades), folder)
        rounds.append({"run_cpu": run["cpu"], "run_wall": run["wall"], "bare_cpu": replay["cpu"], "bare_wall": replay["wall"],
                       "ratio_cpu": run["cpu"] / replay["cpu"], "ratio_wall": run["wall"] / replay["wall"], "run_rss_mb": run["rss_mb"],
                       "bare_out": replay["out"].strip()})
    med = {key: statistics.median(r[key] for r in rounds) for key in rounds[0] if key != "bare_out"}
    return {"rounds": rounds, "median": med, "bare_out": rounds[-1]["bare_out"]}


def stage_times(config: Path, repeat: int) -> dict[str, float]:
    """Best-of-``repeat`` CPU seconds per stage of one in-process run (see the module docstring)."""
    import hkbt.pipeline as pipeline
    from hkbt.backtest import results
    from hkbt.config import load_config
    from hkbt.reports import run_report

    best: dict[str, float] = {}
    spent: dict[str, float] = {}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            tick = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.process_time() - tick
        return wrapper

    originals = {name: getattr(pipeline, name) for name in STAGES if hasattr(pipeline, name)}
    for name, function in originals.items():
        setattr(pipeline, name, timed(name, function))
    try:
        for _ in range(repeat):
            spent.clear()
            cfg = load_config(config, ["run.name=stages"])
            tick = time.process_time()
            artifacts = pipeline.run_pipeline(cfg, config.parent)
            total = time.process_time() - tick
            spent["(rest of run_pipeline)"] = total - sum(spent.values())
            with tempfile.TemporaryDirectory() as scratch:
                tick = time.process_time()
                results.write_run(artifacts, Path(scratch) / "stages", timed("render report", run_report.render_report))
                spent["write run folder"] = time.process_time() - tick - spent["render report"]
            for name, seconds in spent.items():
                best[name] = min(best.get(name, float("inf")), seconds)
    finally:
        for name, function in originals.items():
            setattr(pipeline, name, function)
    return best


def startup(folder: Path, repeat: int) -> dict[str, float]:
    """Median CPU seconds of bare start-up commands."""
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import hkbt.cli.main": [sys.executable, "-c", "import hkbt.cli.main"],
        "hkbt --help": [str(BIN / "hkbt"), "--help"],
        "hkbt run --help": [str(BIN / "hkbt"), "run", "--help"],
    }
    return {label: statistics.median(measure(cmd, folder)["cpu"] for _ in range(repeat)) for label, cmd in commands.items()}


def big_case(root: Path, repeat: int) -> dict[str, float]:
    case = cases.build_case(root / "big", items=100_000)
    cold = [measure(hkbt_run(case["config_nocache"], "big"), case["folder"]) for _ in range(max(repeat // 2, 1))]
    measure(hkbt_run(case["config"], "big"), case["folder"])
    warm = [measure(hkbt_run(case["config"], "big"), case["folder"]) for _ in range(max(repeat // 2, 1))]
    return {"nocache_wall": statistics.median(r["wall"] for r in cold), "nocache_cpu": statistics.median(r["cpu"] for r in cold),
            "warm_wall": statistics.median(r["wall"] for r in warm), "warm_cpu": statistics.median(r["cpu"] for r in warm),
            "rss_mb": max(r["rss_mb"] for r in cold + warm)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="paired rounds (and best-of for stages)")
    parser.add_argument("--big", action="store_true", help="also time the 100,000-news case")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--keep", type=Path, help="build the cases in this folder and keep them")
    args = parser.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="hkbt-bench-run-"))
    case = cases.build_case(root / "real")
    report: dict[str, object] = {"machine": {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()}}

    report["startup_cpu_s"] = start = startup(case["folder"], args.repeat)
    print("start-up, CPU s (median):  " + "  ".join(f"{k}: {v:.2f}" for k, v in start.items()))

    for label, config in (("warm score cache", case["config"]), ("no score cache", case["config_nocache"])):
        result = paired(case, config, args.repeat)
        report[f"paired ({label})"] = result
        m = result["median"]
        print(f"run vs bare replay, {label}: run {m['run_cpu']:.2f} s CPU ({m['run_wall']:.2f} s wall, {m['run_rss_mb']:.0f} MB), "
              f"bare {m['bare_cpu']:.2f} s CPU ({m['bare_wall']:.2f} s wall); median ratio {m['ratio_cpu']:.2f}x CPU, "
              f"{m['ratio_wall']:.2f}x wall  [target <= {TARGET_RATIO}x]   bare: {result['bare_out']}")

    report["stages_cpu_s"] = stages = stage_times(case["config"], args.repeat)
    total = sum(stages.values())
    print(f"stages (in-process, warm cache, best of {args.repeat}, CPU s; total {total:.2f}):")
    for name, seconds in sorted(stages.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<26} {seconds:6.3f}  {100 * seconds / total:5.1f} %")

    if args.big:
        report["big"] = big = big_case(root, args.repeat)
        report["big_stages_cpu_s"] = big_stages = stage_times(root / "big" / "config.yaml", 1)
        print("100,000 news, stages (in-process, warm cache, CPU s): " + ", ".join(
            f"{name} {seconds:.2f}" for name, seconds in sorted(big_stages.items(), key=lambda kv: -kv[1]) if seconds >= 0.05))
        print(f"100,000 news: no cache {big['nocache_wall']:.1f} s wall ({big['nocache_cpu']:.1f} s CPU); warm cache "
              f"{big['warm_wall']:.1f} s wall ({big['warm_cpu']:.1f} s CPU); peak {big['rss_mb']:.0f} MB  [target <= {TARGET_BIG_S:.0f} s]")
    return cases.finish(report, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
