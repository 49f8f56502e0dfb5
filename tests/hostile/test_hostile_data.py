"""Hostile news files, price files and score caches: one ``error:`` line, exit 2, previous run intact.

Covers D7 (infinite prices), D8 (year 3025), D9 (JSONL values that are not text), D10 (unreadable
news file or price folder), D11 (a score cache that cannot be written), D12 (cached scores trusted
blindly), D13 (``now``/``today`` as timestamps) and D26 (bars that are not bars, a ``download()``
file for another ticker, a news header with two ``headline`` columns).
"""

from __future__ import annotations

import csv
import errno
import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from hostile_kit import Case, NEWS_CSV, RUN, check, invoke, make_project, run_hostile, snapshot


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_project(tmp_path)


# ----------------------------------------------------------------------------- news


def news_csv(text: str, name: str = "hostile.csv") -> Callable[[Path], list[str]]:
    def prepare(root: Path) -> list[str]:
        (root / name).write_text(text, encoding="utf-8")
        return ["--set", f"news.path={name}"]

    return prepare


def news_bytes(data: bytes) -> Callable[[Path], list[str]]:
    def prepare(root: Path) -> list[str]:
        (root / "hostile.csv").write_bytes(data)
        return ["--set", "news.path=hostile.csv"]

    return prepare


def news_jsonl(*lines: str, name: str = "hostile.jsonl") -> Callable[[Path], list[str]]:
    return news_csv("".join(line + "\n" for line in lines), name)


def replace_in_news(old: str, new: str) -> Callable[[Path], list[str]]:
    assert old in NEWS_CSV, old
    return news_csv(NEWS_CSV.replace(old, new, 1))


GOOD = '{"published_at": "2025-01-27T07:30:00+08:00", "headline": "Alibaba surges on AI model"'


NEWS_CASES = [
    Case("year-3025", "D8", replace_in_news("2025-02-03T08:00:00+08:00", "3025-02-03T08:00:00+08:00"),
         ["hostile.csv:3", "in the year 3025", "years 1900..2200"]),
    Case("year-1677", "D8", replace_in_news("2025-02-03T08:00:00+08:00", "1677-02-03T08:00:00+08:00"), ["hostile.csv:3", "year 1677"]),
    Case("year-99999", "D8", replace_in_news("2025-02-03T08:00:00+08:00", "99999-02-03"), ["hostile.csv:3", "unparsable"]),
    Case("now", "D13", replace_in_news("2025-02-03T08:00:00+08:00", "now"), ["hostile.csv:3", "unparsable published_at 'now'"]),
    Case("today", "D13", replace_in_news("2025-02-03T08:00:00+08:00", "today"), ["hostile.csv:3", "'today'"]),
    Case("tomorrow-ish", "D13", replace_in_news("2025-02-03T08:00:00+08:00", "yesterday"), ["hostile.csv:3", "'yesterday'"]),
    Case("two-digit-year", "D13", replace_in_news("2025-02-03T08:00:00+08:00", "03/02/25"), ["hostile.csv:3", "'03/02/25'"]),
    Case("jsonl-ticker-int", "D9", news_jsonl(GOOD + ', "tickers": [9988]}'),
         ["hostile.jsonl:1", "tickers: expected text or a list of text, got [9988]"]),
    Case("jsonl-ticker-null", "D9", news_jsonl(GOOD + ', "tickers": [null]}'), ["hostile.jsonl:1", "got [null]"]),
    Case("jsonl-ticker-nested", "D9", news_jsonl(GOOD + ', "tickers": [["9988.HK"]]}'), ["hostile.jsonl:1", "tickers"]),
    Case("jsonl-headline-object", "D9", news_jsonl('{"published_at": "2025-01-27", "headline": {"en": "x"}}'),
         ["hostile.jsonl:1", "headline: expected text"]),
    Case("jsonl-headline-bool", "D9", news_jsonl('{"published_at": "2025-01-27", "headline": true}'), ["headline: expected text"]),
    Case("jsonl-deep-nesting", "D9", news_jsonl(GOOD + ', "extra": ' + "[" * 100_000 + "]" * 100_000 + "}"),
         ["hostile.jsonl:1", "nested too deeply"]),
    Case("jsonl-duplicate-key", "D26", news_jsonl(GOOD + ', "headline": "Other"}'), ["hostile.jsonl:1", "'headline' appear more than once"]),
    Case("jsonl-top-level-list", "D9", news_jsonl('["2025-01-27", "x"]'), ["hostile.jsonl:1", "JSON object"]),
    Case("csv-two-headline-columns", "D26", news_csv("published_at,headline,headline\n2025-01-27T07:30:00+08:00,A,B\n"),
         ["hostile.csv:1", "'headline' appear more than once in the header"]),
    Case("csv-two-date-columns", "D26", news_csv("published_at,headline,published_at\n2025-01-27,A,2025-02-01\n"),
         ["'published_at' appear more than once"]),
    Case("csv-not-utf8", "D10", news_bytes(NEWS_CSV.replace("Alibaba", "Caf\xe9").encode("latin-1")),
         ["hostile.csv", "cannot parse CSV", "UTF-8"]),
    Case("csv-binary", "D10", news_bytes(b"\x00\x01\x02\xff" * 1000), ["hostile.csv"]),
    Case("csv-too-many-fields", "D17", news_csv("published_at,headline\n2025-01-27,A\n2025-01-28,B,C,D\n"),
         ["hostile.csv", "cannot parse CSV", "Expected 2 fields in line 3, saw 4"]),
    Case("news-path-is-dev-null", "D10", lambda root: ["--set", "news.path=/dev/null"], ["/dev/null", "not a regular file"]),
    Case("news-path-is-a-fifo", "D10", lambda root: os.mkfifo(root / "n.fifo") or ["--set", "news.path=n.fifo"],
         ["n.fifo", "not a regular file"]),
    Case("headline-with-newline-is-fine-but-empty-is-not", "news",
         replace_in_news("Tencent beats estimates as AI chatbot booms", '" "'), ["hostile.csv:3", "empty headline"]),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c.defect}-{c.id}") for c in NEWS_CASES])
def test_hostile_news(root: Path, case: Case):
    check(run_hostile(root, case.prepare(root)), *case.expect)


@pytest.mark.parametrize(("code", "fragment"), [(errno.EACCES, "Permission denied"), (errno.EIO, "Input/output error")])
def test_d10_unreadable_news_file(root: Path, monkeypatch, code: int, fragment: str):
    """Simulated: the suite runs as root, whom permission bits do not stop."""
    import pandas as pd

    real = pd.read_csv

    def refuse(path, *args, **kwargs):
        if str(path).endswith("news.csv"):
            raise OSError(code, os.strerror(code), str(path))
        return real(path, *args, **kwargs)

    def unreadable(path):
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(pd, "read_csv", refuse)
    monkeypatch.setattr("hkbt.news.load._check_header", lambda path: None)
    monkeypatch.setattr("hkbt.pipeline.file_digest", unreadable)  # the prepared-news cache reads the file first
    check(run_hostile(root, []), "news.csv: cannot read the news file", fragment)


def test_jsonl_keys_hkbt_does_not_read_may_hold_anything(root: Path):
    (root / "extra.jsonl").write_text(GOOD + ', "paywall": true, "meta": {"a": [1, 2]}}\n', encoding="utf-8")
    result = invoke(["run", "--config", str(root / "config.yaml"), "--name", "extra", "--set", "news.path=extra.jsonl"])
    assert result.exit_code == 0, result.stderr


# ----------------------------------------------------------------------------- prices


def edit_price(ticker: str, line: int, column: str, value: str) -> Callable[[Path], list[str]]:
    """Set one cell of ``prices_csv/<ticker>.csv`` (CSV line ``line``, header is line 1)."""

    def prepare(root: Path) -> list[str]:
        path = root / "prices_csv" / f"{ticker.replace('^', '')}.csv"
        rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
        rows[line - 1][[h.lower() for h in rows[0]].index(column)] = value
        with path.open("w", newline="", encoding="utf-8") as stream:
            csv.writer(stream).writerows(rows)
        return []

    return prepare


def price_bytes(ticker: str, data: bytes) -> Callable[[Path], list[str]]:
    def prepare(root: Path) -> list[str]:
        (root / "prices_csv" / f"{ticker}.csv").write_bytes(data)
        return []

    return prepare


def download_layout(ticker_row: str, second: str | None = None) -> Callable[[Path], list[str]]:
    """Rewrite HSI.csv in yfinance download() layout with the given Ticker row value (``second`` in column 2)."""

    def prepare(root: Path) -> list[str]:
        path = root / "prices_csv" / "HSI.csv"
        rows = list(csv.reader(path.open(newline="", encoding="utf-8")))[1:]
        cells = [ticker_row, second or ticker_row, ticker_row, ticker_row, ticker_row]
        lines = ["Price,Close,High,Low,Open,Volume", f"Ticker,{','.join(cells)}", "Date,,,,,"]
        lines += [f"{d},{c},{h},{lo},{o},{v}" for d, o, h, lo, c, v in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return []

    return prepare


LINE = 40  # a row inside the run window (2025-01-24)
PRICE_CASES = [
    Case("close-inf", "D7", edit_price("0700.HK", LINE, "close", "inf"), ["prices_csv/0700.HK.csv:40", "close is infinite"]),
    Case("open-minus-inf", "D7", edit_price("0700.HK", LINE, "open", "-inf"), ["0700.HK.csv:40", "open is infinite"]),
    Case("high-1e400", "D7", edit_price("9988.HK", LINE, "high", "1e400"), ["9988.HK.csv:40", "high is infinite"]),
    Case("volume-inf", "D26", edit_price("1810.HK", LINE, "volume", "inf"), ["1810.HK.csv:40", "volume is infinite"]),
    Case("benchmark-inf", "D7", edit_price("^HSI", LINE, "close", "Infinity"), ["HSI.csv:40", "close is infinite"]),
    Case("high-below-low", "D26", edit_price("0700.HK", LINE, "high", "1"), ["0700.HK.csv:40", "high is below low"]),
    Case("close-above-high", "D26", edit_price("0700.HK", LINE, "close", "100000"), ["0700.HK.csv:40", "high is below the open or close"]),
    Case("open-below-low", "D26", edit_price("9988.HK", LINE, "open", "0.01"), ["9988.HK.csv:40", "low is above the open or close"]),
    Case("close-nan-word", "D7", edit_price("0700.HK", LINE, "close", "nan"), ["0700.HK.csv:40", "close is missing (NaN)"]),
    Case("download-layout-other-ticker", "D26", download_layout("^HSCE"), ["HSI.csv:2", "Ticker row says ^HSCE, not ^HSI"]),
    Case("download-layout-two-tickers", "D26", download_layout("^HSI", second="0700.HK"), ["HSI.csv", "holds several tickers"]),
    Case("price-csv-not-utf8", "D10", price_bytes("0700.HK", b"Date,Open,High,Low,Close,Volume\n\xff\xfe,1,1,1,1,1\n"),
         ["0700.HK.csv"]),
    Case("price-csv-too-many-fields", "D17", price_bytes("0700.HK", b"Date,Open,High,Low,Close,Volume\n2025-01-02,1,1,1,1,1,9,9\n"),
         ["0700.HK.csv:2"]),
    Case("price-file-is-a-folder", "D10",
         lambda root: ((root / "prices_csv" / "0700.HK.csv").unlink(), (root / "prices_csv" / "0700.HK.csv").mkdir()) and [],
         ["0700.HK.csv", "no price file for 0700.HK"]),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c.defect}-{c.id}") for c in PRICE_CASES])
def test_hostile_prices(root: Path, case: Case):
    check(run_hostile(root, case.prepare(root)), *case.expect)


def test_download_layout_with_the_right_ticker_still_loads(root: Path):
    download_layout("^HSI")(root)
    result = invoke(["run", "--config", str(root / "config.yaml"), "--name", "dl"])
    assert result.exit_code == 0, result.stderr


def test_d10_unreadable_price_folder(root: Path, monkeypatch):
    real = Path.is_file

    def refuse(self):
        if self.parent.name == "prices_csv":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "is_file", refuse)
    check(run_hostile(root, []), "prices_csv: cannot read the price folder (Permission denied)")


def test_synthetic_and_real_prices_meet_the_bar_contract(root: Path):
    """The new bar checks (low <= open, close <= high) hold for the simulated market and the real data."""
    from datetime import date

    import pandas as pd

    from hkbt.news.sessions import run_sessions
    from hkbt.prices import check_prices, simulate_prices

    sessions = run_sessions(date(2020, 1, 2), date(2025, 5, 30))
    for ticker, frame in simulate_prices(["9988.HK", "0700.HK", "^HSI"], sessions, 7, "^HSI").items():
        check_prices(frame, ticker)
    from conftest import SHARED_DATA

    if (SHARED_DATA / "prices").is_dir():
        from hkbt.prices import read_price_csv

        for path in sorted((SHARED_DATA / "prices").rglob("*.csv")):
            assert isinstance(read_price_csv(path), pd.DataFrame)


# ----------------------------------------------------------------------------- score cache


def _cache(root: Path) -> Path:
    """The score cache; the prepared-news cache beside it is emptied, so that the next run reads this one."""
    shutil.rmtree(root / "cache" / "prepared-news", ignore_errors=True)
    return root / "cache" / "sentiment.sqlite"


@pytest.mark.parametrize("value", [5.0, -7.5, "abc", float("inf"), b"\x00"], ids=["5.0", "-7.5", "text", "inf", "blob"])
def test_d12_bad_cached_scores_are_never_used(root: Path, value):
    """A cached value outside [-1, 1] or not a number is scored again (and overwritten); metrics unchanged."""
    before = (root / "out" / RUN / "metrics.json").read_bytes()
    with sqlite3.connect(_cache(root)) as connection:
        connection.execute("UPDATE scores SET score = ?", (value,))
    result = invoke(["run", "--config", str(root / "config.yaml"), "--name", RUN])
    assert result.exit_code == 0, result.stderr
    assert (root / "out" / RUN / "metrics.json").read_bytes() == before
    with sqlite3.connect(_cache(root)) as connection:
        scores = [row[0] for row in connection.execute("SELECT score FROM scores")]
    assert scores and all(isinstance(s, float) and np.isfinite(s) and -1 <= s <= 1 for s in scores)


def test_d11_read_only_score_cache(root: Path, monkeypatch):
    """A cache that can be read but not written: one line (simulated with SQLite's read-only mode)."""
    _cache(root).unlink()  # a cold cache, so that the run has scores to write
    with sqlite3.connect(_cache(root)) as connection:
        connection.execute("CREATE TABLE scores (scorer TEXT NOT NULL, version TEXT NOT NULL, text_hash TEXT NOT NULL,"
                           " score REAL NOT NULL, PRIMARY KEY (scorer, version, text_hash))")
    real = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda path, **kw: real(f"file:{path}?mode=ro", uri=True, **kw))
    check(run_hostile(root, []), "cache/sentiment.sqlite: cannot write the sentiment score cache",
          "readonly database", "sentiment.cache_dir: null")


def test_d11_score_cache_folder_removed_while_scoring(root: Path, monkeypatch):
    from hkbt.sentiment import scoring

    _cache(root).unlink()
    real = scoring._score_batches

    def score_then_remove(*args, **kwargs):
        shutil.rmtree(root / "cache")
        return real(*args, **kwargs)

    monkeypatch.setattr(scoring, "_score_batches", score_then_remove)
    check(run_hostile(root, []), "sentiment.sqlite: cannot write the sentiment score cache")


def test_d11_score_cache_that_is_a_folder(root: Path):
    _cache(root).unlink()
    _cache(root).mkdir()
    check(run_hostile(root, []), "sentiment.sqlite: the sentiment score cache is not a regular file")


def test_d11_score_cache_that_is_not_sqlite(root: Path):
    _cache(root).write_bytes(b"not a database" * 100)
    check(run_hostile(root, []), "sentiment.sqlite", "delete the file")


def test_nothing_outside_the_output_folder_changed_either(root: Path):
    """A failing case leaves the news and price inputs as they were too (hkbt only reads them)."""
    inputs = snapshot(root / "prices_csv")
    run_hostile(root, ["--set", "news.path=missing.csv"])
    assert snapshot(root / "prices_csv") == inputs
    assert json.loads((root / "out" / RUN / "metrics.json").read_text(encoding="utf-8"))["run"]["name"] == RUN


# ----------------------------------------------------------------------------- docs: the Reuters archive's US dates


def test_a_us_date_read_in_new_york_never_trades_the_same_hong_kong_morning(tmp_path: Path):
    """README's Reuters command sets news.timezone=America/New_York. A date-only 'Jul 16 2020' may have been
    published at 23:00 New York time (11:00 HKT on the 17th, after that open): read in New York it trades on
    the 20th (the 17th was a Friday), read in Hong Kong it would have traded the open of the 17th."""
    import pandas as pd

    from hkbt.config import NewsColumns
    from hkbt.news.load import load_news
    from hkbt.news.sessions import assign_tradable_session

    path = tmp_path / "reuters.csv"
    path.write_text("Time,Headlines\nJul 16 2020,Alibaba unveils a new chip\n", encoding="utf-8")
    columns = NewsColumns(published_at="Time", headline="Headlines")
    sessions = {}
    for zone in ("America/New_York", "Asia/Hong_Kong"):
        news, _ = load_news(path, columns, zone)
        sessions[zone] = str(assign_tradable_session(news).tradable_session[0].date())
    latest_us_publication = pd.Timestamp("2020-07-16 23:59:59", tz="America/New_York").tz_convert("Asia/Hong_Kong")
    assert latest_us_publication.date().isoformat() == "2020-07-17"  # the next Hong Kong day, 11:59:59
    assert sessions == {"America/New_York": "2020-07-20", "Asia/Hong_Kong": "2020-07-17"}
