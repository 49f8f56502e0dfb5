"""``hkbt check-lookahead``: does a strategy use anything it could not know yet?

A thin layer over :func:`hkbt.backtest.lookahead.check_lookahead`: the
experiment's news and prices are prepared once, then each strategy is run on
the full data and again with the future removed (cut at many sessions, and
with the news behind its entries published later). Any fill or equity value
that changes before the cut is look-ahead; the first one is named.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hkbt.cli.common import err_console, experiment_options, load_experiment, progress_bars, show_warnings

EXIT_LOOKAHEAD = 1


@click.command("check-lookahead")
@experiment_options(name_help=None)
@click.option("--strategy", "names", multiple=True, metavar="NAME",
              help="Strategy to check (repeatable); default the config's. Others run with their default params.")
@click.option("--all", "all_strategies", is_flag=True, help="Check every strategy hkbt can find (built-ins, strategy.path, strategies/, entry points).")
@click.option("--cuts", type=click.IntRange(min=1), default=20, show_default=True,
              help="Sessions with fills to cut the future at (plus half as many sessions with signals but no fill).")
@click.option("--moves", type=click.IntRange(min=0), default=10, show_default=True,
              help="News items behind entries to publish one session later.")
def check_lookahead(config_path: Path, overrides: tuple[str, ...], names: tuple[str, ...], all_strategies: bool,
                    cuts: int, moves: int) -> None:
    """Check strategies for look-ahead by re-running them without the future.

    For each cut session T: news not yet tradable at T and bars after T are
    removed, and T's close is mirrored around its open; every fill up to T's
    open and the equity before T must be unchanged. For each moved item: it
    is published at its session's cutoff instead; nothing before that session
    may change. Exit status 1 when a strategy fails, naming the first
    difference.

    \b
    Example:
      hkbt check-lookahead --set prices.source=synthetic
      hkbt check-lookahead --all --set prices.source=csv --set prices.csv_dir=../shared/data/prices
      hkbt check-lookahead --set strategy.path=tests/strategies_for_tests --strategy peeking_long --set prices.source=synthetic
    """
    from hkbt.backtest.discovery import available_strategies, find_strategy, validate_params
    from hkbt.backtest.lookahead import check_lookahead as run_check
    from hkbt.pipeline import build_inputs

    started = time.perf_counter()
    config, base_dir, _ = load_experiment(config_path, overrides, None)
    chosen = list(available_strategies(config.strategy.path, base_dir)) if all_strategies else list(dict.fromkeys(names or [config.strategy.name]))
    plans = []
    for name in chosen:  # every strategy is found and its params checked before any news is scored
        if name == config.strategy.name:
            found, params = config.strategy.found, config.strategy.params
        else:
            found, params = find_strategy(name, config.strategy.path, base_dir), {}
        plans.append((name, found.cls, validate_params(found.cls, params, config.topics)))
    with progress_bars() as bars:
        inputs = build_inputs(config, base_dir, bars)
    show_warnings(inputs.warnings)
    reports = []
    for name, cls, settings in plans:
        err_console.print(f"[dim]checking {escape(name)} ...[/]", highlight=False)
        reports.append((name, run_check(config, inputs.news, inputs.prices, inputs.sessions, cls, settings, cuts=cuts, moves=moves)))
    show_reports(reports)
    failed = [name for name, report in reports if not report.passed]
    Console().print(f"checked {len(reports)} strateg{'y' if len(reports) == 1 else 'ies'} in {time.perf_counter() - started:.1f}s", highlight=False)
    if failed:
        err_console.print(f"[bold red]look-ahead:[/] {escape(', '.join(failed))} changed the past when the future was removed", highlight=False)
        sys.exit(EXIT_LOOKAHEAD)


def show_reports(reports) -> None:
    """One row per strategy (what was tried, the verdict), then each failure's first difference in full."""
    table = Table(title="look-ahead check", box=box.SIMPLE_HEAD)
    for column in ("strategy", "fills", "cuts", "moved", "result"):
        table.add_column(column, justify="right" if column in {"fills", "cuts", "moved"} else "left", no_wrap=True)
    for name, report in reports:
        if report.passed:
            verdict = "[green]pass[/]" if report.fills else "[yellow]pass (no fills: nothing was tested)[/]"
        else:
            count = len(report.violations)
            verdict = f"[bold red]FAIL[/] ({count} difference{'' if count == 1 else 's'})"
        table.add_row(escape(name), str(report.fills), str(len(report.cuts)), str(len(report.moved)), verdict)
    console = Console()
    console.print(table)
    for name, report in reports:
        if not report.passed:
            console.print(f"{escape(name)}: first difference: {escape(str(report.first))}", highlight=False, soft_wrap=True)
