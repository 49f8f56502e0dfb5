"""The XHKG schedule kept on disk: a warm run reads 125 KB instead of building the calendar.

``exchange_calendars`` builds the XHKG calendar from its holiday rules every time a
process asks for it: about 0.06 s to import the library and 0.10 s to build the 21
years it covers by default (today - 20 years .. today + 1 year), however few sessions
a run needs. The result is a plain table (each session's label, open and close), so
:func:`read_schedule` / :func:`write_schedule` keep it in
``<sentiment.cache_dir>/calendar/``, the cache folder of the run.

**The key** is the SHA-256 of this format's version, the calendar's name, the
installed ``exchange_calendars`` version and today's date: the library's default
range is a function of the day it is built on, so tomorrow's run builds a new entry
(and the older entries hkbt wrote are then removed: the folder holds one entry per
day it was used, at most, and only the newest is kept).

**An entry** is written atomically (temporary sibling, then ``os.replace``): the line
:data:`MAGIC`, the SHA-256 of the rest, one JSON line (key, number of sessions), then
the session labels, opens and closes as little-endian int64 nanoseconds. It is used only
when all of that checks out and the table is well formed (labels at midnight, strictly
increasing; each open before its close and after the previous close); anything else is
ignored with a warning and the calendar built again. A damaged entry that starts with
:data:`MAGIC` was written by hkbt and is replaced; a file that does not is left exactly
as it is (hkbt never touches a file it did not write).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from hkbt.errors import DataError
from hkbt.files import ours_or_missing, write_bytes_atomic

FORMAT = 1
"""Version of the entry layout; part of the key."""

MAGIC = b"hkbt xhkg schedule 1\n"
"""How every entry hkbt writes begins (a file without it was not written by hkbt)."""

FOLDER = "calendar"
"""The entries' folder inside the cache folder."""

_DIGEST_BYTES = 32
_DAY_NS = 86_400 * 10**9


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
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"{path}: cannot read this calendar cache entry ({exc.strerror}); calendar built again"
    if not raw.startswith(MAGIC):
        return None, f"{path}: not a calendar cache entry written by hkbt; calendar built again, the file left alone"
    try:
        return _decode(raw[len(MAGIC):], key), None
    except (ValueError, TypeError, KeyError) as exc:
        return None, f"{path}: damaged calendar cache entry ({exc}); calendar built again and the entry rewritten"


def write_schedule(folder: Path, calendar: str, key: str, schedule: pd.DataFrame) -> str | None:
    """Store ``schedule`` (``open``, ``close``) under ``key`` atomically and remove the older entries hkbt wrote.

    Returns a warning instead of raising when the folder cannot be written; a file at the
    entry's path that hkbt did not write is left alone (:func:`read_schedule` warned about it).
    """
    path = _entry(folder, calendar, key)
    if not ours_or_missing(path, MAGIC):
        return None
    body = _encode(schedule, key)
    try:
        write_bytes_atomic(path, MAGIC + hashlib.sha256(body).digest() + body)
    except DataError as exc:
        return f"{exc}; the calendar is not cached (the run goes on)"
    for older in path.parent.glob(f"{calendar}-*.bin"):
        if older != path and ours_or_missing(older, MAGIC):
            older.unlink(missing_ok=True)
    return None


def _encode(schedule: pd.DataFrame, key: str) -> bytes:
    columns = [schedule.index.values, schedule.open.dt.tz_convert(None).values, schedule.close.dt.tz_convert(None).values]
    arrays = b"".join(np.ascontiguousarray(c.astype("datetime64[ns]").view("<i8")).tobytes() for c in columns)
    return json.dumps({"key": key, "sessions": len(schedule)}).encode() + b"\n" + arrays


def _decode(raw: bytes, key: str) -> pd.DataFrame:
    digest, body = raw[:_DIGEST_BYTES], raw[_DIGEST_BYTES:]
    if hashlib.sha256(body).digest() != digest:
        raise ValueError("checksum mismatch")
    line, _, arrays = body.partition(b"\n")
    meta = json.loads(line)
    if meta["key"] != key:
        raise ValueError("filed under another key")
    count = meta["sessions"]
    if not isinstance(count, int) or count < 1 or len(arrays) != 3 * 8 * count:
        raise ValueError("the session count does not match the entry's size")
    labels, opens, closes = np.frombuffer(arrays, dtype="<i8").reshape(3, count).astype(np.int64)
    ordered = (np.diff(labels) > 0).all() and (opens[1:] > closes[:-1]).all()
    if not ordered or (labels % _DAY_NS).any() or not ((opens < closes) & (closes - labels < 2 * _DAY_NS)).all():
        raise ValueError("sessions out of order or not shaped like trading days")
    return pd.DataFrame(
        {"open": pd.DatetimeIndex(opens.view("datetime64[ns]"), tz="UTC"),
         "close": pd.DatetimeIndex(closes.view("datetime64[ns]"), tz="UTC")},
        index=pd.DatetimeIndex(labels.view("datetime64[ns]")),
    )
