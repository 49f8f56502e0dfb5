"""Stage 1: news in. Read a CSV or JSON Lines feed into clean, UTC-stamped rows.

``load_news`` reads the file (the only I/O here); ``build_news`` is the pure
part that maps columns, parses timestamps, assigns ids and drops duplicates.

Output columns (one row per unique item, sorted by ``published_at``):

==============  ==============================================================
news_id         16 hex chars: sha256 of the url, or of source|time|headline
published_at    tz-aware UTC ``Timestamp``
headline        str (required, non-empty)
body            str ("" when absent)
source          str ("" when absent)
url             str ("" when absent)
tickers         list[str] from the ``tickers`` column (";"-separated), else []
==============  ==============================================================

Timestamps: an ISO 8601 value with an offset (``+08:00``, ``Z``) is converted
to UTC; a naive one is read in ``timezone`` (default Asia/Hong_Kong) and
counted in :attr:`NewsReport.naive_timestamps` so the CLI can warn about it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hkbt.config import NewsColumns, NewsConfig
from hkbt.errors import DataError

_HAS_TIME = re.compile(r"\d{1,2}:\d{2}|T\d{2}")  # a time of day ("07:30", "T07") in a timestamp
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)|\d{8}")  # a four-digit year ("2025-01-27", "Jul 18 2020", "20250127")
YEARS = (1900, 2200)  # published_at years accepted
NEWS_COLUMNS = ["news_id", "published_at", "headline", "body", "source", "url", "tickers"]


@dataclass(frozen=True)
class NewsReport:
    """What ``build_news`` had to fix, for the user to see."""

    rows_read: int
    duplicates_dropped: int
    naive_timestamps: int
    date_only_timestamps: int = 0
    outside_universe: int = 0               # items whose tickers column names only companies outside the universe
    outside_examples: tuple[str, ...] = ()  # a few of those tickers, for the warning
    languages_dropped: tuple[tuple[str, int], ...] = ()
    """``(language, count)`` of items dropped for their language (see :func:`hkbt.news.language.filter_languages`)."""
    notes: tuple[str, ...] = ()
    """Other lines for the user, as they are (e.g. a prepared-news cache entry that could not be used)."""

    def warnings(self, timezone: str) -> list[str]:
        """One line per fix the user should know about, for ``warning:`` output."""
        lines = []
        if self.naive_timestamps:
            lines.append(f"{self.naive_timestamps} news timestamp(s) had no UTC offset; read as {timezone}")
        if self.date_only_timestamps:
            lines.append(f"{self.date_only_timestamps} news timestamp(s) had a date but no time; "
                         "read as 23:59:59 that day (tradable the next session)")
        if self.duplicates_dropped:
            lines.append(f"{self.duplicates_dropped} duplicate news item(s) dropped (same url, or same source, time and headline)")
        if self.outside_universe:
            lines.append(f"{self.outside_universe} news item(s) name only tickers outside the universe "
                         f"(e.g. {', '.join(self.outside_examples)}): ignored, never broadcast as market news")
        if self.languages_dropped:
            total = sum(n for _, n in self.languages_dropped)
            counts = ", ".join(f"{code} {n}" for code, n in self.languages_dropped)
            lines.append(f"{total} news item(s) dropped: no scorer for their language ({counts}; 'und' = no letters); "
                         "news.languages lists the languages kept")
        return lines + list(self.notes)


def load_news(path: Path, columns: NewsColumns, timezone: str = "Asia/Hong_Kong", fmt: str = "auto") -> tuple[pd.DataFrame, NewsReport]:
    """Read a news file and return ``(news, report)``; see :func:`build_news`.

    Args:
        path: a ``.csv`` or ``.jsonl`` file (``fmt="auto"`` decides by suffix).
        columns: the file's column names for each field (``news.columns``).
        timezone: zone used for timestamps that carry no offset.

    Raises:
        DataError: missing/unreadable file, a required column absent, an
            unparsable timestamp or empty headline (with its line number).
    """
    raw, first_line = read_news_file(path, fmt, fields=set(columns.model_dump().values()))
    return build_news(raw, columns, timezone, where=str(path), first_line=first_line)


def read_news_file(path: Path, fmt: str = "auto", fields: set[str] | None = None) -> tuple[pd.DataFrame, int]:
    """The I/O half of :func:`load_news`: every column of a CSV/JSONL file as strings.

    Returns ``(raw, first_line)``: the rows, and the file line of the first row
    (2 for CSV, after the header; 1 for JSON Lines), for error messages.
    ``hkbt news import`` uses it to keep each row's original fields.

    ``fields``: the JSON Lines keys that will be read as news fields; their
    values must be text (or a list of text), anything else is an error on its
    line. Other keys' non-text values are kept as compact JSON text.
    """
    path = Path(path)
    if not path.is_file():
        what = "news file not found" if not path.exists() else "news path is not a regular file"
        raise DataError(str(path), what, "set news.path to an existing CSV or JSON Lines file")
    kind = fmt if fmt != "auto" else ("jsonl" if path.suffix.lower() in {".jsonl", ".ndjson"} else "csv")
    try:
        if kind == "jsonl":
            raw = _read_jsonl(path, fields or set())
        else:
            _check_header(path)
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except pd.errors.EmptyDataError:  # a ValueError subclass: must come first
        raise DataError(str(path), "news file is empty", "add a header row and at least one item") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, csv.Error) as exc:
        raise DataError(str(path), f"cannot parse {kind.upper()} ({str(exc).splitlines()[0]})", "check the file format and encoding (UTF-8)") from None
    except OSError as exc:
        raise DataError(str(path), f"cannot read the news file ({exc.strerror or exc})", "check its permissions") from None
    return raw, 1 if kind == "jsonl" else 2


def _check_header(path: Path) -> None:
    """Refuse a CSV whose header names a column twice (pandas would silently rename the second)."""
    with path.open(newline="", encoding="utf-8") as stream:
        header = next(csv.reader(stream), [])
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise DataError(f"{path}:1", f"column(s) {', '.join(map(repr, twice))} appear more than once in the header",
                        "keep one of each (or rename the other)")


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [key for key, _ in pairs]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise ValueError(f"key(s) {', '.join(map(repr, twice))} appear more than once")
    return dict(pairs)


def _read_jsonl(path: Path, fields: set[str]) -> pd.DataFrame:
    """One JSON object per line; the keys hkbt reads (``fields``) must hold text (tickers: a list of text)."""
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line, object_pairs_hook=_no_duplicate_keys)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{number}", f"invalid JSON ({exc.msg})", "one JSON object per line") from None
        except ValueError as exc:
            raise DataError(f"{path}:{number}", str(exc), "keep one of each") from None
        except RecursionError:
            raise DataError(f"{path}:{number}", "JSON nested too deeply", "one flat JSON object per line") from None
        if not isinstance(record, dict):
            raise DataError(f"{path}:{number}", "each line must be a JSON object")
        records.append({key: _jsonl_text(value, key in fields, f"{path}:{number}", key) for key, value in record.items()})
    return pd.DataFrame.from_records(records)


def _jsonl_text(value: object, checked: bool, where: str, key: str) -> str:
    """A JSON value as text: null -> "", a number as written, a list of strings joined with ";"."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ";".join(value)
    shown = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if checked:
        raise DataError(where, f"{key}: expected text or a list of text, got {shown[:60]}",
                        'write it as a string, e.g. "tickers": ["9988.HK"]')
    return shown  # a key hkbt does not read as a news field: kept as JSON text


def build_news(raw: pd.DataFrame, columns: NewsColumns, timezone: str = "Asia/Hong_Kong", *, where: str = "news",
               first_line: int = 2) -> tuple[pd.DataFrame, NewsReport]:
    """Pure: map, validate, timestamp, identify and de-duplicate raw news rows.

    Args:
        raw: string columns as read from the file.
        columns: mapping of our field names to the file's column names.
        timezone: zone for naive timestamps.
        where: file name used in error messages.
        first_line: file line number of ``raw``'s first row (2 for CSV with a header).

    Returns:
        ``(news, report)`` with :data:`NEWS_COLUMNS`, sorted by time then id.

    Example:
        >>> raw = pd.DataFrame({"published_at": ["2025-01-27T07:30:00+08:00"], "headline": ["DeepSeek tops app charts"]})
        >>> news, report = build_news(raw, NewsColumns())
        >>> str(news.published_at[0])
        '2025-01-26 23:30:00+00:00'
    """
    news, report = build_news_rows(raw, columns, timezone, where=where, first_line=first_line)
    return news.reset_index(drop=True), report


def build_news_rows(raw: pd.DataFrame, columns: NewsColumns, timezone: str = "Asia/Hong_Kong", *, where: str = "news",
                    first_line: int = 2) -> tuple[pd.DataFrame, NewsReport]:
    """:func:`build_news`, keeping each item's row label from ``raw`` as the index.

    The news store uses the labels to keep each item's original fields (its raw
    payload) beside the mapped ones.
    """
    mapping = columns.model_dump()
    if raw.empty:
        raise DataError(where, "no news items", "the file needs at least one row")
    for field in ("published_at", "headline"):
        if mapping[field] not in raw.columns:
            raise DataError(
                where,
                f"missing column {mapping[field]!r} (for {field}); columns are: {', '.join(map(str, raw.columns))}",
                f"rename it or map it with news.columns.{field}",
            )
    frame = pd.DataFrame(index=raw.index)
    for field, column in mapping.items():
        values = raw[column] if column in raw.columns else pd.Series("", index=raw.index)
        frame[field] = values.fillna("").astype(str).str.strip()
    lines = pd.Series(range(first_line, first_line + len(raw)), index=raw.index)

    empty = frame.headline == ""
    if empty.any():
        raise DataError(f"{where}:{lines[empty].iloc[0]}", "empty headline", "every item needs a headline; drop the row or fill it")

    frame["published_at"], naive, date_only = _parse_times(frame.published_at, lines, timezone, where)
    frame["tickers"] = frame.tickers.map(_split_tickers)
    iso: dict[pd.Timestamp, str] = {}  # archives repeat a time thousands of times: format each once
    frame["news_id"] = [
        _news_id(url, source, iso.get(published) or iso.setdefault(published, published.isoformat()), headline)
        for url, source, published, headline in zip(frame.url.tolist(), frame.source.tolist(), frame.published_at.tolist(),
                                                    frame.headline.tolist())
    ]
    before = len(frame)
    frame = frame.drop_duplicates("news_id", keep="first")
    frame = frame.sort_values(["published_at", "news_id"], kind="stable")
    report = NewsReport(
        rows_read=before, duplicates_dropped=before - len(frame), naive_timestamps=naive, date_only_timestamps=date_only
    )
    return frame[NEWS_COLUMNS], report


def _parse_times(values: pd.Series, lines: pd.Series, timezone: str, where: str) -> tuple[pd.Series, int, int]:
    """ISO 8601 strings -> UTC timestamps; naive ones are localised to ``timezone``.

    Returns ``(timestamps, naive_count, date_only_count)``. Each distinct string
    is parsed once (archives repeat the same date thousands of times).

    Warning — look-ahead: a value with a date but no time of day ("2020-07-18",
    "Jul 18 2020") says the item appeared *some time* that day. Read as
    midnight it would trade at that day's open, before it may have existed, so
    it is read as the last second of that day instead (tradable next session).
    """
    index, values = values.index, values.tolist()  # plain strings: iterating an Arrow-backed column is slow
    first_line: dict[str, int] = {}  # each distinct value -> the first line it is on, in file order
    for value, line in zip(values, lines.tolist()):
        first_line.setdefault(value, line)
    parsed = {value: _parse_one(value, first_line[value], timezone, where) for value in first_line}
    stamps = pd.DatetimeIndex([parsed[v][0] for v in values]).as_unit("ns")
    naive = sum(1 for v in values if parsed[v][1])
    date_only = sum(1 for v in values if parsed[v][2])
    return pd.Series(stamps, index=index), naive, date_only


def _parse_one(value: str, line: int, timezone: str, where: str) -> tuple[pd.Timestamp, bool, bool]:
    """One timestamp string -> (UTC timestamp, was naive, was date-only).

    A value must name its year in four digits: words the parser would read
    against the clock ("now", "today") are refused, as are years outside
    :data:`YEARS` (a typo such as 3025 would otherwise overflow later).
    """
    try:
        stamp = pd.Timestamp(value) if _YEAR.search(value) else pd.NaT
    except (ValueError, TypeError, OverflowError):
        stamp = pd.NaT
    if value == "" or pd.isna(stamp):
        raise DataError(f"{where}:{line}", f"unparsable published_at {value!r}", "use ISO 8601, e.g. 2025-01-27T07:30:00+08:00")
    if not YEARS[0] <= stamp.year <= YEARS[1]:
        raise DataError(f"{where}:{line}", f"published_at {value!r} is in the year {stamp.year}",
                        f"fix the date (years {YEARS[0]}..{YEARS[1]} are accepted)")
    date_only = not _HAS_TIME.search(value)
    if date_only:
        stamp = stamp.normalize() + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    naive = stamp.tzinfo is None
    if naive:
        try:
            stamp = stamp.tz_localize(timezone, ambiguous="raise", nonexistent="raise")
        except Exception:  # noqa: BLE001 - pytz/zoneinfo raise several types for DST gaps
            raise DataError(f"{where}:{line}", f"time {value!r} does not exist or is ambiguous in {timezone}", "give it an explicit UTC offset") from None
    return stamp.tz_convert("UTC"), naive, date_only


def _split_tickers(value: str) -> list[str]:
    return [part.strip().upper() for part in value.split(";") if part.strip()]


def _news_id(url: str, source: str, published: str, headline: str) -> str:
    """Stable id: the url when there is one, else source + UTC time (ISO 8601) + headline."""
    key = url if url else f"{source}|{published}|{headline}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def describe_news_source(news: NewsConfig) -> str:
    """Where a run's news came from, for page headers: the file, or the store and its timestamp rule.

    >>> from hkbt.config import NewsConfig
    >>> describe_news_source(NewsConfig(store="data/news.db"))
    'store data/news.db (timestamp: auto)'
    """
    if news.store is not None:
        return f"store {news.store.as_posix()} (timestamp: {news.timestamp})"
    return news.path.as_posix()
