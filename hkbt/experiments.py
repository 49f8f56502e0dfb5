"""Experiment files: named variants of one experiment that share their inputs.

An experiment file lists variants of a base config::

    name: four_strategies            # run folders: backtests/four_strategies.<variant>/
    config: config.yaml              # the base config (relative to this file)
    set: [prices.source=synthetic]   # settings for every variant, like --set (a variant may change them again)
    variants:
      sentiment_long: {}                                   # the base config as it is
      rebound: {strategy: {name: news_rebound}}           # another strategy, at its defaults
      patient: {strategy: {params: {hold_days: 10}}}      # the base strategy, one parameter changed

A variant is a mapping merged into the base config (nested keys are merged, so
it changes only what it names; dotted keys such as ``strategy.params.hold_days:
10`` work too). The order: base config, then ``set``, then the variant, then
``--set`` on the command line (which wins). When a variant names another strategy, the
base config's params (which belong to the base strategy) are dropped: the
new strategy starts from its own defaults plus the params the variant gives.

:func:`run_experiment` computes news, scores, signals and prices once per
distinct set of input settings (:func:`hkbt.pipeline.inputs_key`; usually one
for the whole file) and runs every variant on them through
:func:`hkbt.pipeline.run_variant`, the code path of ``hkbt run``.
:func:`write_experiment` writes each run folder and one comparison page,
``backtests/compare/<name>.html``; ``backtests/index.html`` groups the runs by
experiment.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hkbt.config import RUN_NAME_RE, Config, _place, _to_config_error, apply_override, read_yaml, validate_config
from hkbt.errors import ConfigError


class ExperimentSpec(BaseModel):
    """The experiment file's schema."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="experiment name; run folders are <run.output_dir>/<name>.<variant>")
    config: Path = Field(Path("config.yaml"), description="the base config, relative to the experiment file")
    set: list[str] = Field(default_factory=list, description="KEY=VALUE settings for every variant (a variant may change them again)")
    variants: dict[str, dict[str, Any] | None] = Field(min_length=1, description="variant name -> config keys it changes")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not RUN_NAME_RE.match(value) or ".." in value:
            raise ValueError(f"{value!r} is not a safe name (letters, digits, '_', '-', '.')")
        return value

    @field_validator("variants")
    @classmethod
    def _variant_names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if not isinstance(name, str) or not RUN_NAME_RE.match(name) or "." in name:
                raise ValueError(f"variant name {name!r} must be letters, digits, '_' or '-'")
        return value


@dataclass
class Variant:
    """One variant: its name and validated config (``run.name`` is ``<experiment>.<variant>``)."""

    name: str
    config: Config


@dataclass
class Experiment:
    """A loaded experiment file: every variant validated, nothing computed yet."""

    name: str
    path: Path
    base_dir: Path  # the base config's folder: relative paths in the configs are read from it
    variants: list[Variant]

    @property
    def output_dir(self) -> Path:
        path = self.variants[0].config.run.output_dir
        return path if path.is_absolute() else self.base_dir / path


def load_experiment_file(path: Path, overrides: list[str] | tuple[str, ...] = (), name: str | None = None) -> Experiment:
    """Read an experiment file and validate every variant's config (before anything runs).

    Args:
        path: the experiment file (YAML).
        overrides: ``--set`` items applied to every variant, last.
        name: replaces the file's ``name`` (``hkbt run --experiments FILE --name NAME``).

    Raises:
        ConfigError: naming ``file:line: key`` in the experiment file, the
            base config or ``--set``, for the first bad key of any variant.
    """
    path = Path(path)
    raw, lines = read_yaml(path)
    if name is not None:
        raw["name"] = name
    try:
        spec = ExperimentSpec.model_validate(raw)
    except ValidationError as exc:
        raise _to_config_error(exc, lambda loc: _place(loc, str(path), lines, [("name",)] if name else []), ExperimentSpec) from None
    base_path = spec.config if spec.config.is_absolute() else path.parent / spec.config
    base_raw, base_lines = read_yaml(base_path)
    base_dir = base_path.resolve().parent
    shared = [apply_override(base_raw, item) for item in spec.set]
    variants = []
    for variant, changes in spec.variants.items():
        config_raw, from_variant = merge_variant(base_raw, changes or {})
        overridden = [apply_override(config_raw, item) for item in overrides]
        apply_override(config_raw, f"run.name={json.dumps(f'{spec.name}.{variant}')}")

        def locate(loc: tuple[str, ...], variant=variant, from_variant=from_variant, overridden=overridden) -> str:
            if any(loc[: len(p)] == p for p in overridden):
                return "--set"
            known = next((loc[:n] for n in range(len(loc), 0, -1) if loc[:n] in from_variant), None)
            if known is not None:
                return _place(("variants", variant) + from_variant[known], str(path), lines, [])
            if any(loc[: len(p)] == p for p in shared):
                return _place(("set",), str(path), lines, [])
            return _place(loc, str(base_path), base_lines, [])

        variants.append(Variant(variant, validate_config(config_raw, base_dir, locate)))
    folders = {v.config.run.output_dir for v in variants}
    if len(folders) > 1:
        raise ConfigError(str(path), f"variants write to different run.output_dir folders ({', '.join(map(str, folders))})",
                          "set run.output_dir once, in the base config or under set:")
    return Experiment(spec.name, path, base_dir, variants)


def merge_variant(base: dict[str, Any], changes: dict[str, Any]) -> tuple[dict[str, Any], dict[tuple[str, ...], tuple[str, ...]]]:
    """Pure: ``base`` with a variant's changes merged in, and where each changed key came from.

    Returns the merged mapping and, for every key path the variant set, the
    path as written in the variant (dotted keys expanded), for error lines.

    >>> merged, _ = merge_variant({"strategy": {"name": "sentiment_long", "params": {"hold_days": 5}}},
    ...                           {"strategy": {"name": "news_rebound"}})
    >>> merged["strategy"]
    {'name': 'news_rebound'}
    >>> merge_variant({"strategy": {"params": {"hold_days": 5, "min_news": 1}}}, {"strategy.params.hold_days": 10})[0]
    {'strategy': {'params': {'hold_days': 10, 'min_news': 1}}}
    """
    merged = copy.deepcopy(base)
    written: dict[tuple[str, ...], tuple[str, ...]] = {}

    def walk(node: dict[str, Any], changes: dict[str, Any], prefix: tuple[str, ...], spelled: tuple[str, ...]) -> None:
        for key, value in changes.items():
            parts = tuple(str(key).split("."))
            target = node
            for part in parts[:-1]:
                child = target.get(part)
                target[part] = child = child if isinstance(child, dict) else {}
                target = child
            path = prefix + parts
            written[path] = spelled + (str(key),)
            if isinstance(value, dict) and isinstance(target.get(parts[-1]), dict):
                walk(target[parts[-1]], value, path, spelled + (str(key),))
            else:
                target[parts[-1]] = copy.deepcopy(value)

    new_name = _strategy_name(changes)
    if new_name is not None and new_name != (base.get("strategy") or {}).get("name", "sentiment_long"):
        if isinstance(merged.get("strategy"), dict):
            merged["strategy"].pop("params", None)  # the base strategy's params do not belong to another strategy
    walk(merged, changes, (), ())
    return merged, written


def _strategy_name(changes: dict[str, Any]) -> str | None:
    strategy = changes.get("strategy")
    if isinstance(strategy, dict) and "name" in strategy:
        return strategy["name"]
    return changes.get("strategy.name")


def run_experiment(experiment: Experiment, progress=None, on_variant: Callable[[Variant], None] | None = None) -> list:
    """Every variant's :class:`~hkbt.pipeline.RunArtifacts`, in file order (nothing is written).

    Inputs are built once per distinct :func:`~hkbt.pipeline.inputs_key`;
    ``metrics.json``'s run block gets ``experiment`` and ``variant``.
    """
    from hkbt.pipeline import build_inputs, inputs_key, resolve_strategy, run_variant

    for variant in experiment.variants:  # an unknown strategy fails before any news is scored
        resolve_strategy(variant.config, experiment.base_dir)
    shared: dict[str, Any] = {}
    results = []
    for variant in experiment.variants:
        key = inputs_key(variant.config)
        if key not in shared:
            shared[key] = build_inputs(variant.config, experiment.base_dir, progress)
        if on_variant:
            on_variant(variant)
        artifacts = run_variant(variant.config, shared[key], experiment.base_dir)
        artifacts.metrics["run"] |= {"experiment": experiment.name, "variant": variant.name}
        results.append(artifacts)
    return results


def variant_folders(experiment: Experiment) -> list[Path]:
    """Where each variant's run folder goes (refusing names that would leave run.output_dir)."""
    from hkbt.backtest.results import run_folder

    return [run_folder(experiment.output_dir, v.config.run.name) for v in experiment.variants]


@contextmanager
def claim_variant_folders(experiment: Experiment) -> Iterator[list[Path]]:
    """Hold every variant's run folder for the whole command (as ``hkbt run`` holds its one folder)."""
    from hkbt.backtest.results import claim_run_folder

    with ExitStack() as stack:
        yield [stack.enter_context(claim_run_folder(folder)) for folder in variant_folders(experiment)]


def write_experiment(experiment: Experiment, results: list, render_report: Callable, warnings: list[str] | None = None) -> tuple[list[Path], Path]:
    """Write each variant's run folder (atomically), the comparison page and the index; return the folders and the page.

    ``warnings`` collects what the index had to leave out (see :func:`hkbt.reports.compare.write_index`).
    """
    from hkbt.backtest.results import write_run
    from hkbt.reports.compare import write_compare, write_index

    folders = [write_run(artifacts, folder, render_report) for artifacts, folder in zip(results, variant_folders(experiment))]
    page = write_compare(folders, experiment.output_dir, experiment.name)
    write_index(experiment.output_dir, warnings)
    return folders, page
