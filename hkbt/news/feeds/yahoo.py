"""Yahoo Finance news through yfinance (``Ticker.get_news``) -> a raw frame.

A ``yfinance`` feed asks for the latest ``max_items`` stories of each of its
``tickers`` (Yahoo keeps about ten per ticker and no history, so run it
often). yfinance 1.x POSTs to Yahoo's ``/xhr/ncp`` endpoint and returns the
``data.tickerStream.stream`` list without adverts; each record is::

    {"id": "<uuid>",
     "content": {"id": "<uuid>", "contentType": "STORY", "title": "...", "summary": "...",
                 "description": "", "pubDate": "2025-02-17T10:30:00Z", "displayTime": "...",
                 "provider": {"displayName": "Reuters", "url": "..."},
                 "canonicalUrl": {"url": "https://...", "site": "finance", "region": "US", "lang": "en-US"},
                 "clickThroughUrl": {"url": "https://..."} | null,
                 "finance": {"stockTickers": [{"symbol": "BABA"}]}, "metadata": {...}, ...}}

Mapping: ``content.title`` -> headline, ``content.summary`` (else
``description``) -> body, ``canonicalUrl.url`` (else ``clickThroughUrl.url``)
-> url, ``provider.displayName`` -> source, ``pubDate`` -> published_at,
``canonicalUrl.lang`` -> language, and the ticker that was asked for ->
tickers. A story returned for several tickers is stored once with all of them.

yfinance logs failures instead of raising; its log lines are captured and a
ticker whose request logged an error fails the feed with that message.
"""

from __future__ import annotations

from collections.abc import Sequence

from hkbt.news.feeds import ParsedFeed, finish, html_to_text, language_code, to_json
from hkbt.news.feeds.http import FetchError


def fetch_yahoo_news(ticker: str, count: int, session=None) -> list[dict]:
    """The stories yfinance returns for ``ticker`` (``session``: a requests/curl_cffi session for yfinance to use).

    Raises:
        FetchError: yfinance raised, or logged an error for this request.
    """
    import yfinance

    from hkbt.prices.yahoo import capture_yfinance_log

    try:
        with capture_yfinance_log() as problems:
            stories = yfinance.Ticker(ticker, session=session).get_news(count=count, tab="news")
    except Exception as exc:  # noqa: BLE001 - yfinance and its HTTP backends raise many types; all mean "not fetched"
        raise FetchError(f"yfinance news for {ticker} failed: {exc.__class__.__name__}: {' '.join(str(exc).split())[:160]}") from None
    if problems and not stories:
        raise FetchError(f"yfinance news for {ticker} failed: {' '.join(problems[-1].split())[:160]}")
    if not isinstance(stories, list):
        raise FetchError(f"yfinance news for {ticker}: unexpected answer ({type(stories).__name__})")
    return stories


def parse_yahoo(stories_by_ticker: dict[str, Sequence[dict]], language: str = "") -> ParsedFeed:
    """Pure: ``{ticker: yfinance news records}`` -> :class:`~hkbt.news.feeds.ParsedFeed`.

    A story that came back for several tickers becomes one row naming them all.
    """
    rows: dict[str, dict[str, str]] = {}
    tickers: dict[str, list[str]] = {}
    skipped = 0
    for ticker, stories in stories_by_ticker.items():
        for story in stories:
            content = story.get("content") if isinstance(story, dict) else None
            if not isinstance(content, dict):
                skipped += 1
                continue
            url = _url(content)
            key = url or str(story.get("id") or content.get("id") or content.get("title"))
            tickers.setdefault(key, [])
            if ticker not in tickers[key]:
                tickers[key].append(ticker)
            if key in rows:
                continue
            canonical = content.get("canonicalUrl") or {}
            rows[key] = {
                "published_at": str(content.get("pubDate") or content.get("displayTime") or ""),
                "headline": html_to_text(content.get("title")),
                "body": html_to_text(content.get("summary") or content.get("description")),
                "source": str((content.get("provider") or {}).get("displayName") or "Yahoo Finance"),
                "url": url, "tickers": "", "language": language_code(canonical.get("lang")) or language,
                "published_text": str(content.get("pubDate") or content.get("displayTime") or ""),
                "raw": to_json(story),
            }
    for key, row in rows.items():
        row["tickers"] = ";".join(tickers[key])
    return finish(list(rows.values()), skipped=skipped)


def _url(content: dict) -> str:
    for field in ("canonicalUrl", "clickThroughUrl"):
        link = content.get(field)
        if isinstance(link, dict) and link.get("url"):
            return str(link["url"]).strip()
    return ""
