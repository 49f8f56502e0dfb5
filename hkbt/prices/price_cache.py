"""Parsed price files kept in the run's cache folder: a warm run reads each file's bars as numbers, not text.

:func:`~hkbt.prices.csv_files.read_price_csv` spends about 8 ms on a five-year file
(layout detection, text parsing, validation): 0.08 s for the ten files of a run, every
run. With a cache folder (``sentiment.cache_dir``) :func:`read_price_csv_cached` keeps
the parsed frame in ``<cache_dir>/prices/`` as a checked entry (:mod:`hkbt.table_cache`:
atomic, checksummed, never a file hkbt did not write) and later runs read that instead.

**The key** is the SHA-256 of this format's version, the SHA-256 of the file's bytes,
the ticker it is read for (a layout-B file names its ticker), the SHA-256 of every
file of the hkbt package (:func:`~hkbt.news.prepared_cache.code_digest`: a change to
the parser starts a new entry) and the versions of pandas and numpy. An entry is named
after the file's path, so each price file has one entry: a newer one replaces it.

**An entry** is used only when it checks out and its bars pass the same checks as a
file's (:func:`~hkbt.prices.frames.check_prices`: finite positive prices, ``low <=
open, close <= high``, sorted unique dates at midnight); otherwise the file is read
again, with a warning. Files with problems are never cached: their error is raised as
it would be without a cache.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from hkbt.errors import DataError
from hkbt.news.prepared_cache import code_digest, file_digest
from hkbt.prices.csv_files import read_price_csv
from hkbt.prices.frames import PRICE_COLUMNS, check_prices
from hkbt.table_cache import damaged, prune, read_entry, write_entry

FORMAT = 1
"""Version of the entry layout; part of the key."""

MAGIC = b"hkbt price file 1\n"
"""How every entry hkbt writes begins (a file without it was not written by hkbt)."""

FOLDER = "prices"
"""The entries' folder inside the cache folder."""

_REDO = "the price file read again"
_DAY_NS = 86_400 * 10**9


def read_price_csv_cached(path: Path, ticker: str, cache_dir: Path, warn: Callable[[str], None]) -> pd.DataFrame:
    """:func:`read_price_csv` of ``path``, from ``cache_dir`` when this file was read before.

    Cache problems are passed to ``warn`` and cost only the time to read the file again.
    """
    try:
        digest = file_digest(path)
    except OSError:
        return read_price_csv(path, ticker)  # it says what is wrong with the file
    key = price_key(digest, ticker)
    entry = _entry(cache_dir, path, key)
    columns, note = read_entry(entry, MAGIC, key, "price", _REDO)
    if columns is not None:
        try:
            return _frame(columns, str(entry))
        except (KeyError, ValueError, DataError) as exc:
            note = damaged(entry, "price", _REDO, exc)
    frame = read_price_csv(path, ticker)
    if _cacheable(frame) and _unchanged(path, digest):
        note = write_entry(entry, MAGIC, key, _columns(frame), "price") or note
        prune(entry.parent, f"{entry.name.split('-')[0]}-*.bin", MAGIC, keep=entry)
    if note:
        warn(note)
    return frame


def price_key(digest: str, ticker: str) -> str:
    """The entry's key: format, the file's SHA-256, the ticker, hkbt's code and the parsing libraries' versions."""
    versions = {name: importlib.metadata.version(name) for name in ("pandas", "numpy")}
    parts = {"format": FORMAT, "file": digest, "ticker": ticker, "code": code_digest(), "versions": versions}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _entry(folder: Path, path: Path, key: str) -> Path:
    """``<folder>/prices/<path's digest>-<key>.bin``: one entry per price file."""
    named = hashlib.sha256(str(Path(path).resolve()).encode()).hexdigest()[:16]
    return Path(folder) / FOLDER / f"{named}-{key[:32]}.bin"


def _cacheable(frame: pd.DataFrame) -> bool:
    """The frame would pass the checks an entry must pass (a run checks its bars later, and says what is wrong)."""
    try:
        _frame(_columns(frame), "prices")
    except (ValueError, DataError):
        return False
    return True


def _unchanged(path: Path, digest: str) -> bool:
    """The file still has the bytes the key was made from (it was not rewritten while it was read)."""
    try:
        return file_digest(path) == digest
    except OSError:
        return False


def _columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """A price frame as an entry's columns: dates as int64 nanoseconds, then the prices."""
    return {"date": frame.index.values.astype("datetime64[ns]").view("i8"),
            **{column: frame[column].to_numpy(dtype="float64") for column in PRICE_COLUMNS}}


def _frame(columns: dict[str, np.ndarray], where: str) -> pd.DataFrame:
    """The price frame of an entry's columns, checked as a file's bars are."""
    dates = columns["date"]
    if dates.dtype != np.int64 or (dates % _DAY_NS).any() or not (np.diff(dates) > 0).all():
        raise ValueError("dates not sorted, unique and at midnight")
    frame = pd.DataFrame({column: columns[column].astype("float64", copy=False) for column in PRICE_COLUMNS},
                         index=pd.DatetimeIndex(dates.view("datetime64[ns]"), name="date"))
    check_prices(frame, where)
    return frame
