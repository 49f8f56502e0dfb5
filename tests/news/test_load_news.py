"""Loading news: columns, time zones, ids, duplicates, errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hkbt.config import NewsColumns
from hkbt.errors import DataError
from hkbt.news.load import NEWS_COLUMNS, build_news, load_news


def write_csv(path, rows, header="published_at,headline,body,source,url,tickers"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_offsets_become_utc_and_naive_times_use_the_configured_zone(tmp_path) -> None:
    path = write_csv(
        tmp_path / "n.csv",
        [
            "2025-01-27T07:30:00+08:00,A,,wire,,",
            "2025-01-27T00:00:00Z,B,,wire,,",
            "2025-01-26T18:00:00-05:00,C,,wire,,",
            "2025-01-27 09:00:00,D,,wire,,",
        ],
    )
    news, report = load_news(path, NewsColumns(), "Asia/Hong_Kong")
    stamps = dict(zip(news.headline, news.published_at.astype(str)))
    assert stamps == {
        "A": "2025-01-26 23:30:00+00:00",
        "B": "2025-01-27 00:00:00+00:00",
        "C": "2025-01-26 23:00:00+00:00",
        "D": "2025-01-27 01:00:00+00:00",
    }
    assert report.naive_timestamps == 1
    assert list(news.columns) == NEWS_COLUMNS
    assert news.published_at.is_monotonic_increasing


def test_duplicates_are_dropped_and_counted(tmp_path) -> None:
    path = write_csv(
        tmp_path / "n.csv",
        [
            "2025-01-27T07:30:00+08:00,Same,,wire,,",
            "2025-01-27T07:30:00+08:00,Same,,wire,,",
            "2025-01-27T07:30:00+08:00,Same,,other,,",  # another source: kept
            "2025-01-28T07:30:00+08:00,X,,wire,https://e.x/1,",
            "2025-01-28T08:30:00+08:00,X again,,wire,https://e.x/1,",  # same url: duplicate
        ],
    )
    news, report = load_news(path, NewsColumns())
    assert len(news) == 3
    assert report.duplicates_dropped == 2 and report.rows_read == 5


def test_news_id_is_stable_and_url_based(tmp_path) -> None:
    rows = ["2025-01-28T07:30:00+08:00,X,,wire,https://e.x/1,", "2025-01-28T07:31:00+08:00,Y,,wire,,"]
    first, _ = load_news(write_csv(tmp_path / "a.csv", rows), NewsColumns())
    second, _ = load_news(write_csv(tmp_path / "b.csv", rows[::-1]), NewsColumns())
    assert list(first.news_id) == list(second.news_id)
    assert first.news_id.str.fullmatch(r"[0-9a-f]{16}").all()


def test_tickers_column_is_split_and_normalised(tmp_path) -> None:
    path = write_csv(tmp_path / "n.csv", ['2025-01-28T07:30:00+08:00,X,,wire,," 9988.hk ;0700.HK;"'])
    news, _ = load_news(path, NewsColumns())
    assert news.tickers[0] == ["9988.HK", "0700.HK"]


def test_column_mapping_reads_a_real_feed_layout(tmp_path) -> None:
    path = write_csv(tmp_path / "n.csv", ["2025-01-28T07:30:00+08:00,Title,Lead,https://e.x/1"], header="published,title,description,link")
    columns = NewsColumns(published_at="published", headline="title", body="description", url="link")
    news, _ = load_news(path, columns)
    assert (news.headline[0], news.body[0], news.url[0], news.source[0]) == ("Title", "Lead", "https://e.x/1", "")


def test_json_lines(tmp_path) -> None:
    path = tmp_path / "n.jsonl"
    path.write_text(
        json.dumps({"published_at": "2025-01-28T07:30:00+08:00", "headline": "A", "tickers": ["9988.HK"]}) + "\n\n"
        + json.dumps({"published_at": "2025-01-28T07:40:00+08:00", "headline": "B", "body": None}) + "\n",
        encoding="utf-8",
    )
    news, _ = load_news(path, NewsColumns())
    assert list(news.headline) == ["A", "B"] and news.tickers[0] == ["9988.HK"]


@pytest.mark.parametrize(
    ("rows", "header", "message"),
    [
        (["2025-01-28T07:30:00+08:00,"], "published_at,headline", ":2: empty headline"),
        (["2025-01-28T07:30:00+08:00,A", "yesterday,B"], "published_at,headline", ":3: unparsable published_at 'yesterday'"),
        (["2025-01-28T07:30:00+08:00,A"], "time,headline", "missing column 'published_at'"),
        (["2025-01-28T07:30:00+08:00,A"], "published_at,title", "news.columns.headline"),
        ([], "published_at,headline", "no news items"),
    ],
)
def test_bad_news_names_file_line_and_fix(tmp_path, rows, header, message) -> None:
    path = write_csv(tmp_path / "bad.csv", rows, header=header)
    with pytest.raises(DataError) as error:
        load_news(path, NewsColumns())
    assert message in str(error.value) and "bad.csv" in str(error.value)


def test_missing_file_and_bad_json(tmp_path) -> None:
    with pytest.raises(DataError, match="news file not found"):
        load_news(tmp_path / "nope.csv", NewsColumns())
    path = tmp_path / "n.jsonl"
    path.write_text('{"published_at": "2025-01-28", "headline": "A"}\n{oops\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"n\.jsonl:2: invalid JSON"):
        load_news(path, NewsColumns())


def test_build_news_is_pure_and_keeps_input_untouched() -> None:
    raw = pd.DataFrame({"published_at": ["2025-01-28T07:30:00+08:00"], "headline": [" padded "]})
    before = raw.copy()
    news, _ = build_news(raw, NewsColumns())
    pd.testing.assert_frame_equal(raw, before)
    assert news.headline[0] == "padded"


def test_real_rthk_feed_loads_with_column_mapping(shared_news) -> None:
    columns = NewsColumns(published_at="published", headline="title", body="description", url="link")
    news, report = load_news(shared_news / "rthk_en_finance_greaterchina_2024-03_2025-04.csv", columns)
    assert report.rows_read == 2096 and len(news) == 2096 and report.naive_timestamps == 0
    assert str(news.published_at.min()) == "2024-03-25 09:37:00+00:00"  # 17:37 HKT


def test_date_only_timestamps_are_read_as_the_end_of_that_day() -> None:
    # "Mar 3 2025" only says the item appeared that day: read as midnight it could trade
    # at that day's open before it existed, so it counts from 23:59:59 local time
    raw = pd.DataFrame({"published_at": ["Mar 3 2025", "2025-03-03", "2025-03-03T10:00:00+08:00"], "headline": ["a", "b", "c"]})
    news, report = build_news(raw, NewsColumns(), "Asia/Hong_Kong")
    stamps = dict(zip(news.headline, news.published_at.astype(str)))
    assert stamps["a"] == stamps["b"] == "2025-03-03 15:59:59+00:00"
    assert stamps["c"] == "2025-03-03 02:00:00+00:00"
    assert (report.date_only_timestamps, report.naive_timestamps) == (2, 2)
    from hkbt.news.sessions import assign_tradable_session

    sessions = assign_tradable_session(news).set_index("headline").tradable_session.astype(str)
    assert sessions["a"] == "2025-03-04" and sessions["c"] == "2025-03-04"
