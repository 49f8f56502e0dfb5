"""Backtests from the news store: equal to the same items as a CSV, point in time, and on the real archives."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from hkbt.cli.main import cli
from hkbt.config import Config, load_config
from hkbt.news.collect import import_file
from hkbt.news.store import HEADLINE_WINDOW, NewsStore, normalise_headline
from hkbt.pipeline import run_pipeline

from conftest import REPO_ROOT, require_shared

SAMPLE = REPO_ROOT / "data" / "news" / "hk_tech_sample.csv"
SYNTHETIC = ["prices.source=synthetic", "sentiment.cache_dir=null"]


def config_with(*overrides: str) -> Config:
    return load_config(REPO_ROOT / "config.yaml", list(overrides))


def assert_same_backtest(ours, theirs) -> None:
    """Same signals, fills, trades (news cited included), equity and metrics; only the data's identity differs.

    The store may hold fewer items than the CSV: same-source headline duplicates within 12 hours, which
    it drops on import and a CSV run keeps. Each missing item is checked to be one.
    """
    pd.testing.assert_frame_equal(ours.signals, theirs.signals)
    pd.testing.assert_frame_equal(ours.fills, theirs.fills)
    pd.testing.assert_frame_equal(ours.trades, theirs.trades)
    pd.testing.assert_frame_equal(ours.equity, theirs.equity)
    assert {k: v for k, v in ours.metrics.items() if k != "run"} == {k: v for k, v in theirs.metrics.items() if k != "run"}
    differs = {"name", "config_hash", "data_hash", "news_duplicates_dropped", "news_items", "news_tradable_in_window"}
    ours_run, theirs_run = ours.metrics["run"], theirs.metrics["run"]
    assert {k: v for k, v in ours_run.items() if k not in differs} == {k: v for k, v in theirs_run.items() if k not in differs}
    kept = ours.news.assign(key=ours.news.headline.map(normalise_headline))
    missing = theirs.news[~theirs.news.news_id.isin(kept.news_id)]
    assert kept.news_id.isin(theirs.news.news_id).all()
    for item in missing.itertuples():
        twins = kept[(kept.source == item.source) & (kept.key == normalise_headline(item.headline))]
        assert ((twins.published_at - item.published_at).abs() <= HEADLINE_WINDOW).any(), item.headline
    assert theirs_run["news_items"] - ours_run["news_items"] == len(missing)
    assert 0 <= theirs_run["news_tradable_in_window"] - ours_run["news_tradable_in_window"] <= len(missing)


def test_a_backtest_from_the_store_equals_one_from_the_same_items_as_csv(tmp_path) -> None:
    store = tmp_path / "news.db"
    with NewsStore.open(store) as opened:
        import_file(opened, SAMPLE, Config().news)
    from_store = run_pipeline(config_with(*SYNTHETIC, f"news.store={store}", "strategy.params.entry_threshold=0.3"), REPO_ROOT)
    from_csv = run_pipeline(config_with(*SYNTHETIC, f"news.path={SAMPLE}", "strategy.params.entry_threshold=0.3"), REPO_ROOT)
    assert len(from_store.trades) >= 5
    assert_same_backtest(from_store, from_csv)
    assert from_store.metrics["run"]["data_hash"] != from_csv.metrics["run"]["data_hash"]

    # the store's own export is "the same items as CSV" too
    exported = tmp_path / "export.csv"
    result = CliRunner().invoke(cli, ["news", "export", str(exported), "--store", str(store)])
    assert result.exit_code == 0, result.output
    from_export = run_pipeline(config_with(*SYNTHETIC, f"news.path={exported}", "strategy.params.entry_threshold=0.3"), REPO_ROOT)
    assert_same_backtest(from_store, from_export)


def _one_item_store(path: Path, *, published: str, first_seen: datetime, origin: str = "fetch") -> None:
    item = {"news_id": "00000000000000b1", "published_at": pd.Timestamp(published), "source": "wire",
            "headline": "Beijing unveils sweeping stimulus to support private firms, tech stocks soar", "url": "https://e.x/1",
            "tickers": ["9988.HK"]}
    with NewsStore.open(path) as store:
        store.add([item], feed="wire_feed", origin=origin, now=first_seen)


@pytest.mark.parametrize(("mode", "entry"), [("published", "2025-02-18"), ("first_seen", "2025-02-19"),
                                             ("later_of", "2025-02-19"), ("auto", "2025-02-19")])
def test_a_back_dated_item_never_trades_before_hkbt_saw_it(tmp_path, mode, entry) -> None:
    store = tmp_path / "news.db"
    # the source dates it Mon 17 Feb 14:35 HKT; hkbt first stored it Tue 18 Feb 10:05 HKT, after that day's open
    _one_item_store(store, published="2025-02-17T14:35:00+08:00", first_seen=datetime(2025, 2, 18, 2, 5, tzinfo=timezone.utc))
    artifacts = run_pipeline(config_with(*SYNTHETIC, f"news.store={store}", f"news.timestamp={mode}",
                                         "run.start=2025-02-10", "run.end=2025-03-10"))
    item = artifacts.news.iloc[0]
    assert item.published_at == pd.Timestamp("2025-02-17T06:35:00Z")
    assert item.first_seen_at == pd.Timestamp("2025-02-18T02:05:00Z")
    assert str(item.tradable_session.date()) == entry
    assert artifacts.trades.entry_session.dt.strftime("%Y-%m-%d").tolist() == [entry]


def test_an_imported_archive_counts_from_its_publication_time_by_default(tmp_path) -> None:
    store = tmp_path / "news.db"
    _one_item_store(store, published="2025-02-17T14:35:00+08:00", first_seen=datetime(2026, 1, 1, tzinfo=timezone.utc),
                    origin="import")
    artifacts = run_pipeline(config_with(*SYNTHETIC, f"news.store={store}", "run.start=2025-02-10", "run.end=2025-03-10"), REPO_ROOT)
    assert str(artifacts.news.tradable_session[0].date()) == "2025-02-18"


def test_the_report_audit_shows_both_times(tmp_path) -> None:
    store = tmp_path / "news.db"
    _one_item_store(store, published="2025-02-17T14:35:00+08:00", first_seen=datetime(2025, 2, 18, 2, 5, tzinfo=timezone.utc))
    args = ["run", "--config", str(REPO_ROOT / "config.yaml"), "--name", "pit"]
    for item in [*SYNTHETIC, f"news.store={store}", f"run.output_dir={tmp_path}", "run.start=2025-02-10", "run.end=2025-03-10"]:
        args += ["--set", item]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    news = pd.read_csv(tmp_path / "pit" / "news.csv")
    assert news.loc[0, ["published_at", "first_seen_at", "available_at", "tradable_session"]].tolist() == [
        "2025-02-17 06:35:00+00:00", "2025-02-18 02:05:00+00:00", "2025-02-18 02:05:00+00:00", "2025-02-19"]
    html = (tmp_path / "pit" / "report.html").read_text()
    assert "1 trades, 0 violations" in html
    assert "<th>news published</th><th>first seen by hkbt</th><th>available (used)</th>" in html
    assert "2025-02-17 14:35" in html and "<strong>2025-02-18 10:05" in html
    assert "store " + str(store) + " (timestamp: auto)" in html


# ----------------------------------------------------------------------------- the real archives


REAL_RUNS = {
    # file, its column mapping and the run's settings, as README's "Real news" commands (Reuters: US dates, the
    # names listed in Hong Kong by 2020, the long HSI file, and the items from two months before the window on,
    # which the store run selects with news.filters.since: earlier items cannot reach a 2020 session)
    "rthk": ("rthk_en_finance_greaterchina_2024-03_2025-04.csv",
             ["news.columns.published_at=published", "news.columns.headline=title", "news.columns.body=description",
              "news.columns.url=link"],
             ["run.start=2024-04-01", "run.end=2025-04-17"]),
    "reuters": ("reuters_headlines_2018-03_2020-07.csv",
                ["news.columns.published_at=Time", "news.columns.headline=Headlines", "news.timezone=America/New_York"],
                ["run.start=2020-01-02", "run.end=2020-07-17", "prices.csv_files.^HSI=alt/HSI_1986-12-31_2024-08-05.csv",
                 "universe.tickers=[9988.HK, 0700.HK, 1810.HK, 1211.HK, 0175.HK, 3690.HK]",
                 "news.timezone=America/New_York", "news.filters.since=2019-11-01"]),
    "scmp": ("scmp_rss_hk_news_summary_2023-09_2024-05.csv",
             ["news.columns.headline=summary", "news.columns.published_at=published"],
             # vader_fin: on these summaries (a falling market) the default stack buys nothing at all, and a
             # comparison of two empty backtests would prove little; rthk and reuters run the default scorer
             ["run.start=2023-09-07", "run.end=2024-05-01", "sentiment.scorer=vader_fin"]),
}


@pytest.fixture(scope="module")
def real_store(tmp_path_factory):
    """The three shared archives imported whole into one store, as `hkbt news import` does; CSV twins for the runs."""
    news_dir = require_shared("news")
    require_shared("prices")
    folder = tmp_path_factory.mktemp("real_store")
    path = folder / "news.db"
    with NewsStore.open(path) as store:
        for file, mapping, _ in REAL_RUNS.values():
            assert import_file(store, news_dir / file, config_with(*mapping).news, skip_invalid=True).batch.items_new > 0
    csv = {"rthk": news_dir / REAL_RUNS["rthk"][0]}
    scmp = pd.read_csv(news_dir / REAL_RUNS["scmp"][0], dtype=str, keep_default_na=False)
    csv["scmp"] = folder / "scmp.csv"  # one row has no text: a CSV run refuses it, so the CSV side drops it too
    scmp[scmp.summary.str.strip() != ""].to_csv(csv["scmp"], index=False)
    reuters = pd.read_csv(news_dir / REAL_RUNS["reuters"][0], dtype=str, keep_default_na=False)
    csv["reuters"] = folder / "reuters.csv"
    reuters[pd.to_datetime(reuters.Time, format="%b %d %Y") >= "2019-11-01"].to_csv(csv["reuters"], index=False)
    return path, news_dir, csv, folder / "cache"


@pytest.mark.parametrize("name", list(REAL_RUNS))
def test_the_shared_archives_from_the_store_reproduce_the_csv_runs(real_store, name) -> None:
    path, news_dir, csv, cache = real_store
    file, mapping, settings = REAL_RUNS[name]
    common = ["prices.source=csv", f"prices.csv_dir={news_dir.parent / 'prices'}", f"sentiment.cache_dir={cache}", *settings]
    from_csv = run_pipeline(config_with(*common, *mapping, f"news.path={csv[name]}"), REPO_ROOT)
    from_store = run_pipeline(config_with(*common, f"news.store={path}", f"news.filters.feeds=[import:{file}]"), REPO_ROOT)
    assert len(from_csv.trades) > 0
    assert_same_backtest(from_store, from_csv)
