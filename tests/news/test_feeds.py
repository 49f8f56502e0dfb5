"""Feeds against a local HTTP server on 127.0.0.1: parsing, dedup, 304 re-fetch, failures, retries, yfinance.

Every request in this file goes to the :class:`feed_server.FeedServer` the test starts (yfinance's through
:class:`feed_server.RewritingSession`); nothing leaves the machine.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pandas as pd
import pytest

from hkbt.config import FeedConfig, FetchConfig, NewsConfig
from hkbt.news.collect import fetch_feeds
from hkbt.news.feeds import html_to_text, language_code
from hkbt.news.feeds.gdelt import parse_gdelt
from hkbt.news.feeds.http import FetchError, PoliteClient
from hkbt.news.feeds.rss import parse_feed
from hkbt.news.feeds.yahoo import parse_yahoo
from hkbt.news.store import NewsStore

from feed_server import Answer, FeedServer, RewritingSession, feed_file

QUICK = FetchConfig(timeout_seconds=5, retries=2, backoff_seconds=0, user_agent="hkbt-test/1.0", gdelt_interval_seconds=0)


def rss(name: str = "rthk", url: str = "", **extra) -> FeedConfig:
    return FeedConfig(name=name, kind="rss", url=url or "http://127.0.0.1:9/none", **extra)


@pytest.fixture
def server():
    with FeedServer() as running:
        yield running


@pytest.fixture
def store(tmp_path):
    with NewsStore.open(tmp_path / "news.db") as opened:
        yield opened


class Sleeps(list):
    """Records the waits a client asks for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def fetch(store, feeds, settings=QUICK, sleeps=None, **kwargs):
    config = NewsConfig(feeds=feeds, fetch=settings)
    client = PoliteClient(settings, sleep=sleeps if sleeps is not None else Sleeps())
    return {o.feed: o for o in fetch_feeds(config, store, client=client, **kwargs)}


# ----------------------------------------------------------------------------- parsers (pure)


def test_rss_items_map_to_news_fields() -> None:
    parsed = parse_feed(feed_file("rthk_en_finance.xml"), rss(language="en", source="RTHK", tickers=[]))
    items = parsed.items
    assert len(items) == 5 and parsed.skipped == 0 and parsed.malformed is None
    first = items.iloc[0]
    assert first.headline == "President Xi meets private entrepreneurs, pledges support for the sector"
    assert first.url == "https://news.rthk.hk/rthk/en/component/k2/1790001-20250217.htm"
    assert first.published_at == first.published_text == "Mon, 17 Feb 2025 18:10:00 +0800"
    assert first.body.startswith("State leader Xi Jinping told founders") and "<" not in first.body
    assert (first.source, first.language) == ("RTHK", "en")
    assert json.loads(first.raw)["id"] == first.url  # the entry as received (guid)
    assert "electric-car makers drew steady buying & turnover" in items.iloc[1].body


def test_channel_title_and_language_are_used_when_the_feed_config_is_silent() -> None:
    items = parse_feed(feed_file("rthk_zh_finance.xml"), rss()).items
    assert set(items.language) == {"zh"} and set(items.source) == {"rthk - 財經新聞"}
    assert items.headline.iloc[0] == "阿里巴巴及騰訊股價造好 恒指升逾一成半"


def test_atom_entries_use_published_then_updated_and_skip_undated_ones() -> None:
    parsed = parse_feed(feed_file("company_newsroom.atom"), rss(tickers=["9988.HK"]))
    assert parsed.skipped == 1
    items = parsed.items.set_index("url")
    assert items.loc["https://newsroom.example.com/posts/41", "published_at"] == "2025-02-18T01:30:00Z"
    assert items.loc["https://newsroom.example.com/posts/40", "published_at"] == "2025-02-10T09:00:00+08:00"
    assert items.loc["https://newsroom.example.com/posts/41", "body"] == "The company said the sites will serve AI customers from next year."
    assert set(items.tickers) == {"9988.HK"} and set(items.language) == {"en"}


def test_truncated_xml_keeps_the_items_before_the_fault() -> None:
    parsed = parse_feed(feed_file("truncated.xml"), rss())
    assert parsed.items.headline.tolist() == ["Property developers lead losses in afternoon trade", "Yuan steady against the US dollar"]
    assert parsed.malformed and "line" in parsed.malformed


def test_a_page_that_is_not_a_feed_is_an_error() -> None:
    with pytest.raises(FetchError, match="not an RSS or Atom feed"):
        parse_feed(feed_file("not_a_feed.html"), rss())
    with pytest.raises(FetchError, match="not an RSS or Atom feed"):
        parse_feed(b"", rss())


def test_unknown_zone_names_fall_back_to_feedparsers_reading() -> None:
    body = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>A</title>'
            b"<link>http://e.x/a</link><pubDate>Mon, 17 Feb 2025 05:00:00 EST</pubDate></item></channel></rss>")
    item = parse_feed(body, rss()).items.iloc[0]
    assert pd.Timestamp(item.published_at) == pd.Timestamp("2025-02-17T10:00:00Z")
    assert item.published_text == "Mon, 17 Feb 2025 05:00:00 EST"


def test_gdelt_artlist_mapping() -> None:
    parsed = parse_gdelt(feed_file("gdelt_artlist.json"), tickers=[], language="")
    items = parsed.items
    assert parsed.skipped == 1  # the article without a title
    assert items.published_at.tolist()[0] == "2025-02-17T11:30:00Z" and items.published_text.tolist()[0] == "20250217T113000Z"
    assert items.language.tolist() == ["en", "zh", "en", "en"]
    assert items.source.tolist()[1] == "finance.example-cn.com" and set(items.body) == {""}
    assert parse_gdelt(b"{}").items.empty
    with pytest.raises(FetchError, match="Please limit requests"):
        parse_gdelt(b"Please limit requests to one every 5 seconds.")


def test_yahoo_stories_for_several_tickers_are_stored_once_with_all_of_them() -> None:
    stream = json.loads(feed_file("yahoo_news.json"))["data"]["tickerStream"]["stream"]
    stories = [s for s in stream if not s.get("ad")]  # what yfinance returns
    parsed = parse_yahoo({"9988.HK": stories, "0700.HK": stories[1:]})
    items = parsed.items.set_index("headline")
    assert items.loc["Why Chinese tech stocks are rallying again", "tickers"] == "9988.HK;0700.HK"
    story = items.loc["Alibaba shares climb as investors cheer Beijing's meeting with entrepreneurs"]
    assert (story.tickers, story.source, story.language, story.published_at) == ("9988.HK", "Example Wire", "en", "2025-02-18T02:15:00Z")
    assert story.url == "https://finance.yahoo.com/news/alibaba-shares-climb-021500001.html"


def test_small_helpers() -> None:
    assert [language_code(v) for v in ("English", "zh-HK", "")] == ["en", "zh", ""]
    assert html_to_text("<p>A&nbsp;&amp;&nbsp;B</p>") == "A & B"


# ----------------------------------------------------------------------------- fetching from the local server


def test_a_second_fetch_stores_nothing_new_and_a_304_costs_nothing(server, store) -> None:
    server.route("/rss", Answer(feed_file("rthk_en_finance.xml"), etag='"v1"', last_modified="Mon, 17 Feb 2025 10:30:00 GMT"))
    feeds = [rss(url=server.url("/rss"), language="en", source="RTHK")]
    first = fetch(store, feeds)["rthk"]
    assert (first.error, first.batch.items_new, first.batch.http_status) == (None, 5, 200)
    second = fetch(store, feeds)["rthk"]
    assert (second.batch.status, second.batch.items_read, second.batch.http_status) == ("not_modified", 0, 304)
    requests = server.requests_to("/rss")
    assert requests[0].headers["User-Agent"] == "hkbt-test/1.0"
    assert "If-None-Match" not in requests[0].headers
    assert requests[1].headers["If-None-Match"] == '"v1"'
    assert requests[1].headers["If-Modified-Since"] == "Mon, 17 Feb 2025 10:30:00 GMT"
    assert store.count() == 5
    assert store.stats().feeds.set_index("feed").loc["rthk", "status"] == "not_modified"


def test_languages_are_detected_before_the_store_is_locked(server, store, monkeypatch) -> None:
    """Language detection (seconds for a big batch on a loaded machine) runs before the write transaction opens, so a
    second hkbt process writing the same store is not kept waiting past the store's busy timeout by it."""
    from hkbt.news import collect

    seen = []
    original = collect.fill_languages

    def watching(declared, headlines):
        seen.append(store._db.in_transaction)
        return original(declared, headlines)

    monkeypatch.setattr(collect, "fill_languages", watching)
    server.route("/rss", Answer(feed_file("rthk_en_finance.xml")))
    assert fetch(store, [rss(url=server.url("/rss"))])["rthk"].batch.items_new == 5
    assert seen == [False]


def test_without_validators_a_refetch_counts_duplicates_and_stores_new_items_once(server, store) -> None:
    server.route("/rss", Answer(feed_file("rthk_en_finance.xml")))
    feeds = [rss(url=server.url("/rss"))]
    fetch(store, feeds)
    again = fetch(store, feeds)["rthk"].batch
    assert (again.items_read, again.items_new, again.duplicate_id) == (5, 0, 5)
    # the feed moves on: one new item, four old ones
    newer = feed_file("rthk_en_finance.xml").replace(b"1790003-20250217", b"1790009-20250218").replace(
        b"Mon, 17 Feb 2025 09:45:00", b"Tue, 18 Feb 2025 09:40:00")
    server.route("/rss", Answer(newer))
    third = fetch(store, feeds)["rthk"].batch
    assert (third.items_new, third.duplicates) == (1, 4)
    assert store.count() == 6


def test_one_failing_feed_does_not_stop_the_others(server, store) -> None:
    server.route("/rss", Answer(feed_file("rthk_en_finance.xml")))
    feeds = [rss("missing", server.url("/gone")), rss("ok", server.url("/rss"))]
    outcomes = fetch(store, feeds)
    assert outcomes["missing"].error == f"HTTP 404 Not Found from {server.url('/gone')}"
    assert outcomes["ok"].batch.items_new == 5
    log = store.stats().feeds.set_index("feed")
    assert log.loc["missing", "status"] == "error" and "404" in log.loc["missing", "last_error"]


def test_server_errors_are_retried_with_backoff(server, store) -> None:
    server.route("/rss", Answer(b"busy", 503, "text/plain"), Answer(b"oops", 500, "text/plain"),
                 Answer(feed_file("rthk_en_finance.xml")))
    sleeps = Sleeps()
    settings = QUICK.model_copy(update={"backoff_seconds": 1.5})
    outcome = fetch(store, [rss(url=server.url("/rss"))], settings=settings, sleeps=sleeps)["rthk"]
    assert outcome.error is None and outcome.batch.items_new == 5
    assert sleeps == [1.5, 3.0]  # backoff * 2**attempt
    assert len(server.requests_to("/rss")) == 3


def test_a_server_that_keeps_failing_is_one_error_after_the_retries(server, store) -> None:
    server.route("/rss", Answer(b"oops", 500, "text/plain"))
    outcome = fetch(store, [rss(url=server.url("/rss"))])["rthk"]
    assert outcome.error == f"HTTP 500 Internal Server Error from {server.url('/rss')} after 3 attempt(s)"
    assert outcome.batch is None and store.count() == 0


def test_retry_after_is_honoured(server, store) -> None:
    server.route("/rss", Answer(b"slow down", 429, "text/plain", headers={"Retry-After": "7"}),
                 Answer(feed_file("rthk_en_finance.xml")))
    sleeps = Sleeps()
    assert fetch(store, [rss(url=server.url("/rss"))], sleeps=sleeps)["rthk"].batch.items_new == 5
    assert sleeps == [7.0]


def test_a_slow_server_times_out(server, store) -> None:
    server.route("/rss", Answer(feed_file("rthk_en_finance.xml"), delay=3))
    settings = QUICK.model_copy(update={"timeout_seconds": 0.5, "retries": 1})
    outcome = fetch(store, [rss(url=server.url("/rss"))], settings=settings)["rthk"]
    assert outcome.error == f"timed out after 0.5s ({server.url('/rss')}) after 2 attempt(s)"
    assert store.count() == 0


def test_nothing_listening_is_a_connection_error(store) -> None:
    settings = QUICK.model_copy(update={"retries": 0})
    outcome = fetch(store, [rss(url="http://127.0.0.1:9/rss")], settings=settings)["rthk"]  # port 9: discard, closed
    assert outcome.error.startswith("connection failed") and "127.0.0.1:9" in outcome.error


def test_malformed_xml_stores_what_it_could_read_and_warns(server, store) -> None:
    server.route("/cut", Answer(feed_file("truncated.xml")))
    server.route("/page", Answer(feed_file("not_a_feed.html"), content_type="text/html"))
    outcomes = fetch(store, [rss("cut", server.url("/cut")), rss("page", server.url("/page"))])
    assert outcomes["cut"].batch.items_new == 2 and "malformed XML (line" in outcomes["cut"].warnings[0]
    assert outcomes["page"].error.startswith("not an RSS or Atom feed")


def test_gdelt_queries_and_answers(server, store) -> None:
    server.route("/api/v2/doc/doc", Answer(feed_file("gdelt_artlist.json"), content_type="application/json"))
    feed = FeedConfig(name="gdelt_ai", kind="gdelt", url=server.url("/api/v2/doc/doc"), query='(DeepSeek OR "Chinese AI")',
                      max_items=50, timespan="6h")
    outcome = fetch(store, [feed])["gdelt_ai"]
    assert outcome.batch.items_new == 3  # 4 articles: the re-sent wire story is a headline duplicate
    assert outcome.batch.duplicate_headline == 1 and "1 entr" in outcome.warnings[0]
    sent = parse_qs(server.requests_to("/api/v2/doc/doc")[0].query)
    assert sent == {"query": ['(DeepSeek OR "Chinese AI")'], "mode": ["artlist"], "format": ["json"],
                    "maxrecords": ["50"], "timespan": ["6h"], "sort": ["datedesc"]}
    news = store.read()
    assert set(news.language) == {"en", "zh"} and set(news.origin) == {"fetch"}


def test_gdelt_complaints_become_the_error_line(server, store) -> None:
    server.route("/doc", Answer(b"Your search contained a phrase that was too short.", content_type="text/plain"))
    feed = FeedConfig(name="g", kind="gdelt", url=server.url("/doc"), query='"ai"')
    outcome = fetch(store, [feed])["g"]
    assert outcome.error == "GDELT did not answer with JSON: 'Your search contained a phrase that was too short.'"


# ----------------------------------------------------------------------------- yfinance, routed to the local server


@pytest.fixture
def yahoo(server, monkeypatch):
    """Route yfinance's real request code to the local server (fresh YfData singleton, no cookie cache on disk)."""
    from yfinance import cache
    from yfinance.data import YfData

    monkeypatch.setattr(cache._CookieCacheManager, "_Cookie_cache", cache._CookieCacheDummy())
    saved = YfData._instances.pop(YfData, None)
    server.route("/", Answer(b"ok", content_type="text/html", headers={"Set-Cookie": "A3=fixture; Path=/"}))
    server.route("/v1/test/getcrumb", Answer(b"fixture-crumb", content_type="text/plain"))
    yield RewritingSession(server)
    YfData._instances.pop(YfData, None)
    if saved is not None:
        YfData._instances[YfData] = saved


def test_yfinance_news_through_yfinances_own_code(server, store, yahoo) -> None:
    payload = json.loads(feed_file("yahoo_news.json"))
    tencent = json.loads(json.dumps(payload))
    tencent["data"]["tickerStream"]["stream"] = payload["data"]["tickerStream"]["stream"][2:]  # the shared video only

    def answer(request):
        asked = json.loads(request.body)["serviceConfig"]["s"][0]
        if asked == "9999.HK":
            return Answer(b"<html>Will be right back</html>", 502, "text/html")
        return Answer(json.dumps(payload if asked == "9988.HK" else tencent).encode(), content_type="application/json")

    server.route("/xhr/ncp", answer)
    feed = FeedConfig(name="yahoo", kind="yfinance", tickers=["9988.HK", "0700.HK", "9999.HK"], max_items=5)
    outcome = fetch(store, [feed], yahoo_session=yahoo)["yahoo"]
    assert outcome.batch.items_new == 2  # the advert was dropped by yfinance; the shared story is stored once
    assert "9999.HK" in outcome.error and "1 of 3 tickers failed" in outcome.error
    news = store.read().set_index("headline")
    assert news.loc["Why Chinese tech stocks are rallying again", "tickers"] == ["9988.HK", "0700.HK"]
    posts = [json.loads(r.body) for r in server.requests_to("/xhr/ncp")]
    assert posts[0] == {"serviceConfig": {"snippetCount": 5, "s": ["9988.HK"]}}
    assert {r.headers["X-Original-Host"] for r in server.requests_to("/xhr/ncp")} == {"finance.yahoo.com"}
