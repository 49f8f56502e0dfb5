"""Command line: thin commands over the library.

Every :class:`~hkbt.errors.HkbtError` becomes one line on stderr::

    error: config.yaml:158: strategy.params.entry_threshold: must be between -1 and 1 (got 3)

and exit status 2, with no traceback and no half-written output.
"""

from __future__ import annotations

import importlib
import signal
import sys
import time
from pathlib import Path

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hkbt import __version__
from hkbt.cli.common import (
    collect_garbage_rarely,
    PATH,
    err_console,
    experiment_options,
    make_output_safe,
    load_experiment,
    progress_bars,
    show_settings,
    show_simulated_banner,
    show_warnings,
)
from hkbt.errors import HkbtError, one_line
from hkbt.files import Interrupted, interrupted_by, raise_on_signals

EXIT_USER_ERROR = 2

COMMANDS_ELSEWHERE = {
    "study": "hkbt.cli.study:study",
    "sentiment": "hkbt.cli.sentiment:sentiment",
    "check-lookahead": "hkbt.cli.check:check_lookahead",
    "config": "hkbt.cli.settings:show_config",
    "strategies": "hkbt.cli.settings:list_strategies",
    "sweep": "hkbt.cli.sweep:sweep",
    "news": "hkbt.cli.news:news",
    "today": "hkbt.cli.today:today",
}
"""Commands defined in their own modules (``name -> module:function``), imported only when that command
runs or the help lists it: ``hkbt run`` never pays for importing the news, sweep or sentiment commands."""


def _error(text: str, code: int = EXIT_USER_ERROR) -> None:
    err_console.print(f"[bold red]error:[/] {escape(text)}", markup=True, highlight=False, soft_wrap=True)
    sys.exit(code)


class _Group(click.Group):
    """Turns HkbtError from any command, and click's usage errors, into one ``error: ...`` line and exit 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:
            exc.show()  # bare `hkbt`: the help text
            sys.exit(exc.exit_code)
        except click.UsageError as exc:  # unknown command or option, a bad option value
            where = exc.ctx.command_path if exc.ctx else "hkbt"
            one_line = HkbtError(where, exc.format_message(), f"see `{where} --help`")
            _error(str(one_line), exc.exit_code)
        except click.ClickException as exc:
            _error(exc.format_message(), exc.exit_code)
        except click.Abort:
            if interrupted_by() is not None:
                _interrupted(interrupted_by())
            err_console.print("Aborted!", highlight=False)
            sys.exit(1)
        sys.exit(code or 0)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS_ELSEWHERE})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS_ELSEWHERE and name not in self.commands:
            module, function = COMMANDS_ELSEWHERE[name].split(":")
            self.add_command(getattr(importlib.import_module(module), function), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except HkbtError as exc:
            _error(str(exc))
        except Interrupted as exc:
            _interrupted(exc.signum)
        except Exception:
            if interrupted_by() is None:
                raise  # a bug: keep its traceback
            _interrupted(interrupted_by())  # the interruption, wrapped by extension code (e.g. pydantic's serializer)


def _interrupted(signum: int) -> None:
    name = signal.Signals(signum).name
    err_console.print(f"interrupted by {name}: a run folder is either complete or as it was before", highlight=False)
    sys.exit(128 + signum)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hkbt")
def cli() -> None:
    """Backtest news-sentiment strategies on Hong Kong tech stocks.

    News is scored, tagged (policy, AI), linked to companies and aligned to
    HKEX sessions without look-ahead; a Backtrader strategy trades it and the
    result is compared with buy-and-hold Hang Seng Index.

    \b
    Examples:
      hkbt run                                   # config.yaml
      hkbt run --set prices.source=synthetic --name demo
      hkbt run --config my.yaml --set strategy.params.entry_threshold=0.7 --name strict
      hkbt compare demo strict                   # side by side
      hkbt study --set prices.source=csv --name real   # do scores predict abnormal returns?
      hkbt sentiment score "Operating loss narrowed as costs fell"
      hkbt check-lookahead --all --set prices.source=synthetic   # does any strategy peek?
      hkbt strategies; hkbt config --set strategy.name=news_rebound
      hkbt sweep --set prices.source=synthetic --grid entry_threshold=0.3,0.5,0.7 --grid hold_days=3,5,10 --name demo
      hkbt news fetch --every 15m                # collect RSS, GDELT and Yahoo news into data/news.db
      hkbt today --set news.store=data/news.db   # the orders for the next XHKG open, with their news
    """


@cli.command()
@experiment_options(name_help="Run name (folder under backtests/); same as --set run.name=NAME. With --experiments: the experiment's name.")
@click.option("--experiments", "experiments_path", type=PATH, metavar="FILE",
              help="Run every variant of an experiment file (news, scores, signals and prices computed once) and compare them.")
def run(config_path: Path, overrides: tuple[str, ...], name: str | None, experiments_path: Path | None) -> None:
    """Run one backtest and write backtests/<name>/ (or every variant of an experiment file).

    Writes metrics.json, trades.csv, equity.csv, signals.csv, skipped.csv,
    news.csv, config.resolved.yaml and report.html, then prints the headline
    metrics. With --experiments FILE: one run folder per variant
    (backtests/<experiment>.<variant>/), one comparison page
    (backtests/compare/<experiment>.html) and a table of the variants.

    \b
    Example:
      hkbt run --set prices.source=csv --set prices.csv_dir=../shared/data/prices --name real
      hkbt run --experiments experiments.yaml --set prices.source=synthetic
    """
    from hkbt.backtest.results import claim_run_folder, write_run
    from hkbt.pipeline import resolve_path, run_pipeline
    from hkbt.reports.compare import write_index
    from hkbt.reports.run_report import keep_compiled_templates, render_report

    collect_garbage_rarely()
    started = time.perf_counter()
    if experiments_path is not None:
        run_experiments(experiments_path, overrides, name, started)
        return
    config, base_dir, folder = load_experiment(config_path, overrides, name)
    keep_compiled_templates(resolve_path(config.sentiment.cache_dir, base_dir) if config.sentiment.cache_dir else None)
    with claim_run_folder(folder):  # one command per run name; never a folder hkbt did not write
        with progress_bars() as bars:
            artifacts = run_pipeline(config, base_dir, bars)
        show_warnings(artifacts.warnings)
        write_run(artifacts, folder, render_report)  # the report is rendered from the written folder (its big files kept in memory)
    index_warnings: list[str] = []
    write_index(folder.parent, index_warnings)
    show_warnings(index_warnings)
    show_settings(config)
    show_metrics(artifacts.metrics)
    if config.prices.source == "synthetic":
        show_simulated_banner()
    Console().print(f"wrote {folder}  ({time.perf_counter() - started:.1f}s)\nreport: {folder / 'report.html'}", highlight=False)


def run_experiments(path: Path, overrides: tuple[str, ...], name: str | None, started: float) -> None:
    """``hkbt run --experiments FILE``: every variant validated, run on shared inputs, written, compared."""
    from hkbt.experiments import claim_variant_folders, load_experiment_file, run_experiment, write_experiment
    from hkbt.reports.run_report import render_report

    experiment = load_experiment_file(path, overrides, name)
    index_warnings: list[str] = []
    with claim_variant_folders(experiment):  # one command per run name; never a folder hkbt did not write
        with progress_bars() as bars:
            results = run_experiment(experiment, bars, lambda v: err_console.print(f"[dim]variant {escape(v.name)} ...[/]", highlight=False))
        show_warnings(list(dict.fromkeys(line for artifacts in results for line in artifacts.warnings)))
        folders, page = write_experiment(experiment, results, render_report, index_warnings)
    show_warnings(index_warnings)
    show_variants(experiment.name, [v.name for v in experiment.variants], [a.metrics for a in results])
    if any(v.config.prices.source == "synthetic" for v in experiment.variants):
        show_simulated_banner()
    Console().print(f"wrote {len(folders)} runs under {experiment.output_dir}  ({time.perf_counter() - started:.1f}s)\n"
                    f"comparison: {page}", highlight=False)


VARIANT_COLUMNS = [("return", "total_return_pct", "{:+.2f}%"), ("excess", "excess_return_pct", "{:+.2f}%"),
                   ("Sharpe", "sharpe", "{:.2f}"), ("max DD", "max_drawdown_pct", "{:.2f}%"), ("trades", "trades", "{}")]


def show_variants(experiment: str, names: list[str], metrics: list[dict]) -> None:
    """One row per variant: its strategy and headline metrics (benchmark in the title)."""
    first = metrics[0]["run"]
    bench = metrics[0].get("benchmark_total_return_pct")
    title = f"{experiment}: {first['start']} → {first['end']} · {first['benchmark']} {'—' if bench is None else f'{bench:+.2f} %'}"
    table = Table(title=escape(title), box=box.SIMPLE_HEAD)
    table.add_column("variant", no_wrap=True)
    strategies = [str(values["run"]["strategy"]) for values in metrics]
    named_after = strategies == list(names)  # the strategy column would repeat the variant names
    if not named_after:
        table.add_column("strategy", no_wrap=True)
    for label, *_ in VARIANT_COLUMNS:
        table.add_column(label, justify="right", no_wrap=True)
    for name, strategy, values in zip(names, strategies, metrics):
        cells = ["—" if values.get(key) is None else pattern.format(values[key]) for _, key, pattern in VARIANT_COLUMNS]
        table.add_row(escape(name), *([] if named_after else [escape(strategy)]), *cells)
    Console().print(table)


@cli.command()
@click.argument("runs", nargs=-1, metavar="RUN...")
@click.option("--all", "all_runs", is_flag=True, help="Compare every finished run folder in --dir.")
@click.option("--dir", "output_dir", type=PATH, default=Path("backtests"), show_default=True,
              help="Folder holding the run folders (run.output_dir); the page goes to <dir>/compare/.")
@click.option("--out", "slug", metavar="NAME", help="Page name under <dir>/compare/ (default: the run names joined by _vs_; 'all' with --all).")
def compare(runs: tuple[str, ...], all_runs: bool, output_dir: Path, slug: str | None) -> None:
    """Compare finished runs side by side: <dir>/compare/<NAME>.html.

    RUN is a run name (a folder in --dir) or the path of a run folder. The page
    has one metrics column per run with the best value of each row
    highlighted, overlaid equity curves and drawdowns with the benchmark, the
    config keys that differ, trades per ticker, and links to each report.
    Also regenerates <dir>/index.html.

    \b
    Example:
      hkbt run --set prices.source=synthetic --set strategy.params.entry_threshold=0.7 --name strict
      hkbt compare demo strict
      hkbt compare --all
    """
    from hkbt.reports.compare import list_runs, resolve_runs, write_compare, write_index
    from hkbt.errors import DataError

    if all_runs:
        found = list_runs(output_dir)
        folders = found + [f for f in resolve_runs(list(runs), output_dir) if f not in found]
        slug = slug or "all"
    elif runs:
        folders = resolve_runs(list(runs), output_dir)
    else:
        raise DataError("hkbt compare", "no runs given", "name runs, e.g. `hkbt compare demo strict`, or use --all")
    if not folders:
        raise DataError(str(output_dir), "no finished runs to compare", "run `hkbt run --name NAME` first")
    left_out: list[str] = []
    page = write_compare(folders, output_dir, slug, skipped=left_out if all_runs else None)
    compared = [f.name for f in folders if not any(note.startswith(f"left out {f.name}/:") for note in left_out)]
    index_warnings = list(left_out)
    index = write_index(output_dir, index_warnings) if output_dir.is_dir() else None
    show_warnings(index_warnings)
    Console().print(one_line(f"compared {len(compared)} run(s): {', '.join(compared)}") + f"\ncomparison: {page}"
                    + (f"\nindex: {index}" if index else ""), highlight=False)


@cli.command()
@click.argument("runs", nargs=-1, metavar="RUN...")
@click.option("--all", "all_runs", is_flag=True, help="Re-render every finished run folder in --dir.")
@click.option("--dir", "output_dir", type=PATH, default=Path("backtests"), show_default=True,
              help="Folder holding the run folders (run.output_dir).")
def report(runs: tuple[str, ...], all_runs: bool, output_dir: Path) -> None:
    """Re-render report.html of finished runs from their files (no backtest is re-run).

    Useful after upgrading hkbt, whose report may have gained sections. Also
    regenerates <dir>/index.html.

    \b
    Example:
      hkbt report demo
      hkbt report --all
    """
    from hkbt.reports.compare import list_runs, resolve_runs, write_index
    from hkbt.errors import DataError
    from hkbt.reports.run_report import write_report

    folders = list_runs(output_dir) if all_runs else resolve_runs(list(runs), output_dir)
    if not folders:
        raise DataError("hkbt report", "no runs to render", "name runs, e.g. `hkbt report demo`, or use --all")
    index_warnings: list[str] = []
    for folder in folders:
        try:
            Console().print(one_line(f"report: {write_report(folder)}"), highlight=False)
        except HkbtError as exc:
            if not all_runs:
                raise
            index_warnings.append(f"left out {folder.name}/: {exc}")  # --all: one broken folder does not stop the rest
    if output_dir.is_dir():
        write_index(output_dir, index_warnings)
    show_warnings(index_warnings)


METRIC_ROWS = [
    ("total return", "total_return_pct", "benchmark_total_return_pct", "{:+.2f} %"),
    ("CAGR", "cagr_pct", "benchmark_cagr_pct", "{:+.2f} %"),
    ("max drawdown", "max_drawdown_pct", "benchmark_max_drawdown_pct", "{:.2f} %"),
    ("excess return", "excess_return_pct", None, "{:+.2f} %"),
    ("annual volatility", "annual_volatility_pct", None, "{:.2f} %"),
    ("Sharpe", "sharpe", None, "{:.2f}"),
    ("Sortino", "sortino", None, "{:.2f}"),
    ("Calmar", "calmar", None, "{:.2f}"),
    ("alpha (annual)", "alpha_pct", None, "{:+.2f} %"),
    ("beta", "beta", None, "{:.2f}"),
    ("trades", "trades", None, "{}"),
    ("win rate", "win_rate_pct", None, "{:.1f} %"),
    ("profit factor", "profit_factor", None, "{:.2f}"),
    ("avg holding", "avg_holding_days", None, "{:.1f} sessions"),
    ("exposure", "exposure_pct", None, "{:.1f} %"),
    ("total costs", "total_costs_hkd", None, "HK$ {:,.0f}"),
]


def show_metrics(metrics: dict) -> None:
    """Print the headline metrics as a table on stdout."""
    run = metrics["run"]
    table = Table(title=f"{run['name']}: {run['start']} → {run['end']} · {run['strategy']} vs {run['benchmark']}")
    table.add_column("metric")
    table.add_column("strategy", justify="right")
    table.add_column(run["benchmark"], justify="right")

    def fmt(key: str | None, pattern: str) -> str:
        value = metrics.get(key) if key else None
        return "—" if value is None else pattern.format(value)

    for label, ours, theirs, pattern in METRIC_ROWS:
        table.add_row(label, fmt(ours, pattern), fmt(theirs, pattern) if theirs else "")
    Console().print(table)


def main() -> None:
    """Console-script entry point: ASCII-safe output; SIGINT, SIGTERM and SIGHUP end it cleanly."""
    make_output_safe()
    raise_on_signals()
    try:
        cli(prog_name="hkbt")
    except Interrupted as exc:  # one that arrived outside a command (start-up, or printing the last lines)
        _interrupted(exc.signum)
