"""Plumbing shared by the commands: experiment options, progress bars, messages.

``hkbt run`` and ``hkbt study`` read the same experiment (``--config``,
``--set``, ``--name``) and report the same way, so both build on these.
"""

from __future__ import annotations

import codecs
import gc
import json
import sys
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

err_console = Console(stderr=True)

# Paths are checked by the code that reads or writes them, which names the file and says what to do
# (click's own readable check would stop an unreadable file with a generic usage message first).
PATH = click.Path(path_type=Path, readable=False)

# what hkbt prints beyond ASCII, and what an ASCII-only terminal gets instead
_ASCII_TWINS = {"→": "->", "←": "<-", "—": "--", "–": "-", "…": "...", "·": "-", "≥": ">=", "≤": "<=", "×": "x",
                "−": "-", "₀": "0", "₁": "1", "₂": "2", "ₙ": "n", "√": "sqrt", "β": "beta", "‘": "'", "’": "'",
                "“": '"', "”": '"', "✓": "ok", "✗": "x", "✔": "ok"}


def _ascii_twin(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start:error.end]
    return "".join(_ASCII_TWINS.get(c) or c.encode("ascii", "backslashreplace").decode("ascii") for c in text), error.end


codecs.register_error("hkbt-ascii", _ascii_twin)


def make_output_safe(streams=None) -> None:
    """Let stdout/stderr print anything hkbt says, whatever their encoding.

    On a stream that cannot encode hkbt's arrows and dashes (e.g.
    ``PYTHONIOENCODING=ascii`` or a Latin-1 terminal), characters it cannot
    encode are written as ASCII twins (``→`` as ``->``) or ``\\uXXXX``
    escapes instead of failing with UnicodeEncodeError after the work is done.
    """
    for stream in streams or (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            "→—…·".encode(encoding)
            continue
        except (UnicodeEncodeError, LookupError):
            pass
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="hkbt-ascii")


GC_THRESHOLDS = (20_000, 50, 50)  # CPython's default is (700, 10, 10)


def collect_garbage_rarely() -> None:
    """Keep CPython's cycle collector from re-walking a command's long-lived objects over and over.

    Call it once the command has imported what it needs. A run builds millions of small
    objects that live until it ends (lists of news rows, the report's tables); with the
    default thresholds the collector starts every 700 allocations and every so often walks
    everything alive, imported modules included: 0.8 s of CPU in a 4 s run of the
    20,000-news case, 1.4 s at 100,000 news. What is alive now (the modules) is moved out
    of its reach (``gc.freeze``) and a collection starts after 20,000 allocations; cycles
    are still collected (the peak memory of those runs moved by less than 4 %). ``hkbt run``
    and ``hkbt study`` (0.7 s of CPU less on the 20,000-news case) do this; the library
    leaves the collector to its caller.
    """
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def experiment_options(name_help: str | None) -> Callable:
    """Decorate a command with ``--config``, ``--set`` (repeatable) and, given its help, ``--name``."""

    def decorate(command: Callable) -> Callable:
        if name_help is not None:
            command = click.option("--name", help=name_help)(command)
        command = click.option(
            "--set", "overrides", multiple=True, metavar="KEY=VALUE",
            help="Override a config key, typed by the schema, e.g. --set strategy.params.hold_days=10. Repeatable.",
        )(command)
        return click.option(
            "--config", "config_path", type=PATH, default=Path("config.yaml"), show_default=True,
            help="YAML experiment file; relative paths inside it are read from its folder.",
        )(command)

    return decorate


def load_experiment(config_path: Path, overrides: tuple[str, ...], name: str | None):
    """Validated config, the folder its relative paths are read from, and the run folder.

    ``--name`` is the same as ``--set run.name=NAME`` (kept a string even if it looks like a number).
    """
    from hkbt.config import load_config
    from hkbt.backtest.results import run_folder

    config = load_config(config_path, list(overrides) + ([f"run.name={json.dumps(name)}"] if name else []))
    base_dir = config_path.resolve().parent
    return config, base_dir, run_folder(base_dir / config.run.output_dir, config.run.name)


def changed_settings(config) -> list[str]:
    """``key=value`` for every setting that differs from the schema's default (run.name aside).

    >>> from hkbt.config import Config
    >>> changed_settings(Config.model_validate({"strategy": {"params": {"hold_days": 10}}}))
    ['strategy.params.hold_days=10']
    """
    from hkbt.config import Config

    def flatten(tree: dict, prefix: str = "") -> dict[str, object]:
        flat: dict[str, object] = {}
        for key, value in tree.items():
            if isinstance(value, dict) and value and key not in {"lot_sizes", "aliases", "topics", "csv_files"}:
                flat |= flatten(value, f"{prefix}{key}.")
            else:
                flat[f"{prefix}{key}"] = value
        return flat

    baseline = Config().resolved()
    if config.strategy.found is not None:  # another strategy's parameters differ from its own defaults, not sentiment_long's
        from hkbt.backtest.discovery import dump_params, validate_params

        baseline["strategy"]["params"] = dump_params(validate_params(config.strategy.found.cls, {}))
    ours, defaults = flatten(config.resolved()), flatten(baseline)
    return [f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in ours.items()
            if key != "run.name" and defaults.get(key) != value]


def show_settings(config) -> None:
    """One ``settings:`` line on stderr naming what differs from the defaults, so a run says what it tried."""
    changed = changed_settings(config)
    err_console.print(f"[dim]settings:[/] {escape(', '.join(changed)) if changed else 'all defaults'}", highlight=False, soft_wrap=True)


def show_warnings(lines: list[str]) -> None:
    """One ``warning:`` line each on stderr (text escaped: it may come from data)."""
    for line in lines:
        err_console.print(f"[yellow]warning:[/] {escape(line)}", highlight=False, soft_wrap=True)


def show_simulated_banner() -> None:
    """The red banner every synthetic-price command prints after its results."""
    from hkbt.prices import SIMULATED_BANNER

    err_console.print(f"[bold white on red] {SIMULATED_BANNER} [/] prices.source=synthetic: a simulated market for demos only")


class progress_bars:
    """rich progress bars for price downloads and news scoring (stderr, terminals only).

    ``with progress_bars() as hooks:`` yields a :class:`hkbt.pipeline.Progress`
    whose callbacks drive the bars; off a terminal the hooks are empty.
    """

    def __enter__(self):
        from hkbt.pipeline import Progress as Hooks

        self._bars = None
        if not err_console.is_terminal:
            return Hooks()
        self._bars = bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), console=err_console, transient=True)
        bars.__enter__()
        tasks: dict[str, int] = {}

        def price(ticker: str) -> None:
            if "prices" not in tasks:
                tasks["prices"] = bars.add_task("prices", total=None)
            bars.update(tasks["prices"], advance=1, description=f"prices {ticker}")

        def scoring_total(total: int) -> None:
            tasks["scores"] = bars.add_task("scoring news", total=total)

        def scored(count: int) -> None:
            if "scores" in tasks:
                bars.update(tasks["scores"], advance=count)

        return Hooks(price=price, scored=scored, scoring_total=scoring_total)

    def __exit__(self, *exc) -> None:
        if self._bars is not None:
            self._bars.__exit__(*exc)
