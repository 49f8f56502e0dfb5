"""csv_bytes writes exactly what pandas' to_csv writes, on random frames of every kind of column a run folder has."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hkbt.csv_text as csv_text
from hkbt.csv_text import csv_bytes

ALPHABET = list('ab ,"\n\r\t;é価\u2028\\\'') + ["NA", "", "nan", "null", "None", "-1.5"]


def _text(rng: np.random.Generator, n: int) -> list[str]:
    return ["".join(rng.choice(ALPHABET, rng.integers(0, 6))) for _ in range(n)]


def _random_frame(rng: np.random.Generator, trial: int) -> pd.DataFrame:
    n = int(rng.integers(0, 40))
    kinds = {
        "s": pd.Series(_text(rng, n), dtype="str").where(rng.random(n) > 0.2),  # pandas' string columns, some missing
        "o": pd.Series(_text(rng, n), dtype=object),
        "f": pd.Series(rng.standard_normal(n) * 10.0 ** rng.integers(-300, 300, n)),
        "g": pd.Series(np.where(rng.random(n) < 0.2, np.nan, np.round(rng.standard_normal(n), 4))),
        "i": pd.Series(rng.integers(-10**12, 10**12, n)),
        "b": pd.Series(rng.random(n) < 0.5),
        "d": pd.Series(pd.to_datetime(rng.integers(1.5e18, 1.7e18, n)).normalize()).where(rng.random(n) < 0.8),
        "t": pd.Series(pd.to_datetime(rng.integers(1.5e18, 1.7e18, n))),  # clock times: pandas writes these itself
    }
    names = list(rng.choice(list(kinds), rng.integers(2, 8)))
    frame = pd.DataFrame({f"{kind},{j}" if j % 3 == 2 else f"{kind}{j}": kinds[kind] for j, kind in enumerate(names)})
    if trial % 4 == 1 and n > 3:  # a concatenated frame: its text columns come in several Arrow chunks
        frame = pd.concat([frame.iloc[:2], frame.iloc[2:]])
    if trial % 3 == 0:
        frame.index = pd.DatetimeIndex(pd.to_datetime(rng.integers(1.5e18, 1.7e18, len(frame))).normalize(), name="session")
    return frame


@pytest.mark.parametrize("options", [{}, {"date_format": "%Y-%m-%d"}, {"float_format": "%.4f"},
                                     {"date_format": "%Y-%m-%d", "float_format": "%.4f"}, {"date_format": "%d/%m/%Y"}])
def test_csv_bytes_equal_to_csv_on_random_frames(options):
    rng = np.random.default_rng(len(str(options)))
    for trial in range(150):
        frame = _random_frame(rng, trial)
        for index in (False, True):
            assert csv_bytes(frame, index=index, **options) == frame.to_csv(index=index, **options).encode(), (trial, index)


def test_csv_bytes_takes_its_own_path_for_run_folder_columns(monkeypatch):
    """The run folder's kinds of column are formatted here (not by falling back to pandas), so the test above tests this code."""
    monkeypatch.setattr(pd.DataFrame, "to_csv", lambda *a, **k: pytest.fail("fell back to pandas"))
    frame = pd.DataFrame({"session": pd.to_datetime(["2025-02-18", None]), "ticker": pd.Series(["9988.HK", 'a "b", c'], dtype="str"),
                          "ids": pd.Series(["", None], dtype=object), "close": [48.15, np.nan], "size": [200, 400],
                          "market_wide": [True, False]})
    assert csv_bytes(frame, date_format="%Y-%m-%d", float_format="%.4f") == (
        b'session,ticker,ids,close,size,market_wide\n2025-02-18,9988.HK,,48.1500,200,True\n,"a ""b"", c",,,400,False\n')
    assert csv_bytes(frame.iloc[:0]) == b"session,ticker,ids,close,size,market_wide\n"


def test_the_quoting_rule_is_the_csv_module_s():
    """A field is quoted exactly when the csv module would quote it (asked, not assumed: this changed across Pythons)."""
    assert {",", '"', "\n"} <= set(csv_text._quote_triggers())
