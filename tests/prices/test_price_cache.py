"""The price-file cache: a cached frame is the parsed file's frame, a changed file makes a new entry, a damaged or
foreign entry is never trusted (nor touched when hkbt did not write it), and a bad file fails as it does uncached."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from hkbt.errors import DataError
from hkbt.prices import price_cache
from hkbt.prices.csv_files import load_csv_prices, read_price_csv
from hkbt.prices.price_cache import FOLDER, MAGIC, read_price_csv_cached
from hkbt.table_cache import write_entry

LAYOUTS = ["0700.HK.csv", "HSI.csv", "alt/HSI_1986-12-31_2024-08-05.csv"]  # yfinance history, download(), classic Yahoo


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / FOLDER).glob("*.bin"))


def _refuse_parsing(monkeypatch):
    monkeypatch.setattr(price_cache, "read_price_csv", lambda *a, **k: pytest.fail("a cached file was parsed again"))


@pytest.mark.parametrize("name", LAYOUTS)
def test_a_cached_file_gives_the_parsed_frame(shared_prices, tmp_path, monkeypatch, name):
    path, notes = shared_prices / name, []
    expected = read_price_csv(path, "^HSI" if "HSI" in name else "0700.HK")
    ticker = "^HSI" if "HSI" in name else "0700.HK"
    cold = read_price_csv_cached(path, ticker, tmp_path, notes.append)
    _refuse_parsing(monkeypatch)
    warm = read_price_csv_cached(path, ticker, tmp_path, notes.append)
    for frame in (cold, warm):
        pd.testing.assert_frame_equal(frame, expected, check_exact=True, check_freq=True)
        assert frame.index.name == "date" and list(frame.columns) == list(expected.columns)
    assert notes == [] and len(_entries(tmp_path)) == 1 and _entries(tmp_path)[0].read_bytes().startswith(MAGIC)


def test_load_csv_prices_with_a_cache_equals_without(shared_prices, tmp_path, monkeypatch):
    tickers = ["9988.HK", "0700.HK", "^HSI"]
    plain = load_csv_prices(shared_prices, tickers, date(2022, 1, 3), date(2024, 12, 31))
    load_csv_prices(shared_prices, tickers, date(2022, 1, 3), date(2024, 12, 31), cache_dir=tmp_path)
    _refuse_parsing(monkeypatch)
    cached = load_csv_prices(shared_prices, tickers, date(2022, 1, 3), date(2024, 12, 31), cache_dir=tmp_path)
    for ticker in tickers:
        pd.testing.assert_frame_equal(cached[ticker], plain[ticker], check_exact=True, check_freq=True)


def test_a_changed_file_is_read_again_and_its_old_entry_removed(shared_prices, tmp_path):
    path = tmp_path / "0700.HK.csv"
    shutil.copy(shared_prices / "0700.HK.csv", path)
    read_price_csv_cached(path, "0700.HK", tmp_path / "cache", print)
    (old,) = _entries(tmp_path / "cache")
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))  # the last bar removed
    frame = read_price_csv_cached(path, "0700.HK", tmp_path / "cache", print)
    pd.testing.assert_frame_equal(frame, read_price_csv(path, "0700.HK"))
    (new,) = _entries(tmp_path / "cache")
    assert new != old


@pytest.mark.parametrize("damage", ["flip", "truncate", "bad bar"])
def test_a_damaged_entry_is_read_again_with_a_warning_and_rewritten(shared_prices, tmp_path, damage):
    path, notes = shared_prices / "0700.HK.csv", []
    expected = read_price_csv_cached(path, "0700.HK", tmp_path, notes.append)
    (entry,) = _entries(tmp_path)
    raw = entry.read_bytes()
    if damage == "flip":
        entry.write_bytes(raw[:-100] + bytes([raw[-100] ^ 1]) + raw[-99:])
    elif damage == "truncate":
        entry.write_bytes(raw[: len(raw) // 2])
    else:  # a well-formed entry whose bars are not bars: trusted by nothing but its checks
        columns = price_cache._columns(expected)
        columns["low"] = columns["high"] * 2
        entry.unlink()
        write_entry(entry, MAGIC, price_cache.price_key(price_cache.file_digest(path), "0700.HK"), columns, "price")
    frame = read_price_csv_cached(path, "0700.HK", tmp_path, notes.append)
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)
    assert len(notes) == 1 and "damaged price cache entry" in notes[0] and "the entry rewritten" in notes[0]
    assert read_price_csv_cached(path, "0700.HK", tmp_path, notes.append) is not None and len(notes) == 1  # fixed


def test_a_foreign_file_at_an_entry_is_left_alone(shared_prices, tmp_path):
    path, notes = shared_prices / "0700.HK.csv", []
    read_price_csv_cached(path, "0700.HK", tmp_path, notes.append)
    (entry,) = _entries(tmp_path)
    entry.write_bytes(b"my own file")
    other = tmp_path / FOLDER / f"{entry.name.split('-')[0]}-{'0' * 32}.bin"
    other.write_bytes(b"mine too")
    frame = read_price_csv_cached(path, "0700.HK", tmp_path, notes.append)
    pd.testing.assert_frame_equal(frame, read_price_csv(path, "0700.HK"))
    assert "not a price cache entry written by hkbt" in notes[0] and "left alone" in notes[0]
    assert entry.read_bytes() == b"my own file" and other.read_bytes() == b"mine too"


def test_a_bad_file_fails_as_it_does_without_a_cache_and_is_not_cached(tmp_path):
    path = tmp_path / "9988.HK.csv"
    path.write_text("Date,Open,High,Low,Close,Volume\n2024-01-02,10,11,9,10.5,100\n2024-01-03,10,11,9,nan,100\n")
    with pytest.raises(DataError) as plain:
        read_price_csv(path, "9988.HK")
    with pytest.raises(DataError) as cached:
        read_price_csv_cached(path, "9988.HK", tmp_path / "cache", print)
    assert str(cached.value) == str(plain.value)
    assert not (tmp_path / "cache" / FOLDER).exists() or _entries(tmp_path / "cache") == []


def test_a_cache_folder_that_cannot_be_written_costs_a_warning(shared_prices, tmp_path):
    blocker, notes = tmp_path / "cache", []
    blocker.write_text("a file where the cache folder should be")
    frame = read_price_csv_cached(shared_prices / "0700.HK.csv", "0700.HK", blocker, notes.append)
    pd.testing.assert_frame_equal(frame, read_price_csv(shared_prices / "0700.HK.csv", "0700.HK"))
    assert notes and all("price" in note for note in notes)
    assert blocker.read_text() == "a file where the cache folder should be"


def test_the_key_follows_the_bytes_the_ticker_and_the_code(monkeypatch):
    key = price_cache.price_key("a" * 64, "0700.HK")
    assert key == price_cache.price_key("a" * 64, "0700.HK")
    assert key != price_cache.price_key("b" * 64, "0700.HK")
    assert key != price_cache.price_key("a" * 64, "9988.HK")
    monkeypatch.setattr(price_cache, "code_digest", lambda: "other code")
    assert key != price_cache.price_key("a" * 64, "0700.HK")
