"""Finding a strategy by name and checking its parameters.

``strategy: {name: NAME, path: FOLDER, params: {...}}`` is looked up in this order
(the first match wins):

1. ``strategy.path``: a folder holding ``NAME.py``, or a ``.py`` file itself;
2. ``strategies/NAME.py`` beside the config file (your project's folder);
3. the built-in strategies: the repository's top-level ``strategies/`` folder, shipped
   inside the wheel as :mod:`hkbt.strategies`;
4. the ``hkbt.strategies`` entry-point group of installed packages
   (``[project.entry-points."hkbt.strategies"] NAME = "package.module:Class"``).

Files are loaded by path (``importlib.util.spec_from_file_location``), never
imported as a top-level ``strategies`` package, so a user folder cannot shadow
or be shadowed by an installed package. A strategy file defines exactly one
:class:`~hkbt.backtest.strategy.Strategy` subclass, which states the
``interface_version`` it was written for.

Parameters are checked against the strategy's own ``Params`` (a pydantic model
or a dataclass): an unknown key, a wrong type or an impossible value is one
:class:`StrategyParamError` naming ``strategy.params.<key>``.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import importlib
import importlib.util
import inspect
import math
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any, get_type_hints

from pydantic import BaseModel, TypeAdapter, ValidationError

from hkbt.errors import StrategyError

ENTRY_POINT_GROUP = "hkbt.strategies"
PROJECT_FOLDER = "strategies"
_FILE_MODULES = "hkbt_strategy_files"  # namespace of modules loaded by path (never importable by name)
_loaded: dict[Path, tuple[int, int, type]] = {}  # file -> (mtime_ns, size, class): a file is executed once per change


class StrategyParamError(StrategyError):
    """A strategy parameter is unknown, of the wrong type or out of range; ``loc`` is its key path."""

    def __init__(self, loc: tuple[str, ...], what: str, fix: str | None = None) -> None:
        self.loc = loc
        super().__init__(".".join(loc), what, fix)


@dataclass(frozen=True)
class FoundStrategy:
    """A strategy class and where it came from (recorded in metrics.json)."""

    name: str
    cls: type
    source: str


# ------------------------------------------------------------------- finding


def _builtin_folder() -> Path:
    import hkbt.strategies

    return Path(hkbt.strategies.__file__).parent


def _folders(path: Path | None, base_dir: Path) -> list[tuple[str, Path]]:
    """(kind, folder) pairs searched for ``NAME.py``, in order."""
    folders = []
    if path is not None:
        path = path if path.is_absolute() else base_dir / path
        folders.append(("strategy.path", path))
    builtin = _builtin_folder()
    project = base_dir / PROJECT_FOLDER
    if not (project.is_dir() and project.resolve() == builtin.resolve()):  # hkbt's own checkout: they are one folder
        folders.append(("project", project))
    folders.append(("builtin", builtin))
    return folders


def _files(folder: Path) -> dict[str, Path]:
    if folder.is_file() and folder.suffix == ".py":
        return {folder.stem: folder}
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.py")) if not p.stem.startswith("_")}


def _entry_points() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available_strategies(path: Path | None = None, base_dir: Path = Path(".")) -> dict[str, str]:
    """Every strategy name that :func:`find_strategy` could resolve -> where it would come from."""
    found: dict[str, str] = {}
    for kind, folder in _folders(path, base_dir):
        for name, file in _files(folder).items():
            found.setdefault(name, str(file) if kind != "builtin" else f"built-in ({file.name})")
    for name, ep in _entry_points().items():
        found.setdefault(name, f"entry point {ep.value}")
    return dict(sorted(found.items()))


def find_strategy(name: str, path: Path | None = None, base_dir: Path = Path(".")) -> FoundStrategy:
    """The strategy class registered as ``name`` (search order in the module docstring).

    Raises:
        StrategyError: no such strategy (with a close match or the list of
            names), a file that fails to load, not exactly one Strategy
            subclass, or one written for another ``INTERFACE_VERSION``.
    """
    if path is not None:
        folder = path if path.is_absolute() else base_dir / path
        if not folder.exists():
            raise StrategyError("strategy.path", f"{folder} does not exist", "point it at a folder of strategy files or a .py file")
    for kind, folder in _folders(path, base_dir):
        file = _files(folder).get(name)
        if file is None:
            continue
        if kind == "builtin":
            module = importlib.import_module(f"hkbt.strategies.{name}")
            return FoundStrategy(name, _check(_one_class(module, str(file)), str(file)), f"built-in strategies/{file.name}")
        return FoundStrategy(name, load_strategy_file(file), str(file.resolve()))
    ep = _entry_points().get(name)
    if ep is not None:
        try:
            loaded = ep.load()
        except Exception as exc:  # a broken plug-in is the user's to fix: say which and why
            raise StrategyError(f"entry point {ep.value}", f"cannot load ({exc.__class__.__name__}: {exc})") from None
        cls = _one_class(loaded, ep.value) if isinstance(loaded, ModuleType) else loaded
        return FoundStrategy(name, _check(cls, ep.value), f"entry point {ep.value}")
    known = list(available_strategies(path, base_dir))
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]}?" if close else f"available: {', '.join(known)}"
    raise StrategyError("strategy.name", f"no strategy {name!r} (no {PROJECT_FOLDER}/{name}.py, built-in or entry point)", hint)


def load_strategy_file(file: Path) -> type:
    """Load the one Strategy subclass defined in ``file`` (by path; re-executed only when the file changes)."""
    file = Path(file).resolve()
    stat = file.stat()
    cached = _loaded.get(file)
    if cached and cached[:2] == (stat.st_mtime_ns, stat.st_size):
        return cached[2]
    digest = hashlib.sha256(str(file).encode()).hexdigest()[:10]
    module_name = f"{_FILE_MODULES}.{file.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look the module up by name
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(module_name, None)
        raise StrategyError(f"{file}:{exc.lineno}", f"syntax error: {exc.msg}") from None
    except Exception as exc:
        sys.modules.pop(module_name, None)
        line = _line_in(file, exc)
        raise StrategyError(f"{file}{line}", f"cannot load ({exc.__class__.__name__}: {exc})") from None
    cls = _check(_one_class(module, str(file)), str(file))
    _loaded[file] = (stat.st_mtime_ns, stat.st_size, cls)
    return cls


def _line_in(file: Path, exc: BaseException) -> str:
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == file]
    return f":{frames[-1].lineno}" if frames else ""


def _one_class(module: ModuleType, where: str) -> type:
    from hkbt.backtest.strategy import Strategy

    classes = [obj for obj in vars(module).values()
               if inspect.isclass(obj) and issubclass(obj, Strategy) and obj.__module__ == module.__name__]
    if len(classes) != 1:
        raise StrategyError(where, f"must define exactly one hkbt.backtest.strategy.Strategy subclass (found {len(classes)})",
                            "subclass hkbt.backtest.strategy.Strategy, as in README's 'Writing a strategy'")
    return classes[0]


def _check(cls: Any, where: str) -> type:
    from hkbt.backtest.strategy import INTERFACE_VERSION, Strategy

    if not (inspect.isclass(cls) and issubclass(cls, Strategy)):
        raise StrategyError(where, f"{cls!r} is not a hkbt.backtest.strategy.Strategy subclass")
    version = cls.__dict__.get("interface_version", getattr(cls, "interface_version", None))
    if version != INTERFACE_VERSION:
        said = "does not say which interface_version it was written for" if version is None else f"was written for interface_version {version}"
        raise StrategyError(where, f"{cls.__name__} {said}; this hkbt provides {INTERFACE_VERSION}",
                            f"set `interface_version = {INTERFACE_VERSION}` in the class after checking README's 'Writing a strategy'")
    params = cls.Params
    if not (isinstance(params, type) and (issubclass(params, BaseModel) or dataclasses.is_dataclass(params))):
        raise StrategyError(where, f"{cls.__name__}.Params must be a pydantic model or a dataclass")
    return cls


# ----------------------------------------------------------------- parameters


@dataclass(frozen=True)
class ParamField:
    """One declared parameter: its type, default and the description shown in config.yaml."""

    name: str
    annotation: Any
    default: Any
    description: str | None
    metadata: tuple


def param_fields(params_cls: type) -> list[ParamField]:
    """The parameters a ``Params`` model or dataclass declares, in declaration order."""
    if issubclass(params_cls, BaseModel):
        return [ParamField(name, f.annotation, f.get_default(call_default_factory=True), f.description, tuple(f.metadata))
                for name, f in params_cls.model_fields.items()]
    hints = get_type_hints(params_cls, include_extras=True)
    fields = []
    for f in dataclasses.fields(params_cls):
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = None
        hint = hints.get(f.name)
        fields.append(ParamField(f.name, hint, default, f.metadata.get("description"), tuple(getattr(hint, "__metadata__", ()))))
    return fields


def validate_params(strategy: type, raw: Mapping[str, Any] | None, topics: Iterable[str] | None = None) -> Any:
    """``raw`` checked and typed by ``strategy.Params``; returns the Params instance.

    ``topics``: the names defined under ``topics:``; parameters marked
    :class:`TopicNames` must use only these (None skips that check).

    Raises:
        StrategyParamError: naming ``strategy.params.<key>``, with a
            suggestion for a misspelt key.
    """
    params_cls = strategy.Params
    fields = param_fields(params_cls)
    known = [f.name for f in fields]
    raw = dict(raw or {})
    for key in raw:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = (f"did you mean strategy.params.{close[0]}?" if close
                    else f"{strategy.__name__} takes: {', '.join(known)}" if known else f"{strategy.__name__} takes no parameters")
            raise StrategyParamError(("strategy", "params", str(key)), "unknown key", hint)
    for f in fields:
        if f.name in raw:
            _check_number(f, raw[f.name])
    try:
        settings = TypeAdapter(params_cls).validate_python(raw)
    except ValidationError as exc:
        raise _param_error(exc, fields) from None
    if topics is not None:
        from hkbt.backtest.strategy import TopicNames

        defined = list(topics)
        for f in fields:
            if any(isinstance(m, TopicNames) for m in f.metadata):
                value = getattr(settings, f.name)
                names = [value] if isinstance(value, str) else list(value or [])
                unknown = [t for t in names if t not in defined]
                if unknown:
                    raise StrategyParamError(("strategy", "params", f.name),
                                             f"names topic(s) {', '.join(unknown)} but topics defines only {', '.join(defined)}",
                                             "add the topic under topics: or remove it here")
    return settings


MAX_PARAM_INT = 2**53  # larger integers do not survive a float or a JSON round trip


def _check_number(field: ParamField, value: Any) -> None:
    """Whatever a strategy declares, a number parameter is a finite number of sane size, never ``true``."""
    from hkbt.config import expects_number

    if not expects_number(field.annotation) or value is None:
        return
    loc = ("strategy", "params", field.name)
    if isinstance(value, bool):
        raise StrategyParamError(loc, f"must be a number, not {str(value).lower()}")
    if isinstance(value, float) and not math.isfinite(value):
        raise StrategyParamError(loc, f"must be a finite number (got {value})")
    if isinstance(value, int) and abs(value) > MAX_PARAM_INT:
        raise StrategyParamError(loc, f"is too large (got {value:.3g}; at most {MAX_PARAM_INT:,})")


def dump_params(settings: Any) -> dict[str, Any]:
    """The Params instance as plain JSON/YAML values (for config.resolved.yaml and the config hash)."""
    return TypeAdapter(type(settings)).dump_python(settings, mode="json")


def _param_error(exc: ValidationError, fields: list[ParamField]) -> StrategyParamError:
    error = exc.errors()[0]
    loc = ("strategy", "params") + tuple(str(p) for p in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    by_name = {f.name: f for f in fields}
    field = by_name.get(loc[2]) if len(loc) > 2 else None
    if field is not None and error["type"] in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        low = next((getattr(m, a) for m in field.metadata for a in ("ge", "gt") if getattr(m, a, None) is not None), None)
        high = next((getattr(m, a) for m in field.metadata for a in ("le", "lt") if getattr(m, a, None) is not None), None)
        if low is not None and high is not None:
            message = f"must be between {low:g} and {high:g}"
    got = error.get("input")
    if got is not None and not isinstance(got, dict) and "got" not in message:
        message += f" (got {got!r})" if isinstance(got, str) else f" (got {got})"
    more = f" [and {exc.error_count() - 1} more problem(s)]" if exc.error_count() > 1 else ""
    return StrategyParamError(loc, message + more)
