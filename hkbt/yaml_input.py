"""Reading YAML that a user (or anyone) wrote, with ``yaml.safe_load`` semantics and hard limits.

:func:`load_yaml_file` and :func:`parse_yaml` construct only plain data (no
Python tags: the loader is PyYAML's ``SafeLoader``), and refuse what
``safe_load`` would let through but a config must not contain:

- a file that is not a regular file (a FIFO, ``/dev/zero``), or one larger
  than :data:`MAX_BYTES`, which would hang or exhaust memory;
- **duplicate keys** in one mapping (``safe_load`` silently keeps the last
  one, so a second ``strategy:`` block would drop the first);
- **alias bombs**: aliases are allowed (they are handy to share a list), but
  the document they expand to may hold at most :data:`MAX_NODES` values, and
  an alias may not contain itself;
- nesting deeper than :data:`MAX_DEPTH`;
- ``!!set`` (its order depends on ``PYTHONHASHSEED``), ``!!omap``, ``!!pairs``
  and ``!!binary``: write a list or a mapping;
- impossible dates and times (``2025-02-30``, hour 25), reported on their line.

Every problem is a :class:`~hkbt.errors.ConfigError` naming ``file:line``.
The node tree is also returned as a map from key paths to line numbers, so
that later schema errors can name the line too.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from hkbt.errors import ConfigError

MAX_BYTES = 1_000_000
"""Largest config file read (the shipped config.yaml is about 13 kB)."""
MAX_NODES = 100_000
"""Most values a document may expand to once its aliases are followed."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists."""

_REFUSED_TAGS = {
    "tag:yaml.org,2002:set": "a set has no stable order; write a list",
    "tag:yaml.org,2002:omap": "write a plain mapping",
    "tag:yaml.org,2002:pairs": "write a plain mapping",
    "tag:yaml.org,2002:binary": "write text",
}
_MERGE = "tag:yaml.org,2002:merge"

KeyLines = dict[tuple[str, ...], int]


class YAMLSyntaxError(ConfigError):
    """The text is not YAML at all (as opposed to YAML that is refused)."""


class _Loader(yaml.SafeLoader):
    """``SafeLoader`` whose impossible dates are errors on their line, not a ValueError."""

    def construct_yaml_timestamp(self, node):  # noqa: D102 - same contract as the parent
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise _BadTimestamp(node, exc) from None


class _BadTimestamp(yaml.YAMLError):
    def __init__(self, node: yaml.Node, exc: Exception) -> None:
        super().__init__(f"{node.value!r} is not a valid date or time ({exc})")
        self.node = node
        self.line = node.start_mark.line + 1


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def read_text_file(path: Path, what: str = "file", limit: int = MAX_BYTES) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes, else one ConfigError.

    The type is checked before opening (so a FIFO never blocks) and the read
    stops one byte past ``limit`` (so ``/dev/zero``-like files never fill memory).
    """
    where = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ConfigError(where, f"{what} not found", "pass --config PATH or create config.yaml") from None
    except OSError as exc:
        raise ConfigError(where, f"cannot read {what} ({exc.strerror or exc.__class__.__name__})") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a pipe, device or socket)"
        raise ConfigError(where, f"{what} is {kind}", "pass the path of a YAML file")
    try:
        with open(path, "rb") as stream:
            data = stream.read(limit + 1)
    except OSError as exc:
        raise ConfigError(where, f"cannot read {what} ({exc.strerror or exc.__class__.__name__})",
                          "check the file's permissions") from None
    if len(data) > limit:
        raise ConfigError(where, f"{what} is larger than {limit:,} bytes", "a config is a few kB; check the path")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(where, f"{what} is not UTF-8 text (byte {exc.start})", "save it as UTF-8") from None


def parse_yaml(text: str, where: str) -> tuple[Any, KeyLines]:
    """Parse one YAML document safely; return ``(data, key_lines)``.

    >>> parse_yaml("run:\\n  name: demo\\n", "c.yaml")
    ({'run': {'name': 'demo'}}, {('run',): 1, ('run', 'name'): 2})
    >>> parse_yaml("a: 1\\na: 2\\n", "c.yaml")
    Traceback (most recent call last):
    ...
    hkbt.errors.ConfigError: c.yaml:2: a: duplicate key (first on line 1) -> keep one of them
    """
    root = None
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                return None, {}
            lines = _check(root, where)
            return loader.construct_document(root), lines
        finally:
            loader.dispose()
    except _BadTimestamp as exc:
        key = ".".join(_path_to(root, exc.node))
        raise ConfigError(f"{where}:{exc.line}" + (f": {key}" if key else ""), str(exc),
                          "write dates as YYYY-MM-DD (times as YYYY-MM-DD HH:MM:SS)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YAMLSyntaxError(f"{where}{line}", f"invalid YAML: {problem}", "fix the syntax (indentation, colons, quotes)") from None
    except RecursionError:
        raise ConfigError(where, f"invalid YAML: nested more than {MAX_DEPTH} levels deep", "flatten the file") from None


def _check(root: yaml.Node, where: str) -> KeyLines:
    """Refuse duplicate keys, refused tags, deep nesting and alias bombs; map key paths to lines.

    Aliases make the node tree a graph whose shared parts are visited once
    here (memoised sizes), so even a bomb is checked in time proportional to
    the file, and refused before anything is expanded.
    """
    sizes: dict[int, int] = {}
    visiting: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if depth > MAX_DEPTH:
            raise ConfigError(f"{where}:{node.start_mark.line + 1}", f"nested more than {MAX_DEPTH} levels deep", "flatten the file")
        if key in visiting:
            raise ConfigError(f"{where}:{node.start_mark.line + 1}", "an alias refers to a value that contains it",
                              "remove the recursive alias")
        if node.tag in _REFUSED_TAGS:
            raise ConfigError(f"{where}:{node.start_mark.line + 1}", f"the tag {node.tag.rsplit(':', 1)[-1]!r} is not allowed",
                              _REFUSED_TAGS[node.tag])
        visiting.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            seen: dict[object, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag != _MERGE and isinstance(key_node, yaml.ScalarNode):
                    identity = (key_node.tag, key_node.value)
                    line = key_node.start_mark.line + 1
                    if identity in seen:
                        raise ConfigError(f"{where}:{line}: {key_node.value}", f"duplicate key (first on line {seen[identity]})",
                                          "keep one of them")
                    seen[identity] = line
                total += size(key_node, depth + 1) + size(value_node, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item, depth + 1) for item in node.value)
        visiting.discard(key)
        if total > MAX_NODES:
            raise ConfigError(f"{where}:{node.start_mark.line + 1}",
                              f"aliases expand this value to more than {MAX_NODES:,} values (an alias bomb?)",
                              "write the values out, or share less")
        sizes[key] = total
        return total

    size(root, 0)
    return _key_lines(root)


def _walk(root: yaml.Node) -> Iterator[tuple[tuple[str, ...], yaml.Node, yaml.Node]]:
    """Every ``(key path, node that starts it, value node)`` below ``root``, parents before children.

    Bounded: the tree was size-checked first (aliases are walked as written).
    """
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [(root, ())]
    while stack:
        node, prefix = stack.pop()
        if isinstance(node, yaml.MappingNode):
            children = [(prefix + (str(key.value),), key, value) for key, value in node.value]
        elif isinstance(node, yaml.SequenceNode):
            children = [(prefix + (str(index),), item, item) for index, item in enumerate(node.value)]
        else:
            continue
        for path, start, value in children:
            yield path, start, value
            stack.append((value, path))


def _key_lines(root: yaml.Node) -> KeyLines:
    """Map each dotted key path to its 1-based line."""
    lines: KeyLines = {}
    for path, start, _ in _walk(root):
        lines.setdefault(path, start.start_mark.line + 1)
    return lines


def _path_to(root: yaml.Node | None, target: yaml.Node) -> tuple[str, ...]:
    """The key path of the value ``target`` under ``root`` (``()`` for the root itself or when not found)."""
    found = [] if root is None else [(start.start_mark.line, path) for path, start, value in _walk(root) if value is target]
    return min(found)[1] if found else ()  # an aliased value: where it is first written


def load_yaml_file(path: Path, what: str = "file") -> tuple[Any, KeyLines]:
    """:func:`read_text_file` then :func:`parse_yaml`."""
    return parse_yaml(read_text_file(path, what), str(path))
