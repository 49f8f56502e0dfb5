"""The Python API for notebooks and scripts: ``hkbt.run(config) -> Run``.

It runs exactly what ``hkbt run`` runs (:func:`hkbt.pipeline.run_pipeline`)
and, unless ``write=False``, writes the same run folder, report and index::

    import hkbt

    result = hkbt.run("config.yaml", set=["prices.source=synthetic"], name="nb")
    result.metrics["sharpe"], len(result.trades), result.report_path   # (0.42, 5, PosixPath('backtests/nb/report.html'))
    result.equity.plot(y=["value_hkd", "benchmark_hkd"], backend="plotly")   # matplotlib is not a dependency

Errors are the same :class:`~hkbt.errors.HkbtError` the command line prints
as one line (``str(error)`` is that line).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from hkbt.config import Config, apply_override, load_config, validate_config


@dataclass
class Run:
    """One finished backtest.

    ``metrics``: what metrics.json holds (statistics plus a ``run`` block);
    ``trades``: one row per round trip with the news it cites (trades.csv);
    ``equity``: strategy, cash, positions and benchmark per session (equity.csv);
    ``skipped``: signals no order cited, and why (skipped.csv);
    ``report_path`` / ``folder``: where the run was written (None with ``write=False``).
    """

    config: Config
    metrics: dict[str, Any]
    trades: pd.DataFrame
    equity: pd.DataFrame
    signals: pd.DataFrame
    skipped: pd.DataFrame
    news: pd.DataFrame
    warnings: list[str]
    folder: Path | None
    report_path: Path | None


def run(config: str | Path | Mapping[str, Any] | Config = "config.yaml", *, set: Sequence[str] = (),  # noqa: A002 - as on the command line
        name: str | None = None, write: bool = True) -> Run:
    """Run one backtest, like ``hkbt run``, and return its results.

    Args:
        config: a YAML file (relative paths in it are read from its folder),
            a mapping of settings, or a :class:`~hkbt.config.Config`
            (relative paths read from the working directory).
        set: ``"key=value"`` overrides, as ``--set`` on the command line.
        name: the run name (``run.name``).
        write: write ``<run.output_dir>/<name>/`` with its report and update
            the index (as ``hkbt run`` does); False keeps everything in memory.

    Raises:
        hkbt.errors.HkbtError: bad config or data, as one readable line.
    """
    from hkbt.backtest.results import claim_run_folder, run_folder, write_run
    from hkbt.pipeline import run_pipeline

    overrides = list(set) + ([f"run.name={json.dumps(name)}"] if name else [])
    if isinstance(config, (str, Path)):
        settings, base_dir = load_config(Path(config), overrides), Path(config).resolve().parent
    else:
        raw = config.resolved() if isinstance(config, Config) else dict(config)
        for item in overrides:
            apply_override(raw, item)
        settings, base_dir = validate_config(raw, Path.cwd(), lambda loc: "set" if loc else "config"), Path.cwd()
    if not write:
        artifacts = run_pipeline(settings, base_dir)
        return Run(settings, artifacts.metrics, artifacts.trades, artifacts.equity, artifacts.signals, artifacts.skipped,
                   artifacts.news, artifacts.warnings, None, None)
    from hkbt.reports.compare import write_index
    from hkbt.reports.run_report import render_report

    folder = run_folder(base_dir / settings.run.output_dir, settings.run.name)
    with claim_run_folder(folder):  # as hkbt run: one command per run name, never a folder hkbt did not write
        artifacts = run_pipeline(settings, base_dir)
        write_run(artifacts, folder, render_report)
    warnings = list(artifacts.warnings)
    write_index(folder.parent, warnings)
    return Run(settings, artifacts.metrics, artifacts.trades, artifacts.equity, artifacts.signals, artifacts.skipped,
               artifacts.news, warnings, folder, folder / "report.html")
