"""``hkbt study``: the event study command (a thin layer over :mod:`hkbt.analysis.event_study`).

Registered on the main group in :mod:`hkbt.cli.main`, so an
:class:`~hkbt.errors.HkbtError` becomes one ``error:`` line and exit status 2.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hkbt.cli.common import (
    collect_garbage_rarely,
    experiment_options,
    load_experiment,
    progress_bars,
    show_simulated_banner,
    show_warnings,
)
from hkbt.errors import HkbtError


@click.command()
@experiment_options(name_help="Folder under backtests/ to add the study files to; same as --set run.name=NAME.")
@click.option("--horizons", metavar="K,K,...",
              help="Forward horizons in sessions (open of the tradable session to the open k sessions later); "
                   "same as --set study.horizons=[K,...] [default: 1,3,5,10].")
@click.option("--buckets", "bucket_edges", metavar="E,E,...",
              help="Score bucket edges (write --buckets=-0.5,0,0.5 when the first is negative); "
                   "same as --set study.buckets=[E,...] [default: -0.5,0,0.5].")
@click.option("--beta-window", type=int, metavar="N",
              help="Sessions of returns before each event for the beta-adjusted AR, 0 = off; "
                   "same as --set study.beta_window=N [default: 120].")
def study(config_path: Path, overrides: tuple[str, ...], name: str | None, horizons: str | None, bucket_edges: str | None,
          beta_window: int | None) -> None:
    """Event study: do the news scores predict abnormal returns vs the benchmark?

    For every tradable news event (item x linked ticker, market-wide policy
    items x every ticker), the return from the open of its tradable session to
    the open k sessions later, minus the benchmark's over the same dates,
    averaged by topic and by score bucket, with t-statistics and CAR curves.
    The options are the config's study: section (and part of its hash).

    Adds study.csv, study_events.csv, study_car.csv and study.html to
    backtests/<name>/ (other files there, e.g. a run's, are kept).

    \b
    Example:
      hkbt study --set prices.source=csv --set prices.csv_dir=../shared/data/prices --name real
      hkbt study --name real --horizons 1,5 --buckets=-0.5,-0.05,0.05,0.5
    """
    from hkbt.analysis.event_study import run_study, write_study
    from hkbt.backtest.results import claim_run_folder
    from hkbt.reports.study_page import render_study

    collect_garbage_rarely()  # a study builds the same inputs as a run
    started = time.perf_counter()
    options = [f"study.horizons=[{horizons}]"] if horizons is not None else []
    options += [f"study.buckets=[{bucket_edges}]"] if bucket_edges is not None else []
    options += [f"study.beta_window={beta_window}"] if beta_window is not None else []
    config, base_dir, folder = load_experiment(config_path, tuple(options) + overrides, name)
    with claim_run_folder(folder):  # one command per run name; never a folder hkbt did not write
        with progress_bars() as bars:
            artifacts = run_study(config, base_dir, bars)
        warnings = list(artifacts.warnings)
        ran_with = _run_settings_hash(folder)
        shared = config.config_hash(exclude=STUDY_ONLY)
        if ran_with and ran_with != shared:
            warnings.append(f"{folder.name}/ holds a run made with another config ({ran_with}); the study uses {shared}")
        show_warnings(warnings)
        write_study(artifacts, folder, render_study(artifacts))
    show_study(artifacts)
    if config.prices.source == "synthetic":
        show_simulated_banner()
    Console().print(f"wrote {folder}/study.csv, study_events.csv, study_car.csv  ({time.perf_counter() - started:.1f}s)\n"
                    f"report: {folder / 'study.html'}", highlight=False)


STUDY_ONLY = ("study", "strategy", "costs", "run.name", "run.initial_cash", "run.output_dir")  # settings a study does not use


def _run_settings_hash(folder: Path) -> str | None:
    """The hash of a finished run's settings that a study shares (news, sentiment, prices ...), if the folder holds a run."""
    from hkbt.config import load_config

    path = folder / "config.resolved.yaml"
    if not path.is_file():
        return None
    try:
        return load_config(path, strategy=False).config_hash(exclude=STUDY_ONLY)
    except HkbtError:
        return "unreadable"


def show_study(artifacts) -> None:
    """Print mean abnormal return (t per session) per group and horizon on stdout, then why that t."""
    meta, summary = artifacts.meta, artifacts.summary
    table = Table(title=escape(f"event study {meta['name']}: {meta['start']} → {meta['end']}, {meta['events']} events\n"
                               f"mean abnormal return vs {meta['benchmark']}, % (t per session)"), box=box.SIMPLE_HEAD)
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
            cells.append(mean + ("" if math.isnan(row.t_stat_sessions) else f" ({row.t_stat_sessions:.1f})"))
        label = group if group_by in ("all", group) else f"{group_by} {group}"
        table.add_row(escape(label), str(rows.events.iloc[0]), *cells)
    Console().print(table)
    Console().print("t per session: the abnormal returns of one tradable session are averaged first, so a day counts once "
                    "(a market item that reaches nine names is one observation, not nine); the event-level t "
                    "(t_stat in study.csv) treats same-day events as independent and overstates significance.", highlight=False)
    excluded = {k: {s: n for s, n in counts.items() if s != "ok"} for k, counts in meta["statuses"].items()}
    if any(excluded.values()):
        parts = [f"+{k}: " + ", ".join(f"{n} {s}" for s, n in why.items()) for k, why in excluded.items() if why]
        Console().print("excluded events: " + "; ".join(parts), highlight=False)
