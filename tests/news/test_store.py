"""The news store: schema and migrations, ownership, de-duplication, transactions, two writers, kill -9."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timezone

import pandas as pd
import pytest

from hkbt.config import StoreFilters
from hkbt.errors import DataError
from hkbt.news import store as store_module
from hkbt.news.store import (
    APPLICATION_ID,
    MIGRATIONS,
    SCHEMA_VERSION,
    NewsStore,
    StoreQuery,
    available_at,
    load_store_news,
    normalise_headline,
)

from conftest import REPO_ROOT


def item(n: int, headline: str | None = None, *, url: str | None = None, source: str = "wire",
         published: str = "2025-02-17T10:00:00Z", **extra) -> dict:
    """A store item; ``n`` makes the id (and, by default, the url and headline) unique."""
    return {"news_id": f"{n:016x}", "published_at": pd.Timestamp(published), "headline": headline or f"Headline {n}",
            "url": f"https://example.com/{n}" if url is None else url, "source": source, **extra}


def test_a_new_store_is_created_at_the_latest_schema_and_marked_as_hkbt(tmp_path) -> None:
    path = tmp_path / "sub" / "news.db"
    with NewsStore.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS) == 2
        assert store.count() == 0
        assert store.integrity() == "ok"
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_store_created_by_another_process_between_two_reads_is_not_called_foreign(tmp_path, monkeypatch) -> None:
    """Two commands creating the same store at once: whatever the second does between its own statements, the
    first may commit its schema there; the ownership check must see one consistent state (it read the version,
    the mark and the tables in three statements, so it could see a new schema with an old version and refuse
    the store as foreign: the race behind a once-flaky two-fetches test)."""
    path = tmp_path / "news.db"
    real_connect = sqlite3.connect
    done: list[str] = []

    def connect(*args, **kwargs):
        db = real_connect(*args, **kwargs)
        statements: list[str] = []

        def between_statements(sql: str) -> None:
            statements.append(sql)
            if len(statements) == 2 and not done:  # the other command commits its whole schema right here
                done.append(sql)
                monkeypatch.setattr(sqlite3, "connect", real_connect)
                NewsStore.open(path).close()

        db.set_trace_callback(between_statements)
        return db

    monkeypatch.setattr(sqlite3, "connect", connect)
    with NewsStore.open(path) as store:
        assert done and store.schema_version == SCHEMA_VERSION


def test_an_old_schema_is_migrated_in_order_and_keeps_its_items(tmp_path) -> None:
    path = tmp_path / "news.db"
    # a version-1 store, as the first hkbt with a store wrote it
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    MIGRATIONS[0](db)
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO news (news_id, source, feed, origin, url, headline, headline_key, published_at, first_seen_at)"
               " VALUES ('00000000000000aa', 'RTHK', 'rthk_en_finance', 'fetch', 'https://e.x/a', 'Old item',"
               " 'old item', '2024-05-01T01:00:00.000000Z', '2024-05-01T01:05:00.000000Z')")
    db.execute("COMMIT")
    db.close()
    with NewsStore.open(path) as store:
        assert store.schema_version == 2
        news = store.read()
        assert news.headline.tolist() == ["Old item"]
        assert news.first_seen_at[0] == pd.Timestamp("2024-05-01T01:05:00Z")
        # v2's tables work: batches are logged and feed state is kept
        result = store.add([item(1)], feed="f", origin="fetch", state=store_module.FeedState("http://x", '"e1"', None))
        assert result.items_new == 1
        assert store.feed_state("f").etag == '"e1"'
        assert store.stats().feeds.feed.tolist() == ["f", "rthk_en_finance"]


def test_a_store_from_a_newer_hkbt_is_refused_untouched(tmp_path) -> None:
    path = tmp_path / "news.db"
    NewsStore.open(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(DataError, match=r"newer hkbt \(schema v3"):
        NewsStore.open(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("kind", ["other_sqlite", "text", "folder"])
def test_files_hkbt_did_not_create_are_refused_and_left_alone(tmp_path, kind) -> None:
    path = tmp_path / "victim.db"
    if kind == "other_sqlite":
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE accounts (id INTEGER, balance REAL)")
        db.execute("INSERT INTO accounts VALUES (1, 100.0)")
        db.commit()
        db.close()
    elif kind == "text":
        path.write_text("not a database\n" * 100)
    else:
        path.mkdir()
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(DataError) as error:
        NewsStore.open(path)
    assert str(path) in str(error.value)
    if before is not None:
        assert path.read_bytes() == before
        assert not (tmp_path / "victim.db-wal").exists()


def test_reading_a_missing_store_says_how_to_make_one(tmp_path) -> None:
    with pytest.raises(DataError, match="hkbt news import"):
        NewsStore.open(tmp_path / "none.db", create=False)
    assert not (tmp_path / "none.db").exists()


def test_duplicates_by_url_id_and_headline_window(tmp_path) -> None:
    with NewsStore.open(tmp_path / "news.db") as store:
        first = store.add([item(1, "HK stocks close higher", published="2025-02-17T08:10:00Z"),
                           item(2, "Xi meets entrepreneurs", published="2025-02-17T10:30:00Z")], feed="a", origin="fetch")
        assert (first.items_new, first.duplicates) == (2, 0)
        again = store.add([
            item(3, "Another headline", url="https://example.com/1"),                    # same url as 1
            item(2, "Xi meets entrepreneurs (updated)", url="https://other.example/2"),  # same id as 2
            item(4, "Xi  meets entrepreneurs!", published="2025-02-17T21:00:00Z"),        # same story, 10.5 h later
            item(5, "HK stocks close higher", published="2025-02-18T08:05:00Z"),         # next day: a new story
            item(6, "Xi meets entrepreneurs", source="other paper"),                      # another source
            item(7, "HK stocks close higher", published="2025-02-17T20:09:00Z"),         # 12 h - 1 min after 1
        ], feed="b", origin="fetch")
        assert (again.items_read, again.items_new, again.duplicate_id, again.duplicate_headline) == (6, 2, 2, 2)
        stored = store.read()
        assert sorted(stored.news_id.str[-1]) == ["1", "2", "5", "6"]
        # the first version seen is kept: a revision does not replace it
        assert stored.set_index("news_id").loc[f"{2:016x}", "headline"] == "Xi meets entrepreneurs"
        assert store.stats().duplicates_dropped == 4


def test_recurring_daily_headlines_are_not_merged_but_resent_stories_are() -> None:
    window = store_module.HEADLINE_WINDOW
    # RTHK's market-open wire repeats on consecutive mornings 23.6 hours apart
    assert pd.Timestamp("2024-12-05T10:13+08:00") - pd.Timestamp("2024-12-04T10:37+08:00") > window
    assert normalise_headline("Boeing faces SEC probe - Bloomberg") == normalise_headline("Boeing faces SEC probe: Bloomberg")
    assert normalise_headline("ＨＫ　Stocks") == "hk stocks"
    assert normalise_headline("恒指 升 1%") == "恒指 升 1"


def test_a_batch_is_one_transaction_an_error_mid_batch_keeps_nothing_of_it(tmp_path) -> None:
    with NewsStore.open(tmp_path / "news.db") as store:
        store.add([item(1)], feed="a", origin="fetch")

        def items():
            yield item(2)
            yield item(3)
            raise RuntimeError("connection dropped while parsing")

        with pytest.raises(RuntimeError):
            store.add(items(), feed="a", origin="fetch")
        assert store.read().news_id.tolist() == [f"{1:016x}"]
        assert store.stats().feeds.batches.tolist() == [1]  # the failed batch left no log row either


def test_feed_state_is_saved_with_its_batch_only(tmp_path) -> None:
    state = store_module.FeedState("http://x/rss", '"v2"', "Mon, 17 Feb 2025 10:00:00 GMT")
    with NewsStore.open(tmp_path / "news.db") as store:
        with pytest.raises(KeyError):  # an item without a headline, half-way through the batch
            store.add(iter([item(1), {"news_id": "bad"}]), feed="f", origin="fetch", state=state)
        assert store.feed_state("f") is None  # validators never run ahead of the stored items
        store.add([item(1)], feed="f", origin="fetch", state=state)
        assert store.feed_state("f") == state


def test_available_at_modes() -> None:
    published = pd.Series(pd.to_datetime(["2025-02-17T06:00Z", "2025-02-17T06:00Z", "2025-02-17T12:00Z"], utc=True))
    seen = pd.Series(pd.to_datetime(["2025-02-17T09:00Z", "2025-02-17T09:00Z", "2025-02-17T10:00Z"], utc=True))
    origin = pd.Series(["fetch", "import", "fetch"])
    hours = {mode: [t.hour for t in available_at(published, seen, origin, mode)]
             for mode in ("published", "first_seen", "later_of", "auto")}
    assert hours == {"published": [6, 6, 12], "first_seen": [9, 9, 10], "later_of": [9, 9, 12], "auto": [9, 6, 12]}


def test_queries_filter_in_sql(tmp_path) -> None:
    with NewsStore.open(tmp_path / "news.db") as store:
        store.add([item(1, "Alibaba cloud", source="RTHK", language="en", tickers=["9988.HK"], published="2025-02-16T17:00Z"),
                   item(2, "騰訊 results", source="RTHK", language="zh", published="2025-02-17T01:00Z"),
                   item(3, "Fed holds", source="wire", language="en", published="2025-02-18T02:00Z")],
                  feed="f", origin="fetch")
        ids = lambda q: [i[-1] for i in store.read(q).news_id]  # noqa: E731
        assert ids(StoreQuery(sources=("RTHK",))) == ["1", "2"]
        assert ids(StoreQuery(languages=("zh",))) == ["2"]
        assert ids(StoreQuery(tickers=("9988.HK",))) == ["1"]
        assert ids(StoreQuery(text="CLOUD")) == ["1"]
        # days are news.timezone days: 2025-02-16T17:00Z is already the 17th in Hong Kong
        assert ids(StoreQuery(since=pd.Timestamp("2025-02-17").date(), until=pd.Timestamp("2025-02-17").date())) == ["1", "2"]
        assert ids(StoreQuery(newest_first=True, limit=2)) == ["3", "2"]


def test_load_store_news_is_point_in_time(tmp_path) -> None:
    path = tmp_path / "news.db"
    seen = datetime(2025, 2, 17, 12, 0, tzinfo=timezone.utc)
    with NewsStore.open(path) as store:
        # fetched at 12:00Z, but dated 06:00Z by its source (a back-dated item)
        store.add([item(1, "Back-dated", published="2025-02-17T06:00Z")], feed="f", origin="fetch", now=seen)
        store.add([item(2, "Archive", published="2025-02-17T06:00Z")], feed="import:a.csv", origin="import", now=seen)
    news, report = load_store_news(path, StoreFilters(), "auto")
    times = dict(zip(news.headline, news.available_at))
    assert times == {"Back-dated": pd.Timestamp("2025-02-17T12:00Z"), "Archive": pd.Timestamp("2025-02-17T06:00Z")}
    assert report.rows_read == 2 and list(news.columns[:7]) == ["news_id", "published_at", "headline", "body", "source", "url", "tickers"]
    early, _ = load_store_news(path, StoreFilters(), "auto", as_of=pd.Timestamp("2025-02-17T08:00Z"))
    assert early.headline.tolist() == ["Archive"]
    with pytest.raises(DataError, match="no stored news matches"):
        load_store_news(path, StoreFilters(sources=["nobody"]))


# ----------------------------------------------------------------------------- processes


WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import pandas as pd
    from hkbt.news.store import NewsStore

    path, first, last, feed, marker = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]

    def items(start, end):
        for n in range(start, end):
            if marker != "-" and n == (first + last) // 2:
                Path(marker).write_text("half")   # half the batch is inside the open transaction
                time.sleep(60)                    # ... and the test kills us here
            yield {"news_id": f"{n:016x}", "published_at": pd.Timestamp("2025-02-17T10:00Z") + pd.Timedelta(minutes=n),
                   "headline": f"Item {n}", "url": f"https://example.com/{n}", "source": "wire"}

    with NewsStore.open(Path(path)) as store:
        if marker != "-":                         # one batch, killed half-way
            store.add(items(first, last), feed=feed, origin="fetch")
        for start in range(first, last, 200):     # else batches of 200, so two writers interleave
            store.add(items(start, min(start + 200, last)), feed=feed, origin="fetch")
""")


def _writer(tmp_path, *args: str) -> subprocess.Popen:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen([sys.executable, str(script), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_two_processes_writing_at_once_store_each_item_once(tmp_path) -> None:
    path = tmp_path / "news.db"
    NewsStore.open(path).close()
    # overlapping ranges: items 1000-1999 are sent by both writers
    first = _writer(tmp_path, str(path), "0", "2000", "writer_a", "-")
    second = _writer(tmp_path, str(path), "1000", "3000", "writer_b", "-")
    for process in (first, second):
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
    with NewsStore.open(path) as store:
        news = store.read()
        assert len(news) == news.news_id.nunique() == 3000
        feeds = store.stats().feeds.set_index("feed")
        assert feeds.loc["writer_a", "read"] + feeds.loc["writer_b", "read"] == 4000
        assert feeds.duplicates.sum() == 1000
        assert store.integrity() == "ok"


def test_a_writer_killed_mid_batch_leaves_the_store_consistent(tmp_path) -> None:
    path = tmp_path / "news.db"
    with NewsStore.open(path) as store:
        store.add([item(n) for n in range(10)], feed="before", origin="fetch")
    marker = tmp_path / "half"
    victim = _writer(tmp_path, str(path), "100", "400", "killed", str(marker))
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert victim.poll() is None, victim.stderr.read().decode()
        assert time.monotonic() < deadline, "writer never reached the middle of its batch"
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    with NewsStore.open(path) as store:
        assert store.integrity() == "ok"
        news = store.read()
        assert sorted(news.feed.unique()) == ["before"] and len(news) == 10   # nothing of the killed batch
        assert "killed" not in set(store.stats().feeds.feed)
        after = store.add([item(n) for n in range(100, 110)], feed="after", origin="fetch")  # the lock was released
        assert after.items_new == 10


def test_raw_payload_round_trips(tmp_path) -> None:
    with NewsStore.open(tmp_path / "news.db") as store:
        store.add([item(1, raw={"title": "T", "extra": [1, 2]})], feed="f", origin="fetch")
        assert store.raw(f"{1:016x}") == {"extra": [1, 2], "title": "T"}
        assert json.loads(json.dumps(store.raw(f"{1:016x}")))
