"""``hkbt study``: the event study command (a thin layer over :mod:`hkbt.analysis.event_study`).

Registered on the main group in :mod:`hkbt.cli.main`, so an
:class:`~hkbt.errors.HkbtError` becomes one ``error:`` line and exit status 2.
"""

from __future__ import annotations

import math
import re
import time
from pathlib import Path

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hkbt.cli.common import experiment_options, load_experiment, progress_bars, show_simulated_banner, show_warnings


@click.command()
@experiment_options(name_help="Folder under backtests/ to add the study files to; same as --set run.name=NAME.")
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
    from hkbt.analysis.event_study import parse_bucket_edges, parse_horizons, run_study, write_study
    from hkbt.backtest.results import claim_run_folder
    from hkbt.reports.study_page import render_study

    started = time.perf_counter()
    steps, edges = parse_horizons(horizons), parse_bucket_edges(bucket_edges)
    config, base_dir, folder = load_experiment(config_path, overrides, name)
    with claim_run_folder(folder):  # one command per run name; never a folder hkbt did not write
        with progress_bars() as bars:
            artifacts = run_study(config, base_dir, steps, edges, beta_window, bars)
        warnings = list(artifacts.warnings)
        run_hash = _run_config_hash(folder)
        if run_hash and run_hash != artifacts.meta["config_hash"]:
            warnings.append(f"{folder.name}/ holds a run made with another config ({run_hash}); the study uses {artifacts.meta['config_hash']}")
        show_warnings(warnings)
        write_study(artifacts, folder, render_study(artifacts))
    show_study(artifacts)
    if config.prices.source == "synthetic":
        show_simulated_banner()
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
