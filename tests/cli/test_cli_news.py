"""``hkbt news`` commands: import, list, stats, export in-process; fetch in real processes against a local server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from hkbt.cli.main import cli
from hkbt.news.store import NewsStore

from conftest import REPO_ROOT
from feed_server import FEEDS, Answer, FeedServer, feed_file

SAMPLE = REPO_ROOT / "data" / "news" / "hk_tech_sample.csv"


def run_cli(*args: str):
    return CliRunner().invoke(cli, list(args))


def one_error_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == 2 and len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


@pytest.fixture
def store(tmp_path) -> Path:
    return tmp_path / "news.db"


def test_import_list_stats_export_round_trip(tmp_path, store) -> None:
    first = run_cli("news", "import", str(SAMPLE), "--store", str(store))
    assert first.exit_code == 0, first.output
    assert "108 read, 106 new, 2 duplicate(s) (2 same url/id, 0 same headline)" in first.output
    again = run_cli("news", "import", str(SAMPLE), "--store", str(store))
    assert "108 read, 0 new, 108 duplicate(s)" in again.output

    listed = run_cli("news", "list", "--store", str(store), "--ticker", "9988.HK", "--since", "2025-02-01",
                     "--until", "2025-02-28", "--format", "csv")
    assert listed.exit_code == 0, listed.output
    rows = pd.read_csv(pd.io.common.StringIO(listed.output))
    assert "Xi hosts Jack Ma, Pony Ma and Lei Jun in strong show of support for private firms" in set(rows.headline)
    assert all("2025-02" in t for t in rows.published_at)
    # the alias links Chinese and US-listing names too, newest first
    assert rows.published_at.is_monotonic_decreasing

    topic = run_cli("news", "list", "--store", str(store), "--topic", "ai", "--text", "deepseek", "--format", "jsonl")
    assert topic.exit_code == 0 and topic.output.count("\n") >= 3
    assert all("deepseek" in line.lower() for line in topic.output.splitlines())

    stats = run_cli("news", "stats", "--store", str(store))
    assert stats.exit_code == 0
    assert "106 items, 110 duplicate(s) dropped so far, schema v2" in stats.output
    assert "import:hk_tech_sample.csv" in stats.output and "items per language" in stats.output

    exported = tmp_path / "out.csv"
    result = run_cli("news", "export", str(exported), "--store", str(store), "--source", "wire")
    assert result.exit_code == 0 and "wrote 21 item(s)" in result.output
    frame = pd.read_csv(exported, dtype=str, keep_default_na=False)
    assert list(frame.columns[:6]) == ["published_at", "headline", "body", "source", "url", "tickers"]
    assert set(frame.source) == {"wire"} and frame.published_at.str.endswith("+08:00").all()
    refused = run_cli("news", "export", str(exported), "--store", str(store))
    assert "already exists; it is left untouched" in one_error_line(refused)


def test_import_errors_are_one_line(tmp_path, store) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("when,title\n2025-02-17T10:00:00+08:00,Fine\n", encoding="utf-8")
    line = one_error_line(run_cli("news", "import", str(bad), "--store", str(store)))
    assert "missing column 'published_at'" in line and "news.columns.published_at" in line
    mapped = run_cli("news", "import", str(bad), "--store", str(store), "--set", "news.columns.published_at=when",
                     "--set", "news.columns.headline=title", "--config", str(REPO_ROOT / "config.yaml"))
    assert mapped.exit_code == 0 and "1 new" in mapped.output

    holes = tmp_path / "holes.csv"
    holes.write_text("published_at,headline\n2025-02-17T10:00:00+08:00,A\n2025-02-17T11:00:00+08:00,\nsoon,C\n", encoding="utf-8")
    line = one_error_line(run_cli("news", "import", str(holes), "--store", str(store)))
    assert "holes.csv:3: empty headline" in line and "--skip-invalid" in line
    skipped = run_cli("news", "import", str(holes), "--store", str(store), "--skip-invalid")
    assert skipped.exit_code == 0 and "1 read, 1 new" in skipped.output
    assert "2 row(s) with an empty headline or an unreadable time skipped (first on line 3)" in skipped.output

    (tmp_path / "victim.db").write_text("precious")
    line = one_error_line(run_cli("news", "import", str(SAMPLE), "--store", str(tmp_path / "victim.db")))
    assert "cannot use the news store" in line
    assert (tmp_path / "victim.db").read_text() == "precious"
    assert "no news store here" in one_error_line(run_cli("news", "list", "--store", str(tmp_path / "none.db")))


def test_gdelt_files_import_with_a_documented_mapping(store) -> None:
    """A saved DOC API answer (.json) needs no mapping; a GDELT CSV export maps title/seendate/domain."""
    answer = run_cli("news", "import", str(FEEDS / "gdelt_artlist.json"), "--store", str(store))
    assert answer.exit_code == 0 and "4 read, 3 new" in answer.output, answer.output
    export = run_cli("news", "import", str(FEEDS / "gdelt_export.csv"), "--store", str(store),
                     "--config", str(REPO_ROOT / "config.yaml"),
                     "--set", "news.columns.published_at=seendate", "--set", "news.columns.headline=title",
                     "--set", "news.columns.source=domain")
    assert export.exit_code == 0 and "3 read, 3 new" in export.output, export.output
    with NewsStore.open(store) as opened:
        news = opened.read().set_index("url")
    byd = news.loc["https://www.example-wire.com/companies/byd-driver-assist"]
    assert (byd.source, byd.language, byd.published_at) == ("example-wire.com", "en", pd.Timestamp("2025-02-10T12:05:00Z"))
    assert news.loc["https://news.example-tw.com/finance/20250224/baidu-ernie", "language"] == "zh"
    assert byd.published_text == "20250210T120500Z"


def test_an_archives_own_first_seen_column_is_kept_for_point_in_time_runs(tmp_path, store) -> None:
    archive = tmp_path / "crawled.csv"
    archive.write_text("published,title,first_seen_utc\n"
                       "2025-02-17T14:35:00+08:00,Xi meets founders of private tech firms,1739858700\n"   # seen 18 Feb 14:05 HKT
                       "2025-02-17T16:40:00+08:00,Hang Seng ends higher,2025-02-17T16:45:00+08:00\n", encoding="utf-8")
    args = ["news", "import", str(archive), "--store", str(store), "--config", str(REPO_ROOT / "config.yaml"),
            "--set", "news.columns.published_at=published", "--set", "news.columns.headline=title"]
    result = run_cli(*args, "--first-seen-column", "first_seen_utc")
    assert result.exit_code == 0, result.output
    with NewsStore.open(store) as opened:
        seen = dict(zip(opened.read().headline, opened.read().first_seen_at))
    assert seen == {"Xi meets founders of private tech firms": pd.Timestamp("2025-02-18T06:05:00Z"),
                    "Hang Seng ends higher": pd.Timestamp("2025-02-17T08:45:00Z")}
    line = one_error_line(run_cli(*args, "--first-seen-column", "crawled_at"))
    assert "no column 'crawled_at' for --first-seen-column" in line
    archive.write_text("published,title,first_seen_utc\n2025-02-17T14:35:00+08:00,A,yesterday\n", encoding="utf-8")
    assert "crawled.csv:2: unreadable first-seen time 'yesterday'" in one_error_line(run_cli(*args, "--first-seen-column", "first_seen_utc"))


# ----------------------------------------------------------------------------- fetch, in real processes


def write_config(tmp_path: Path, server: FeedServer, paths: dict[str, str], **fetch) -> Path:
    config = {
        "news": {
            "store": "news.db",
            "feeds": [{"name": name, "kind": "rss", "url": server.url(path), "language": "en"} for name, path in paths.items()],
            "fetch": {"timeout_seconds": 5, "retries": 0, "backoff_seconds": 0, **fetch},
        },
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def hkbt_process(config: Path, *args: str) -> subprocess.Popen:
    command = [sys.executable, "-c", "from hkbt.cli.main import main; main()", "news", "fetch", "--config", str(config), *args]
    return subprocess.Popen(command, cwd=config.parent, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_fetch_prints_one_error_per_failed_feed_and_exit_status_2(tmp_path) -> None:
    with FeedServer() as server:
        server.route("/en", Answer(feed_file("rthk_en_finance.xml")))
        server.route("/zh", Answer(feed_file("rthk_zh_finance.xml")))
        server.route("/down", Answer(b"maintenance", 503, "text/plain"))
        config = write_config(tmp_path, server, {"rthk_en": "/en", "broken": "/down", "rthk_zh": "/zh", "gone": "/missing"})
        process = hkbt_process(config)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 2, out + err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert errors == [f"error: feed broken: HTTP 503 Service Unavailable from {server.url('/down')} after 1 attempt(s)",
                      f"error: feed gone: HTTP 404 Not Found from {server.url('/missing')}"]
    assert "rthk_en: 5 read, 5 new" in out and "rthk_zh: 2 read, 2 new" in out and "Traceback" not in err
    with NewsStore.open(tmp_path / "news.db") as store:
        assert store.count() == 7


def test_two_fetches_at_once_store_each_item_once(tmp_path) -> None:
    many = _big_feed(400)
    with FeedServer() as server:
        server.route("/big", Answer(many, delay=0.3))
        server.route("/en", Answer(feed_file("rthk_en_finance.xml")))
        config = write_config(tmp_path, server, {"big": "/big", "rthk_en": "/en"})
        first, second = hkbt_process(config), hkbt_process(config)
        results = [p.communicate(timeout=120) for p in (first, second)]
    assert first.returncode == second.returncode == 0, results
    with NewsStore.open(tmp_path / "news.db") as store:
        news = store.read()
        assert len(news) == news.news_id.nunique() == 405
        feeds = store.stats().feeds.set_index("feed")
        assert feeds.loc["big", "read"] == 800 and feeds.loc["big", "duplicates"] == 400


def test_a_fetch_killed_while_storing_leaves_all_or_nothing_of_that_feed(tmp_path) -> None:
    with FeedServer() as server:
        server.route("/en", Answer(feed_file("rthk_en_finance.xml")))
        server.route("/big", Answer(_big_feed(3000)))
        config = write_config(tmp_path, server, {"rthk_en": "/en", "big": "/big"})
        assert hkbt_process(config, "--feed", "rthk_en").wait(timeout=60) == 0
        server.served.clear()
        victim = hkbt_process(config, "--feed", "big")
        assert server.served.wait(timeout=60)
        time.sleep(0.3)  # parsing and storing 3,000 items takes longer than this
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
    with NewsStore.open(tmp_path / "news.db") as store:
        assert store.integrity() == "ok"
        counts = store.read().feed.value_counts().to_dict()
    assert counts.get("rthk_en") == 5 and counts.get("big", 0) in (0, 3000), counts


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_fetch_every_stops_cleanly(tmp_path, stop) -> None:
    with FeedServer() as server:
        server.route("/en", Answer(feed_file("rthk_en_finance.xml"), etag='"same"'))
        config = write_config(tmp_path, server, {"rthk_en": "/en"})
        process = hkbt_process(config, "--every", "1s")
        deadline = time.monotonic() + 60
        while len(server.requests_to("/en")) < 2:  # two rounds: the second is a 304
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        process.send_signal(stop)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "[round 1] rthk_en: 5 read, 5 new" in out and "[round 2] rthk_en: not modified (HTTP 304)" in out
    assert "stopped after" in out and "Traceback" not in err


def test_bad_every_and_unknown_feed_are_errors(tmp_path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("news:\n  feeds:\n    - {name: rthk_en, kind: rss, url: 'http://127.0.0.1:9/x'}\n")
    assert "not a duration" in one_error_line(run_cli("news", "fetch", "--config", str(config), "--every", "soon"))
    line = one_error_line(run_cli("news", "fetch", "--config", str(config), "--feed", "rthk_eN"))
    assert "--feed rthk_eN: no feed of that name" in line and "did you mean rthk_en?" in line
    config.write_text("news:\n  feeds:\n    - {name: g, kind: gdelt}\n")
    assert "kind gdelt needs a query" in one_error_line(run_cli("news", "fetch", "--config", str(config)))


def _big_feed(count: int) -> bytes:
    items = "".join(
        f"<item><title>Generated fixture item {n}</title><link>https://example.com/big/{n}</link>"
        f"<pubDate>Mon, 17 Feb 2025 {n % 24:02d}:{n % 60:02d}:00 +0800</pubDate></item>" for n in range(count))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>{items}</channel></rss>'.encode()
