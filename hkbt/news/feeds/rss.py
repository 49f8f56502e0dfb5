"""RSS and Atom feeds (RTHK, SCMP ...) via feedparser -> a raw frame.

Field mapping (feedparser's normalised names, the same for RSS 2.0, RSS 1.0 and Atom):

================  ===========================================================
headline          ``title`` (entities decoded, markup removed)
body              ``summary`` (RSS ``description`` / Atom ``summary``), else the
                  first ``content``; HTML reduced to its text
url               ``link``
published_at      ``published`` (RSS ``pubDate`` / Atom ``published``), else
                  ``updated``; the source's text, offset included. Text that
                  pandas cannot read falls back to feedparser's UTC reading
source            the feed's ``source`` setting, else the channel title
language          the feed's ``language`` setting, else the channel's
                  ``<language>``
tickers           the feed's ``tickers`` setting (for a single-company feed)
================  ===========================================================

Entries without a title or a date are skipped and counted (a date cannot be
invented without risking look-ahead). A document that is not well-formed XML
still yields the entries read before the fault (``malformed`` says where it
broke); one that is not a feed at all is an error.
"""

from __future__ import annotations

import calendar

import pandas as pd

from hkbt.config import FeedConfig
from hkbt.news.feeds import ParsedFeed, finish, html_to_text, is_readable_time, language_code, to_json
from hkbt.news.feeds.http import FetchError


def parse_feed(content: bytes, feed: FeedConfig) -> ParsedFeed:
    """Pure: RSS/Atom bytes -> :class:`~hkbt.news.feeds.ParsedFeed`.

    Raises:
        FetchError: the answer is not an RSS or Atom document.
    """
    import feedparser

    document = feedparser.parse(content)  # bytes only: feedparser must never fetch a URL itself
    version = document.get("version", "")
    if not version:
        problem = document.get("bozo_exception")
        detail = f" ({_fault(problem)})" if problem is not None else ""
        raise FetchError(f"not an RSS or Atom feed{detail}")
    channel = document.get("feed", {})
    source = feed.source or html_to_text(channel.get("title", ""))
    language = feed.language or language_code(channel.get("language"))
    rows = []
    for entry in document.get("entries", []):
        headline = html_to_text(entry.get("title", ""))
        stamp_text = entry.get("published") or entry.get("updated") or ""
        stamp = _readable_time(stamp_text, entry.get("published_parsed") or entry.get("updated_parsed"))
        contents = entry.get("content") or []
        body = html_to_text(entry.get("summary") or (contents[0].get("value") if contents else ""))
        rows.append({
            "published_at": stamp, "headline": headline, "body": body, "source": source,
            "url": (entry.get("link") or "").strip(), "tickers": ";".join(feed.tickers), "language": language,
            "published_text": stamp_text, "raw": to_json({k: v for k, v in entry.items() if not k.endswith("_parsed")}),
        })
    malformed = None
    if document.get("bozo") and _is_syntax_error(document.get("bozo_exception")):
        malformed = _fault(document.get("bozo_exception"))
    return finish(rows, malformed)


def _readable_time(text: str, parsed) -> str:
    """The source's time text if pandas reads it (offset kept, naive stays naive), else feedparser's UTC reading.

    pandas refuses zone names it does not know (``EST``); feedparser knows the
    RFC 822 ones.
    """
    if is_readable_time(text):
        return text
    if parsed:
        return pd.Timestamp(calendar.timegm(parsed), unit="s", tz="UTC").isoformat()
    return ""


def _is_syntax_error(problem: object) -> bool:
    import xml.sax

    return isinstance(problem, xml.sax.SAXParseException)


def _fault(problem: object) -> str:
    """``line 12: not well-formed (invalid token)`` from a SAX error, else its text."""
    getter = getattr(problem, "getLineNumber", None)
    message = getattr(problem, "getMessage", None)
    if getter and message:
        return f"line {getter()}: {message()}"
    return str(problem).splitlines()[0] if str(problem) else problem.__class__.__name__
