"""The cutoff rule that keeps news from trading before it was published."""

from __future__ import annotations

import pandas as pd
import pytest

from hkbt.news.sessions import assign_tradable_session, run_sessions, xhkg_schedule
from hkbt.news.signals import SignalRules, build_signals


def tradable(stamp_hkt: str, cutoff: int = 30) -> str:
    news = pd.DataFrame({"published_at": [pd.Timestamp(stamp_hkt, tz="Asia/Hong_Kong").tz_convert("UTC")]})
    return str(assign_tradable_session(news, cutoff).tradable_session[0].date())


@pytest.mark.parametrize(
    ("published", "session"),
    [
        ("2025-03-03 08:59:59", "2025-03-03"),  # Monday, before the 09:00 cutoff
        ("2025-03-03 09:00:00", "2025-03-04"),  # exactly at the cutoff: not strictly before
        ("2025-03-03 09:15:00", "2025-03-04"),  # pre-opening auction
        ("2025-03-03 10:30:00", "2025-03-04"),  # morning session
        ("2025-03-03 12:30:00", "2025-03-04"),  # lunch break
        ("2025-03-03 16:00:00", "2025-03-04"),  # at the close
        ("2025-03-03 16:10:00", "2025-03-04"),  # after the close
        ("2025-03-07 20:00:00", "2025-03-10"),  # Friday evening -> Monday
        ("2025-03-08 11:00:00", "2025-03-10"),  # Saturday
        ("2025-03-09 23:59:00", "2025-03-10"),  # Sunday night
        ("2025-01-27 18:00:00", "2025-01-28"),  # eve of Lunar New Year -> the half day
        ("2025-01-28 08:30:00", "2025-01-28"),  # before the half day's cutoff
        ("2025-01-28 12:10:00", "2025-02-03"),  # after the half day closed at noon
        ("2025-01-29 10:00:00", "2025-02-03"),  # Lunar New Year holiday (29-31 Jan)
        ("2025-01-31 23:00:00", "2025-02-03"),
        ("2024-12-24 17:00:00", "2024-12-27"),  # Christmas and Boxing Day closed
        ("2024-03-29 09:00:00", "2024-04-02"),  # Good Friday, Easter Monday closed
    ],
)
def test_cutoff_rule(published: str, session: str) -> None:
    assert tradable(published) == session


def test_cutoff_minutes_is_configurable() -> None:
    assert tradable("2025-03-03 09:10:00", cutoff=0) == "2025-03-03"
    assert tradable("2025-03-03 09:30:00", cutoff=0) == "2025-03-04"
    assert tradable("2025-03-03 08:00:00", cutoff=120) == "2025-03-04"


def test_offsets_other_than_hkt_are_respected() -> None:
    # 20:30 New York (EST) on Sunday 2 March = 09:30 HKT Monday: too late for Monday
    news = pd.DataFrame({"published_at": [pd.Timestamp("2025-03-02 20:30", tz="America/New_York").tz_convert("UTC")]})
    assert str(assign_tradable_session(news).tradable_session[0].date()) == "2025-03-04"


def test_cutoff_at_is_open_minus_cutoff_in_utc() -> None:
    news = pd.DataFrame({"published_at": [pd.Timestamp("2025-01-27 20:00", tz="UTC")]})
    out = assign_tradable_session(news)
    assert out.cutoff_at[0] == pd.Timestamp("2025-01-28 01:00", tz="UTC")  # 09:00 HKT


def test_half_days_come_from_the_calendar() -> None:
    schedule = xhkg_schedule(pd.Timestamp("2024-12-23").date(), pd.Timestamp("2024-12-31").date())
    closes = schedule.close.dt.tz_convert("Asia/Hong_Kong").dt.strftime("%H:%M")
    assert closes.loc["2024-12-24"] == "12:00"
    assert closes.loc["2024-12-23"] == "16:00"
    assert "2024-12-25" not in schedule.index.strftime("%Y-%m-%d")


def test_run_sessions_skip_holidays() -> None:
    sessions = run_sessions(pd.Timestamp("2025-01-27").date(), pd.Timestamp("2025-02-04").date())
    assert [d.strftime("%m-%d") for d in sessions] == ["01-27", "01-28", "02-03", "02-04"]


def _news(rows):
    frame = pd.DataFrame(rows, columns=["news_id", "published_at", "tickers", "topics", "score"])
    frame["published_at"] = pd.to_datetime(frame.published_at, utc=True)
    frame["outside_universe"] = False
    frame["themes"] = [[] for _ in range(len(frame))]
    frame["scope"] = ["company" if t else "market" for t in frame.tickers]
    frame["headline"] = frame.news_id
    return assign_tradable_session(frame)


def test_build_signals_aggregates_per_session_and_ticker() -> None:
    news = _news(
        [
            ("a", "2025-03-02T10:00:00+08:00", ["9988.HK"], ["ai"], 0.8),
            ("b", "2025-03-03T07:00:00+08:00", ["9988.HK", "0700.HK"], ["policy"], 0.4),
            ("c", "2025-03-03T11:00:00+08:00", ["9988.HK"], [], -0.5),   # next session
            ("d", "2025-03-03T07:30:00+08:00", ["2800.HK"], ["ai"], 0.9),  # outside the universe
        ]
    )
    sessions = run_sessions(pd.Timestamp("2025-03-01").date(), pd.Timestamp("2025-03-10").date())
    signals = build_signals(news, sessions, SignalRules(universe=("9988.HK", "0700.HK"))).set_index(["session", "ticker"])
    alibaba = signals.loc[(pd.Timestamp("2025-03-03"), "9988.HK")]
    assert alibaba.score_mean == pytest.approx(0.6)
    assert (alibaba.score_max, alibaba.score_min, alibaba.news_count) == (0.8, 0.4, 2)
    assert alibaba.topics == "ai;policy"
    assert alibaba.news_ids == "a;b"  # publication order
    assert signals.loc[(pd.Timestamp("2025-03-04"), "9988.HK")].news_ids == "c"
    assert len(signals) == 3


def test_market_wide_policy_applies_to_every_ticker() -> None:
    news = _news(
        [
            ("p", "2025-03-03T07:00:00+08:00", [], ["policy"], 0.7),
            ("q", "2025-03-03T07:00:00+08:00", [], ["ai"], 0.9),  # no company, not policy: ignored
        ]
    )
    sessions = run_sessions(pd.Timestamp("2025-03-01").date(), pd.Timestamp("2025-03-10").date())
    on = build_signals(news, sessions, SignalRules(universe=("9988.HK", "0700.HK"), market_wide_policy=True))
    assert sorted(on.ticker) == ["0700.HK", "9988.HK"]
    assert on.market_wide.all() and (on.news_ids == "p").all()
    off = build_signals(news, sessions, SignalRules(universe=("9988.HK", "0700.HK"), market_wide_policy=False))
    assert off.empty


def test_news_tradable_outside_the_window_is_dropped() -> None:
    news = _news([("a", "2025-02-28T07:00:00+08:00", ["9988.HK"], ["ai"], 0.8)])
    sessions = run_sessions(pd.Timestamp("2025-03-01").date(), pd.Timestamp("2025-03-10").date())
    assert build_signals(news, sessions, SignalRules(universe=("9988.HK",))).empty
