"""``hkbt study``: the event study command (a thin layer over :mod:`hkbt.study`).

Registered on the main group at the end of :mod:`hkbt.cli` (which is imported
lazily here, so either module can be imported first), so an
:class:`~hkbt.errors.HkbtError` becomes one ``error:`` line and exit status 2.
"""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich import box
from rich.table import Table


@click.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=Path("config.yaml"), show_default=True,
              help="YAML experiment file; relative paths inside it are read from its folder.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config key, e.g. --set run.start=2024-04-01. Repeatable.")
@click.option("--name", help="Folder under backtests/ to add the study files to; same as --set run.name=NAME.")
@click.option("--horizons", default="1,3,5,10", show_default=True,
              help="Forward horizons in sessions, from the open of the tradable session to the open k sessions later.")
@click.option("--buckets", "bucket_edges", default="-0.5,0,0.5", show_default=True,
              help="Score bucket edges (write --buckets=-0.5,0,0.5 when the first edge is negative).")
@click.option("--beta-window", type=click.IntRange(min=0), default=120, show_default=True,
              help="Sessions of returns before each event for the beta-adjusted AR; 0 = off.")
def study(config_path: Path, overrides: tuple[str, ...], name: str | None, horizons: str, bucket_edges: str,
          beta_window: int) -> None:
    """Event study: do the news scores predict abnormal returns vs the benchmark?

    For every tradable news event (item x linked ticker, market-wide policy
    items x every ticker), the return from the open of its tradable session to
    the open k sessions later, minus the benchmark's over the same dates,
    averaged by topic and by score bucket, with t-statistics and CAR curves.

    Adds study.csv, study_events.csv, study_car.csv and study.html to
    backtests/<name>/ (other files there, e.g. a run's, are kept).

    \b
    Example:
      hkbt study --set prices.source=csv --set prices.csv_dir=../shared/data/prices --name real
      hkbt study --name real --horizons 1,5 --buckets=-0.5,-0.05,0.05,0.5
    """
    from hkbt.cli import _progress, err_console
    from hkbt.config import load_config
    from hkbt.pipeline import SIMULATED_BANNER
    from hkbt.results import run_folder
    from hkbt.study import parse_bucket_edges, parse_horizons, run_study, write_study
    from hkbt.study_report import render_study

    started = time.perf_counter()
    steps, edges = parse_horizons(horizons), parse_bucket_edges(bucket_edges)
    config = load_config(config_path, list(overrides) + ([f"run.name={json.dumps(name)}"] if name else []))
    base_dir = config_path.resolve().parent
    folder = run_folder(base_dir / config.run.output_dir, config.run.name)
    simulated = config.prices.source == "synthetic"
    with _progress() as bars:
        artifacts = run_study(config, base_dir, steps, edges, beta_window, bars)
    warnings = list(artifacts.warnings)
    run_hash = _run_config_hash(folder)
    if run_hash and run_hash != artifacts.meta["config_hash"]:
        warnings.append(f"{folder.name}/ holds a run made with another config ({run_hash}); the study uses {artifacts.meta['config_hash']}")
    for line in warnings:
        err_console.print(f"[yellow]warning:[/] {escape(line)}", highlight=False, soft_wrap=True)
    write_study(artifacts, folder, render_study(artifacts))
    show_study(artifacts)
    if simulated:
        err_console.print(f"[bold white on red] {SIMULATED_BANNER} [/] prices.source=synthetic: a simulated market for demos only")
    Console().print(f"wrote {folder}/study.csv, study_events.csv, study_car.csv  ({time.perf_counter() - started:.1f}s)\n"
                    f"report: {folder / 'study.html'}", highlight=False)


def _run_config_hash(folder: Path) -> str | None:
    """The config_hash in the header of a run's config.resolved.yaml, if the folder holds a run."""
    path = folder / "config.resolved.yaml"
    if not path.is_file():
        return None
    match = re.search(r"config_hash (\w+)", path.read_text(encoding="utf-8").split("\n", 1)[0])
    return match.group(1) if match else None


def show_study(artifacts) -> None:
    """Print mean abnormal return (t-statistic) per group and horizon on stdout."""
    meta, summary = artifacts.meta, artifacts.summary
    table = Table(title=escape(f"event study {meta['name']}: {meta['start']} → {meta['end']}, {meta['events']} events\n"
                               f"mean abnormal return vs {meta['benchmark']}, % (t)"), box=box.SIMPLE_HEAD)
    table.add_column("group", no_wrap=True)
    table.add_column("n", justify="right", min_width=3)
    for k in artifacts.horizons:
        table.add_column(f"+{k}", justify="right", no_wrap=True)
    previous = None
    for (group_by, group), rows in summary.groupby(["group_by", "group"], sort=False):
        if previous is not None and group_by != previous:
            table.add_section()
        previous = group_by
        cells = []
        for row in rows.itertuples():
            mean = "—" if math.isnan(row.mean_ar_pct) else f"{row.mean_ar_pct:+.2f}"
            cells.append(mean + ("" if math.isnan(row.t_stat) else f" ({row.t_stat:.1f})"))
        table.add_row(escape(group), str(rows.events.iloc[0]), *cells)
    Console().print(table)
    excluded = {k: {s: n for s, n in counts.items() if s != "ok"} for k, counts in meta["statuses"].items()}
    if any(excluded.values()):
        parts = [f"+{k}: " + ", ".join(f"{n} {s}" for s, n in why.items()) for k, why in excluded.items() if why]
        Console().print("excluded events: " + "; ".join(parts), highlight=False)
