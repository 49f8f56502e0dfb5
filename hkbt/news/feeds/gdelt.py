"""GDELT DOC 2.0 API article lists -> a raw frame.

A ``gdelt`` feed asks ``https://api.gdeltproject.org/api/v2/doc/doc`` with
``mode=artlist&format=json`` for the newest articles matching its ``query``
(GDELT's own syntax: ``"exact phrase"``, ``(a OR b)``, ``sourcelang:chinese``,
``domain:scmp.com`` ...) over its ``timespan`` (``1d``), at most ``max_items``
(GDELT allows 250). The answer::

    {"articles": [{"url": "...", "url_mobile": "", "title": "...",
                   "seendate": "20250217T103000Z", "socialimage": "...",
                   "domain": "scmp.com", "language": "English", "sourcecountry": "Hong Kong"}]}

Mapping: ``title`` -> headline, ``url`` -> url, ``domain`` -> source,
``language`` -> ISO code (:data:`hkbt.news.feeds.GDELT_LANGUAGES`),
``seendate`` -> published_at. GDELT gives no body and no publication time:
``seendate`` is when GDELT's crawler found the article, which is never before
it was published, so it is a safe (if late) publication time. A query with no
match answers ``{}``; a bad query or too many requests answers plain text,
which becomes the feed's error line. GDELT asks for at most one request every
five seconds (``news.fetch.gdelt_interval_seconds``).

The same parser reads a saved answer: ``hkbt news import answer.json``.
"""

from __future__ import annotations

import json

from hkbt.config import FeedConfig
from hkbt.news.feeds import ParsedFeed, finish, language_code, to_json
from hkbt.news.feeds.http import FetchError

ENDPOINT = "https://api.gdeltproject.org/api/v2/doc/doc"


def gdelt_request(feed: FeedConfig) -> tuple[str, dict[str, str]]:
    """URL and query parameters for a ``gdelt`` feed (``feed.url`` overrides the endpoint).

    >>> from hkbt.config import FeedConfig
    >>> gdelt_request(FeedConfig(name="ai", kind="gdelt", query="DeepSeek", max_items=50))[1]["maxrecords"]
    '50'
    """
    params = {"query": feed.query or "", "mode": "artlist", "format": "json", "maxrecords": str(feed.max_items),
              "timespan": feed.timespan, "sort": "datedesc"}
    return feed.url or ENDPOINT, params


def parse_gdelt(content: bytes | str, tickers: list[str] | tuple[str, ...] = (), language: str = "") -> ParsedFeed:
    """Pure: a DOC API ``artlist`` JSON answer -> :class:`~hkbt.news.feeds.ParsedFeed`.

    Args:
        content: the answer's bytes or text.
        tickers: the feed's tickers, attached to every item (a per-company query).
        language: used when an article states no language.

    Raises:
        FetchError: the answer is not the JSON article list (GDELT's plain-text
            complaints are quoted).
    """
    text = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else content
    try:
        payload = json.loads(text, strict=False) if text.strip() else {}
    except json.JSONDecodeError:
        snippet = " ".join(text.split())[:160]
        raise FetchError(f"GDELT did not answer with JSON: {snippet!r}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("articles", []), list):
        raise FetchError("GDELT answer has no 'articles' list")
    rows, skipped = [], 0
    for article in payload.get("articles", []):
        if not isinstance(article, dict):
            skipped += 1
            continue
        seen = str(article.get("seendate") or "").strip()
        rows.append({
            "published_at": _iso(seen), "headline": str(article.get("title") or "").strip(), "body": "",
            "source": str(article.get("domain") or "").strip(), "url": str(article.get("url") or "").strip(),
            "tickers": ";".join(tickers), "language": language_code(article.get("language")) or language,
            "published_text": seen, "raw": to_json(article),
        })
    return finish(rows, skipped=skipped)


def _iso(seendate: str) -> str:
    """``20250217T103000Z`` -> ``2025-02-17T10:30:00Z`` (other text passes through for the loader to judge)."""
    if len(seendate) == 16 and seendate[8] == "T" and seendate.endswith("Z") and seendate[:8].isdigit():
        return f"{seendate[:4]}-{seendate[4:6]}-{seendate[6:8]}T{seendate[9:11]}:{seendate[11:13]}:{seendate[13:15]}Z"
    return seendate
