"""End-to-end runs on real data: ../shared/data prices with the bundled and the RTHK news.

Each run goes through the real CLI (in-process) and every assertion is
checked against the raw files independently of hkbt's own loaders.
"""

from __future__ import annotations

import json

import exchange_calendars as xcals
import pandas as pd
import pytest
from click.testing import CliRunner

from hkbt.cli.main import cli
from hkbt.backtest.costs import compute_fees

from conftest import REPO_ROOT

RTHK = "rthk_en_finance_greaterchina_2024-03_2025-04.csv"


def run_cli(tmp_path, name: str, *overrides: str) -> tuple[CliRunner, object]:
    args = ["run", "--config", str(REPO_ROOT / "config.yaml"), "--name", name,
            "--set", f"run.output_dir={tmp_path}", "--set", f"sentiment.cache_dir={tmp_path / 'cache'}"]
    for item in overrides:
        args += ["--set", item]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def raw_hsi_close(prices_dir) -> pd.Series:
    """HSI.csv (yfinance download layout: 3 header lines, Close first) read by hand."""
    frame = pd.read_csv(prices_dir / "HSI.csv", skiprows=3, header=None, names=["date", "close", "high", "low", "open", "volume"])
    return frame.set_index(pd.to_datetime(frame.date)).close


def raw_opens(prices_dir, ticker: str) -> pd.Series:
    """A Ticker.history() CSV read by hand: tz-aware dates -> local dates."""
    frame = pd.read_csv(prices_dir / f"{ticker}.csv")
    dates = pd.to_datetime(frame.Date.str[:10])
    return pd.Series(frame.Open.to_numpy(), index=dates)


def check_run(folder, prices_dir) -> dict:
    """Invariants every real run must satisfy; returns metrics.json."""
    metrics = json.loads((folder / "metrics.json").read_text())
    trades = pd.read_csv(folder / "trades.csv", parse_dates=["entry_session", "exit_session"])
    news = pd.read_csv(folder / "news.csv", parse_dates=["published_at", "tradable_session"]).set_index("news_id")
    equity = pd.read_csv(folder / "equity.csv", index_col="session", parse_dates=["session"])
    calendar = xcals.get_calendar("XHKG")
    assert len(trades) > 0

    for trade in trades.itertuples():
        # fills only on XHKG sessions, at the real opening price of that session
        assert calendar.is_session(trade.entry_session) and calendar.is_session(trade.exit_session)
        assert trade.entry_price == pytest.approx(raw_opens(prices_dir, trade.ticker).loc[trade.entry_session], rel=1e-9)
        # every cited item was published before the 09:00 HKT cutoff of the fill's session
        cutoff = calendar.session_open(trade.entry_session) - pd.Timedelta(minutes=30)
        cited = news.loc[trade.news_ids.split(";")]
        assert (cited.published_at < cutoff).all()
        assert (cited.tradable_session <= trade.entry_session).all()  # earlier ones count through signals.aggregate=decay
        assert [p[:19] for p in trade.news_published_at.split(";")] == [
            t.strftime("%Y-%m-%dT%H:%M:%S") for t in cited.published_at
        ]
        # costs are the fee model applied to the fills
        assert trade.entry_costs_hkd == pytest.approx(compute_fees(trade.size * trade.entry_price).total, abs=0.006)
        if trade.exit_reason != "open_at_end":
            assert trade.exit_costs_hkd == pytest.approx(compute_fees(trade.size * trade.exit_price).total, abs=0.006)
            assert trade.holding_days >= 1
    assert metrics["total_costs_hkd"] == pytest.approx(trades.costs_hkd.sum(), abs=0.05)
    assert metrics["trades"] == len(trades)

    # equity ends at initial cash plus every trade's P&L (open ones marked at the last close)
    assert equity.value_hkd.iloc[-1] == pytest.approx(metrics["run"]["initial_cash_hkd"] + trades.pnl_hkd.sum(), abs=0.1)
    # benchmark: buy and hold the HSI close to close over the window, no costs
    hsi = raw_hsi_close(prices_dir)
    first, last = equity.index[0], equity.index[-1]
    assert metrics["benchmark_total_return_pct"] == pytest.approx(100 * (hsi.loc[last] / hsi.loc[first] - 1), abs=1e-5)
    assert all(calendar.is_session(s) for s in equity.index)
    assert list(equity.index) == list(calendar.sessions_in_range(first, last))
    return metrics


def test_bundled_news_with_real_prices(tmp_path, shared_prices) -> None:
    run_cli(tmp_path, "bundled", "prices.source=csv", f"prices.csv_dir={shared_prices}")
    folder = tmp_path / "bundled"
    metrics = check_run(folder, shared_prices)
    assert metrics["run"]["news_items"] == 106 and metrics["run"]["news_duplicates_dropped"] == 2
    assert metrics["run"]["price_source"] == "csv" and "warning" not in metrics
    trades = pd.read_csv(folder / "trades.csv")
    news = pd.read_csv(folder / "news.csv").set_index("news_id")
    # the 24 Sep 2024 PBOC package (announced after the 09:00 cutoff) is bought at the 25 Sep open
    stimulus = trades[trades.entry_session == "2024-09-25"]
    # market news ties every name on scope, score and count: the five slots are shared by all nine (5/9 of a
    # position each, about 1/9 of the equity), not handed to the first five ticker codes
    assert len(stimulus) == 9 and stimulus.ticker.nunique() == 9
    from hkbt.config import DEFAULT_LOT_SIZES

    target = metrics["run"]["initial_cash_hkd"] / 9  # sized on the previous close, rounded down to whole lots
    for trade in stimulus.itertuples():
        lot_value = DEFAULT_LOT_SIZES[trade.ticker] * trade.entry_price
        assert target - 1.1 * lot_value < trade.size * trade.entry_price < 1.05 * target, trade
    assert any("PBOC" in news.loc[i, "headline"] for i in stimulus.news_ids.iloc[0].split(";"))
    # the 17 Feb 2025 private-sector symposium (published 14:35 HKT, mid-session) is tradable only
    # at the 18 Feb open, and reaches the signal rows of the companies its headline names
    symposium = news[news.headline.str.contains("Jack Ma")]
    assert len(symposium) == 1
    assert symposium.tradable_session.iloc[0] == "2025-02-18"
    signals = pd.read_csv(folder / "signals.csv")
    cited = signals[signals.news_ids.str.contains(symposium.index[0])]
    weight = [float(dict(zip(r.news_ids.split(";"), r.news_weights.split(";")))[symposium.index[0]]) for r in cited.itertuples()]
    cited = cited.assign(weight=weight)
    first = cited[cited.session == "2025-02-18"]
    assert set(first.ticker) == {"0700.HK", "1211.HK", "1810.HK", "9988.HK"} and (first.weight == 1).all()
    # later sessions cite it only as memory (signals.aggregate=decay), its weight halving every session
    later = cited[cited.session > "2025-02-18"]
    assert set(later.ticker) <= set(first.ticker) and (later.weight <= 0.5).all()


def test_rthk_news_with_real_prices(tmp_path, shared_prices, shared_news) -> None:
    run_cli(
        tmp_path, "rthk", "prices.source=csv", f"prices.csv_dir={shared_prices}",
        f"news.path={shared_news / RTHK}", "news.columns.published_at=published", "news.columns.headline=title",
        "news.columns.body=description", "news.columns.url=link", "run.start=2024-04-01", "run.end=2025-04-17",
    )
    folder = tmp_path / "rthk"
    metrics = check_run(folder, shared_prices)
    assert metrics["run"]["news_items"] == 2096
    assert metrics["run"]["start"] == "2024-04-02" and metrics["run"]["end"] == "2025-04-17"  # 1 Apr 2024 was Easter Monday
    news = pd.read_csv(folder / "news.csv")
    assert news.url.str.startswith("https://news.rthk.hk/").all()


def test_same_config_and_data_give_identical_metrics(tmp_path, shared_prices) -> None:
    run_cli(tmp_path, "a", "prices.source=csv", f"prices.csv_dir={shared_prices}")
    run_cli(tmp_path, "b", "prices.source=csv", f"prices.csv_dir={shared_prices}")
    a = json.loads((tmp_path / "a" / "metrics.json").read_text())
    b = json.loads((tmp_path / "b" / "metrics.json").read_text())
    a["run"].pop("name"), b["run"].pop("name")
    a["run"].pop("config_hash"), b["run"].pop("config_hash")  # the name is part of the config
    assert a == b
    assert (tmp_path / "a" / "trades.csv").read_bytes() == (tmp_path / "b" / "trades.csv").read_bytes()


def test_offline_demo_is_marked_simulated(tmp_path) -> None:
    result = run_cli(tmp_path, "demo", "prices.source=synthetic")
    metrics = json.loads((tmp_path / "demo" / "metrics.json").read_text())
    assert metrics["warning"] == "SIMULATED PRICES" and metrics["run"]["simulated_prices"] is True
    assert "SIMULATED PRICES" in (tmp_path / "demo" / "report.html").read_text()
    assert "SIMULATED PRICES" in result.output
    assert "warning: 2 duplicate news item(s) dropped" in result.output  # the sample repeats two items on purpose
    assert metrics["trades"] > 0
