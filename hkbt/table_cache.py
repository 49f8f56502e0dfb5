"""Checked cache entries of plain numeric tables, for work a later run can read instead of redoing.

The XHKG calendar (:mod:`hkbt.news.calendar_cache`) and parsed price files
(:mod:`hkbt.prices.price_cache`) are tables of int64 / float64 columns that cost far
more to build than to read. Each is kept as one *entry* file:

* the line ``magic`` (which cache wrote it; a file without it was not written by hkbt),
* the SHA-256 of everything after it,
* one JSON line: the entry's key, its number of rows and its columns with their dtypes,
* the columns' bytes, little-endian, one after the other.

:func:`write_entry` writes it atomically (temporary sibling, then ``os.replace``);
:func:`read_entry` trusts it only when the checksum, the key and the layout all check
out; the caller then checks the values make sense. A file that does not start with
``magic`` is never overwritten or removed; :func:`prune` removes only entries that do.
Reading or writing problems become warnings: a cache never stops a run.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hkbt.errors import DataError
from hkbt.files import ours_or_missing, unseal, write_sealed

DTYPES = ("<i8", "<f8")


def read_entry(path: Path, magic: bytes, key: str, what: str, redo: str) -> tuple[dict[str, np.ndarray] | None, str | None]:
    """``(columns, warning)`` from the entry at ``path``.

    ``(None, None)`` when there is no entry (the usual miss); ``(None, warning)`` when there
    is a file that cannot be used. ``what`` names the cache and ``redo`` what happens
    instead in the warning: "calendar", "calendar built again".
    """
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"{path}: cannot read this {what} cache entry ({exc.strerror}); {redo}"
    if not raw.startswith(magic):
        return None, f"{path}: not a {what} cache entry written by hkbt; {redo}, the file left alone"
    try:
        return _decode(raw[len(magic):], key), None
    except (ValueError, TypeError, KeyError) as exc:
        return None, damaged(path, what, redo, exc)


def damaged(path: Path, what: str, redo: str, problem: object) -> str:
    """The warning for an entry hkbt wrote that cannot be used (it is rewritten)."""
    return f"{path}: damaged {what} cache entry ({problem}); {redo} and the entry rewritten"


def write_entry(path: Path, magic: bytes, key: str, columns: dict[str, np.ndarray], what: str) -> str | None:
    """Store ``columns`` (equal-length int64 / float64 arrays) under ``key`` at ``path``, atomically.

    Returns a warning instead of raising when the folder cannot be written; a file at
    ``path`` that hkbt did not write is left alone (:func:`read_entry` warned about it).
    """
    path = Path(path)
    if not ours_or_missing(path, magic):
        return None
    arrays = {name: np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("<")) for name, values in columns.items()}
    rows = {len(values) for values in arrays.values()}
    layout = {"key": key, "rows": rows.pop() if rows else 0, "columns": [[name, values.dtype.str] for name, values in arrays.items()]}
    body = json.dumps(layout).encode() + b"\n" + b"".join(values.tobytes() for values in arrays.values())
    try:
        write_sealed(path, magic, body)
    except DataError as exc:
        return f"{exc}; the {what} is not cached (the run goes on)"
    return None


def prune(folder: Path, pattern: str, magic: bytes, keep: Path) -> None:
    """Remove the entries matching ``pattern`` in ``folder`` that hkbt wrote, except ``keep`` (never anyone else's file)."""
    try:
        found = list(Path(folder).glob(pattern))
    except OSError:
        return
    for older in found:
        if older != keep and ours_or_missing(older, magic):
            try:
                older.unlink(missing_ok=True)
            except OSError:
                pass  # another run is using the folder, or it is read-only: the entry stays, harmlessly


def _decode(raw: bytes, key: str) -> dict[str, np.ndarray]:
    line, _, data = unseal(raw).partition(b"\n")
    layout = json.loads(line)
    if layout["key"] != key:
        raise ValueError("filed under another key")
    rows, columns = layout["rows"], layout["columns"]
    if not isinstance(rows, int) or rows < 0 or any(dtype not in DTYPES for _, dtype in columns):
        raise ValueError("unknown layout")
    if len(data) != 8 * rows * len(columns):
        raise ValueError("the size does not match the layout")
    values = np.frombuffer(data, dtype=np.uint8).reshape(len(columns), 8 * rows) if columns else []
    return {name: chunk.view(dtype).astype(dtype[1:]) for (name, dtype), chunk in zip(columns, values)}
