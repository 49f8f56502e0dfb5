"""``hkbt today``: the orders for the next XHKG open, point in time, equal to the backtest's own decisions."""

from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
import pytest
from click.testing import CliRunner

from hkbt.cli.main import cli
from hkbt.config import Config, load_config
from hkbt.errors import ConfigError
from hkbt.news.collect import import_file
from hkbt.news.store import NewsStore
from hkbt.pipeline import run_pipeline
from hkbt.today import plan_next_open, with_placeholder

from conftest import REPO_ROOT, require_shared

SAMPLE = REPO_ROOT / "data" / "news" / "hk_tech_sample.csv"
XI = "Xi hosts Jack Ma, Pony Ma and Lei Jun in strong show of support for private firms"
EVENING = pd.Timestamp("2025-02-17T20:00:00+08:00")
FOUNDERS = {"9988.HK", "0700.HK", "1810.HK"}


def real_config(*overrides: str) -> Config:
    """The default config.yaml on the shared real prices, replayed from December 2024."""
    prices = require_shared("prices")
    return load_config(REPO_ROOT / "config.yaml", ["prices.source=csv", f"prices.csv_dir={prices}", "sentiment.cache_dir=null",
                                                   "run.start=2024-12-02", *overrides])


@pytest.fixture(scope="module")
def evening_plan():
    """The plan on the evening of Mon 17 Feb 2025, after the Xi symposium (shared: it replays two months)."""
    return plan_next_open(real_config(), REPO_ROOT, EVENING)


def test_the_evening_of_the_xi_symposium_lists_the_18_february_orders(evening_plan) -> None:
    plan = evening_plan
    assert (str(plan.session.date()), str(plan.last_close.date())) == ("2025-02-18", "2025-02-17")
    assert plan.opens_at == pd.Timestamp("2025-02-18T09:30:00+08:00")
    assert plan.cutoff_at == pd.Timestamp("2025-02-18T09:00:00+08:00")
    buys = plan.orders[plan.orders.side == "buy"]
    # the founders' companies: bought at that open on the Xi item, or already held on earlier news (with the
    # default scorer, Tencent since 14 Feb); at least two are bought on it
    assert set(buys.ticker) | set(plan.holdings.ticker) >= FOUNDERS and len(set(buys.ticker) & FOUNDERS) >= 2
    cited = plan.news.set_index("news_id").headline
    for order in buys.itertuples():
        assert XI in [cited[i] for i in order.news_ids.split(";")]
        assert order.value_hkd == pytest.approx(order.shares * order.last_close_hkd, abs=0.01)
    assert plan.warnings == ["2 duplicate news item(s) dropped (same url, or same source, time and headline)"]
    # held before: only what earlier sessions bought, each before this session; the scorer decides which, so the
    # test checks the invariant
    assert (plan.holdings.entry_session.astype(str) < "2025-02-18").all()
    assert not set(plan.holdings.ticker) & set(buys.ticker)  # a name held is not bought twice


def test_the_orders_are_the_backtests_own_decisions_for_that_open(evening_plan) -> None:
    plan = evening_plan
    full = run_pipeline(real_config("run.end=2025-03-31"), REPO_ROOT)
    fills = full.fills[full.fills.session == pd.Timestamp("2025-02-18")]
    ours = plan.orders[["ticker", "side", "shares", "news_ids"]].sort_values("ticker").reset_index(drop=True)
    theirs = fills.assign(shares=fills["size"].astype(int))[["ticker", "side", "shares", "news_ids"]]
    pd.testing.assert_frame_equal(ours, theirs.sort_values("ticker").reset_index(drop=True))


def test_a_week_later_it_closes_the_positions_it_holds() -> None:
    plan = plan_next_open(real_config(), REPO_ROOT, pd.Timestamp("2025-02-24T20:00:00+08:00"))
    assert str(plan.session.date()) == "2025-02-25"
    closing = plan.holdings[plan.holdings.closing]
    # what the 18 February open bought has been held five sessions: it is sold, and only it; later buys stay
    assert set(closing.entry_session.astype(str)) == {"2025-02-18"} and set(closing.ticker) >= {"9988.HK", "1810.HK"}
    assert set(plan.orders.ticker) == set(closing.ticker)
    assert set(plan.orders.side) == {"sell"} and set(plan.orders.reason) == {"hold_days"}
    assert (plan.holdings[~plan.holdings.closing].entry_session.astype(str) > "2025-02-18").all()


def test_news_after_as_of_does_not_count_and_a_passed_cutoff_is_said() -> None:
    # 15:00 on the 17th: that session has not closed, so the plan is for its own open, already past
    plan = plan_next_open(real_config(), REPO_ROOT, pd.Timestamp("2025-02-17T15:00:00+08:00"))
    assert (str(plan.session.date()), str(plan.last_close.date())) == ("2025-02-17", "2025-02-14")
    assert any("the order cutoff of the 2025-02-17 session (09:00 HKT) has passed" in w for w in plan.warnings)
    assert plan.news.available_at.max() <= pd.Timestamp("2025-02-17T15:00:00+08:00")
    assert XI in set(plan.news.headline) and "South Korea suspends DeepSeek downloads over privacy concerns" not in set(plan.news.headline)
    assert plan.orders.empty  # the Xi item (14:35) is tradable only on the 18th


def test_from_the_store_an_item_fetched_after_as_of_is_not_seen(tmp_path) -> None:
    store = tmp_path / "news.db"
    with NewsStore.open(store) as opened:
        import_file(opened, SAMPLE, Config().news)
        # a wire dated 19:00 that hkbt fetched only at 20:30
        opened.add([{"news_id": "00000000000000ff", "published_at": pd.Timestamp("2025-02-17T19:00:00+08:00"),
                     "headline": "Alibaba soars as AI model wins record orders", "source": "late wire", "url": "https://e.x/late"}],
                   feed="late_wire", origin="fetch", now=datetime(2025, 2, 17, 12, 30, tzinfo=timezone.utc))
    at_eight = plan_next_open(real_config(f"news.store={store}"), REPO_ROOT, EVENING)
    later = plan_next_open(real_config(f"news.store={store}"), REPO_ROOT, pd.Timestamp("2025-02-17T21:00:00+08:00"))
    assert "00000000000000ff" not in set(at_eight.news.news_id)
    assert "00000000000000ff" in set(later.news.news_id)
    alibaba = later.orders.set_index("ticker").loc["9988.HK"]
    assert "00000000000000ff" in alibaba.news_ids


def test_the_placeholder_bar_repeats_the_last_close_and_skips_suspended_names() -> None:
    bars = pd.DataFrame({"open": [1.0, 2.0], "high": [1.5, 2.5], "low": [0.5, 1.5], "close": [1.2, 2.2], "volume": [10.0, 20.0]},
                        index=pd.DatetimeIndex(["2025-02-14", "2025-02-17"]))
    out = with_placeholder(bars, pd.Timestamp("2025-02-17"), pd.Timestamp("2025-02-18"))
    assert out.loc["2025-02-18"].tolist() == [2.2, 2.2, 2.2, 2.2, 0.0]
    suspended = with_placeholder(bars.iloc[:1], pd.Timestamp("2025-02-17"), pd.Timestamp("2025-02-18"))
    assert list(suspended.index) == [pd.Timestamp("2025-02-14")]
    later = with_placeholder(bars, pd.Timestamp("2025-02-14"), pd.Timestamp("2025-02-17"))  # bars after as_of are cut
    assert later.loc["2025-02-17"].tolist() == [1.2, 1.2, 1.2, 1.2, 0.0]


def test_cli_prints_and_writes_the_orders_with_escaped_news(tmp_path) -> None:
    prices = require_shared("prices")
    news = tmp_path / "news.csv"
    news.write_text(SAMPLE.read_text(encoding="utf-8") + '"2025-02-17T18:00:00+08:00","<script>alert(1)</script> Alibaba soars on AI boom",'
                    '"","wire","javascript:alert(1)","9988.HK"\n', encoding="utf-8")
    args = ["today", "--config", str(REPO_ROOT / "config.yaml"), "--name", "plan", "--as-of", "2025-02-17 20:00"]
    for item in ["prices.source=csv", f"prices.csv_dir={prices}", f"news.path={news}", f"run.output_dir={tmp_path}",
                 "sentiment.cache_dir=null"]:
        args += ["--set", item]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "Orders for the XHKG open of Tue 2025-02-18 (09:30 HKT; place them before the 09:00 HKT cutoff)" in result.output
    assert "prices as of the close of Mon 2025-02-17" in result.output and "not a broker connection" in result.output
    orders = pd.read_csv(tmp_path / "plan" / "today.csv")
    assert {"9988.HK", "1810.HK"} <= set(orders.ticker) and set(orders.session) == {"2025-02-18"}
    html = (tmp_path / "plan" / "today.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; Alibaba soars" in html
    assert 'href="javascript:' not in html and XI in html and "A signal report, not a broker connection." in html


def test_bad_as_of_and_a_start_after_the_last_close_are_one_line_errors(tmp_path) -> None:
    base = ["today", "--config", str(REPO_ROOT / "config.yaml"), "--set", "prices.source=synthetic", "--set",
            f"run.output_dir={tmp_path}"]
    result = CliRunner().invoke(cli, [*base, "--as-of", "tomorrow-ish"])
    assert result.exit_code == 2 and "error: --as-of tomorrow-ish: not a time" in result.output
    with pytest.raises(ConfigError, match="run.start: must be before the last close 2024-03-22"):
        plan_next_open(load_config(REPO_ROOT / "config.yaml", ["prices.source=synthetic"]), REPO_ROOT,
                       pd.Timestamp("2024-03-24T12:00:00+08:00"))
