"""Feeds: the network side of the news store.

Each kind of feed turns what its server answers into the same *raw frame*,
one row per item with string columns :data:`RAW_COLUMNS`, which then passes
through :func:`hkbt.news.load.build_news_rows` exactly like a row of a news
file (same timestamp rules, same ids, same de-duplication)::

    rss.py     RSS 2.0 / RSS 1.0 / Atom, parsed by feedparser (RTHK, SCMP ...)
    gdelt.py   GDELT DOC 2.0 API article lists (JSON), and GDELT JSON files
    yahoo.py   yfinance ``Ticker.get_news`` records
    http.py    the polite HTTP client the first two use

``published_at`` in a raw frame is the source's own time text, normalised
only where pandas cannot read the original (GDELT's ``20250217T103000Z``);
``raw`` is the item as received, as JSON.
"""

from __future__ import annotations

import html
import json
import warnings
from dataclasses import dataclass
from html.parser import HTMLParser

import pandas as pd

RAW_COLUMNS = ["published_at", "headline", "body", "source", "url", "tickers", "language", "published_text", "raw"]

GDELT_LANGUAGES = {
    "english": "en", "chinese": "zh", "japanese": "ja", "korean": "ko", "french": "fr", "german": "de",
    "spanish": "es", "portuguese": "pt", "italian": "it", "russian": "ru", "arabic": "ar", "vietnamese": "vi",
    "thai": "th", "indonesian": "id", "malay": "ms", "hindi": "hi", "turkish": "tr", "dutch": "nl",
    "polish": "pl", "ukrainian": "uk", "hebrew": "he", "persian": "fa", "swedish": "sv", "norwegian": "no",
    "danish": "da", "finnish": "fi", "greek": "el", "czech": "cs", "romanian": "ro", "hungarian": "hu",
}
"""GDELT's language names (the ``language`` field of an article) -> ISO 639-1 codes."""


def language_code(value: str | None) -> str:
    """A language as an ISO 639-1 code: ``"English"``, ``"en-GB"``, ``"zh-HK"`` -> ``en``, ``en``, ``zh``.

    Unknown names are kept lower-cased rather than guessed.

    >>> [language_code(v) for v in ("Chinese", "en-US", "zh_Hant", "", None)]
    ['zh', 'en', 'zh', '', '']
    """
    text = (value or "").strip().lower()
    if not text:
        return ""
    if text in GDELT_LANGUAGES:
        return GDELT_LANGUAGES[text]
    return text.replace("_", "-").split("-")[0]


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in {"br", "p", "div", "li"}:
            self.parts.append(" ")


def html_to_text(value: str | None) -> str:
    """Visible text of an HTML fragment, whitespace collapsed (feeds put markup in descriptions).

    >>> html_to_text('<div><img src="x.jpg"><p>Shares &amp; bonds<br>rose</p></div>')
    'Shares & bonds rose'
    """
    if not value:
        return ""
    if "<" not in value:
        return " ".join(html.unescape(value).split())
    parser = _TextOnly()
    parser.feed(value)
    parser.close()
    return " ".join("".join(parser.parts).split())


def to_json(record: object) -> str:
    """An item as received, as JSON text (times and other odd values as strings)."""
    return json.dumps(record, ensure_ascii=False, default=str, sort_keys=True)


@dataclass(frozen=True)
class ParsedFeed:
    """One answer's items (:data:`RAW_COLUMNS`) and what was wrong with it, for ``warning:`` lines.

    ``skipped``: entries without a headline or a readable date (a date cannot
    be invented without risking look-ahead). ``malformed``: where a document
    that is not well-formed broke (the items before the fault are kept).
    """

    items: pd.DataFrame
    skipped: int = 0
    malformed: str | None = None


def finish(rows: list[dict[str, str]], malformed: str | None = None, skipped: int = 0) -> ParsedFeed:
    """Raw rows -> :class:`ParsedFeed`, dropping (and counting) rows without a headline or a readable time."""
    kept = [row for row in rows if row["headline"] and is_readable_time(row["published_at"])]
    frame = pd.DataFrame(kept, columns=RAW_COLUMNS)
    return ParsedFeed(frame, skipped + len(rows) - len(kept), malformed)


def is_readable_time(text: str) -> bool:
    """Whether the news loader can read ``text`` as a time (pandas/dateutil)."""
    if not text:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return not pd.isna(pd.Timestamp(text))
    except (ValueError, TypeError, OverflowError):
        return False
