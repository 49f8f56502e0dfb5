"""``hkbt config`` and ``hkbt strategies``: what a run would use, and what it could use.

``hkbt config`` prints a config as commented YAML, every key with its value
and the schema's description (``hkbt config > config.yaml`` regenerates the
default file). ``hkbt strategies`` lists every strategy hkbt can find, where
it comes from, and its parameters with their defaults.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hkbt.cli.common import experiment_options


@click.command("config")
@experiment_options(name_help=None)
@click.option("--defaults", is_flag=True, help="Start from the schema's defaults instead of the --config file.")
def show_config(config_path: Path, overrides: tuple[str, ...], defaults: bool) -> None:
    """Print a config as commented YAML: every key, its value and what it means.

    The values are those a run with the same --config and --set would use
    (defaults filled in, the strategy's own parameters included).

    \b
    Example:
      hkbt config --defaults > config.yaml              # the default file, regenerated from the schema
      hkbt config --set strategy.name=news_rebound      # see news_rebound's parameters in context
    """
    from hkbt.config import apply_override, load_config, validate_config
    from hkbt.config_yaml import render_config

    if defaults:
        raw: dict = {}
        for item in overrides:
            apply_override(raw, item)
        config = validate_config(raw, Path.cwd(), lambda loc: "--set")
    else:
        config = load_config(config_path, overrides)
    click.echo(render_config(config), nl=False)


@click.command("strategies")
@experiment_options(name_help=None)
def list_strategies(config_path: Path, overrides: tuple[str, ...]) -> None:
    """List the strategies hkbt can find, where each comes from, and its parameters.

    Searched in this order: strategy.path, strategies/ beside the config,
    the built-ins, the hkbt.strategies entry points (the first of a name wins).

    \b
    Example:
      hkbt strategies
      hkbt strategies --set strategy.path=~/my_strategies
    """
    from hkbt.backtest.discovery import available_strategies, find_strategy, param_fields
    from hkbt.config import load_config
    from hkbt.errors import HkbtError

    config = load_config(config_path, overrides, strategy=False) if config_path.is_file() or overrides else None
    path, base_dir = (config.strategy.path, config_path.resolve().parent) if config else (None, Path.cwd())
    table = Table(box=box.SIMPLE_HEAD)
    for column in ("strategy", "from", "parameters (defaults)"):
        table.add_column(column, overflow="fold")
    for name, source in available_strategies(path, base_dir).items():
        try:
            fields = param_fields(find_strategy(name, path, base_dir).cls.Params)
            params = ", ".join(f"{f.name}={f.default!r}" for f in fields) or "none"
        except HkbtError as exc:
            params = f"[red]cannot load: {escape(exc.what)}[/]"
        table.add_row(escape(name), escape(source), params if params.startswith("[red]") else escape(params))
    Console().print(table)
