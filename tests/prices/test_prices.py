"""Tests for hkbt.prices: CSV layouts, validation, the cached yfinance adapter, simulation, alignment.

No test touches the network: yfinance is replaced by :class:`fakes_yfinance.FakeDownload`, which
answers from the real CSVs in ``../shared/data/prices`` in yfinance 1.x's exact output shape.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest
from fakes_yfinance import FakeDownload, download_frame_from_csv, empty_download

from hkbt.errors import DataError
from hkbt.prices import (
    PRICE_COLUMNS,
    align_to_sessions,
    check_prices,
    fetch_yfinance_prices,
    load_csv_prices,
    read_price_csv,
    simulate_prices,
    ticker_filename,
)

ALT_HSI = Path("alt") / "HSI_1986-12-31_2024-08-05.csv"


def xhkg_sessions(start: str, end: str) -> pd.DatetimeIndex:
    return xcals.get_calendar("XHKG").sessions_in_range(start, end)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def assert_price_frame(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == list(PRICE_COLUMNS)
    assert (frame.dtypes == "float64").all()
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert frame.index.name == "date"
    assert frame.index.tz is None
    assert (frame.index == frame.index.normalize()).all()
    assert frame.index.is_monotonic_increasing and frame.index.is_unique


# --------------------------------------------------------------------------------------------------
class TestRealLayouts:
    def test_layout_a_history_csv(self, shared_prices):
        frame = read_price_csv(shared_prices / "0700.HK.csv")
        assert_price_frame(frame)
        assert len(frame) == 1363
        assert frame.index[0] == pd.Timestamp("2020-01-02")  # the +08:00 wall date, not 2020-01-01 UTC
        assert frame.index[-1] == pd.Timestamp("2025-07-18")
        assert frame.loc["2020-01-02", "close"] == pytest.approx(340.29022216796875)
        assert frame.loc["2020-01-02", "volume"] == 15176989

    def test_layout_a_keeps_zero_volume_half_days(self, shared_prices):
        frame = read_price_csv(shared_prices / "0700.HK.csv")
        for day in ("2024-12-24", "2025-01-28"):
            assert frame.loc[day, "volume"] == 0
            assert frame.loc[day, "close"] > 0
        assert (frame["volume"] == 0).sum() == 7  # as listed in SOURCES.md

    def test_layout_b_download_csv_known_closes(self, shared_prices):
        frame = read_price_csv(shared_prices / "HSI.csv")
        assert_price_frame(frame)
        assert len(frame) == 1226
        assert frame.index[0] == pd.Timestamp("2021-06-24")
        for day, close in [("2022-10-31", 14687.02), ("2024-09-24", 19000.56), ("2025-01-27", 20197.77),
                           ("2025-02-21", 23477.92), ("2025-04-07", 19828.30)]:
            assert frame.loc[day, "close"] == pytest.approx(close, abs=0.01), day

    def test_layout_b_close_first_columns_map_to_names(self, shared_prices):
        # raw line: 2024-09-24,19000.560546875,19002.05078125,18532.279296875,18573.919921875,6008400000
        row = read_price_csv(shared_prices / "HSI.csv").loc["2024-09-24"]
        assert row["close"] == 19000.560546875
        assert row["high"] == 19002.05078125
        assert row["low"] == 18532.279296875
        assert row["open"] == 18573.919921875
        assert row["volume"] == 6008400000

    def test_layout_c_classic_yahoo(self, shared_prices):
        frame = read_price_csv(shared_prices / ALT_HSI)
        assert_price_frame(frame)
        assert len(frame) == 9280
        assert frame.index[0] == pd.Timestamp("1986-12-31")
        assert frame.loc["2024-08-02", "close"] == pytest.approx(16945.509765625)
        assert (frame["volume"] == 0).sum() == 3603

    def test_layout_b_and_c_agree_on_common_days(self, shared_prices):
        new = read_price_csv(shared_prices / "HSI.csv")["close"]
        old = read_price_csv(shared_prices / ALT_HSI)["close"]
        common = new.index.intersection(old.index)
        assert len(common) == 766
        diff = (new[common] / old[common] - 1).abs()
        assert diff.median() == 0
        assert diff.max() < 0.01

    def test_every_shared_file_loads(self, shared_prices):
        files = sorted(shared_prices.rglob("*.csv"))
        assert len(files) == 11
        for path in files:
            assert_price_frame(read_price_csv(path))


# --------------------------------------------------------------------------------------------------
class TestReadOptions:
    def test_adj_close_scales_open_high_low_close(self, tmp_path):
        path = write(tmp_path / "X.csv", "Date,Open,High,Low,Close,Adj Close,Volume\n"
                                         "2024-01-02,10,12,9,11,5.5,100\n"
                                         "2024-01-03,11,11,10,10,10,200\n")
        frame = read_price_csv(path)
        assert frame.loc["2024-01-02"].tolist() == [5.0, 6.0, 4.5, 5.5, 100.0]  # factor 0.5; volume as is
        assert frame.loc["2024-01-03"].tolist() == [11.0, 11.0, 10.0, 10.0, 200.0]  # factor 1

    def test_plain_layout_any_case_unsorted_and_blank_lines(self, tmp_path):
        path = write(tmp_path / "X.csv", "date,OPEN,high,Low,close,VOLUME\n"
                                         "2024-01-03,2,2,2,2,0\n"
                                         "\n"
                                         "2024-01-02,1,1,1,1,5\n")
        frame = read_price_csv(path)
        assert_price_frame(frame)
        assert list(frame.index.strftime("%Y-%m-%d")) == ["2024-01-02", "2024-01-03"]
        assert frame["close"].tolist() == [1.0, 2.0]

    def test_utc_offsets_keep_the_local_wall_date(self, tmp_path):
        path = write(tmp_path / "X.csv", "Date,Open,High,Low,Close,Volume\n"
                                         "2024-01-02 00:00:00+08:00,1,1,1,1,1\n"
                                         "2024-01-03 00:00:00-05:00,1,1,1,1,1\n"
                                         "2024-01-04T00:00:00Z,1,1,1,1,1\n")
        assert list(read_price_csv(path).index.strftime("%Y-%m-%d")) == ["2024-01-02", "2024-01-03", "2024-01-04"]

    def test_reads_back_a_yfinance_download_to_csv(self, shared_prices, tmp_path):
        frame = download_frame_from_csv(shared_prices / "0700.HK.csv", "0700.HK")
        frame.to_csv(tmp_path / "0700.HK.csv")  # the layout-B file yfinance users save
        assert (tmp_path / "0700.HK.csv").read_text().startswith("Price,Close,High,Low,Open,Volume\nTicker,0700.HK")
        again = read_price_csv(tmp_path / "0700.HK.csv")
        pd.testing.assert_frame_equal(again, read_price_csv(shared_prices / "0700.HK.csv"))


# --------------------------------------------------------------------------------------------------
HEADER = "Date,Open,High,Low,Close,Volume\n"


class TestReadErrors:
    def read_error(self, path: Path) -> DataError:
        with pytest.raises(DataError) as caught:
            read_price_csv(path)
        return caught.value

    def test_empty_file(self, tmp_path):
        error = self.read_error(write(tmp_path / "X.csv", ""))
        assert error.where == str(tmp_path / "X.csv")
        assert "empty" in error.what

    def test_header_only(self, tmp_path):
        error = self.read_error(write(tmp_path / "X.csv", HEADER))
        assert error.where.endswith("X.csv")
        assert "no data rows" in error.what

    def test_missing_close_column(self, tmp_path):
        error = self.read_error(write(tmp_path / "X.csv", "Date,Open,High,Low,Volume\n2024-01-02,1,1,1,1\n"))
        assert error.where.endswith("X.csv")
        assert "missing column(s) close" in error.what
        assert "Close" in error.fix

    def test_nan_close_names_the_line(self, tmp_path):
        error = self.read_error(write(tmp_path / "X.csv", HEADER + "2024-01-02,1,1,1,1,1\n2024-01-03,1,1,1,,1\n"))
        assert error.where == f"{tmp_path / 'X.csv'}:3"
        assert error.what == "close is missing (NaN)"
        assert "drop or fill" in error.fix

    def test_nan_counts_every_bad_row(self, tmp_path):
        error = self.read_error(write(tmp_path / "X.csv", HEADER + "2024-01-02,1,1,1,nan,1\n2024-01-03,1,1,1,,1\n"))
        assert error.where.endswith("X.csv:2")
        assert "2 rows like this" in error.what

    def test_unparsable_date(self, tmp_path):
        error = self.read_error(write(tmp_path / "X.csv", HEADER + "2024-01-02,1,1,1,1,1\n02/01/2024?,1,1,1,1,1\n"))
        assert error.where.endswith("X.csv:3")
        assert "cannot read date '02/01/2024?'" in error.what
        assert "YYYY-MM-DD" in error.fix

    def test_negative_price(self, tmp_path):
        error = self.read_error(write(tmp_path / "X.csv", HEADER + "2024-01-02,-1,1,1,1,1\n"))
        assert error.where.endswith("X.csv:2")
        assert error.what == "open is not positive (-1)"

    def test_non_numeric_price(self, tmp_path):
        error = self.read_error(write(tmp_path / "X.csv", HEADER + "2024-01-02,1,1,1,abc,1\n"))
        assert error.where.endswith("X.csv:2")
        assert "close is not a number ('abc')" == error.what

    def test_duplicate_date(self, tmp_path):
        text = HEADER + "2024-01-02,1,1,1,1,1\n2024-01-03,1,1,1,1,1\n2024-01-02 00:00:00+08:00,1,1,1,1,1\n"
        error = self.read_error(write(tmp_path / "X.csv", text))
        assert error.where.endswith("X.csv:4")
        assert error.what == "date 2024-01-02 also appears on line 2"

    def test_negative_volume_is_an_error_zero_is_not(self, tmp_path):
        error = self.read_error(write(tmp_path / "X.csv", HEADER + "2024-01-02,1,1,1,1,0\n2024-01-03,1,1,1,1,-5\n"))
        assert error.where.endswith("X.csv:3")
        assert "volume is negative" in error.what

    def test_layout_b_with_two_tickers(self, tmp_path):
        text = "Price,Close,Close\nTicker,^HSI,0700.HK\nDate,,\n2024-01-02,1,1\n"
        error = self.read_error(write(tmp_path / "X.csv", text))
        assert "several tickers (0700.HK, ^HSI)" in error.what


# --------------------------------------------------------------------------------------------------
class TestCsvFolder:
    @pytest.mark.parametrize("ticker, name", [("^HSI", "HSI.csv"), ("9988.HK", "9988.HK.csv"), ("HKD=X", "HKD=X.csv")])
    def test_ticker_filename(self, ticker, name):
        assert ticker_filename(ticker) == name

    @pytest.mark.parametrize("ticker", ["../etc/passwd", "..", "a/b", "a\\b", "", "9988.HK ", "^", "x..y"])
    def test_ticker_filename_rejects_paths(self, ticker):
        with pytest.raises(DataError) as caught:
            ticker_filename(ticker)
        assert "not a valid ticker" in caught.value.what

    def test_load_slices_inclusive_range(self, shared_prices):
        frames = load_csv_prices(shared_prices, ["0700.HK", "^HSI"], date(2025, 1, 27), date(2025, 4, 7))
        assert list(frames) == ["0700.HK", "^HSI"]
        for frame in frames.values():
            assert frame.index[0] == pd.Timestamp("2025-01-27")
            assert frame.index[-1] == pd.Timestamp("2025-04-07")
        assert frames["^HSI"].loc["2025-04-07", "close"] == pytest.approx(19828.30, abs=0.01)

    def test_missing_file_suggests_a_close_name(self, shared_prices):
        with pytest.raises(DataError) as caught:
            load_csv_prices(shared_prices, ["0700.hk"], date(2024, 1, 1), date(2024, 12, 31))
        error = caught.value
        assert error.where == str(shared_prices / "0700.hk.csv")
        assert "did you mean 0700.HK.csv?" in error.what
        assert error.fix == "put 0700.hk.csv there or use prices.source=yfinance"

    def test_missing_folder(self, tmp_path):
        with pytest.raises(DataError) as caught:
            load_csv_prices(tmp_path / "nope", ["0700.HK"], date(2024, 1, 1), date(2024, 12, 31))
        assert caught.value.where == str(tmp_path / "nope")
        assert "prices.source=yfinance" in caught.value.fix

    def test_bad_ticker_is_refused_before_touching_files(self, shared_prices):
        with pytest.raises(DataError, match="not a valid ticker"):
            load_csv_prices(shared_prices, ["../HSI"], date(2024, 1, 1), date(2024, 12, 31))

    def test_no_rows_in_range_names_the_file_range(self, shared_prices):
        with pytest.raises(DataError) as caught:
            load_csv_prices(shared_prices, ["0700.HK"], date(2019, 1, 1), date(2019, 12, 31))
        error = caught.value
        assert error.where == "prices: 0700.HK"
        assert "no rows between 2019-01-01 and 2019-12-31" in error.what
        assert "covers 2020-01-02 .. 2025-07-18" in error.what


# --------------------------------------------------------------------------------------------------
class TestCheckPrices:
    def frame(self) -> pd.DataFrame:
        index = pd.DatetimeIndex(["2024-01-02", "2024-01-03"], name="date")
        return pd.DataFrame({c: [1.0, 2.0] for c in PRICE_COLUMNS}, index=index)

    def test_good_frame_passes(self):
        check_prices(self.frame(), "prices: X")

    def test_nan_names_the_date(self):
        frame = self.frame()
        frame.loc["2024-01-03", "close"] = np.nan
        with pytest.raises(DataError) as caught:
            check_prices(frame, "prices: X")
        assert str(caught.value).startswith("prices: X: 2024-01-03: close is missing (NaN) -> drop or fill")

    def test_missing_column_and_empty(self):
        with pytest.raises(DataError, match="missing column.s. volume"):
            check_prices(self.frame().drop(columns="volume"), "prices: X")
        with pytest.raises(DataError, match="no price rows"):
            check_prices(self.frame().iloc[:0], "prices: X")

    def test_zero_price(self):
        frame = self.frame()
        frame.loc["2024-01-02", "low"] = 0.0
        with pytest.raises(DataError, match="2024-01-02: low is not positive"):
            check_prices(frame, "prices: X")


# --------------------------------------------------------------------------------------------------
@pytest.fixture
def fake(shared_prices) -> FakeDownload:
    """yfinance stand-in serving the real 0700.HK, 9888.HK (listed 2021-03-23) and ^HSI bars."""
    return FakeDownload({
        "0700.HK": download_frame_from_csv(shared_prices / "0700.HK.csv", "0700.HK"),
        "9888.HK": download_frame_from_csv(shared_prices / "9888.HK.csv", "9888.HK"),
        "^HSI": download_frame_from_csv(shared_prices / "HSI.csv", "^HSI"),
    })


class TestYfinance:
    def test_fake_has_the_real_shape(self, fake):
        frame = fake.frames["^HSI"]
        assert frame.columns.names == ["Price", "Ticker"]
        assert frame.columns[0] == ("Close", "^HSI")
        assert frame.index.name == "Date" and frame.index.tz is None

    def test_download_arguments_and_result(self, fake, shared_prices, tmp_path):
        frames = fetch_yfinance_prices(["^HSI", "0700.HK"], date(2025, 1, 2), date(2025, 4, 7), tmp_path, download=fake)
        assert fake.starts_ends() == [("^HSI", "2025-01-02", "2025-04-08"), ("0700.HK", "2025-01-02", "2025-04-08")]
        call = fake.calls[0]
        assert (call["interval"], call["auto_adjust"], call["progress"], call["threads"]) == ("1d", True, False, False)
        hsi = frames["^HSI"]
        assert_price_frame(hsi)
        assert hsi.index[0] == pd.Timestamp("2025-01-02") and hsi.index[-1] == pd.Timestamp("2025-04-07")
        assert hsi.loc["2025-01-27", "close"] == pytest.approx(20197.77, abs=0.01)
        assert hsi.loc["2025-01-27", "open"] == pytest.approx(20118.02, abs=0.01)  # not the Close-first column
        expected = load_csv_prices(shared_prices, ["0700.HK"], date(2025, 1, 2), date(2025, 4, 7))["0700.HK"]
        pd.testing.assert_frame_equal(frames["0700.HK"], expected)

    def test_cache_file_is_readable_csv_and_no_temp_files(self, fake, tmp_path):
        frames = fetch_yfinance_prices(["^HSI"], date(2025, 1, 2), date(2025, 4, 7), tmp_path, download=fake)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["HSI.csv"]
        assert (tmp_path / "HSI.csv").read_text().startswith("Date,Open,High,Low,Close,Volume\n2025-01-02,")
        pd.testing.assert_frame_equal(read_price_csv(tmp_path / "HSI.csv"), frames["^HSI"])

    def test_second_call_uses_the_cache(self, fake, tmp_path):
        first = fetch_yfinance_prices(["^HSI"], date(2025, 1, 2), date(2025, 4, 7), tmp_path, download=fake)
        fake.error = AssertionError("must not download")
        again = fetch_yfinance_prices(["^HSI"], date(2025, 1, 2), date(2025, 4, 7), tmp_path, download=fake)
        pd.testing.assert_frame_equal(first["^HSI"], again["^HSI"])
        # a sub-range, and a range whose ends are holidays/weekends (nothing to demand there)
        fetch_yfinance_prices(["^HSI"], date(2025, 1, 1), date(2025, 4, 6), tmp_path, download=fake)
        fetch_yfinance_prices(["^HSI"], date(2025, 2, 3), date(2025, 3, 3), tmp_path, download=fake)
        assert len(fake.calls) == 1

    def test_extended_range_downloads_only_the_tail(self, fake, tmp_path):
        fetch_yfinance_prices(["^HSI"], date(2025, 1, 2), date(2025, 3, 31), tmp_path, download=fake)
        frames = fetch_yfinance_prices(["^HSI"], date(2025, 1, 2), date(2025, 4, 30), tmp_path, download=fake)
        # the tail starts at the last cached bar (2025-03-31), overlapping by one bar to compare adjustments
        assert fake.starts_ends() == [("^HSI", "2025-01-02", "2025-04-01"), ("^HSI", "2025-03-31", "2025-05-01")]
        assert frames["^HSI"].index[-1] == pd.Timestamp("2025-04-30")
        assert frames["^HSI"].index.is_unique
        cached = read_price_csv(tmp_path / "HSI.csv")
        assert cached.index[0] == pd.Timestamp("2025-01-02") and cached.index[-1] == pd.Timestamp("2025-04-30")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["HSI.csv"]

    def test_earlier_start_downloads_only_the_head(self, fake, tmp_path):
        fetch_yfinance_prices(["^HSI"], date(2025, 2, 3), date(2025, 3, 31), tmp_path, download=fake)
        frames = fetch_yfinance_prices(["^HSI"], date(2025, 1, 2), date(2025, 3, 31), tmp_path, download=fake)
        assert fake.starts_ends()[1] == ("^HSI", "2025-01-02", "2025-02-04")
        assert frames["^HSI"].index[0] == pd.Timestamp("2025-01-02")
        assert len(frames["^HSI"]) == len(xhkg_sessions("2025-01-02", "2025-03-31"))

    def test_readjusted_history_is_downloaded_again_in_full(self, fake, tmp_path):
        fetch_yfinance_prices(["0700.HK"], date(2025, 1, 2), date(2025, 3, 31), tmp_path, download=fake)
        full = fake.frames["0700.HK"]
        prices_only = [c for c in full.columns if c[0] != "Volume"]
        full[prices_only] = full[prices_only] * 0.98  # a new dividend: Yahoo re-adjusts all history
        frames = fetch_yfinance_prices(["0700.HK"], date(2025, 1, 2), date(2025, 4, 30), tmp_path, download=fake)
        assert fake.starts_ends()[1:] == [
            ("0700.HK", "2025-03-31", "2025-05-01"),  # the tail: its 2025-03-31 close no longer matches
            ("0700.HK", "2025-01-02", "2025-05-01"),  # so everything again
        ]
        close = frames["0700.HK"]["close"]
        served = full[("Close", "0700.HK")]
        assert np.allclose(close, served.loc[close.index])  # one adjustment throughout, no seam

    def test_stock_listed_after_start_is_not_an_error(self, fake, tmp_path, caplog):
        first = fetch_yfinance_prices(["9888.HK"], date(2021, 1, 4), date(2021, 6, 30), tmp_path, download=fake)
        assert first["9888.HK"].index[0] == pd.Timestamp("2021-03-23")  # HK listing day
        with caplog.at_level(logging.WARNING, logger="hkbt.prices.yahoo"):
            again = fetch_yfinance_prices(["9888.HK"], date(2021, 1, 4), date(2021, 6, 30), tmp_path, download=fake)
        assert fake.starts_ends()[1] == ("9888.HK", "2021-01-04", "2021-03-24")  # tries the head once more
        assert "no bars to add" in caplog.text
        pd.testing.assert_frame_equal(first["9888.HK"], again["9888.HK"])

    def test_empty_download_is_a_data_error_with_hint(self, fake, tmp_path):
        with pytest.raises(DataError) as caught:
            fetch_yfinance_prices(["NOPE.HK"], date(2025, 1, 2), date(2025, 3, 31), tmp_path, download=fake)
        error = caught.value
        assert error.where == "prices: NOPE.HK"
        assert error.what == "yfinance returned no data (network unreachable, bad ticker, or no trading in range)"
        assert error.fix == "check the ticker, or use prices.source=csv with prices.csv_dir pointing at saved CSVs"
        assert list(tmp_path.iterdir()) == []

    def test_raising_download_is_a_data_error(self, fake, tmp_path):
        fake.error = ConnectionError("Failed to resolve 'query2.finance.yahoo.com'")
        with pytest.raises(DataError, match="yfinance returned no data") as caught:
            fetch_yfinance_prices(["^HSI"], date(2025, 1, 2), date(2025, 3, 31), tmp_path, download=fake)
        assert isinstance(caught.value.__cause__, ConnectionError)

    def test_failed_tail_keeps_the_cache(self, fake, tmp_path, caplog):
        fetch_yfinance_prices(["^HSI"], date(2025, 1, 2), date(2025, 3, 31), tmp_path, download=fake)
        before = (tmp_path / "HSI.csv").read_bytes()
        fake.error = ConnectionError("offline")
        with caplog.at_level(logging.WARNING, logger="hkbt.prices.yahoo"):
            frames = fetch_yfinance_prices(["^HSI"], date(2025, 1, 2), date(2025, 4, 30), tmp_path, download=fake)
        assert frames["^HSI"].index[-1] == pd.Timestamp("2025-03-31")
        assert "offline" in caplog.text
        assert (tmp_path / "HSI.csv").read_bytes() == before

    def test_interrupted_write_leaves_old_cache_and_no_temp_file(self, fake, tmp_path, monkeypatch):
        fetch_yfinance_prices(["^HSI"], date(2025, 1, 2), date(2025, 3, 31), tmp_path, download=fake)
        before = (tmp_path / "HSI.csv").read_bytes()

        def crash(src, dst):
            raise OSError("disk full")

        monkeypatch.setattr("hkbt.files.os.replace", crash)
        with pytest.raises(DataError, match="disk full"):  # one error line, not a traceback
            fetch_yfinance_prices(["^HSI"], date(2025, 1, 2), date(2025, 4, 30), tmp_path, download=fake)
        assert (tmp_path / "HSI.csv").read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["HSI.csv"]

    def test_broken_cache_file_says_to_delete_it(self, fake, tmp_path):
        write(tmp_path / "HSI.csv", "Date,Open\n")
        with pytest.raises(DataError) as caught:
            fetch_yfinance_prices(["^HSI"], date(2025, 1, 2), date(2025, 3, 31), tmp_path, download=fake)
        assert caught.value.fix == f"delete {tmp_path / 'HSI.csv'} to download it again"

    def test_partial_nan_rows_from_yahoo_are_an_error(self, fake, tmp_path):
        fake.frames["^HSI"].loc["2025-01-27", ("Close", "^HSI")] = np.nan
        with pytest.raises(DataError) as caught:
            fetch_yfinance_prices(["^HSI"], date(2025, 1, 2), date(2025, 3, 31), tmp_path, download=fake)
        assert str(caught.value).startswith("prices: ^HSI: 2025-01-27: close is missing (NaN)")

    @pytest.mark.parametrize("shape", ["flat", "ticker_first", "all_nan_row"])
    def test_other_download_shapes(self, fake, tmp_path, shape):
        full = fake.frames["^HSI"]
        if shape == "flat":
            fake.frames["^HSI"] = full.droplevel("Ticker", axis=1)
        elif shape == "ticker_first":
            fake.frames["^HSI"] = full.swaplevel(0, 1, axis=1)
        else:
            full.loc[pd.Timestamp("2025-01-05")] = np.nan  # a Sunday row without prices: dropped
            fake.frames["^HSI"] = full.sort_index()
        frames = fetch_yfinance_prices(["^HSI"], date(2025, 1, 2), date(2025, 4, 7), tmp_path, download=fake)
        assert frames["^HSI"].loc["2025-01-27", "open"] == pytest.approx(20118.02, abs=0.01)
        assert pd.Timestamp("2025-01-05") not in frames["^HSI"].index

    def test_progress_called_once_per_ticker(self, fake, tmp_path):
        seen = []
        fetch_yfinance_prices(["^HSI", "0700.HK"], date(2025, 1, 2), date(2025, 1, 31), tmp_path,
                              download=fake, progress=seen.append)
        assert seen == ["^HSI", "0700.HK"]

    @pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")
    def test_real_yfinance_download_output_is_understood(self, shared_prices, tmp_path, monkeypatch):
        """Run the real ``yfinance.download`` with only ``Ticker.history`` stubbed (no network)."""
        import yfinance
        import yfinance.multi

        history = pd.read_csv(shared_prices / "0700.HK.csv", index_col=0)
        history.index = pd.to_datetime(history.index).tz_convert("Asia/Hong_Kong").rename("Date")

        class StubTicker:
            _price_history = None

            def __init__(self, ticker):
                pass

            def history(self, start, end, **_):
                inside = (history.index >= pd.Timestamp(start, tz="Asia/Hong_Kong")) & (
                    history.index < pd.Timestamp(end, tz="Asia/Hong_Kong"))
                return history.loc[inside, ["Open", "High", "Low", "Close", "Volume"]]

        monkeypatch.setattr(yfinance.multi, "Ticker", StubTicker)
        frames = fetch_yfinance_prices(["0700.HK"], date(2025, 1, 2), date(2025, 4, 7), tmp_path,
                                       download=yfinance.download)
        expected = load_csv_prices(shared_prices, ["0700.HK"], date(2025, 1, 2), date(2025, 4, 7))["0700.HK"]
        pd.testing.assert_frame_equal(frames["0700.HK"], expected)


def test_empty_download_helper_matches_yfinance_failure_shape():
    frame = empty_download("^HSI")
    assert frame.empty and list(frame.columns.names) == ["Price", "Ticker"]
    assert ("Adj Close", "^HSI") in frame.columns


# --------------------------------------------------------------------------------------------------
class TestSimulate:
    SESSIONS = xhkg_sessions("2023-01-03", "2024-12-31")
    TICKERS = ["0700.HK", "9988.HK", "3690.HK"]

    def market(self, seed=7, tickers=None):
        return simulate_prices(tickers or self.TICKERS, self.SESSIONS, seed, "^HSI")

    def test_returns_every_ticker_and_the_benchmark_on_exact_sessions(self):
        market = self.market()
        assert set(market) == {*self.TICKERS, "^HSI"}
        for frame in market.values():
            assert_price_frame(frame)
            assert frame.index.equals(self.SESSIONS)
            check_prices(frame, "sim")

    def test_deterministic_per_seed(self):
        one, two, other = self.market(7), self.market(7), self.market(8)
        for ticker in one:
            pd.testing.assert_frame_equal(one[ticker], two[ticker])
            assert not np.allclose(one[ticker]["close"], other[ticker]["close"])

    def test_adding_a_ticker_changes_no_other_series(self):
        small = self.market(tickers=["0700.HK"])
        large = self.market(tickers=["9988.HK", "0700.HK"])
        pd.testing.assert_frame_equal(small["0700.HK"], large["0700.HK"])
        pd.testing.assert_frame_equal(small["^HSI"], large["^HSI"])

    def test_bars_are_consistent(self):
        for frame in self.market().values():
            assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()
            assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()
            assert (frame["low"] > 0).all() and (frame["volume"] > 0).all()
            assert (frame["open"].iloc[1:].to_numpy() != frame["close"].iloc[:-1].to_numpy()).all()

    def test_levels_volatility_and_correlation_are_plausible(self):
        market = self.market()
        benchmark = np.log(market["^HSI"]["close"]).diff().dropna()
        assert 17_000 * 0.9 < market["^HSI"]["open"].iloc[0] < 20_000 * 1.1
        assert 0.15 < benchmark.std() * np.sqrt(252) < 0.30
        for ticker in self.TICKERS:
            frame = market[ticker]
            returns = np.log(frame["close"]).diff().dropna()
            assert 8 < frame["open"].iloc[0] < 450
            assert 0.25 < returns.std() * np.sqrt(252) < 0.55
            assert returns.corr(benchmark) > 0.3

    def test_no_sessions_is_an_error(self):
        with pytest.raises(DataError, match="no sessions"):
            simulate_prices(["0700.HK"], pd.DatetimeIndex([]), 7, "^HSI")


# --------------------------------------------------------------------------------------------------
class TestAlign:
    def frame(self, days: list[str]) -> pd.DataFrame:
        index = pd.DatetimeIndex(days, name="date")
        return pd.DataFrame({c: 1.0 for c in PRICE_COLUMNS}, index=index)

    def test_drops_and_reports_a_weekend_row_without_filling_gaps(self):
        sessions = xhkg_sessions("2024-01-02", "2024-01-10")
        frame = self.frame(["2023-12-29", "2024-01-02", "2024-01-03", "2024-01-06", "2024-01-08", "2024-01-11"])
        aligned, dropped = align_to_sessions(frame, sessions, "X")
        assert dropped == [pd.Timestamp("2024-01-06")]  # Saturday; rows outside the run are cut silently
        assert list(aligned.index.strftime("%Y-%m-%d")) == ["2024-01-02", "2024-01-03", "2024-01-08"]
        assert pd.Timestamp("2024-01-04") not in aligned.index  # a missing session stays missing

    def test_real_typhoon_closures_stay_missing(self, shared_prices):
        sessions = xhkg_sessions("2023-08-28", "2023-09-15")
        frame = read_price_csv(shared_prices / "0700.HK.csv")
        aligned, dropped = align_to_sessions(frame, sessions, "0700.HK")
        assert dropped == []
        assert set(sessions.difference(aligned.index)) == {pd.Timestamp("2023-09-01"), pd.Timestamp("2023-09-08")}

    def test_nothing_left_is_an_error(self):
        sessions = xhkg_sessions("2024-01-02", "2024-01-10")
        with pytest.raises(DataError) as caught:
            align_to_sessions(self.frame(["2024-01-06", "2024-02-01"]), sessions, "9988.HK")
        assert caught.value.where == "prices: 9988.HK"
        assert "2024-01-02 .. 2024-01-10" in caught.value.what


def test_csv_files_name_a_file_per_ticker(shared_prices):
    """prices.csv_files: the longer HSI history (layout C) stands in for HSI.csv before mid-2021."""
    frames = load_csv_prices(
        shared_prices, ["0700.HK", "^HSI"], date(2020, 3, 2), date(2020, 3, 31),
        files={"^HSI": Path("alt/HSI_1986-12-31_2024-08-05.csv")},
    )
    assert frames["^HSI"].index[0] == pd.Timestamp("2020-03-02") and len(frames["^HSI"]) == len(frames["0700.HK"])
    with pytest.raises(DataError, match=r"prices.csv_files.\^HSI"):
        load_csv_prices(shared_prices, ["^HSI"], date(2020, 3, 2), date(2020, 3, 31), files={"^HSI": Path("alt/nope.csv")})
