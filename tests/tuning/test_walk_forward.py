"""Walk-forward windows: their layout, and that a test window never informs its own choice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hkbt.errors import ConfigError
from hkbt.news.sessions import run_sessions
from hkbt.tuning.walk_forward import (
    WalkForwardSpec,
    choose_per_window,
    parse_walk_forward,
    part_of,
    stitch,
    walk_forward_windows,
)

SESSIONS = run_sessions(pd.Timestamp("2020-01-02").date(), pd.Timestamp("2024-12-31").date())


def total_return(part: pd.DataFrame) -> pd.Series:
    return part.iloc[-1] / part.iloc[0] - 1.0


def test_parse() -> None:
    assert parse_walk_forward("train=2y,test=6m") == WalkForwardSpec("2y", "6m", "6m")
    assert parse_walk_forward(" train=18M , test=3m, step=1m ") == WalkForwardSpec("18m", "3m", "1m")
    for bad in ("train=2y", "train=2y,test=6x", "train=2y,test=0m", "train=2y,test=6m,hop=1m", "test=6m,train=two"):
        with pytest.raises(ConfigError, match="--walk-forward"):
            parse_walk_forward(bad)


def test_two_years_and_six_months_over_five_years() -> None:
    windows = walk_forward_windows(SESSIONS, parse_walk_forward("train=2y,test=6m"))
    # training parts start 2020-01, 2020-07, ..., 2022-07: test parts 2022-01 ... 2024-07
    assert [w.test_start.strftime("%Y-%m") for w in windows] == ["2022-01", "2022-07", "2023-01", "2023-07", "2024-01", "2024-07"]
    first = windows[0]
    assert (first.train_start, first.train_end) == (SESSIONS[0], pd.Timestamp("2021-12-31"))
    assert first.test_start == pd.Timestamp("2022-01-03")  # the first session on or after 2022-01-02
    assert windows[-1].test_end == SESSIONS[-1]
    for a, b in zip(windows, windows[1:]):
        assert a.test_end < b.test_start and a.train_end < a.test_start  # test parts follow one another
    assert sum(w.test_sessions for w in windows) == len(SESSIONS[SESSIONS >= windows[0].test_start])


def test_no_window_fits() -> None:
    with pytest.raises(ConfigError, match="no window"):
        walk_forward_windows(SESSIONS[:300], parse_walk_forward("train=2y,test=6m"))


def test_part_starts_at_the_base_of_its_first_return() -> None:
    values = pd.DataFrame({"a": np.arange(1.0, 11.0)}, index=SESSIONS[:10])
    assert part_of(values, SESSIONS[3], SESSIONS[5]).a.tolist() == [3.0, 4.0, 5.0, 6.0]
    assert part_of(values, SESSIONS[0], SESSIONS[1]).a.tolist() == [1.0, 2.0]


def test_stitch_chains_each_windows_choice_over_its_test_part() -> None:
    sessions = SESSIONS[:12]
    values = pd.DataFrame({"a": 100.0 * 1.01 ** np.arange(12), "b": 100.0 * 0.99 ** np.arange(12)}, index=sessions)
    windows = walk_forward_windows(sessions, WalkForwardSpec("5d", "5d", "5d"))
    chosen = {w.number: ("a" if w.number == 1 else "b") for w in windows}
    curve = stitch(values, windows, chosen)
    # Jan 2020: train Jan 2-6, test Jan 7-10 (a); train Jan 7-10, test Jan 13-16 (b); test Jan 17 (b)
    assert [w.test_sessions for w in windows] == [4, 4, 1]
    assert curve.index[0] == pd.Timestamp("2020-01-06") and curve.iloc[0] == 1.0  # the last close before testing
    assert curve.iloc[-1] == pytest.approx(1.01**4 * 0.99**5)
    assert len(curve) == 1 + 9


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    combos=st.integers(2, 6),
    train=st.sampled_from(["3m", "6m", "1y", "40d"]),
    test=st.sampled_from(["1m", "2m", "3m", "10d"]),
    step=st.sampled_from([None, "1m", "2m", "3m"]),
)
def test_a_test_window_never_enters_its_training_choice(seed, combos, train, test, step) -> None:
    """Rewriting everything after a window's training part never changes that window's choice."""
    rng = np.random.default_rng(seed)
    sessions = SESSIONS[:400]
    values = pd.DataFrame(np.cumprod(1 + rng.normal(0, 0.01, (400, combos)), axis=0), index=sessions)
    spec = WalkForwardSpec(train, test, step or test)
    windows = walk_forward_windows(sessions, spec)
    chosen = choose_per_window(values, windows, total_return)
    for window in windows:
        assert window.train_end < window.test_start
        future = values.index > window.train_end
        rewritten = values.copy()
        rewritten.loc[future] = np.cumprod(1 + rng.normal(0, 0.05, (int(future.sum()), combos)), axis=0) * rng.uniform(0.1, 10)
        assert choose_per_window(rewritten, [window], total_return)[window.number] == chosen[window.number]


def test_choice_is_the_best_training_score_and_nan_never_wins() -> None:
    sessions = SESSIONS[:30]
    values = pd.DataFrame({"up": np.linspace(1, 2, 30), "flat": np.ones(30), "nan": np.nan}, index=sessions)
    windows = walk_forward_windows(sessions, WalkForwardSpec("10d", "5d", "5d"))
    assert set(choose_per_window(values, windows, total_return).values()) == {"up"}


def test_a_window_where_nothing_traded_chooses_nothing_and_stays_in_cash() -> None:
    sessions = SESSIONS[:30]
    flat_then_up = np.r_[np.ones(15), np.linspace(1.0, 1.2, 15)]
    values = pd.DataFrame({"a": flat_then_up, "b": flat_then_up[::-1].copy()}, index=sessions)

    def sharpe_like(part: pd.DataFrame) -> pd.Series:  # NaN for a flat part, as a Sharpe ratio would be
        returns = part.pct_change().iloc[1:]
        return returns.mean() / returns.std().replace(0.0, np.nan)

    windows = walk_forward_windows(sessions, WalkForwardSpec("10d", "5d", "5d"))
    values["b"] = 1.0  # b never trades
    chosen = choose_per_window(values, windows, sharpe_like)
    assert chosen[1] is None  # the first training part (Jan 2-10) is flat for both
    curve = stitch(values, windows, chosen)
    first_test = sessions[(sessions >= windows[0].test_start) & (sessions <= windows[0].test_end)]
    assert (curve.loc[first_test] == 1.0).all()  # in cash over that test part
