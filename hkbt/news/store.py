"""The news store: every item hkbt has collected, kept in one SQLite file (default ``data/news.db``).

Why SQLite: it ships with Python and needs no server; one file is easy to back
up; WAL mode lets ``hkbt run`` read a consistent snapshot while ``hkbt news
fetch`` writes; and the database's own locks make two writers safe. Every
batch (one feed's answer, one imported file) is written in **one transaction**
started with ``BEGIN IMMEDIATE``: a second writer waits for the lock (up to
:data:`BUSY_TIMEOUT_S`), and a batch that is interrupted (Ctrl-C, SIGKILL,
a full disk) is rolled back whole, so the store never holds half a batch.

One row per item (table ``news``):

================  ==================================================================
news_id           16 hex chars, the same id a run computes (:mod:`hkbt.news.load`)
source            publisher ("RTHK", a GDELT domain, a Yahoo provider; may be "")
feed              the feed it came from (``news.feeds[].name``) or ``import:<file>``
origin            ``fetch`` (collected live) or ``import`` (an archive file)
url               link ("" when the source gives none)
headline, body    text as the source gave it (HTML removed from feeds)
language          ISO 639-1 code the feed declares or the item states, else the one
                  detected from the headline (:mod:`hkbt.news.language`)
published_at      publication time *as the source says*, UTC ``...T...Z`` text
published_text    that time exactly as written by the source
first_seen_at     when hkbt first stored the item, UTC ``...T...Z`` text
tickers           ";"-joined tickers the source (or the feed config) attached
headline_key      the normalised headline used for de-duplication
raw               the item as received (JSON): a feed entry, an API record, a file row
================  ==================================================================

De-duplication (inside the batch's transaction, so concurrent writers agree):
an item is dropped when its url is already stored, when its id is, or when
the same source already has the same normalised headline
(:func:`normalise_headline`) published within :data:`HEADLINE_WINDOW` of it.
The window keeps recurring wire headlines such as "HK stocks close higher"
(one a day) apart while catching a story re-sent with another link. The
first version seen is kept: a later revision of a stored item does not
replace it, because runs must see what hkbt saw, when it saw it.

Point in time: ``published_at`` is what the source claims, ``first_seen_at``
is when hkbt knew. :func:`available_at` combines them per ``news.timestamp``
so a back-dated item can never trade before hkbt stored it.

Schema versions live in ``PRAGMA user_version`` and are upgraded by the
ordered functions in :data:`MIGRATIONS`; ``PRAGMA application_id`` marks the
file as an hkbt store, so hkbt never writes into a database it did not create.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd

from hkbt.config import StoreFilters
from hkbt.errors import DataError
from hkbt.news.load import NEWS_COLUMNS, NewsReport

APPLICATION_ID = 0x686B6274  # "hkbt" in ASCII
BUSY_TIMEOUT_S = 60.0
HEADLINE_WINDOW = pd.Timedelta(hours=12)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
ORIGINS = ("fetch", "import")
TIMESTAMP_MODES = ("auto", "published", "first_seen", "later_of")

STORE_COLUMNS = [
    "news_id", "published_at", "headline", "body", "source", "url", "tickers", "language", "feed", "origin",
    "first_seen_at", "published_text",
]
"""Columns of :meth:`NewsStore.read` (``tickers`` a list, times tz-aware UTC)."""


# ----------------------------------------------------------------------------- schema


def _v1_news(db: sqlite3.Connection) -> None:
    """v1: one row per item, unique by id and by url."""
    _run(db, """
        CREATE TABLE news (
            news_id        TEXT PRIMARY KEY,
            source         TEXT NOT NULL DEFAULT '',
            feed           TEXT NOT NULL,
            origin         TEXT NOT NULL CHECK (origin IN ('fetch', 'import')),
            url            TEXT NOT NULL DEFAULT '',
            headline       TEXT NOT NULL CHECK (headline <> ''),
            headline_key   TEXT NOT NULL,
            body           TEXT NOT NULL DEFAULT '',
            language       TEXT NOT NULL DEFAULT '',
            published_at   TEXT NOT NULL,
            published_text TEXT NOT NULL DEFAULT '',
            first_seen_at  TEXT NOT NULL,
            tickers        TEXT NOT NULL DEFAULT '',
            raw            TEXT NOT NULL DEFAULT '{}'
        );
        CREATE UNIQUE INDEX news_by_url ON news (url) WHERE url <> '';
        CREATE INDEX news_by_headline ON news (source, headline_key, published_at);
        CREATE INDEX news_by_time ON news (published_at);
    """)


def _v2_feeds_and_batches(db: sqlite3.Connection) -> None:
    """v2: conditional-GET state per feed, and a log of every batch (counts, errors)."""
    _run(db, """
        CREATE TABLE feeds (
            feed           TEXT PRIMARY KEY,
            url            TEXT NOT NULL DEFAULT '',
            etag           TEXT,
            last_modified  TEXT,
            checked_at     TEXT
        );
        CREATE TABLE batches (
            batch_id       INTEGER PRIMARY KEY,
            feed           TEXT NOT NULL,
            origin         TEXT NOT NULL,
            started_at     TEXT NOT NULL,
            finished_at    TEXT NOT NULL,
            status         TEXT NOT NULL CHECK (status IN ('ok', 'not_modified', 'error')),
            http_status    INTEGER,
            items_read     INTEGER NOT NULL DEFAULT 0,
            items_new      INTEGER NOT NULL DEFAULT 0,
            duplicate_id  INTEGER NOT NULL DEFAULT 0,
            duplicate_headline INTEGER NOT NULL DEFAULT 0,
            error          TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX batches_by_feed ON batches (feed, finished_at);
        CREATE INDEX news_by_feed ON news (feed, published_at);
    """)


def _run(db: sqlite3.Connection, script: str) -> None:
    """Execute ``;``-separated statements inside the current transaction.

    (``executescript`` would commit first, breaking the one-transaction-per-step rule.)
    """
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1_news, _v2_feeds_and_batches]
"""Schema upgrades in order: ``MIGRATIONS[n]`` takes a version-n store to version n+1.

Append new steps; never edit a released one (stores in the field have run it).
"""
SCHEMA_VERSION = len(MIGRATIONS)


# ----------------------------------------------------------------------------- values


def normalise_headline(headline: str) -> str:
    """The de-duplication key of a headline: case, width, punctuation and spacing ignored.

    >>> normalise_headline("Boeing faces SEC probe - Bloomberg") == normalise_headline("boeing faces SEC probe: Bloomberg")
    True
    >>> normalise_headline("ＨＫ stocks close   higher!")
    'hk stocks close higher'
    """
    folded = unicodedata.normalize("NFKC", headline).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", folded).split())


def format_time(stamp: pd.Timestamp | datetime) -> str:
    """A tz-aware time as the store's fixed-width UTC text (sorts as it reads).

    >>> format_time(pd.Timestamp("2025-02-17T18:30:00+08:00"))
    '2025-02-17T10:30:00.000000Z'
    """
    stamp = pd.Timestamp(stamp)
    if stamp.tzinfo is None:
        raise ValueError("store times must be tz-aware")
    seconds, nanoseconds = divmod(stamp.value, 1_000_000_000)  # .value: ns since the epoch, UTC
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{nanoseconds // 1000:06d}Z"


def parse_times(values: Iterable[str]) -> pd.DatetimeIndex:
    """The store's UTC text back to tz-aware timestamps (ns)."""
    return pd.DatetimeIndex(pd.to_datetime(list(values), format=TIME_FORMAT, utc=True)).as_unit("ns")


def available_at(published: pd.Series, first_seen: pd.Series, origin: pd.Series, mode: str) -> pd.Series:
    """Pure: the time each item became usable by a strategy, per ``news.timestamp``.

    ``published``: the source's claim. ``first_seen``: when hkbt stored it.
    ``later_of``: the later of the two, so a back-dated or late-crawled item
    counts from when hkbt saw it. ``auto``: ``later_of`` for fetched items,
    ``published`` for imported archives (their ``first_seen`` is the import
    day, not when the news appeared).

    >>> p = pd.Series(pd.to_datetime(["2025-02-17 06:00", "2025-02-17 06:00"], utc=True))
    >>> s = pd.Series(pd.to_datetime(["2025-02-17 09:00", "2025-02-17 09:00"], utc=True))
    >>> [t.hour for t in available_at(p, s, pd.Series(["fetch", "import"]), "auto")]
    [9, 6]
    """
    if mode not in TIMESTAMP_MODES:
        raise ValueError(f"unknown timestamp mode {mode!r}")
    later = published.where(published >= first_seen, first_seen)
    if mode == "published":
        return published.copy()
    if mode == "first_seen":
        return first_seen.copy()
    if mode == "later_of":
        return later
    return later.where(origin == "fetch", published)


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class BatchResult:
    """What one batch did: items read, stored, and dropped as duplicates.

    ``duplicate_id``: same url or same id as a stored item (or as an earlier
    item of the same batch); ``duplicate_headline``: same source and
    normalised headline within :data:`HEADLINE_WINDOW`.
    """

    feed: str
    items_read: int = 0
    items_new: int = 0
    duplicate_id: int = 0
    duplicate_headline: int = 0
    status: str = "ok"
    http_status: int | None = None

    @property
    def duplicates(self) -> int:
        return self.duplicate_id + self.duplicate_headline


@dataclass(frozen=True)
class FeedState:
    """Conditional-GET validators kept per feed (sent back as If-None-Match / If-Modified-Since)."""

    url: str = ""
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class StoreQuery:
    """Which items :meth:`NewsStore.read` returns. Empty lists mean "any"; ``text`` is a case-blind substring.

    ``since``/``until`` bound ``published_at`` (``until`` inclusive: the whole
    day, in ``timezone``); ``tickers`` matches the tickers the source attached.
    """

    sources: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    tickers: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    text: str | None = None
    timezone: str = "Asia/Hong_Kong"
    limit: int | None = None
    newest_first: bool = False


@dataclass
class StoreStats:
    """Summary tables for ``hkbt news stats`` (plain frames, rendered by the CLI)."""

    items: int
    by_source: pd.DataFrame
    by_language: pd.DataFrame
    by_day: pd.DataFrame
    feeds: pd.DataFrame
    duplicates_dropped: int
    schema_version: int
    path: Path


# ----------------------------------------------------------------------------- the store


class NewsStore:
    """An open news store. Use :meth:`open` (creates and upgrades) and close it, or use ``with``.

    Example::

        with NewsStore.open(Path("data/news.db")) as store:
            result = store.add(items, feed="rthk_en_finance", origin="fetch")
            news = store.read(StoreQuery(sources=("RTHK",)))
    """

    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        self.path = path
        self._db = db

    # ------------------------------------------------------------- opening
    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> NewsStore:
        """Open (and if needed create or upgrade) the store at ``path``.

        Raises:
            DataError: the file is missing and ``create`` is false, is not a
                SQLite database, is some other program's database, was written
                by a newer hkbt, or cannot be opened or written.
        """
        path = Path(path)
        where = str(path)
        if not path.exists():
            if not create:
                raise DataError(where, "no news store here", "collect news first: `hkbt news import FILE` or `hkbt news fetch`")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DataError(where, f"cannot create the store's folder ({exc.strerror})") from None
        elif not path.is_file():
            raise DataError(where, "is not a file", "point news.store at a file, e.g. data/news.db")
        try:
            db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise DataError(where, f"cannot open the news store ({exc})") from None
        store = cls(path, db)
        try:
            store._check_owner()
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            store._migrate()
        except sqlite3.DatabaseError as exc:
            db.close()
            raise DataError(where, f"cannot use the news store ({exc})", _fix_for(exc)) from None
        except BaseException:
            db.close()
            raise
        return store

    def _check_owner(self) -> None:
        """Refuse a database that hkbt did not create (or one from a newer hkbt).

        The version, the mark and the tables are read in one statement, so from one snapshot: read one by
        one, another command creating the same store could commit its schema between two of the reads.
        """
        version, app, tables = self._db.execute(
            "SELECT (SELECT user_version FROM pragma_user_version), (SELECT application_id FROM pragma_application_id),"
            " (SELECT count(*) FROM sqlite_master)").fetchone()
        if (app != APPLICATION_ID and (version or tables)) or (app == APPLICATION_ID and version == 0 and tables):
            raise DataError(str(self.path), "is a database hkbt did not create; it is left untouched",
                            "choose another news.store path (hkbt creates the file)")
        if version > SCHEMA_VERSION:
            raise DataError(str(self.path), f"was written by a newer hkbt (schema v{version}; this hkbt knows up to v{SCHEMA_VERSION})",
                            "upgrade hkbt")

    def _migrate(self) -> None:
        """Bring the schema to :data:`SCHEMA_VERSION`, one transaction per step."""
        while True:
            with self._write():
                version = self._db.execute("PRAGMA user_version").fetchone()[0]  # re-read under the write lock
                if version >= SCHEMA_VERSION:
                    return
                if version == 0:
                    self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                MIGRATIONS[version](self._db)
                self._db.execute(f"PRAGMA user_version = {version + 1}")

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> NewsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: ``BEGIN IMMEDIATE`` (waits for another writer), commit, or roll back on any exception."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ------------------------------------------------------------- writing
    def add(self, items: Iterable[Mapping[str, object]], *, feed: str, origin: str, state: FeedState | None = None,
            http_status: int | None = None, dropped_before: int = 0, now: datetime | None = None) -> BatchResult:
        """Store one batch in one transaction; return its counts.

        Args:
            items: mappings with ``news_id``, ``published_at`` (tz-aware),
                ``headline`` and optionally ``body``, ``source``, ``url``,
                ``tickers`` (list), ``language``, ``published_text``, ``raw``
                (dict or JSON text) and ``first_seen_at`` (an archive's own
                record of when it was first seen; default ``now``). Consumed
                inside the transaction.
            feed: feed name, or ``import:<file name>``.
            origin: ``fetch`` or ``import`` (decides the default timestamp rule).
            state: conditional-GET validators to keep for the feed, saved in the
                same transaction (so they never run ahead of the stored items).
            http_status: the HTTP status of the answer, for the batch log.
            dropped_before: duplicates already dropped inside the batch (same
                id twice in one file), counted with ``duplicate_id``.
            now: the ``first_seen_at`` to record (default: the current UTC time).

        Raises:
            DataError: the disk is full, the store is read-only, or another
                writer held the lock for longer than :data:`BUSY_TIMEOUT_S`.
        """
        if origin not in ORIGINS:
            raise ValueError(f"origin must be one of {ORIGINS}")
        started = format_time(datetime.now(timezone.utc))
        try:
            with self._write() as db:
                seen = format_time(now or datetime.now(timezone.utc))
                counts = {"read": dropped_before, "new": 0, "id": dropped_before, "headline": 0}
                for item in items:
                    counts["read"] += 1
                    outcome = self._insert(db, item, feed, origin, seen)
                    counts[outcome] += 1
                if state is not None:
                    self._save_state(db, feed, state, seen)
                result = BatchResult(feed, counts["read"], counts["new"], counts["id"], counts["headline"],
                                     "ok", http_status)
                self._log(db, result, origin, started)
        except sqlite3.Error as exc:
            raise DataError(str(self.path), f"could not store batch {feed} ({exc}); nothing of it was kept", _fix_for(exc)) from None
        return result

    def record(self, feed: str, origin: str, *, status: str, http_status: int | None = None, error: str = "",
               state: FeedState | None = None) -> BatchResult:
        """Log a batch that stored nothing: ``not_modified`` (HTTP 304) or ``error`` (with its message)."""
        started = format_time(datetime.now(timezone.utc))
        result = BatchResult(feed, status=status, http_status=http_status)
        try:
            with self._write() as db:
                if state is not None:
                    self._save_state(db, feed, state, started)
                self._log(db, result, origin, started, error)
        except sqlite3.Error as exc:
            raise DataError(str(self.path), f"could not log batch {feed} ({exc})", _fix_for(exc)) from None
        return result

    @staticmethod
    def _insert(db: sqlite3.Connection, item: Mapping[str, object], feed: str, origin: str, seen: str) -> str:
        """Insert one item unless it is a duplicate; return ``new``, ``id`` or ``headline``."""
        news_id = str(item["news_id"])
        url = str(item.get("url") or "")
        headline = str(item["headline"])
        source = str(item.get("source") or "")
        published = pd.Timestamp(item["published_at"])
        key = normalise_headline(headline)
        if db.execute("SELECT 1 FROM news WHERE news_id = ?", (news_id,)).fetchone():
            return "id"
        # repeating the partial index's condition (url <> '') lets SQLite use it
        if url and db.execute("SELECT 1 FROM news WHERE url = ? AND url <> ''", (url,)).fetchone():
            return "id"
        low, high = format_time(published - HEADLINE_WINDOW), format_time(published + HEADLINE_WINDOW)
        if db.execute("SELECT 1 FROM news WHERE source = ? AND headline_key = ? AND published_at BETWEEN ? AND ?",
                      (source, key, low, high)).fetchone():
            return "headline"
        raw = item.get("raw", {})
        tickers = item.get("tickers") or []
        db.execute(
            "INSERT INTO news (news_id, source, feed, origin, url, headline, headline_key, body, language, published_at,"
            " published_text, first_seen_at, tickers, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (news_id, source, feed, origin, url, headline, key, str(item.get("body") or ""), str(item.get("language") or ""),
             format_time(published), str(item.get("published_text") or ""),
             format_time(item["first_seen_at"]) if item.get("first_seen_at") is not None else seen,
             ";".join(tickers) if not isinstance(tickers, str) else tickers,
             raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str, sort_keys=True)),
        )
        return "new"

    @staticmethod
    def _save_state(db: sqlite3.Connection, feed: str, state: FeedState, checked: str) -> None:
        db.execute(
            "INSERT INTO feeds (feed, url, etag, last_modified, checked_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (feed) DO UPDATE SET url = excluded.url, etag = excluded.etag,"
            " last_modified = excluded.last_modified, checked_at = excluded.checked_at",
            (feed, state.url, state.etag, state.last_modified, checked),
        )

    @staticmethod
    def _log(db: sqlite3.Connection, result: BatchResult, origin: str, started: str, error: str = "") -> None:
        db.execute(
            "INSERT INTO batches (feed, origin, started_at, finished_at, status, http_status, items_read, items_new,"
            " duplicate_id, duplicate_headline, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (result.feed, origin, started, format_time(datetime.now(timezone.utc)), result.status, result.http_status,
             result.items_read, result.items_new, result.duplicate_id, result.duplicate_headline, error),
        )

    # ------------------------------------------------------------- reading
    def feed_state(self, feed: str) -> FeedState | None:
        """The validators saved for ``feed`` by its last successful fetch, if any."""
        row = self._db.execute("SELECT url, etag, last_modified FROM feeds WHERE feed = ?", (feed,)).fetchone()
        return FeedState(*row) if row else None

    def read(self, query: StoreQuery = StoreQuery()) -> pd.DataFrame:
        """Items matching ``query`` as a frame (:data:`STORE_COLUMNS`), sorted by ``published_at`` then id.

        One SELECT, so the frame is one consistent snapshot even while a fetch writes.
        """
        where, params = _where(query)
        order = "DESC" if query.newest_first else "ASC"
        sql = (f"SELECT {', '.join(c for c in STORE_COLUMNS)} FROM news{where}"
               f" ORDER BY published_at {order}, news_id {order}" + (f" LIMIT {int(query.limit)}" if query.limit else ""))
        try:
            frame = pd.read_sql_query(sql, self._db, params=params, dtype=str)
        except (sqlite3.Error, pd.errors.DatabaseError) as exc:
            raise DataError(str(self.path), f"cannot read the news store ({exc})") from None
        frame["published_at"] = parse_times(frame.published_at)
        frame["first_seen_at"] = parse_times(frame.first_seen_at)
        frame["tickers"] = [[t for t in value.split(";") if t] for value in frame.tickers]
        return frame[STORE_COLUMNS]

    def raw(self, news_id: str) -> dict:
        """The payload an item was stored with (a feed entry, an API record, a file row)."""
        row = self._db.execute("SELECT raw FROM news WHERE news_id = ?", (news_id,)).fetchone()
        if row is None:
            raise DataError(str(self.path), f"no item {news_id!r}")
        return json.loads(row[0])

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM news").fetchone()[0])

    def stats(self, days: int = 14) -> StoreStats:
        """Items per source, language and (last ``days``) publication day in HKT; per-feed status; duplicates dropped."""
        db = self._db
        db.execute("BEGIN")  # one snapshot for every table below
        try:
            by_source = pd.read_sql_query(
                "SELECT source, origin, count(*) AS items, min(published_at) AS first_published,"
                " max(published_at) AS last_published FROM news GROUP BY source, origin ORDER BY items DESC, source", db)
            by_language = pd.read_sql_query(
                "SELECT language, count(*) AS items FROM news GROUP BY language ORDER BY items DESC, language", db)
            by_day = pd.read_sql_query(
                "SELECT date(published_at, '+8 hours') AS day_hkt, count(*) AS items FROM news"
                " GROUP BY day_hkt ORDER BY day_hkt DESC LIMIT ?", db, params=(days,))
            feeds = pd.read_sql_query("""
                WITH items AS (SELECT feed, count(*) AS items, max(published_at) AS latest_item FROM news GROUP BY feed),
                     runs AS (SELECT feed, count(*) AS batches, sum(items_read) AS read,
                                     sum(duplicate_id + duplicate_headline) AS duplicates,
                                     sum(status = 'error') AS errors, max(finished_at) AS last_batch FROM batches GROUP BY feed),
                     last AS (SELECT b.feed, b.status AS last_status, b.error AS last_error FROM batches b
                              WHERE b.batch_id = (SELECT max(batch_id) FROM batches WHERE feed = b.feed))
                SELECT names.feed, coalesce(items.items, 0) AS items, items.latest_item,
                       coalesce(runs.batches, 0) AS batches, coalesce(runs.read, 0) AS read,
                       coalesce(runs.duplicates, 0) AS duplicates, coalesce(runs.errors, 0) AS errors,
                       runs.last_batch, last.last_status AS status, last.last_error
                FROM (SELECT feed FROM news UNION SELECT feed FROM batches) AS names
                LEFT JOIN items USING (feed) LEFT JOIN runs USING (feed) LEFT JOIN last USING (feed)
                ORDER BY names.feed""", db)
            dropped = db.execute("SELECT coalesce(sum(duplicate_id + duplicate_headline), 0) FROM batches").fetchone()[0]
            total = db.execute("SELECT count(*) FROM news").fetchone()[0]
        finally:
            db.execute("COMMIT")
        return StoreStats(int(total), by_source, by_language, by_day, feeds, int(dropped), self.schema_version, self.path)

    def integrity(self) -> str:
        """SQLite's own check: ``"ok"`` for a sound file."""
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])


def _where(query: StoreQuery) -> tuple[str, list[object]]:
    """SQL ``WHERE`` clause and parameters for a :class:`StoreQuery`."""
    clauses: list[str] = []
    params: list[object] = []
    for column, values in (("source", query.sources), ("feed", query.feeds), ("language", query.languages)):
        if values:
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    if query.tickers:
        clauses.append("(" + " OR ".join("(';' || tickers || ';') LIKE ?" for _ in query.tickers) + ")")
        params.extend(f"%;{t};%" for t in query.tickers)
    if query.since is not None:
        clauses.append("published_at >= ?")
        params.append(format_time(pd.Timestamp(query.since).tz_localize(query.timezone)))
    if query.until is not None:
        clauses.append("published_at < ?")
        params.append(format_time((pd.Timestamp(query.until) + pd.Timedelta(days=1)).tz_localize(query.timezone)))
    if query.text:
        clauses.append("(instr(lower(headline), ?) > 0 OR instr(lower(body), ?) > 0)")
        params.extend([query.text.lower()] * 2)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _fix_for(exc: sqlite3.Error) -> str | None:
    """A hint for the usual SQLite failures."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return f"another hkbt process held the store for over {BUSY_TIMEOUT_S:.0f}s; try again when it has finished"
    if "readonly" in text or "read-only" in text:
        return "make the store and its folder writable"
    if "full" in text:
        return "free disk space; the batch was rolled back and can be fetched again"
    if "not a database" in text or "malformed" in text:
        return "the file is damaged or not a news store; point news.store at another path"
    return None


# ----------------------------------------------------------------------------- runs


def load_store_news(path: Path, filters: StoreFilters, timestamp: str = "auto", timezone: str = "Asia/Hong_Kong",
                    as_of: pd.Timestamp | None = None) -> tuple[pd.DataFrame, NewsReport]:
    """The news a run reads from the store (``news.store``), point in time.

    Returns the loader's columns (:data:`hkbt.news.load.NEWS_COLUMNS`) plus
    ``first_seen_at``, ``available_at`` (see :func:`available_at`; the time
    sessions are assigned from), ``language``, ``feed`` and ``origin``. With
    ``as_of``, only items available by then are kept (``hkbt today``).

    Warning — look-ahead: ``published_at`` here is the source's claim; only
    ``available_at`` says when a strategy may act on an item.
    """
    with NewsStore.open(path, create=False) as store:
        frame = store.read(StoreQuery(sources=tuple(filters.sources), feeds=tuple(filters.feeds),
                                      since=filters.since, until=filters.until, timezone=timezone))
    frame["available_at"] = available_at(frame.published_at, frame.first_seen_at, frame.origin, timestamp)
    if as_of is not None:
        frame = frame[frame.available_at <= as_of]
    if frame.empty:
        raise DataError(str(path), "no stored news matches news.filters" + (f" by {as_of}" if as_of is not None else ""),
                        "widen news.filters, or collect news with `hkbt news import` / `hkbt news fetch`")
    frame = frame.sort_values(["available_at", "news_id"], kind="stable").reset_index(drop=True)
    columns = NEWS_COLUMNS + ["first_seen_at", "available_at", "language", "feed", "origin"]
    return frame[columns], NewsReport(rows_read=len(frame), duplicates_dropped=0, naive_timestamps=0)
