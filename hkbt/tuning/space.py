"""Which combinations a sweep runs: the grid, random draws, or Optuna's choices.

A *combination* is a plain mapping ``setting -> value`` over the swept settings, e.g.
``{"strategy.params.entry_threshold": 0.4, "strategy.params.hold_days": 5}``. It becomes
``--set`` overrides (:func:`overrides`), so a combination is exactly the ``hkbt run`` a
user would type, and its id (:func:`combo_id`) depends on the values alone.

>>> grid_combos({"a": [1, 2], "b": ["x"]})
[{'a': 1, 'b': 'x'}, {'a': 2, 'b': 'x'}]
>>> overrides({"strategy.params.topics": ["ai"], "strategy.params.stop_loss": None})
['strategy.params.topics=["ai"]', 'strategy.params.stop_loss=null']
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hkbt.errors import ConfigError

Combo = dict[str, Any]
RANDOM_DIGITS = 6  # random draws are rounded to this many significant digits (readable, reproducible --set values)


def expand_key(key: str) -> str:
    """A setting as ``--set`` writes it; a bare name (no dot) is a strategy parameter.

    >>> expand_key("hold_days"), expand_key("costs.brokerage_rate")
    ('strategy.params.hold_days', 'costs.brokerage_rate')
    """
    key = key.strip()
    return key if "." in key else f"strategy.params.{key}"


def short_name(key: str) -> str:
    """The name shown in tables: strategy parameters without their ``strategy.params.`` prefix."""
    return key.removeprefix("strategy.params.")


def value_text(value: Any) -> str:
    """A value as ``--set`` reads it (YAML flow; JSON is valid YAML). Dates become ISO strings."""
    return json.dumps(value, default=str, ensure_ascii=False)


def overrides(combo: Mapping[str, Any]) -> list[str]:
    """The ``--set`` items of a combination, in its key order."""
    return [f"{key}={value_text(value)}" for key, value in combo.items()]


def combo_id(combo: Mapping[str, Any]) -> str:
    """10 hex digits naming a combination by its values (key order does not matter)."""
    blob = json.dumps(sorted((k, value_text(v)) for k, v in combo.items()))
    return hashlib.sha256(blob.encode()).hexdigest()[:10]


def grid_combos(grid: Mapping[str, Sequence[Any]]) -> list[Combo]:
    """Every combination of the grid's values, first key varying slowest."""
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def _round(value: float) -> float:
    return float(f"{value:.{RANDOM_DIGITS}g}")


def _draw(rng: np.random.Generator, spec: Sequence[Any]) -> Any:
    low, high = spec[0], spec[1]
    log = len(spec) == 3
    if isinstance(low, int) and isinstance(high, int):
        if log:
            return int(round(math.exp(rng.uniform(math.log(low), math.log(high)))))
        return int(rng.integers(low, high + 1))
    if log:
        return _round(math.exp(rng.uniform(math.log(low), math.log(high))))
    return _round(rng.uniform(low, high))


def random_combos(grid: Mapping[str, Sequence[Any]], ranges: Mapping[str, Sequence[Any]], count: int, seed: int) -> list[Combo]:
    """``count`` distinct combinations drawn at random: a grid key takes one of its values, a range key a uniform
    (or log-uniform) draw. Fewer come back when the space has fewer distinct combinations.
    """
    rng = np.random.default_rng(seed)
    keys = list(grid) + [k for k in ranges if k not in grid]
    found: dict[str, Combo] = {}
    for _ in range(50 * count):
        if len(found) == count:
            break
        combo = {k: (grid[k][int(rng.integers(len(grid[k])))] if k in grid else _draw(rng, ranges[k])) for k in keys}
        found.setdefault(combo_id(combo), combo)
    return list(found.values())


def optuna_distributions(grid: Mapping[str, Sequence[Any]], ranges: Mapping[str, Sequence[Any]]) -> tuple[dict, dict]:
    """Optuna distributions for the swept keys, and per grid key the list its categorical index points into.

    Grid values can be lists or nulls, which Optuna's categorical choices cannot hold, so a
    grid key is offered to Optuna as the *position* of a value in its list.
    """
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    distributions: dict[str, Any] = {}
    choices: dict[str, list[Any]] = {}
    for key, values in grid.items():
        distributions[key] = CategoricalDistribution(list(range(len(values))))
        choices[key] = list(values)
    for key, spec in ranges.items():
        if key in grid:
            continue
        low, high, log = spec[0], spec[1], len(spec) == 3
        if isinstance(low, int) and isinstance(high, int):
            distributions[key] = IntDistribution(low, high, log=log)
        else:
            distributions[key] = FloatDistribution(float(low), float(high), log=log)
    return distributions, choices


def combo_from_trial(params: Mapping[str, Any], choices: Mapping[str, list[Any]]) -> Combo:
    """An Optuna trial's parameters as a combination (positions turned back into grid values, floats rounded)."""
    return {key: (choices[key][value] if key in choices else _round(value) if isinstance(value, float) else value)
            for key, value in params.items()}


def parse_values(option: str, text: str) -> tuple[str, list[Any]]:
    """``--grid KEY=V1,V2,...`` -> (setting, values); the values are read as one YAML flow list.

    >>> parse_values("--grid", "hold_days=3,5,10")
    ('strategy.params.hold_days', [3, 5, 10])
    >>> parse_values("--grid", "topics=[ai],[ai,policy]")
    ('strategy.params.topics', [['ai'], ['ai', 'policy']])
    """
    from hkbt.yaml_input import parse_yaml

    key, sep, values = text.partition("=")
    if not sep or not key.strip() or not values.strip():
        raise ConfigError(f"{option} {text}", "expected KEY=V1,V2,...", f"e.g. {option} hold_days=3,5,10")
    try:
        parsed, _ = parse_yaml(f"[{values}]", f"{option} {text}")
    except ConfigError:
        raise ConfigError(f"{option} {text}", "the values are not a comma-separated list", "quote text with commas, e.g. 'a, b'") from None
    return expand_key(key), list(parsed)


def parse_range(text: str) -> tuple[str, list[Any]]:
    """``--range KEY=LOW:HIGH[:log]`` -> (setting, [low, high(, "log")]).

    >>> parse_range("stop_loss=0.02:0.2"), parse_range("hold_days=2:20"), parse_range("entry_threshold=0.1:0.9:log")
    (('strategy.params.stop_loss', [0.02, 0.2]), ('strategy.params.hold_days', [2, 20]), ('strategy.params.entry_threshold', [0.1, 0.9, 'log']))
    """
    key, sep, spec = text.partition("=")
    parts = spec.split(":")
    try:
        if not sep or len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "log"):
            raise ValueError
        numbers = [int(p) if p.strip().lstrip("+-").isdigit() else float(p) for p in parts[:2]]
    except ValueError:
        raise ConfigError(f"--range {text}", "expected KEY=LOW:HIGH or KEY=LOW:HIGH:log", "e.g. --range stop_loss=0.02:0.2") from None
    return expand_key(key), numbers + parts[2:]
