"""The XHKG calendar cache: a cached schedule is the library's schedule, a new day or library version
makes a new entry, and a damaged or foreign file is never trusted (nor touched when hkbt did not write it)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from hkbt.news import calendar_cache, sessions
from hkbt.news.calendar_cache import FOLDER, MAGIC, read_schedule, schedule_key, write_schedule
from hkbt.news.sessions import CALENDAR, load_calendar, run_sessions, xhkg_schedule


@pytest.fixture(scope="module")
def built() -> pd.DataFrame:
    """The schedule as ``exchange_calendars`` builds it (open and close only)."""
    import exchange_calendars as xcals

    return xcals.get_calendar(CALENDAR).schedule[["open", "close"]]


@pytest.fixture
def fresh(monkeypatch):
    """A process that has not loaded the calendar yet (load_calendar only acts then)."""
    monkeypatch.setattr(sessions, "_schedule", None)


def _entries(folder: Path) -> list[Path]:
    return sorted((folder / FOLDER).iterdir())


def test_cached_schedule_equals_the_librarys(tmp_path, fresh, built, monkeypatch):
    assert load_calendar(tmp_path) is None  # built and stored
    (entry,) = _entries(tmp_path)
    assert entry.read_bytes().startswith(MAGIC)
    monkeypatch.setattr(sessions, "_schedule", None)
    monkeypatch.setattr(sessions, "_build_schedule", lambda: pytest.fail("a cached calendar was built again"))
    assert load_calendar(tmp_path) is None  # read back
    cached = sessions.xhkg_sessions()
    pd.testing.assert_frame_equal(cached, built, check_freq=False)
    assert str(cached.open.dtype) == "datetime64[ns, UTC]" and cached.index.dtype == "datetime64[ns]"
    # what the run uses: the session labels, the opens that make the cutoff, the half days
    window = xhkg_schedule(date(2024, 12, 20), date(2025, 2, 10))
    pd.testing.assert_frame_equal(window, built.loc["2024-12-20":"2025-02-10"], check_freq=False)
    assert window.loc["2025-01-28", "close"] == pd.Timestamp("2025-01-28 04:00", tz="UTC")  # Lunar New Year's Eve half day
    assert list(run_sessions(date(2025, 1, 27), date(2025, 2, 3)).strftime("%m-%d")) == ["01-27", "01-28", "02-03"]


def test_a_built_schedule_is_the_same_frame_as_a_cached_one(fresh, built):
    pd.testing.assert_frame_equal(sessions.xhkg_sessions(), built, check_freq=False)
    assert sessions.xhkg_sessions().index.freq is None  # as a cached one: nothing downstream may depend on it


def test_key_follows_the_day_and_the_library_version(monkeypatch):
    today = schedule_key(CALENDAR, date(2026, 1, 5))
    assert today == schedule_key(CALENDAR, date(2026, 1, 5))
    assert today != schedule_key(CALENDAR, date(2026, 1, 6))  # the default range moves with the day
    monkeypatch.setattr(calendar_cache.importlib.metadata, "version", lambda name: "0.0-other")
    assert today != schedule_key(CALENDAR, date(2026, 1, 5))


@pytest.mark.parametrize("damage", ["flip", "truncate", "wrong key"])
def test_a_damaged_entry_is_rebuilt_with_a_warning_and_rewritten(tmp_path, fresh, built, damage, monkeypatch):
    load_calendar(tmp_path)
    (entry,) = _entries(tmp_path)
    raw = entry.read_bytes()
    if damage == "flip":
        raw = raw[:-100] + bytes([raw[-100] ^ 1]) + raw[-99:]
    elif damage == "truncate":
        raw = raw[: len(raw) // 2]
    else:  # a valid entry of another day copied over this one
        elsewhere = tmp_path / "elsewhere"
        write_schedule(elsewhere, CALENDAR, schedule_key(CALENDAR, date(2001, 1, 1)), built)
        (raw,) = [p.read_bytes() for p in _entries(elsewhere)]
    entry.write_bytes(raw)
    monkeypatch.setattr(sessions, "_schedule", None)
    note = load_calendar(tmp_path)
    assert "damaged calendar cache entry" in note and "built again" in note
    pd.testing.assert_frame_equal(sessions.xhkg_sessions(), built, check_freq=False)
    assert read_schedule(tmp_path, CALENDAR, schedule_key(CALENDAR))[1] is None  # rewritten whole


def test_entries_that_are_not_a_schedule_are_refused(tmp_path, built):
    key = schedule_key(CALENDAR)
    shuffled = built.iloc[::-1]
    write_schedule(tmp_path, CALENDAR, key, shuffled)
    schedule, note = read_schedule(tmp_path, CALENDAR, key)
    assert schedule is None and "out of order" in note


def test_a_foreign_file_is_left_alone(tmp_path, fresh, built):
    entry = tmp_path / FOLDER / f"{CALENDAR}-{schedule_key(CALENDAR)[:32]}.bin"
    entry.parent.mkdir()
    entry.write_bytes(b"my own notes\n")
    note = load_calendar(tmp_path)
    assert "not a calendar cache entry written by hkbt" in note and "left alone" in note
    assert entry.read_bytes() == b"my own notes\n"
    pd.testing.assert_frame_equal(sessions.xhkg_sessions(), built, check_freq=False)


def test_older_entries_hkbt_wrote_are_removed_and_nothing_else(tmp_path, built):
    old = schedule_key(CALENDAR, date(2020, 1, 1))
    write_schedule(tmp_path, CALENDAR, old, built)
    foreign = tmp_path / FOLDER / f"{CALENDAR}-{'0' * 32}.bin"
    foreign.write_bytes(b"not hkbt's")
    other = tmp_path / FOLDER / "notes.txt"
    other.write_text("keep")
    write_schedule(tmp_path, CALENDAR, schedule_key(CALENDAR), built)
    names = [p.name for p in _entries(tmp_path)]
    assert f"{CALENDAR}-{old[:32]}.bin" not in names
    assert f"{CALENDAR}-{schedule_key(CALENDAR)[:32]}.bin" in names
    assert foreign.read_bytes() == b"not hkbt's" and other.read_text() == "keep"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_folder_that_cannot_be_written_costs_a_warning(tmp_path, fresh, built):
    tmp_path.chmod(0o500)
    try:
        note = load_calendar(tmp_path)
    finally:
        tmp_path.chmod(0o700)
    assert "the calendar is not cached (the run goes on)" in note
    pd.testing.assert_frame_equal(sessions.xhkg_sessions(), built, check_freq=False)


def test_a_cache_path_through_a_file_costs_a_warning(tmp_path, fresh, built):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    note = load_calendar(blocker)
    assert "cannot read this calendar cache entry" in note and "calendar built again" in note
    assert blocker.read_text() == "a file where the cache folder should be"
    pd.testing.assert_frame_equal(sessions.xhkg_sessions(), built, check_freq=False)
