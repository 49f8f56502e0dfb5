"""Walk-forward windows: choose on the past, judge on what came next.

``--walk-forward train=2y,test=6m,step=6m`` cuts the run's sessions into rolling windows::

    |--------- train 2y ---------|-- test 6m --|
          |--------- train 2y ---------|-- test 6m --|          (moved on by step)

In each window the sweep picks the best combination on the training part only, then
records how that choice did on the test part; the test parts, one after another, make the
out-of-sample record. A test part is never inside its own training part, and the choice
for a window is computed from returns dated no later than the last training session
(:func:`choose_per_window` is given nothing else).

Lengths are calendar spans: ``y`` years, ``m`` months, ``w`` weeks, ``d`` days. A window's
parts hold the sessions in ``[start, start + length)``. The last test part may be shorter
than asked (the run ends); a window whose test part has no session is not made.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hkbt.errors import ConfigError

_SPAN = re.compile(r"^(\d+)([ymwd])$")
_UNITS = {"y": "years", "m": "months", "w": "weeks", "d": "days"}
OPTION = "--walk-forward"


@dataclass(frozen=True)
class WalkForwardSpec:
    """Lengths of the training part, the test part and the step between windows (e.g. ``"2y"``)."""

    train: str
    test: str
    step: str

    def __str__(self) -> str:
        return f"train={self.train},test={self.test},step={self.step}"


@dataclass(frozen=True)
class Window:
    """One walk-forward window: the first and last session of its training and test parts."""

    number: int
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    test_start: pd.Timestamp
    test_end: pd.Timestamp
    train_sessions: int
    test_sessions: int


def _offset(span: str) -> pd.DateOffset:
    count, unit = _SPAN.match(span).groups()
    return pd.DateOffset(**{_UNITS[unit]: int(count)})


def parse_walk_forward(text: str) -> WalkForwardSpec:
    """``"train=2y,test=6m[,step=6m]"`` -> :class:`WalkForwardSpec` (step defaults to the test length).

    >>> str(parse_walk_forward("train=2y,test=6m"))
    'train=2y,test=6m,step=6m'

    Raises:
        ConfigError: unknown part, missing train/test, or a length that is not ``<n><y|m|w|d>``.
    """
    parts: dict[str, str] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        key, _, value = item.partition("=")
        key, value = key.strip(), value.strip().lower()
        if key not in ("train", "test", "step"):
            raise ConfigError(OPTION, f"unknown part {key!r} in {text!r}", "write train=2y,test=6m[,step=6m]")
        if not _SPAN.match(value) or int(value[:-1]) == 0:
            raise ConfigError(OPTION, f"{key}={value!r} is not a length", "a whole number and a unit: y, m, w or d (e.g. 2y, 6m)")
        parts[key] = value
    if "train" not in parts or "test" not in parts:
        raise ConfigError(OPTION, f"{text!r} needs both train= and test=", "e.g. --walk-forward train=2y,test=6m")
    return WalkForwardSpec(parts["train"], parts["test"], parts.get("step", parts["test"]))


def walk_forward_windows(sessions: pd.DatetimeIndex, spec: WalkForwardSpec) -> list[Window]:
    """The windows over ``sessions`` (the run's sessions, sorted), first training part starting at the first session.

    Raises:
        ConfigError: not even one window fits (the run is shorter than train + one test session).
    """
    train, test, step = _offset(spec.train), _offset(spec.test), _offset(spec.step)
    first, last = sessions[0], sessions[-1]
    windows: list[Window] = []
    start = first
    while True:
        test_start, test_stop = start + train, start + train + test
        if test_start > last:
            break
        in_train = sessions[(sessions >= start) & (sessions < test_start)]
        in_test = sessions[(sessions >= test_start) & (sessions < test_stop)]
        if len(in_train) >= 2 and len(in_test):
            windows.append(Window(len(windows) + 1, in_train[0], in_train[-1], in_test[0], in_test[-1], len(in_train), len(in_test)))
        start = start + step
    if not windows:
        raise ConfigError(OPTION, f"no window of {spec} fits in {first.date()}..{last.date()}",
                          "shorten train/test or widen run.start/run.end")
    return windows


def choose_per_window(
    values: pd.DataFrame, windows: list[Window], score: Callable[[pd.DataFrame], pd.Series]
) -> dict[int, object]:
    """For each window, the column of ``values`` whose training part scores highest.

    Args:
        values: value curves, one column per combination, indexed by session.
        windows: from :func:`walk_forward_windows`.
        score: combination curves over one part (the session before it first, as the base)
            -> a score per column, higher is better (NaN never wins).

    Only rows up to each window's ``train_end`` are ever given to ``score``; ties go to
    the first column. A window where no column has a score (none traded in the training
    part, so none has a Sharpe ratio) chooses nothing: ``None``, which :func:`stitch`
    counts as staying in cash.
    """
    chosen: dict[int, object] = {}
    for window in windows:
        scores = score(part_of(values, window.train_start, window.train_end))
        filled = scores.to_numpy(dtype=np.float64)
        chosen[window.number] = None if np.isnan(filled).all() else scores.index[int(np.nanargmax(filled))]
    return chosen


def part_of(values: pd.DataFrame | pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame | pd.Series:
    """Rows from the session before ``start`` (the base of the first return) through ``end``.

    The first window of a run starts at its first session, which has no earlier row: the
    part then starts at ``start`` itself.
    """
    position = values.index.searchsorted(start)
    stop = values.index.searchsorted(end, side="right")
    return values.iloc[max(position - 1, 0) : stop]


def stitch(values: pd.DataFrame, windows: list[Window], chosen: Mapping[int, object]) -> pd.Series:
    """The out-of-sample value curve: each window's chosen curve over its test part, chained, starting at 1.0
    (flat over the test part of a window that chose nothing).

    Test parts that overlap (a step shorter than the test length) are cut at the next
    window's first test session, so every session counts once; with a step longer than the
    test length, the sessions between test parts are not in the record.
    """
    pieces = []
    for position, window in enumerate(windows):
        end = window.test_end
        if position + 1 < len(windows) and windows[position + 1].test_start <= end:
            end = values.index[values.index.searchsorted(windows[position + 1].test_start) - 1]
        pick = chosen[window.number]
        if pick is None:  # nothing chosen: in cash, flat
            pieces.append(pd.Series(0.0, index=values.index[(values.index >= window.test_start) & (values.index <= end)]))
            continue
        curve = part_of(values[pick], window.test_start, end)
        pieces.append((curve / curve.shift(1) - 1.0).loc[window.test_start :])
    returns = pd.concat(pieces)
    base = values.index[max(values.index.searchsorted(windows[0].test_start) - 1, 0)]
    return pd.concat([pd.Series([1.0], index=[base]), (1.0 + returns).cumprod()])
