"""The report's vectorised formatters give exactly the text of the per-value forms they replaced.

Times are formatted by numpy instead of ``strftime``, floats rounded in one call, and the
panels' news found for all tickers at once; each is compared here with the plain
definition, on generated values that include the awkward ones (NaT, before 1970,
fractions of a second, empty columns).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from hkbt.reports.chart_data import compute_news_by_ticker
from hkbt.reports.run_report import clock_texts, date_strings, day_texts, hkt_texts, json_floats

NANOS = st.one_of(st.none(), st.integers(-2_000_000_000 * 10**9, 9_000_000_000 * 10**9))
FORMATS = ["%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M HKT", "%H:%M", "%d.%m.%Y"]


def _index(values: list[int | None], unit: str) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex([pd.NaT if v is None else pd.Timestamp(v, unit="ns") for v in values], dtype="datetime64[ns]")
    return index.as_unit(unit) if unit != "ns" else index


@settings(max_examples=150, deadline=None)
@given(values=st.lists(NANOS, max_size=10), unit=st.sampled_from(["ns", "us", "s"]), fmt=st.sampled_from(FORMATS))
def test_clock_texts_is_strftime(values, unit, fmt):
    index = _index(values, unit)
    expected = [None if stamp is pd.NaT else stamp.strftime(fmt) for stamp in index]
    assert clock_texts(index, fmt).tolist() == expected
    assert clock_texts(index, fmt, "—").tolist() == ["—" if text is None else text for text in expected]


@settings(max_examples=100, deadline=None)
@given(values=st.lists(NANOS, max_size=10))
def test_hkt_and_day_texts_are_strftime(values):
    utc = pd.Series(_index(values, "ns")).dt.tz_localize("UTC")
    assert hkt_texts(utc).tolist() == ["—" if t is pd.NaT else t.tz_convert("Asia/Hong_Kong").strftime("%Y-%m-%d %H:%M HKT") for t in utc]
    assert day_texts(utc.dt.tz_localize(None)).tolist() == ["—" if t is pd.NaT else t.strftime("%Y-%m-%d") for t in utc]
    zoned = utc.dt.tz_convert("Asia/Hong_Kong")  # a zoned column's dates are its own wall-clock dates
    assert day_texts(zoned).tolist() == ["—" if t is pd.NaT else t.strftime("%Y-%m-%d") for t in zoned]
    present = utc.dropna().dt.tz_localize(None)
    assert date_strings(pd.DatetimeIndex(present)) == [t.strftime("%Y-%m-%d") for t in present]


def test_empty_columns_format_to_nothing():
    assert hkt_texts(pd.Series([], dtype="datetime64[ns, UTC]")).tolist() == []
    assert day_texts(pd.Series([], dtype="datetime64[ns]")).tolist() == [] and date_strings(pd.DatetimeIndex([])) == []


@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6)), max_size=12),
       st.integers(0, 4))
def test_json_floats_round_and_blank_what_json_cannot_hold(values, digits):
    expected = [None if not math.isfinite(v) else float(v) for v in np.round(np.asarray(values, dtype=float), digits).tolist()]
    got = json_floats(values, digits)
    assert got == expected and all(type(v) is float for v in got if v is not None)


TICKERS = ["0700.HK", "9988.HK", "1810.HK"]


@settings(max_examples=60, deadline=None)
@given(news_tickers=st.lists(st.lists(st.sampled_from(TICKERS + ["0001.HK"]), max_size=2, unique=True), min_size=0, max_size=12),
       cites=st.lists(st.tuples(st.sampled_from(TICKERS), st.lists(st.integers(0, 14), max_size=4)), max_size=6),
       repeat=st.booleans())
def test_news_by_ticker_is_cited_or_named_news_in_order(news_tickers, cites, repeat):
    """Per ticker: the items its signal rows cite, plus the items naming it, in news order (ids may repeat in a
    hand-edited news.csv, and signals may cite ids news.csv lacks)."""
    ids = [f"n{i % 3 if repeat else i}" for i in range(len(news_tickers))]
    news = pd.DataFrame({"news_id": pd.array(ids, dtype="str"), "tickers": pd.array([";".join(t) for t in news_tickers], dtype="str")})
    signals = pd.DataFrame({"ticker": pd.array([t for t, _ in cites], dtype="str"),
                            "news_ids": pd.array([";".join(f"n{i}" for i in cited) for _, cited in cites], dtype="str")})
    found = compute_news_by_ticker(signals, news, TICKERS)
    for ticker in TICKERS:  # the plain definition, one ticker at a time
        cited = {i for joined in signals[signals.ticker == ticker].news_ids for i in joined.split(";") if i}
        named = (";" + news.tickers + ";").str.contains(f";{ticker};", regex=False)
        expected = news[news.news_id.isin(cited) | named]
        pd.testing.assert_frame_equal(found[ticker], expected)
