"""The run folder's files are written by faster routes that must give pandas' own bytes.

``utc_times_as_text`` formats UTC time columns in one vectorised call instead of letting
``to_csv`` format them value by value; these tests compare the two byte for byte, on
generated columns that include the cases where the shortcut must step aside.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hkbt.backtest.results import utc_times_as_text

SECOND = 10**9
# whole seconds, milliseconds, microseconds and nanoseconds past a whole second
FRACTIONS = st.sampled_from([0, 0, 0, 0, 1, 1_000, 500_000, 123_000_000])
STAMPS = st.one_of(
    st.none(),
    st.tuples(st.integers(-2_200_000_000, 9_000_000_000), FRACTIONS).map(lambda p: p[0] * SECOND + p[1]),
)


def _column(values: list[int | None], unit: str, zone: str | None) -> pd.Series:
    """UTC times from nanoseconds since 1970 (None: NaT), in ``unit`` when that loses nothing, then in ``zone``."""
    stamps = pd.Series(pd.DatetimeIndex([pd.NaT if v is None else pd.Timestamp(v, unit="ns") for v in values]).tz_localize("UTC"))
    if all(v is None or v % 1000 == 0 for v in values):
        stamps = stamps.dt.as_unit(unit)
    return stamps.dt.tz_convert(zone) if zone else stamps


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(STAMPS, min_size=1, max_size=12), unit=st.sampled_from(["ns", "us"]),
       zone=st.sampled_from([None, "Asia/Hong_Kong"]), date_format=st.sampled_from([None, "%Y-%m-%d"]))
def test_utc_times_as_text_writes_what_pandas_writes(values, unit, zone, date_format):
    frame = pd.DataFrame({"headline": ["a, \"quoted\" one"] * len(values), "published_at": _column(values, unit, zone),
                          "n": range(len(values))})
    frame["available_at"] = frame.published_at
    expected = frame.to_csv(index=False, date_format=date_format)
    assert utc_times_as_text(frame, date_format).to_csv(index=False, date_format=date_format) == expected
    assert frame.published_at.dtype.tz is not None  # the caller's frame is untouched


def test_whole_utc_seconds_take_the_vectorised_route():
    """The shortcut is really taken on a news-like column (and skipped where it would change the text)."""
    whole = pd.Series(pd.to_datetime(["2025-02-17 01:30:00", None, "2025-02-18 09:00:05"], utc=True, format="ISO8601"))
    fraction = pd.Series(pd.to_datetime(["2025-02-17 01:30:00.250", "2025-02-18 09:00:05"], utc=True, format="ISO8601"))
    out = utc_times_as_text(pd.DataFrame({"t": whole}))
    assert out.t.tolist()[::2] == ["2025-02-17 01:30:00+00:00", "2025-02-18 09:00:05+00:00"] and pd.isna(out.t[1])
    assert utc_times_as_text(pd.DataFrame({"t": whole}), "%Y-%m-%d").t.tolist()[2] == "2025-02-18"
    assert isinstance(utc_times_as_text(pd.DataFrame({"t": fraction})).t.dtype, pd.DatetimeTZDtype)
    assert isinstance(utc_times_as_text(pd.DataFrame({"t": whole.dt.tz_convert("Asia/Hong_Kong")})).t.dtype, pd.DatetimeTZDtype)
