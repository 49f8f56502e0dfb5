"""``hkbt news``: collect news into the store and look at it (thin commands over :mod:`hkbt.news.store`,
:mod:`hkbt.news.collect` and :mod:`hkbt.news.feeds`).

Every command reads the experiment config (``--config``, default ./config.yaml
if present, and ``--set``) for the column mapping, time zone, feeds and
universe, and works on the store at ``--store`` (default: ``news.store``, else
``data/news.db`` beside the config).
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hkbt.cli.common import PATH, err_console, show_warnings
from hkbt.errors import ConfigError, DataError

DEFAULT_STORE = Path("data/news.db")
EXIT_FEED_FAILED = 2


def _store_options(command):
    command = click.option("--store", "store_path", type=PATH,
                           help="News store file (default: news.store, else data/news.db beside the config).")(command)
    command = click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                           help="Override a config key, e.g. --set news.timezone=America/New_York. Repeatable.")(command)
    return click.option("--config", "config_path", type=PATH,
                        help="YAML experiment file (default: ./config.yaml if present, else the defaults).")(command)


def _filter_options(command):
    options = [
        click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First publication day (news.timezone)."),
        click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last publication day, inclusive."),
        click.option("--source", "sources", multiple=True, help="Publisher, e.g. RTHK. Repeatable."),
        click.option("--feed", "feeds", multiple=True, help="Feed name or import:<file>. Repeatable."),
        click.option("--ticker", "tickers", multiple=True,
                     help="Items about this company (tickers column or universe.aliases in the text). Repeatable."),
        click.option("--topic", "topics", multiple=True, help="Items tagged with this topic (config topics). Repeatable."),
        click.option("--language", "languages", multiple=True, help="ISO code, e.g. en or zh. Repeatable."),
        click.option("--text", help="Case-blind text to find in the headline or body."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _context(config_path: Path | None, overrides: tuple[str, ...], store_path: Path | None):
    """``(config, store path)`` for a news command; a relative store path is read from the config's folder."""
    from hkbt.config import Config, load_config
    from hkbt.pipeline import resolve_path

    if config_path is None and Path("config.yaml").is_file():
        config_path = Path("config.yaml")
    if config_path is None:
        if overrides:
            raise ConfigError("--set", "no config file to override (no ./config.yaml)", "pass --config FILE")
        config, base_dir = Config(), Path.cwd()
    else:
        config = load_config(config_path, overrides)
        base_dir = config_path.resolve().parent
    if store_path is not None:
        return config, store_path
    return config, resolve_path(config.news.store or DEFAULT_STORE, base_dir)


@click.group()
def news() -> None:
    """Collect news into the store (data/news.db) and look at it.

    \b
    Examples:
      hkbt news import ../shared/data/news/rthk_en_finance_greaterchina_2024-03_2025-04.csv \\
          --set news.columns.published_at=published --set news.columns.headline=title \\
          --set news.columns.body=description --set news.columns.url=link --source RTHK --language en
      hkbt news fetch                      # every feed in news.feeds, once
      hkbt news fetch --every 15m          # keep collecting until Ctrl-C
      hkbt news list --ticker 9988.HK --since 2025-02-01
      hkbt news stats
      hkbt news export rthk.csv --source RTHK
    """


# ----------------------------------------------------------------------------- import


@news.command("import")
@click.argument("files", nargs=-1, required=True, type=PATH)
@_store_options
@click.option("--format", "fmt", type=click.Choice(["auto", "csv", "jsonl", "gdelt"]), default="auto", show_default=True,
              help="auto: .jsonl/.ndjson = JSON Lines, .json = a GDELT DOC API answer, anything else CSV.")
@click.option("--source", help="Publisher for rows that name none (e.g. Reuters).")
@click.option("--language", help="ISO language of every row (default: a language/lang column, else detected from the headline).")
@click.option("--feed", "feed_label", help="Label the batch in the store (default: import:<file name>).")
@click.option("--skip-invalid", is_flag=True, help="Skip rows with an empty headline or unreadable time (counted) instead of refusing the file.")
@click.option("--first-seen-column", metavar="COLUMN",
              help="A column saying when the archive's collector first saw each row (epoch seconds or a time, e.g. RTHK's "
                   "first_seen_utc): stored as first_seen_at, so news.timestamp=later_of replays the real crawl lag.")
def import_(files: tuple[Path, ...], config_path: Path | None, overrides: tuple[str, ...], store_path: Path | None,
            fmt: str, source: str | None, language: str | None, feed_label: str | None, skip_invalid: bool,
            first_seen_column: str | None) -> None:
    """Import news archives (CSV, JSON Lines, GDELT JSON) into the store.

    Columns are mapped with news.columns, exactly as a run reads news.path, and
    times without an offset are read in news.timezone. Each file is one
    transaction: it is stored whole or not at all. Items already stored (same
    url or id, or the same source and headline within 12 hours) are counted
    as duplicates and skipped, so importing a file twice adds nothing.

    \b
    Example:
      hkbt news import ../shared/data/news/reuters_headlines_2018-03_2020-07.csv \\
          --set news.columns.published_at=Time --set news.columns.headline=Headlines \\
          --set news.timezone=America/New_York --source Reuters --language en
    """
    from hkbt.news.collect import import_file
    from hkbt.news.store import NewsStore

    config, path = _context(config_path, overrides, store_path)
    out = Console(highlight=False, soft_wrap=True)
    with NewsStore.open(path) as store:
        for file in files:
            started = time.perf_counter()
            with _bar(f"import {file.name}") as tick:
                try:
                    result = import_file(store, file, config.news, fmt=fmt, source=source, language=language,
                                         feed=feed_label, skip_invalid=skip_invalid, first_seen_column=first_seen_column,
                                         progress=tick)
                except DataError as exc:
                    if exc.what == "empty headline" or exc.what.startswith("unparsable published_at"):
                        raise DataError(exc.where, exc.what, f"{exc.fix}; or pass --skip-invalid to skip such rows") from None
                    raise
            show_warnings([f"{file.name}: {line}" for line in result.warnings])
            batch = result.batch
            out.print(f"{escape(str(file))}: {batch.items_read:,} read, {batch.items_new:,} new, "
                      f"{batch.duplicates:,} duplicate(s) ({batch.duplicate_id:,} same url/id, "
                      f"{batch.duplicate_headline:,} same headline)  ({time.perf_counter() - started:.1f}s)")
        out.print(f"store: {escape(str(path))}  ({store.count():,} items)")


# ----------------------------------------------------------------------------- fetch


@news.command()
@_store_options
@click.option("--feed", "feed_names", multiple=True, metavar="NAME", help="Only this feed (news.feeds[].name). Repeatable.")
@click.option("--every", metavar="DURATION", help="Fetch again every DURATION (30s, 15m, 1h) until Ctrl-C or SIGTERM.")
def fetch(config_path: Path | None, overrides: tuple[str, ...], store_path: Path | None, feed_names: tuple[str, ...],
          every: str | None) -> None:
    """Fetch the configured feeds (news.feeds) into the store, one transaction per feed.

    Kinds: rss/atom (feedparser), gdelt (GDELT DOC API queries), yfinance
    (Ticker.get_news per ticker). Requests carry a User-Agent, time out
    (news.fetch.timeout_seconds), retry with backoff on timeouts, 429 and 5xx,
    and send the previous ETag / Last-Modified so an unchanged feed costs one
    304. A feed that fails prints one error line; the others are still stored;
    the exit status is 2 if any feed failed, else 0. With --every, the loop
    survives failures and stops cleanly (exit 0) on Ctrl-C or SIGTERM; a batch
    being written when the signal arrives is finished or rolled back whole.

    \b
    Examples:
      hkbt news fetch
      hkbt news fetch --feed rthk_en_finance --feed gdelt_china_ai
      hkbt news fetch --every 15m
    """
    from hkbt.news.collect import fetch_feeds, select_feeds
    from hkbt.news.store import NewsStore

    config, path = _context(config_path, overrides, store_path)
    interval = parse_duration(every) if every else None
    feeds = select_feeds(config.news.feeds, feed_names)
    stop = threading.Event()
    with _stop_on_signals(stop, looping=interval is not None), NewsStore.open(path) as store:
        rounds = 0
        while True:
            rounds += 1
            failed = _fetch_round(config, store, feed_names, len(feeds), stop, fetch_feeds, rounds if interval else None)
            if interval is None:
                break
            if stop.wait(interval):
                break
        total = store.count()
    out = Console(highlight=False, soft_wrap=True)
    if interval is not None:
        out.print(f"stopped after {rounds} round(s); store: {escape(str(path))} ({total:,} items)")
        return
    out.print(f"store: {escape(str(path))}  ({total:,} items)")
    if failed:
        sys.exit(EXIT_FEED_FAILED)


def _fetch_round(config, store, names, count, stop, fetch_feeds, round_number) -> int:
    """One pass over the feeds with a progress bar; prints a line per feed; returns how many failed."""
    from hkbt.news.collect import FetchHooks

    out = Console(highlight=False, soft_wrap=True)
    failed = 0
    prefix = escape(f"[round {round_number}] ") if round_number else ""
    with _bar("fetch", total=count) as tick:
        def finished(outcome) -> None:
            nonlocal failed
            tick(None)
            show_warnings([f"feed {outcome.feed}: {line}" for line in outcome.warnings])
            if outcome.error:
                failed += 1
                err_console.print(f"[bold red]error:[/] feed {escape(outcome.feed)}: {escape(outcome.error)}",
                                  highlight=False, soft_wrap=True)
            batch = outcome.batch
            if batch is None:
                return
            if batch.status == "not_modified":
                out.print(f"{prefix}{escape(outcome.feed)}: not modified (HTTP 304)")
            else:
                out.print(f"{prefix}{escape(outcome.feed)}: {batch.items_read} read, {batch.items_new} new, "
                          f"{batch.duplicates} duplicate(s)")

        fetch_feeds(config.news, store, names, hooks=FetchHooks(started=lambda name: tick(label=name), finished=finished),
                    stop=stop)
    return failed


def parse_duration(text: str) -> float:
    """``30s`` / ``15m`` / ``1h`` / ``90`` (seconds) -> seconds.

    >>> parse_duration("15m"), parse_duration("1h"), parse_duration("45s")
    (900.0, 3600.0, 45.0)
    """
    import re

    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text or "")
    if not match or float(match.group(1)) <= 0:
        raise ConfigError(f"--every {text}", "not a duration", "write e.g. 30s, 15m or 1h")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


@contextmanager
def _stop_on_signals(stop: threading.Event, looping: bool):
    """While looping, Ctrl-C and SIGTERM set ``stop`` (the current feed finishes, then the loop ends).

    A second Ctrl-C interrupts at once; the batch being written is rolled back.
    Outside a loop the default handlers stay (Ctrl-C interrupts; SIGTERM ends the process).
    """
    if not looping or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()
        err_console.print("[dim]stopping after the current feed (Ctrl-C again to interrupt)[/]", highlight=False)

    saved = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, previous in saved.items():
            signal.signal(sig, previous)


@contextmanager
def _bar(description: str, total: int | None = None):
    """A rich progress bar on stderr (terminals only); yields ``tick(done, label)``.

    ``done``: the count so far (``None`` = one more); ``label``: a new description (the feed being fetched).
    """
    if not err_console.is_terminal:
        yield lambda done=None, label=None: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True) as bars:
        task = bars.add_task(description, total=total)

        def tick(done: int | None = None, label: str | None = None) -> None:
            if label is not None:
                bars.update(task, description=f"{description} {label}")
            elif done is None:
                bars.advance(task)
            else:
                bars.update(task, completed=done)

        yield tick


# ----------------------------------------------------------------------------- list / export


def _select(config, path: Path, since, until, sources, feeds, tickers, topics, languages, text,
            limit: int | None, newest_first: bool):
    """Stored items matching the filters; ticker and topic filters use the config's aliases and topics."""
    from hkbt.news.store import NewsStore, StoreQuery

    query = StoreQuery(sources=tuple(sources), feeds=tuple(feeds), languages=tuple(languages),
                       since=since.date() if since else None, until=until.date() if until else None, text=text,
                       timezone=config.news.timezone, newest_first=newest_first,
                       limit=None if (tickers or topics) else limit)
    with NewsStore.open(path, create=False) as store:
        items = store.read(query)
    if tickers or topics:
        items = _about(items, config, tickers, topics)
        if limit:
            items = items.head(limit)
    return items


def _about(items, config, tickers: tuple[str, ...], topics: tuple[str, ...]):
    """Items linked to any of ``tickers`` and tagged with any of ``topics`` (the run's linking and tagging)."""
    from hkbt.news.entities import link_entities
    from hkbt.news.scopes import mask_false_friends, scope_rules_from_config
    from hkbt.news.topics import tag_topics
    from hkbt.sentiment.scoring import compose_text

    unknown = [t for t in topics if t not in config.topics]
    if unknown:
        raise ConfigError(f"--topic {unknown[0]}", "not a topic in the config", f"topics: {', '.join(config.topics)}")
    text = compose_text(items, config.sentiment.text)
    matched = mask_false_friends(text, scope_rules_from_config(config).false_friends)  # as a run links them
    linked = link_entities(items, list(dict.fromkeys(list(config.universe.tickers) + list(tickers))),
                           config.universe.aliases, matched)
    keep = linked.tickers.map(lambda found: not tickers or bool(set(found) & set(tickers)))
    if topics:
        tagged = tag_topics(items, config.topics, text)
        keep &= tagged.topics.map(lambda found: bool(set(found) & set(topics)))
    return items[keep.to_numpy()]


@news.command("list")
@_store_options
@_filter_options
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Newest N items.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "jsonl"]), default="table", show_default=True)
def list_(config_path, overrides, store_path, since, until, sources, feeds, tickers, topics, languages, text, limit,
          fmt) -> None:
    """List stored items, newest first, with both their times.

    "published" is what the source says; "first seen" is when hkbt stored the
    item (the later of the two is when a fetched item can trade). Times are
    shown in news.timezone.

    \b
    Examples:
      hkbt news list --ticker 9988.HK --since 2025-02-01 --until 2025-02-28
      hkbt news list --topic ai --language en --limit 20
      hkbt news list --text deepseek --format csv > deepseek.csv
    """
    config, path = _context(config_path, overrides, store_path)
    items = _select(config, path, since, until, sources, feeds, tickers, topics, languages, text, limit, True)
    if fmt != "table":
        click.echo(_export_text(items, config.news.timezone, fmt), nl=False)
        return
    zone = config.news.timezone
    table = Table(title=f"{len(items)} item(s), newest first ({zone})", show_lines=False)
    for column in ("published", "first seen", "source", "lang", "tickers", "headline"):
        table.add_column(column, overflow="fold")
    for item in items.itertuples(index=False):
        table.add_row(_local(item.published_at, zone), _local(item.first_seen_at, zone), escape(item.source),
                      item.language, " ".join(item.tickers), escape(item.headline))
    Console().print(table)


@news.command()
@click.argument("file", type=PATH)
@_store_options
@_filter_options
@click.option("--format", "fmt", type=click.Choice(["auto", "csv", "jsonl"]), default="auto", show_default=True,
              help="auto: .jsonl/.ndjson = JSON Lines, else CSV.")
@click.option("--overwrite", is_flag=True, help="Replace FILE if it exists.")
def export(file: Path, config_path, overrides, store_path, since, until, sources, feeds, tickers, topics, languages,
           text, fmt: str, overwrite: bool) -> None:
    """Write stored items to a CSV or JSON Lines file that a run reads with news.path.

    Columns: published_at (the source's time, in news.timezone with its
    offset), headline, body, source, url, tickers, then language, feed,
    origin, first_seen_at and news_id. The file is written atomically;
    an existing file is kept unless --overwrite.

    \b
    Example:
      hkbt news export rthk_feb.csv --source RTHK --since 2025-02-01 --until 2025-02-28
      hkbt run --set news.path=rthk_feb.csv --set prices.source=csv --name rthk_feb
    """
    from hkbt.files import write_text_atomic

    config, path = _context(config_path, overrides, store_path)
    if file.exists() and not overwrite:
        raise DataError(str(file), "already exists; it is left untouched", "choose another name or pass --overwrite")
    if file.exists() and not file.is_file():
        raise DataError(str(file), "is not a file", "choose a file name")
    items = _select(config, path, since, until, sources, feeds, tickers, topics, languages, text, None, False)
    kind = fmt if fmt != "auto" else ("jsonl" if file.suffix.lower() in {".jsonl", ".ndjson"} else "csv")
    try:
        write_text_atomic(file, _export_text(items, config.news.timezone, kind))
    except OSError as exc:
        raise DataError(str(file), f"cannot write ({exc.strerror})", "check the folder exists and is writable") from None
    Console(highlight=False, soft_wrap=True).print(f"wrote {len(items):,} item(s) to {escape(str(file))}")


EXPORT_COLUMNS = ["published_at", "headline", "body", "source", "url", "tickers", "language", "feed", "origin",
                  "first_seen_at", "news_id"]


def _export_text(items, zone: str, kind: str) -> str:
    """Items as CSV or JSON Lines text in :data:`EXPORT_COLUMNS` (times with their offset in ``zone``)."""
    frame = items.assign(
        published_at=[t.tz_convert(zone).isoformat() for t in items.published_at],
        first_seen_at=[t.tz_convert(zone).isoformat() for t in items.first_seen_at],
        tickers=items.tickers.map(";".join),
    )[EXPORT_COLUMNS]
    if kind == "jsonl":
        return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in frame.to_dict("records"))
    return frame.to_csv(index=False)


def _local(stamp, zone: str) -> str:
    return stamp.tz_convert(zone).strftime("%Y-%m-%d %H:%M")


# ----------------------------------------------------------------------------- stats


@news.command()
@_store_options
@click.option("--days", type=click.IntRange(min=1), default=14, show_default=True, help="Days shown in items per day.")
def stats(config_path, overrides, store_path, days: int) -> None:
    """What the store holds: items per source, language and day, and each feed's latest item and last fetch.

    \b
    Example:
      hkbt news stats --days 7
    """
    from hkbt.news.store import NewsStore

    config, path = _context(config_path, overrides, store_path)
    with NewsStore.open(path, create=False) as store:
        summary = store.stats(days)
    out = Console(highlight=False, soft_wrap=True)
    out.print(f"{escape(str(path))}: {summary.items:,} items, {summary.duplicates_dropped:,} duplicate(s) dropped "
              f"so far, schema v{summary.schema_version}")
    zone = config.news.timezone
    out.print(_table("items per source", summary.by_source, zone))
    out.print(_table("items per language", summary.by_language.replace({"language": {"": "(unknown)"}}), zone))
    out.print(_table(f"items per day (HKT, latest {days})", summary.by_day, zone))
    out.print("feeds (items; latest item; batches, items read, duplicates dropped, errors; last batch and its status):")
    for feed in summary.feeds.itertuples(index=False):
        error = f": {feed.last_error}" if feed.last_error else ""
        out.print(f"  {escape(feed.feed)}: {feed.items:,} items; latest {_local_text(feed.latest_item, zone)}; "
                  f"{feed.batches} batch(es), {feed.read:,} read, {feed.duplicates:,} duplicate(s), {feed.errors} error(s); "
                  f"last {_local_text(feed.last_batch, zone)} {feed.status or ''}{escape(error)}")


def _table(title: str, frame, zone: str) -> Table:
    """A rich table of a stats frame; store times shown in ``zone``."""
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(column.replace("_", " "), justify="right" if frame[column].dtype.kind in "iuf" else "left",
                         overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*(escape(_local_text(value, zone)) for value in row))
    return table


def _local_text(value, zone: str) -> str:
    """A stats cell as text: store times (``...Z``) in ``zone``, blanks for missing values."""
    from hkbt.news.store import parse_times

    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if isinstance(value, str) and value.endswith("Z") and len(value) == 27:
        return _local(parse_times([value])[0], zone)
    return f"{value:,}" if isinstance(value, int) else str(value)
