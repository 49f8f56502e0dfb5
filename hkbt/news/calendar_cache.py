"""The XHKG schedule kept on disk: a warm run reads 125 KB instead of building the calendar.

``exchange_calendars`` builds the XHKG calendar from its holiday rules every time a
process asks for it: about 0.06 s to import the library and 0.10 s to build the 21
years it covers by default (today - 20 years .. today + 1 year), however few sessions
a run needs. The result is a plain table (each session's label, open and close), so
:func:`read_schedule` / :func:`write_schedule` keep it in
``<sentiment.cache_dir>/calendar/``, the cache folder of the run, as a checked entry
(:mod:`hkbt.table_cache`: atomic, checksummed, never a file hkbt did not write).

**The key** is the SHA-256 of this format's version, the calendar's name, the
installed ``exchange_calendars`` version and today's date: the library's default
range is a function of the day it is built on, so tomorrow's run builds a new entry,
and the older entries hkbt wrote are then removed (the folder keeps one).

**An entry** is used only when it checks out and the table is well formed (labels at
midnight, strictly increasing; each open before its close and after the previous
close); anything else is ignored with a warning and the calendar built again.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from hkbt.table_cache import damaged, prune, read_entry, write_entry

FORMAT = 1
"""Version of the entry layout; part of the key."""

MAGIC = b"hkbt xhkg schedule 1\n"
"""How every entry hkbt writes begins (a file without it was not written by hkbt)."""

FOLDER = "calendar"
"""The entries' folder inside the cache folder."""

_DAY_NS = 86_400 * 10**9
_REDO = "calendar built again"


def schedule_key(calendar: str, today: date | None = None) -> str:
    """The entry's key: format, calendar name, ``exchange_calendars``' version, the day (its default range)."""
    try:
        installed = importlib.metadata.version("exchange_calendars")
    except importlib.metadata.PackageNotFoundError:
        installed = "not installed"
    parts = {"format": FORMAT, "calendar": calendar, "exchange_calendars": installed, "day": (today or date.today()).isoformat()}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _entry(folder: Path, calendar: str, key: str) -> Path:
    return Path(folder) / FOLDER / f"{calendar}-{key[:32]}.bin"


def read_schedule(folder: Path, calendar: str, key: str) -> tuple[pd.DataFrame | None, str | None]:
    """``(schedule, warning)`` from the entry of ``key``: ``(None, None)`` when there is none (the usual miss),
    ``(None, warning)`` when there is a file that cannot be used."""
    path = _entry(folder, calendar, key)
    columns, note = read_entry(path, MAGIC, key, "calendar", _REDO)
    if columns is None:
        return None, note
    try:
        return _schedule(columns["session"], columns["open"], columns["close"]), None
    except (KeyError, ValueError) as exc:
        return None, damaged(path, "calendar", _REDO, exc)


def write_schedule(folder: Path, calendar: str, key: str, schedule: pd.DataFrame) -> str | None:
    """Store ``schedule`` (``open``, ``close``) under ``key`` and remove the older entries hkbt wrote.

    Returns a warning instead of raising when the folder cannot be written.
    """
    path = _entry(folder, calendar, key)
    note = write_entry(path, MAGIC, key, {
        "session": schedule.index.values.astype("datetime64[ns]").view("i8"),
        "open": schedule.open.dt.tz_convert(None).values.astype("datetime64[ns]").view("i8"),
        "close": schedule.close.dt.tz_convert(None).values.astype("datetime64[ns]").view("i8"),
    }, "calendar")
    if note is None:
        prune(path.parent, f"{calendar}-*.bin", MAGIC, keep=path)
    return note


def _schedule(labels: np.ndarray, opens: np.ndarray, closes: np.ndarray) -> pd.DataFrame:
    """The schedule frame of the three int64 columns, if they are shaped like trading days."""
    if not len(labels) or labels.dtype != np.int64 or opens.dtype != np.int64 or closes.dtype != np.int64:
        raise ValueError("not a table of sessions")
    ordered = (np.diff(labels) > 0).all() and (opens[1:] > closes[:-1]).all()
    if not ordered or (labels % _DAY_NS).any() or not ((opens < closes) & (closes - labels < 2 * _DAY_NS)).all():
        raise ValueError("sessions out of order or not shaped like trading days")
    return pd.DataFrame(
        {"open": pd.DatetimeIndex(opens.view("datetime64[ns]"), tz="UTC"),
         "close": pd.DatetimeIndex(closes.view("datetime64[ns]"), tz="UTC")},
        index=pd.DatetimeIndex(labels.view("datetime64[ns]")),
    )
