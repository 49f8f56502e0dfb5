"""The on-disk cache of what hkbt works out once per text: sentiment scores and languages.

Scoring 20,000 headlines, or loading the language detector's models to tell nine
Latin-script languages apart (about 1.7 s per process), costs far more than looking
the answers up. So every result that depends on a text alone is kept in one SQLite
file, ``<sentiment.cache_dir>/sentiment.sqlite``, keyed by what produced it and the
SHA-256 of the text:

``scores`` (scorer, version, text_hash) -> score
    one row per scorer (:func:`hkbt.sentiment.scoring.score_texts`);
``languages`` (version, text_hash) -> language
    the detector's answer (:func:`hkbt.news.language.detect_languages`).

A ``version`` changes whenever what produced the value could answer differently,
so a new version never reuses old values. The file is derived data that anyone can
edit: a row whose value is not valid (see :class:`Slot`) is never used; it is
worked out again and overwritten. A file that is not an SQLite database, or that
cannot be written, is one :class:`hkbt.errors.DataError` naming it.

:func:`cached_per_text` is the one entry point: texts in, one value per text out,
only the texts missing from the cache computed (each distinct text once), the new
values written in one transaction at the end.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hkbt.errors import DataError

__all__ = ["CACHE_FILE", "Slot", "cached_per_text", "text_hash"]

CACHE_FILE = "sentiment.sqlite"
"""Name of the cache inside ``cache_dir``."""

_SQL_CHUNK = 500  # hashes per SELECT ... IN (...), well under SQLite's variable limit
_TABLES = {
    "scores": "scorer TEXT NOT NULL, version TEXT NOT NULL, text_hash TEXT NOT NULL, score REAL NOT NULL, "
              "PRIMARY KEY (scorer, version, text_hash)",
    "languages": "version TEXT NOT NULL, text_hash TEXT NOT NULL, language TEXT NOT NULL, PRIMARY KEY (version, text_hash)",
}


@dataclass(frozen=True)
class Slot:
    """Where one kind of result lives: a table of :data:`_TABLES`, the key it is filed under, the value column.

    Attributes:
        table: ``"scores"`` or ``"languages"``.
        key: the key columns other than ``text_hash`` and their values, e.g.
            ``(("scorer", "vader_fin"), ("version", "5 ..."))``.
        value: the value column (``"score"``, ``"language"``).
        valid: whether a stored value may be used (anything else counts as missing).
    """

    table: str
    key: tuple[tuple[str, str], ...]
    value: str
    valid: Callable[[object], bool]


def text_hash(text: str) -> str:
    """The key of a text: the hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cached_per_text(texts: Sequence[str], cache_dir: Path | str | None, slot: Slot,
                    compute: Callable[[list[str]], Sequence[object]]) -> list[object]:
    """``compute``'s value for each text, reusing and extending the cache.

    Args:
        texts: the texts, as ``str``.
        cache_dir: folder of :data:`CACHE_FILE` (created if missing); ``None``
            computes everything and stores nothing.
        slot: what is cached and how it is checked.
        compute: values for a list of distinct texts, one per text, in order.
            Called at most once, only with texts that are not cached.

    Returns:
        One value per text, in input order.

    Raises:
        DataError: the cache cannot be opened, read or written.
        TypeError: a text is not a ``str``.
    """
    texts = list(texts)
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"texts must be str, got {type(text).__name__}: {text!r}")
    hashes = [text_hash(text) for text in texts]
    unique: dict[str, str] = dict(zip(hashes, texts))  # hash -> text, first occurrence order
    if cache_dir is None:
        known = dict(zip(unique, compute(list(unique.values())))) if unique else {}
        return [known[h] for h in hashes]

    path = Path(cache_dir) / CACHE_FILE
    conn = _open(path)
    try:
        known = _read(conn, path, slot, list(unique))
        todo = [h for h in unique if h not in known]
        if todo:
            new = list(compute([unique[h] for h in todo]))
            _write(conn, path, slot, list(zip(todo, new)))
            known.update(zip(todo, new))
    finally:
        conn.close()
    return [known[h] for h in hashes]


def _open(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(str(path.parent), f"cannot create the sentiment cache folder ({exc.strerror})",
                        "set sentiment.cache_dir to a writable folder, or null for no cache") from None
    if path.exists() and not path.is_file():
        raise DataError(str(path), "the sentiment score cache is not a regular file",
                        "remove it, or set sentiment.cache_dir to another folder")
    try:
        conn = sqlite3.connect(path, timeout=30.0)
        conn.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()  # a file that is not SQLite fails here
    except sqlite3.DatabaseError as exc:
        raise DataError(
            str(path), f"cannot open the sentiment score cache ({exc})", "delete the file; it is rebuilt on the next run"
        ) from None
    return conn


def _read(conn: sqlite3.Connection, path: Path, slot: Slot, hashes: list[str]) -> dict[str, object]:
    """The valid cached values of ``hashes`` (a table not created yet holds none)."""
    found: dict[str, object] = {}
    where = " AND ".join(f"{column} = ?" for column, _ in slot.key)
    values = [value for _, value in slot.key]
    try:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (slot.table,)).fetchone() is None:
            return found
        for start in range(0, len(hashes), _SQL_CHUNK):
            chunk = hashes[start : start + _SQL_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(f"SELECT text_hash, {slot.value} FROM {slot.table} WHERE {where} AND text_hash IN ({marks})",
                                [*values, *chunk])
            found.update((h, v) for h, v in rows if slot.valid(v))
    except sqlite3.DatabaseError as exc:
        raise DataError(
            str(path), f"cannot read the sentiment score cache ({exc})", "delete the file; it is rebuilt on the next run"
        ) from None
    return found


def _write(conn: sqlite3.Connection, path: Path, slot: Slot, rows: list[tuple[str, object]]) -> None:
    """Store ``(text_hash, value)`` rows in one transaction (the table is created on first use)."""
    columns = [column for column, _ in slot.key] + ["text_hash", slot.value]
    values = [value for _, value in slot.key]
    try:
        with conn:  # one transaction; rolled back if anything fails
            conn.execute(f"CREATE TABLE IF NOT EXISTS {slot.table} ({_TABLES[slot.table]})")
            conn.executemany(f"INSERT OR REPLACE INTO {slot.table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                             [(*values, h, v) for h, v in rows])
    except sqlite3.Error as exc:  # read-only file or folder, disk full, file removed meanwhile
        raise DataError(str(path), f"cannot write the sentiment score cache ({exc})",
                        "make it writable, delete it, or set sentiment.cache_dir: null") from None
