"""The report of a fresh run is built from memory: it must be the report of the folder as written.

``write_run`` hands the report a :func:`~hkbt.reports.chart_data.load_written_run`
(news.csv and config.resolved.yaml taken from the frame and text it has just written)
instead of reading the folder back. These tests pin that shortcut to the slow path:
for real and hostile runs, and for random news frames, the RunData is the one
``load_run`` reads from the written folder (frames, columns, dtypes, values; times
compared as instants, whatever resolution the CSV parser picks) and the rendered pages
are byte-identical.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hkbt.backtest.results import write_run
from hkbt.config import load_config
from hkbt.pipeline import run_pipeline
from hkbt.reports.chart_data import RunData, load_run
from hkbt.reports.run_report import render_report

from conftest import REPO_ROOT, require_shared
from report_runs import XSS_NEWS

WHEN = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc)
FRAMES = ("trades", "equity", "signals", "news", "prices", "skipped")


def _times_as_ns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every time column and time index at nanosecond resolution (the values are untouched)."""
    frame = frame.copy()
    for name, column in frame.items():
        if isinstance(column.dtype, (pd.DatetimeTZDtype, np.dtypes.DateTime64DType)):
            frame[name] = column.dt.as_unit("ns")
    if isinstance(frame.index, pd.DatetimeIndex):
        frame.index = frame.index.as_unit("ns")
    return frame


def assert_same_run(memory: RunData, disk: RunData) -> None:
    for name in FRAMES:
        ours, theirs = getattr(memory, name), getattr(disk, name)
        assert list(ours.columns) == list(theirs.columns), name
        pd.testing.assert_frame_equal(_times_as_ns(ours), _times_as_ns(theirs), check_exact=True, obj=name)
    assert memory.metrics == disk.metrics
    assert memory.config == disk.config
    assert memory.config_text == disk.config_text
    assert memory.settings.resolved() == disk.settings.resolved()
    assert (memory.finished_at, memory.warnings) == (disk.finished_at, disk.warnings)  # memory.folder: the staging folder


def write_and_capture(config_args: list[str], folder: Path) -> tuple[RunData, str]:
    """Run in-process, write ``folder`` and return the RunData the report was given, and the report."""
    config = load_config(REPO_ROOT / "config.yaml", config_args)
    artifacts = run_pipeline(config, REPO_ROOT)
    given: list[RunData] = []

    def report(run: RunData) -> str:
        given.append(run)
        return render_report(run, WHEN)

    write_run(artifacts, folder, report)
    return given[0], (folder / "report.html").read_text(encoding="utf-8")


def _cases(tmp: Path) -> dict[str, list[str]]:
    xss = tmp / "xss_news.csv"
    xss.write_text(XSS_NEWS, encoding="utf-8")
    synthetic = ["prices.source=synthetic", "sentiment.cache_dir=null"]
    return {
        "demo": synthetic,  # many signals not traded (skipped.csv)
        "no_trades": synthetic + ["sentiment.scorer=vader_fin", "strategy.params.entry_threshold=0.99"],
        "hostile_text": synthetic + [f"news.path={xss}", "run.start=2025-01-02", "run.end=2025-04-30",
                                     "strategy.params.entry_threshold=0.2"],
        "basket_hold": synthetic + ["strategy.name=basket_hold"],
    }


@pytest.mark.parametrize("case", ["demo", "no_trades", "hostile_text", "basket_hold"])
def test_report_from_memory_equals_report_from_folder(tmp_path, case):
    args = _cases(tmp_path)[case] + [f"run.output_dir={tmp_path / 'out'}", f"run.name={case}"]
    memory, page = write_and_capture(args, tmp_path / "out" / case)
    disk = load_run(tmp_path / "out" / case)
    assert_same_run(memory, disk)
    assert page == render_report(disk, WHEN)
    if case == "no_trades":
        assert memory.trades.empty
    if case == "demo":
        assert len(memory.skipped)


def test_report_from_memory_on_real_rthk_news(tmp_path):
    prices = require_shared("prices")
    news = require_shared("news", "rthk_en_finance_greaterchina_2024-03_2025-04.csv")
    args = ["prices.source=csv", f"prices.csv_dir={prices}", f"news.path={news}", "news.columns.published_at=published",
            "news.columns.headline=title", "news.columns.body=description", "news.columns.url=link",
            "run.start=2024-04-01", "run.end=2025-04-17", "sentiment.cache_dir=null",
            f"run.output_dir={tmp_path / 'out'}", "run.name=rthk"]
    memory, page = write_and_capture(args, tmp_path / "out" / "rthk")
    disk = load_run(tmp_path / "out" / "rthk")
    assert_same_run(memory, disk)
    assert page == render_report(disk, WHEN)
    assert len(memory.news) > 1000 and len(memory.trades)


TRICKY_TEXT = ["", "NA", "null", "nan", "None", "N/A", "#N/A", "-1.5", "TRUE", "a;b", 'say "hi", then\nleave', "価格 上昇", " x "]


def test_random_news_frames_read_back_as_kept(tmp_path):
    """news.csv of random items (odd text, blank themes, floats of every size, times with fractions and gaps)
    read back by load_run equals the frame kept in memory."""
    config = load_config(REPO_ROOT / "config.yaml", ["prices.source=synthetic", "sentiment.cache_dir=null",
                                                     f"run.output_dir={tmp_path}", "run.name=random"])
    artifacts = run_pipeline(config, REPO_ROOT)
    rng = np.random.default_rng(11)
    n = 300

    def pick() -> list[str]:
        return [TRICKY_TEXT[i] for i in rng.integers(0, len(TRICKY_TEXT), n)]

    for round_ in range(3):
        stamps = pd.Series(pd.to_datetime(rng.integers(1.5e18, 1.75e18, n), utc=True))
        if round_ == 1:  # whole seconds: written by the vectorised path
            stamps = stamps.dt.floor("s")
        seen = stamps.where(rng.random(n) < 0.5)  # NaT for some, or (round 2) for all
        if round_ == 2:
            seen[:] = pd.NaT
        scores = np.concatenate([rng.standard_normal(n - 4), [0.0, -0.0, 1e-300, -1.5e300]])  # a scorer never gives NaN
        news = pd.DataFrame({
            "news_id": [f"{i:016x}" for i in rng.integers(0, 2**62, n)], "published_at": stamps, "first_seen_at": seen,
            "available_at": seen.fillna(stamps), "tradable_session": stamps.dt.tz_localize(None).dt.normalize(),
            "headline": pick(), "source": pick(), "url": pick(),
            "tickers": [t.split(";") if t else [] for t in pick()], "linked_by": pick(), "scope": pick(),
            "themes": [[] for _ in range(n)] if round_ == 0 else [[t] for t in pick()],
            "topics": [[t] for t in pick()], "language": pick(), "score": scores,
        })
        artifacts.news = news
        given: list[RunData] = []
        folder = write_run(artifacts, tmp_path / f"random{round_}", lambda run, kept=given: kept.append(run) or "")
        ours, theirs = given[0].news, load_run(folder).news
        pd.testing.assert_frame_equal(_times_as_ns(ours), _times_as_ns(theirs), check_exact=True)
        assert list(ours.columns) == list(theirs.columns)


def test_split_by_ticker_gives_the_frames_a_filter_gives():
    from hkbt.reports.chart_data import split_by_ticker

    rng = np.random.default_rng(5)
    names = ["9988.HK", "0700.HK", "1810.HK", "^HSI"]
    for n in (0, 1, 7, 200):
        frame = pd.DataFrame({"session": pd.to_datetime(rng.integers(1.5e18, 1.7e18, n)).normalize(),
                              "ticker": pd.Series(rng.choice(names[:3], n), dtype="str"), "close": rng.random(n)})
        frame = frame.iloc[rng.permutation(n)]  # an index out of order
        split = split_by_ticker(frame, names)
        assert list(split) == names
        for ticker in names:
            pd.testing.assert_frame_equal(split[ticker], frame[frame.ticker == ticker], check_index_type=True)
