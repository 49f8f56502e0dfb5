"""``hkbt sweep``: many runs of one experiment with some settings varied (a thin layer over :mod:`hkbt.tuning.sweep`).

Every option has a key under ``sweep:`` in the experiment file; an option given here
overrides it (``--grid`` adds to or replaces ``sweep.grid`` key by key).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from hkbt.cli.common import err_console, experiment_options, show_simulated_banner, show_warnings

EXIT_INTERRUPTED = 130


def sweep_overrides(grids, ranges, random_n, optuna_n, objective, seed, save_top, walk_forward, pbo, pbo_blocks,
                    scheduler, workers, name) -> list[str]:
    """The command's options as ``--set sweep.*`` overrides (so the experiment file and the options share one schema)."""
    from hkbt.tuning.space import parse_range, parse_values, value_text

    items = []
    for text in grids:
        key, values = parse_values("--grid", text)
        items.append(f"sweep.grid.{key}={value_text(values)}")
    for text in ranges:
        key, spec = parse_range(text)
        items.append(f"sweep.ranges.{key}={value_text(spec)}")
    options = {"random": random_n, "optuna": optuna_n, "objective": objective, "seed": seed, "save_top": save_top,
               "walk_forward": walk_forward, "pbo": True if pbo else None, "pbo_blocks": pbo_blocks, "scheduler": scheduler,
               "workers": workers, "name": name}
    items += [f"sweep.{key}={value_text(value)}" for key, value in options.items() if value is not None]
    return items


@click.command()
@experiment_options(name_help="Sweep name: results go to backtests/sweeps/NAME/ (default: sweep.name, else run.name).")
@click.option("--grid", "grids", multiple=True, metavar="KEY=V1,V2,...",
              help="Values of one setting; every combination of the grids runs. KEY as for --set; a bare name is a "
                   "strategy parameter (hold_days = strategy.params.hold_days). Values are YAML: 0.3,0.5 or [ai],[ai,policy] or null. Repeatable.")
@click.option("--range", "ranges", multiple=True, metavar="KEY=LOW:HIGH[:log]",
              help="A range to draw from with --random or --optuna (two whole numbers draw whole numbers). Repeatable.")
@click.option("--random", "random_n", type=click.IntRange(min=1), help="Run N random combinations instead of the whole grid.")
@click.option("--optuna", "optuna_n", type=click.IntRange(min=1), help="Let Optuna (TPE) choose N combinations, aiming at --objective.")
@click.option("--objective", help="metrics.json figure that ranks combinations [default: sharpe], e.g. excess_return, calmar, max_drawdown.")
@click.option("--seed", type=int, help="Seed of the --random and --optuna draws [default: 0].")
@click.option("--save-top", "save_top", type=click.IntRange(min=0), metavar="K",
              help="Also write full run folders (with reports) for the K best combinations.")
@click.option("--walk-forward", "walk_forward", metavar="train=2y,test=6m[,step=6m]",
              help="Choose the best combination on each training part, judge it on the test part that follows.")
@click.option("--pbo", is_flag=True, help="Probability of backtest overfitting by combinatorially symmetric cross-validation.")
@click.option("--pbo-blocks", "pbo_blocks", type=int, metavar="S", help="CSCV blocks (even) [default: 16].")
@click.option("--scheduler", metavar="tcp://HOST:8786",
              help="Run on an existing Dask cluster [default: $HKBT_DASK_SCHEDULER, else a local cluster].")
@click.option("--workers", type=click.IntRange(min=0), help="Local cluster: worker processes [default: every core]; 0 = in this process, no Dask.")
def sweep(config_path: Path, overrides: tuple[str, ...], name: str | None, grids, ranges, random_n, optuna_n, objective, seed,
          save_top, walk_forward, pbo, pbo_blocks, scheduler, workers) -> None:
    """Run many combinations of an experiment's settings and judge them honestly.

    News, scores, signals and prices are computed once (per distinct input setting)
    and shared; every combination then runs the same backtest code as `hkbt run`, on
    a Dask cluster (a local one with a worker per core by default). Results:
    backtests/sweeps/NAME/results.parquet and .csv (one row per combination: its
    values and every metrics.json figure) and sweep.html (sortable table, heatmap,
    sensitivity, deflated Sharpe ratio, and PBO / walk-forward when asked). An
    interrupted sweep resumes where it stopped when run again.

    \b
    Examples:
      hkbt sweep --set prices.source=synthetic --grid entry_threshold=0.3,0.4,0.5,0.6 --grid hold_days=3,5,10 --name demo
      hkbt sweep --grid hold_days=3,5,10 --range entry_threshold=0.2:0.8 --random 200 --pbo
      hkbt sweep --grid hold_days=2,3,5,10 --range entry_threshold=0.2:0.8 --optuna 100 --objective excess_return
      hkbt sweep --grid entry_threshold=0.3,0.5,0.7 --walk-forward train=2y,test=6m --save-top 3
      hkbt sweep --grid hold_days=3,5,10 --scheduler tcp://10.0.0.5:8786
    """
    from hkbt.backtest.results import add_files, claim_run_folder
    from hkbt.reports.compare import write_index
    from hkbt.reports.sweep_page import render_sweep
    from hkbt.tuning.engines import make_engine
    from hkbt.tuning.store import STORE_FILE, ResultStore
    from hkbt.tuning.sweep import finish_sweep, plan_sweep, run_sweep, save_top as save_top_runs, sweep_folder, write_sweep_files

    started = time.perf_counter()
    items = list(overrides) + sweep_overrides(grids, ranges, random_n, optuna_n, objective, seed, save_top, walk_forward,
                                              pbo, pbo_blocks, scheduler, workers, name)
    plan = plan_sweep(config_path, items)
    folder = sweep_folder(plan)
    with claim_run_folder(folder):
        engine = make_engine(plan.settings.scheduler, plan.settings.workers)  # before anything is written
        try:
            if not (folder / STORE_FILE).is_file():
                add_files(folder, lambda staging: (staging / STORE_FILE).touch())
            store = ResultStore(folder / STORE_FILE)
            with _ProgressBar() as hooks:
                run = run_sweep(plan, store, engine, hooks)
        except KeyboardInterrupt:
            done = sum(1 for o in store.outcomes.values() if o.status == "ok")
            err_console.print(f"interrupted: {done} finished combination(s) are kept in {folder / STORE_FILE}; "
                              "run the same command again to resume", highlight=False, soft_wrap=True)
            sys.exit(EXIT_INTERRUPTED)
        finally:
            engine.close()
        results, curves, summary = finish_sweep(run, store)
        links = save_top_runs(run, results, plan.settings.save_top, folder) if plan.settings.save_top else {}
        if summary["best"] is not None:
            summary["best"]["link"] = links.get(summary["best"]["combo_id"], "")
        write_sweep_files(folder, results, curves, summary, render_sweep(results, summary, links))
    output_dir = plan.base_dir / plan.base.run.output_dir
    index_warnings: list[str] = []
    if links:
        write_index(output_dir, index_warnings)
    show_warnings(summary["warnings"] + index_warnings)
    show_results(results, summary)
    if summary["simulated"]:
        show_simulated_banner()
    Console().print(f"wrote {folder}  ({time.perf_counter() - started:.1f}s)\nsweep: {folder / 'sweep.html'}", highlight=False)


def show_results(results, summary: dict) -> None:
    """The five best combinations and the guards' verdicts, on stdout."""
    from hkbt.reports.sweep_page import dsr_sentence, pbo_sentence, walk_forward_sentence
    from hkbt.tuning.space import short_name

    out = Console()
    ok = results[results.status == "ok"].sort_values("rank", kind="stable").head(5)
    table = Table(title=f"sweep {summary['name']}: {summary['ok']} of {summary['combinations']} combinations ran "
                        f"({summary['failed']} failed, {summary['cached']} from an earlier run) · {summary['engine']}")
    table.add_column("rank", justify="right")
    for key in summary["keys"]:
        table.add_column(short_name(key))
    table.add_column(summary["objective"], justify="right")
    table.add_column("return", justify="right")
    table.add_column("trades", justify="right")
    for _, row in ok.iterrows():
        table.add_row(str(row["rank"]), *(str(row[k]) for k in summary["keys"]), f"{row['objective']:.4g}",
                      f"{row['total_return_pct']:+.2f} %" if row.get("total_return_pct") is not None else "—", str(row.get("trades")))
    out.print(table)
    for key, sentence in (("dsr", dsr_sentence), ("pbo", pbo_sentence), ("walk_forward", walk_forward_sentence)):
        block = summary.get(key)
        if block and (key != "pbo" or "pbo" in block):
            out.print(sentence(block), highlight=False, soft_wrap=True)


class _ProgressBar:
    """A rich progress bar with an ETA on stderr (terminals only); yields :class:`hkbt.tuning.sweep.Hooks`."""

    def __enter__(self):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        from hkbt.tuning.sweep import Hooks

        self._bar = None
        if not err_console.is_terminal:
            return Hooks()
        self._bar = bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                   TextColumn("ETA"), TimeRemainingColumn(), console=err_console, transient=True)
        bar.__enter__()
        task = bar.add_task("preparing", total=None)

        def phase(text: str) -> None:
            bar.update(task, description=text)

        def total(count: int, done: int) -> None:
            bar.reset(task, total=count, completed=done, description="combinations")

        def advance(outcome) -> None:
            bar.update(task, advance=1)

        return Hooks(phase=phase, total=total, advance=advance)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
