"""Stage 5: align news to Hong Kong exchange sessions — the look-ahead guard.

The rule (``signals.cutoff_before_open_minutes``, default 30): a news item is
*tradable* at the first XHKG session whose ``open - cutoff`` is **strictly
later** than the item's ``published_at``. With the 09:30 HKT open that cutoff
is 09:00, just before the pre-opening auction starts at 09:00.

==========================================  ==============================
published (HKT)                              tradable session
==========================================  ==============================
Mon 08:59                                    Mon (fills at Mon open)
Mon 09:00 (exactly the cutoff)               Tue: not strictly before
Mon 12:30 (lunch break), Mon 16:10          Tue
Fri 20:00, Sat, Sun                          next Mon (or next session)
Mon 27 Jan 2025 18:00 (before Lunar NY)     Tue 28 Jan (a half day)
Tue 28 Jan 2025 14:00 (holiday 29-31 Jan)   Mon 3 Feb 2025
==========================================  ==============================

Session times, lunch breaks, half days and holidays all come from
``exchange_calendars``' XHKG calendar; nothing is hand-coded. The calendar is built
once per process (:func:`xhkg_sessions`), or read from the run's cache folder when
:func:`load_calendar` was given one (:mod:`hkbt.news.calendar_cache`).

Warning — look-ahead: everything downstream (strategy, event studies) must
use ``tradable_session`` and never ``published_at``'s calendar date, which for
after-close news is the *same* day as a session the news could not affect.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from hkbt.errors import DataError

CALENDAR = "XHKG"
HKT = "Asia/Hong_Kong"

_schedule: pd.DataFrame | None = None  # every session of the calendar, once built or read (see xhkg_sessions)


def xhkg_sessions() -> pd.DataFrame:
    """Every session of ``exchange_calendars``' XHKG calendar (its default range), ``open`` and ``close`` in UTC.

    Built once per process (``exchange_calendars`` keeps its calendars for the process
    too), unless :func:`load_calendar` already read it from a cache folder.
    """
    global _schedule
    if _schedule is None:
        _schedule = _build_schedule()
    return _schedule


def _build_schedule() -> pd.DataFrame:
    import exchange_calendars as xcals  # 0.15 s to import and build: a warm run reads the cached table instead

    schedule = xcals.get_calendar(CALENDAR).schedule[["open", "close"]]
    return schedule.set_axis(pd.DatetimeIndex(schedule.index.values))  # no freq, as a cached table has none


def load_calendar(cache_dir: Path | None) -> str | None:
    """Make :func:`xhkg_sessions` read the calendar from ``cache_dir`` (or build and store it there).

    Returns a warning when an entry could not be used or written (the calendar is then
    built, and the run goes on); ``None`` otherwise. Without a folder, or once this
    process has the calendar, it does nothing.
    """
    global _schedule
    if cache_dir is None or _schedule is not None:
        return None
    from hkbt.news.calendar_cache import read_schedule, schedule_key, write_schedule

    key = schedule_key(CALENDAR)
    schedule, note = read_schedule(cache_dir, CALENDAR, key)
    if schedule is None:
        schedule = _build_schedule()
        note = write_schedule(cache_dir, CALENDAR, key, schedule) or note
    _schedule = schedule
    return note


def xhkg_schedule(first: date, last: date) -> pd.DataFrame:
    """XHKG sessions between two dates (clipped to the calendar's range).

    Returns a frame indexed by session label (tz-naive midnight) with tz-aware
    UTC ``open`` and ``close`` columns, e.g. ``2025-01-28``: open 01:30 UTC
    (09:30 HKT), close 04:00 UTC (12:00 HKT, a half day).
    """
    schedule = xhkg_sessions()
    first_session, last_session = schedule.index[0], schedule.index[-1]
    lo = max(pd.Timestamp(first), first_session)
    hi = min(pd.Timestamp(last), last_session)
    if hi < lo:
        raise DataError(
            "calendar",
            f"no XHKG sessions between {first} and {last} (calendar covers {first_session.date()}..{last_session.date()})",
            "choose run dates inside that range",
        )
    return schedule.loc[lo:hi, ["open", "close"]]  # a copy: callers may change it


def run_sessions(start: date, end: date, *, whole_window: bool = True) -> pd.DatetimeIndex:
    """The XHKG session labels in ``[start, end]`` (the backtest's clock).

    With ``whole_window`` (the default) a window reaching outside the
    calendar's range is an error rather than silently cut short;
    ``whole_window=False`` clips (for the warm-up bars before run.start).
    """
    if whole_window:
        covered = xhkg_sessions().index
        first, last = covered[0].date(), covered[-1].date()
        if start < first or end > last:
            key = "run.start" if start < first else "run.end"
            raise DataError(key, f"{start}..{end} reaches outside the XHKG calendar, which covers {first}..{last}",
                            "choose run dates inside that range")
    sessions = xhkg_schedule(start, end).index
    if sessions.empty:
        raise DataError("run", f"no XHKG sessions between {start} and {end}", "widen run.start / run.end")
    return sessions


def assign_tradable_session(news: pd.DataFrame, cutoff_minutes: int = 30) -> pd.DataFrame:
    """Pure: add ``tradable_session`` (session label) and ``cutoff_at`` (UTC).

    The clock is ``available_at`` when the frame has it (news from the store:
    when hkbt could have known the item, see :func:`hkbt.news.store.available_at`),
    else ``published_at``. Items published after the calendar's last session get ``NaT``.

    >>> news = pd.DataFrame({"published_at": [pd.Timestamp("2025-01-28 06:00", tz="UTC")]})
    >>> str(assign_tradable_session(news).tradable_session[0].date())   # 14:00 HKT on a half day
    '2025-02-03'
    """
    out = news.copy()
    if out.empty:
        out["tradable_session"] = pd.Series(dtype="datetime64[ns]")
        out["cutoff_at"] = pd.Series(dtype="datetime64[ns, UTC]")
        return out
    published = pd.DatetimeIndex(out.available_at if "available_at" in out else out.published_at)
    hkt = published.tz_convert(HKT)
    schedule = xhkg_schedule(hkt.min().date() - timedelta(days=1), hkt.max().date() + timedelta(days=45))
    cutoffs = pd.DatetimeIndex(schedule.open) - pd.Timedelta(minutes=cutoff_minutes)
    # first cutoff strictly later than the publication time
    position = np.searchsorted(cutoffs.asi8, published.as_unit(cutoffs.unit).asi8, side="right")
    inside = position < len(cutoffs)
    safe = np.minimum(position, len(cutoffs) - 1)
    out["tradable_session"] = pd.DatetimeIndex(np.where(inside, schedule.index.values[safe], np.datetime64("NaT")))
    out["cutoff_at"] = pd.DatetimeIndex(np.where(inside, cutoffs.tz_convert(None).values[safe], np.datetime64("NaT"))).tz_localize("UTC")
    return out
