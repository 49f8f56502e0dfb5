"""Filling the news store: archives in (``hkbt news import``) and feeds in (``hkbt news fetch``).

Both roads end the same way: rows pass through
:func:`hkbt.news.load.build_news_rows`, the very function a run uses to read
a news file, so an item gets the same UTC time, the same ``news_id`` and the
same in-file de-duplication whether it is backtested from a CSV or from the
store. Each file or feed answer is then one :meth:`NewsStore.add` batch (one
transaction).

Imports read CSV or JSON Lines through :func:`hkbt.news.load.read_news_file`
with the run's column mapping (``news.columns``), or a saved GDELT DOC API
answer (``.json``) through :func:`hkbt.news.feeds.gdelt.parse_gdelt`. Every
original field of a row is kept as the item's raw payload.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hkbt.config import FeedConfig, NewsColumns, NewsConfig
from hkbt.errors import DataError
from hkbt.news.feeds import ParsedFeed, is_readable_time, language_code, to_json
from hkbt.news.feeds.http import FetchError, PoliteClient
from hkbt.news.load import NewsReport, build_news_rows, read_news_file
from hkbt.news.store import BatchResult, NewsStore

LANGUAGE_COLUMNS = ("language", "lang")
"""Columns of an imported file read as each row's language when ``--language`` is not given."""


@dataclass(frozen=True)
class ImportResult:
    """One imported file: the batch counts, what the loader fixed, and anything to warn about."""

    path: Path
    batch: BatchResult
    report: NewsReport
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedOutcome:
    """One feed's fetch: its batch (``None`` if nothing could be stored), its error line, its warnings."""

    feed: str
    batch: BatchResult | None
    error: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass
class FetchHooks:
    """Optional callbacks: ``started(feed name)`` before and ``finished(outcome)`` after each feed."""

    started: Callable[[str], None] | None = None
    finished: Callable[[FeedOutcome], None] | None = None


# ----------------------------------------------------------------------------- import


def import_file(store: NewsStore, path: Path, news: NewsConfig, *, fmt: str = "auto", source: str | None = None,
                language: str | None = None, feed: str | None = None, skip_invalid: bool = False,
                first_seen_column: str | None = None, progress: Callable[[int], None] | None = None) -> ImportResult:
    """Import one archive file into ``store`` as one batch (origin ``import``).

    Args:
        path: CSV / JSON Lines (mapped with ``news.columns``, times without an
            offset read in ``news.timezone``), or a GDELT DOC API answer (``.json``,
            or ``fmt="gdelt"``).
        source: fills the source of rows that have none (after ids are made, so
            ids stay those a run on the same file computes).
        language: ISO code for every row; default: a ``language``/``lang``
            column if the file has one, else detected from the headline
            (:func:`fill_languages`).
        feed: the store's feed label; default ``import:<file name>``.
        skip_invalid: skip (and count) rows with an empty headline or an
            unreadable time instead of refusing the file, as a run would.
        first_seen_column: a column recording when each row was first seen by
            whoever collected the archive (epoch seconds or a time; e.g. RTHK's
            ``first_seen_utc``), stored as ``first_seen_at`` instead of the
            import time, so ``news.timestamp: later_of`` replays the real crawl lag.
        progress: called with the number of rows stored so far, now and then.

    Raises:
        DataError: unreadable file, missing column, bad timestamp (file:line).
    """
    path = Path(path)
    kind = fmt if fmt != "auto" else ("gdelt" if path.suffix.lower() == ".json" else "auto")
    warnings: list[str] = []
    if kind == "gdelt":
        if first_seen_column is not None:
            raise DataError(str(path), "--first-seen-column is for CSV and JSON Lines files",
                            "a GDELT answer's seendate is already when GDELT saw the article")
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise DataError(str(path), f"cannot read ({exc.strerror})") from None
        try:
            parsed = _gdelt(content, language or "")
        except FetchError as exc:
            raise DataError(str(path), str(exc), "pass a saved GDELT DOC API answer (mode=artlist&format=json)") from None
        if parsed.skipped:
            warnings.append(f"{parsed.skipped} GDELT article(s) without a title or a readable seendate skipped")
        raw, columns, first_line = parsed.items, NewsColumns(), 1
        extras = parsed.items
    else:
        raw, first_line = read_news_file(path, kind)
        columns = news.columns
        if skip_invalid:
            raw, skipped = _drop_invalid(raw, columns, first_line)
            warnings += skipped
        extras = _file_extras(raw, columns, language)
        if first_seen_column is not None:
            extras["first_seen_at"] = parse_first_seen(raw, first_seen_column, news.timezone, str(path), first_line)
    if raw.empty:
        raise DataError(str(path), "no news items", "the file needs at least one row")
    rows, report = build_news_rows(raw, columns, news.timezone, where=str(path), first_line=first_line)
    items = _items(rows, extras, source_fill=source, progress=progress)
    batch = store.add(items, feed=feed or f"import:{path.name}", origin="import",
                      dropped_before=report.duplicates_dropped)
    warnings = report.warnings(news.timezone) + warnings
    return ImportResult(path, batch, report, tuple(warnings))


def parse_first_seen(raw: pd.DataFrame, column: str, timezone: str, where: str, first_line: int) -> pd.Series:
    """Pure: an archive's first-seen column as UTC times (epoch seconds, or a time; naive times in ``timezone``).

    >>> parse_first_seen(pd.DataFrame({"seen": ["1739788200", "2025-02-17 18:30"]}), "seen", "Asia/Hong_Kong", "f", 2).tolist()
    [Timestamp('2025-02-17 10:30:00+0000', tz='UTC'), Timestamp('2025-02-17 10:30:00+0000', tz='UTC')]
    """
    if column not in raw.columns:
        raise DataError(where, f"no column {column!r} for --first-seen-column; columns are: {', '.join(map(str, raw.columns))}")
    stamps = []
    for line, value in enumerate(raw[column].astype(str).str.strip(), start=first_line):
        try:
            stamp = pd.Timestamp(int(value), unit="s", tz="UTC") if value.isdigit() else pd.Timestamp(value)
        except (ValueError, TypeError, OverflowError):
            stamp = pd.NaT
        if pd.isna(stamp):
            raise DataError(f"{where}:{line}", f"unreadable first-seen time {value!r}", "epoch seconds or ISO 8601")
        stamps.append(stamp.tz_localize(timezone).tz_convert("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC"))
    return pd.Series(stamps, index=raw.index, dtype="datetime64[ns, UTC]")


def _drop_invalid(raw: pd.DataFrame, columns: NewsColumns, first_line: int) -> tuple[pd.DataFrame, list[str]]:
    """Rows with a headline and a readable time, and a warning naming the first line dropped."""
    if columns.headline not in raw.columns or columns.published_at not in raw.columns:
        return raw, []  # the loader names the missing column
    good = (raw[columns.headline].fillna("").astype(str).str.strip() != "") & raw[columns.published_at].map(
        lambda value: is_readable_time(str(value).strip()))
    if good.all():
        return raw, []
    first = first_line + int((~good.to_numpy()).argmax())
    return raw[good], [f"{int((~good).sum())} row(s) with an empty headline or an unreadable time skipped (first on line {first})"]


def _file_extras(raw: pd.DataFrame, columns: NewsColumns, language: str | None) -> pd.DataFrame:
    """Language, the source's own time text and the whole original row (JSON), per row of a file."""
    column = next((c for c in LANGUAGE_COLUMNS if c in raw.columns), None)
    if language is not None:
        languages = pd.Series(language_code(language), index=raw.index)
    elif column is not None:
        languages = raw[column].map(language_code)
    else:
        languages = pd.Series("", index=raw.index)
    stamps = raw[columns.published_at] if columns.published_at in raw.columns else pd.Series("", index=raw.index)
    payload = [to_json(record) for record in raw.to_dict("records")]
    return pd.DataFrame({"language": languages, "published_text": stamps, "raw": payload}, index=raw.index)


def fill_languages(declared: list[str], headlines: list[str]) -> list[str]:
    """Each item's declared language, or the one detected from its headline when none was declared.

    Detection is :func:`hkbt.news.language.detect_languages`, the same a run applies.

    >>> fill_languages(["en", ""], ["Alibaba shares jump", "阿里巴巴股价大涨"])
    ['en', 'zh']
    """
    missing = [position for position, code in enumerate(declared) if not code]
    if not missing:
        return list(declared)
    from hkbt.news.language import detect_languages

    filled = list(declared)
    for position, code in zip(missing, detect_languages([headlines[p] for p in missing])):
        filled[position] = code
    return filled


def _items(rows: pd.DataFrame, extras: pd.DataFrame, *, source_fill: str | None = None,
           progress: Callable[[int], None] | None = None) -> Iterator[dict[str, object]]:
    """Store items from loader rows (indexed by raw row label) joined with their extras.

    The columns, and the languages detected for items whose feed or file did not declare one, are all worked out
    here, before :meth:`NewsStore.add` opens its write transaction: only the inserts run while the store is locked,
    so a second hkbt process writing the same store waits for milliseconds, not for language detection (seconds for
    a large batch on a loaded machine, longer than the store's busy timeout).
    """
    kept = [c for c in ("language", "published_text", "raw", "first_seen_at") if c in extras]
    extra = extras.loc[rows.index, kept]
    columns = {name: rows[name].tolist() for name in ("news_id", "published_at", "headline", "body", "source", "url", "tickers")}
    columns |= {name: extra[name].tolist() for name in kept}
    columns["language"] = fill_languages(columns["language"], columns["headline"])

    def each() -> Iterator[dict[str, object]]:
        for count, values in enumerate(zip(*columns.values()), start=1):
            item = dict(zip(columns, values))
            item["source"] = item["source"] or (source_fill or "")
            yield item
            if progress is not None and count % 500 == 0:
                progress(count)
        if progress is not None:
            progress(len(rows))

    return each()


# ----------------------------------------------------------------------------- fetch


def fetch_feeds(news: NewsConfig, store: NewsStore, names: Sequence[str] = (), *, client: PoliteClient | None = None,
                yahoo_session=None, hooks: FetchHooks | None = None,
                stop: threading.Event | None = None) -> list[FeedOutcome]:
    """Fetch every configured feed (or those named) into ``store``, one batch per feed.

    A feed that fails gets an outcome with ``error`` (and an ``error`` batch in
    the store's log); the others are fetched and stored regardless. ``stop``
    (set by Ctrl-C / SIGTERM) ends the round before the next feed. GDELT
    feeds are spaced ``news.fetch.gdelt_interval_seconds`` apart.

    Raises:
        DataError: a name in ``names`` is not a configured feed.
    """
    feeds = select_feeds(news.feeds, names)
    client = client or PoliteClient(news.fetch)
    hooks = hooks or FetchHooks()
    stop = stop or threading.Event()
    outcomes: list[FeedOutcome] = []
    last_gdelt: float | None = None
    for feed in feeds:
        if stop.is_set():
            break
        if feed.kind == "gdelt" and last_gdelt is not None:
            wait = news.fetch.gdelt_interval_seconds - (time.monotonic() - last_gdelt)
            if wait > 0 and stop.wait(wait):
                break
        if hooks.started:
            hooks.started(feed.name)
        outcome = fetch_feed(feed, store, client, news.timezone, yahoo_session)
        if feed.kind == "gdelt":
            last_gdelt = time.monotonic()
        outcomes.append(outcome)
        if hooks.finished:
            hooks.finished(outcome)
    return outcomes


def select_feeds(feeds: Sequence[FeedConfig], names: Sequence[str]) -> list[FeedConfig]:
    """The configured feeds named in ``names`` (all when empty), in config order."""
    known = {feed.name: feed for feed in feeds}
    unknown = [name for name in names if name not in known]
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], list(known), n=1)
        hint = f"did you mean {close[0]}?" if close else ("configured: " + ", ".join(known) if known else "add feeds under news.feeds")
        raise DataError(f"--feed {unknown[0]}", "no feed of that name in news.feeds", hint)
    if not feeds:
        raise DataError("news.feeds", "no feeds configured", "add feeds under news.feeds in config.yaml")
    return [feed for feed in feeds if not names or feed.name in names]


def fetch_feed(feed: FeedConfig, store: NewsStore, client: PoliteClient, timezone: str, yahoo_session=None) -> FeedOutcome:
    """Fetch, parse and store one feed. Network and format problems become the outcome's ``error``."""
    try:
        if feed.kind == "yfinance":
            return _fetch_yahoo(feed, store, timezone, yahoo_session)
        if feed.kind == "gdelt":
            from hkbt.news.feeds.gdelt import gdelt_request

            url, params = gdelt_request(feed)
            answer = client.get(url, params)
            return _store(feed, store, _gdelt(answer.content, feed.language, feed.tickers), timezone, answer.status)
        state = store.feed_state(feed.name)
        answer = client.get(feed.url or "", state=state)
        if answer.status == 304:
            return FeedOutcome(feed.name, store.record(feed.name, "fetch", status="not_modified", http_status=304,
                                                       state=answer.state))
        from hkbt.news.feeds.rss import parse_feed

        return _store(feed, store, parse_feed(answer.content, feed), timezone, answer.status, answer.state)
    except FetchError as exc:
        store.record(feed.name, "fetch", status="error", http_status=exc.http_status, error=str(exc))
        return FeedOutcome(feed.name, None, str(exc))


def _fetch_yahoo(feed: FeedConfig, store: NewsStore, timezone: str, session) -> FeedOutcome:
    from hkbt.news.feeds.yahoo import fetch_yahoo_news, parse_yahoo

    stories, failures = {}, []
    for ticker in feed.tickers:
        try:
            stories[ticker] = fetch_yahoo_news(ticker, feed.max_items, session)
        except FetchError as exc:
            failures.append(str(exc))
    if not stories:
        raise FetchError(failures[-1] + (f" (all {len(failures)} tickers failed)" if len(failures) > 1 else ""))
    outcome = _store(feed, store, parse_yahoo(stories, feed.language), timezone, None)
    if failures:
        message = f"{failures[0]} ({len(failures)} of {len(feed.tickers)} tickers failed; the others were stored)"
        store.record(feed.name, "fetch", status="error", error=message)
        return FeedOutcome(feed.name, outcome.batch, message, outcome.warnings)
    return outcome


def _gdelt(content: bytes, language: str, tickers: Sequence[str] = ()) -> ParsedFeed:
    from hkbt.news.feeds.gdelt import parse_gdelt

    return parse_gdelt(content, tickers, language)


def _store(feed: FeedConfig, store: NewsStore, parsed: ParsedFeed, timezone: str, http_status: int | None,
           state=None) -> FeedOutcome:
    """One parsed answer -> one store batch, with warnings for what had to be skipped."""
    warnings = []
    if parsed.malformed:
        warnings.append(f"malformed XML ({parsed.malformed}); kept the {len(parsed.items)} item(s) read before it")
    if parsed.skipped:
        warnings.append(f"{parsed.skipped} entr(y/ies) without a headline or a readable date skipped")
    if parsed.items.empty:
        batch = store.add([], feed=feed.name, origin="fetch", state=state, http_status=http_status)
        return FeedOutcome(feed.name, batch, None, tuple(warnings))
    try:
        rows, report = build_news_rows(parsed.items, NewsColumns(), timezone, where=f"feed {feed.name}", first_line=1)
    except DataError as exc:  # a time the loader refuses (e.g. beyond the year 2262)
        raise FetchError(f"unreadable item: {exc.what}") from None
    naive = report.naive_timestamps
    if naive:
        warnings.append(f"{naive} item time(s) had no UTC offset; read as {timezone}")
    batch = store.add(_items(rows, parsed.items), feed=feed.name, origin="fetch", state=state,
                      http_status=http_status, dropped_before=report.duplicates_dropped)
    return FeedOutcome(feed.name, batch, None, tuple(warnings))

