"""The per-run HTML report: pure chart data, the look-ahead audit, escaping, and KPI == metrics.json.

Runs come from :mod:`report_runs` (built once through ``hkbt run``). The page
is parsed with the standard library's HTML parser; the browser checks are in
``test_browser.py``.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hkbt.reports.run_report import (
    KPI_TILES,
    build_metric_rows,
    day_texts,
    format_value,
    hkt_texts,
    highlight_yaml,
    json_for_html,
    render_report,
    safe_url,
    safe_urls,
)
from hkbt.reports.chart_data import (
    compute_audit,
    compute_audit_summary,
    compute_drawdown_series,
    compute_excess_monthly_returns,
    compute_monthly_returns,
    compute_news_usage,
    compute_rolling_beta,
    compute_rolling_sharpe,
    compute_news_by_ticker,
    flatten_config,
    is_run_folder,
    RunData,
    load_run,
)
from click.testing import CliRunner
from markupsafe import escape

from hkbt.cli.main import cli
from hkbt.news.sessions import xhkg_schedule

from conftest import REPO_ROOT
from report_runs import XSS_ALIAS, XSS_IMG, XSS_SCRIPT, report_runs


class Page(HTMLParser):
    """Collects elements carrying ``data-key``/``data-value`` with their text, and every href."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: list[dict] = []
        self.hrefs: list[str] = []
        self.rels: list[str | None] = []
        self._open: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "href" in attrs:
            self.hrefs.append(attrs["href"])
            self.rels.append(attrs.get("rel"))
        if "data-key" in attrs and "data-value" in attrs:
            item = {"tag": tag, "key": attrs["data-key"], "value": attrs["data-value"], "text": "", "depth": 0}
            self.values.append(item)
            self._open.append(item)
        elif self._open:
            self._open[-1]["depth"] += 1

    def handle_endtag(self, tag):
        if self._open:
            if self._open[-1]["depth"] == 0:
                self._open.pop()
            else:
                self._open[-1]["depth"] -= 1

    def handle_data(self, data):
        if self._open:
            self._open[-1]["text"] += data


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


@pytest.fixture(scope="module")
def runs():
    return report_runs()


@pytest.fixture(scope="module")
def demo_html(runs) -> str:
    return (runs.demo / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def xss_html(runs) -> str:
    return (runs.xss / "report.html").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------ pure series

DAYS = pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-31", "2025-02-03", "2025-02-28", "2025-03-03"])


def test_drawdown_series_from_the_running_peak():
    values = pd.Series([100.0, 120.0, 90.0, 130.0, 117.0, 130.0], index=DAYS)
    assert compute_drawdown_series(values).round(6).tolist() == [0.0, 0.0, -25.0, 0.0, -10.0, 0.0]


def test_monthly_returns_compound_to_the_total_return():
    values = pd.Series([100.0, 110.0, 121.0, 100.0, 90.0, 99.0], index=DAYS)
    table = compute_monthly_returns(values)
    assert list(table.index) == [2025] and list(table.columns) == list(range(1, 13))
    assert table.loc[2025, 1] == pytest.approx(21.0)  # 100 -> 121 (from the first session's value)
    assert table.loc[2025, 2] == pytest.approx(90 / 121 * 100 - 100)
    assert table.loc[2025, 3] == pytest.approx(10.0)
    assert table.loc[2025, 4:].isna().all()
    growth = np.prod([1 + r / 100 for r in table.loc[2025, 1:3]])
    assert growth - 1 == pytest.approx(values.iloc[-1] / values.iloc[0] - 1)


def test_monthly_returns_span_years_and_excess_is_a_difference():
    index = pd.to_datetime(["2024-12-30", "2024-12-31", "2025-01-02", "2025-01-31"])
    ours = pd.Series([100.0, 102.0, 103.0, 104.04], index=index)
    index_values = pd.Series([100.0, 101.0, 101.0, 106.05], index=index)
    table = compute_monthly_returns(ours)
    assert list(table.index) == [2024, 2025]
    assert table.loc[2024, 12] == pytest.approx(2.0) and table.loc[2025, 1] == pytest.approx(2.0)
    excess = compute_excess_monthly_returns(ours, index_values)
    assert excess.loc[2024, 12] == pytest.approx(1.0) and excess.loc[2025, 1] == pytest.approx(2.0 - 5.0)


def test_rolling_sharpe_and_beta():
    rng = np.random.default_rng(1)
    bench_returns = rng.normal(0.0005, 0.01, 200)
    index = pd.bdate_range("2024-01-01", periods=201)
    bench = pd.Series(100 * np.cumprod(np.r_[1, 1 + bench_returns]), index=index)
    levered = pd.Series(100 * np.cumprod(np.r_[1, 1 + 2 * bench_returns]), index=index)
    beta = compute_rolling_beta(levered, bench, window=60)
    assert beta.iloc[:60].isna().all() and beta.iloc[60:].round(9).eq(2.0).all()
    sharpe = compute_rolling_sharpe(bench, window=60)
    window = bench.pct_change().iloc[-60:]
    assert sharpe.iloc[-1] == pytest.approx(window.mean() / window.std() * math.sqrt(252))
    flat = pd.Series(100.0, index=index)
    assert compute_rolling_sharpe(flat, window=60).isna().all()  # no variation: no Sharpe, not inf


# ------------------------------------------------------------------------------ look-ahead audit

SCHEDULE = xhkg_schedule(pd.Timestamp("2025-01-20").date(), pd.Timestamp("2025-02-20").date())


def _trade(trade_id: int, entry: str, ids: list[str], published: list[str]) -> dict:
    return {"trade_id": trade_id, "ticker": "0700.HK", "entry_session": pd.Timestamp(entry),
            "news_ids": ";".join(ids), "news_published_at": ";".join(published)}


NEWS = pd.DataFrame({
    "news_id": ["a", "b", "c"],
    "headline": ["ok before the cutoff", "published at 09:15 HKT", "late but mislabelled"],
    "published_at": pd.to_datetime(["2025-02-03 00:59", "2025-02-03 01:15", "2025-02-03 02:00"], utc=True),
    "tradable_session": pd.to_datetime(["2025-02-03", "2025-02-04", "2025-02-03"]),
})


def test_audit_passes_a_clean_trade():
    trades = pd.DataFrame([_trade(1, "2025-02-03", ["a"], ["2025-02-03T00:59:00+00:00"])])
    audit = compute_audit(trades, NEWS, SCHEDULE, 30)
    assert audit.ok.tolist() == [True]
    assert audit.fill_at[0] == pd.Timestamp("2025-02-03 01:30", tz="UTC")  # 09:30 HKT open, from XHKG
    assert audit.cutoff_at[0] == pd.Timestamp("2025-02-03 01:00", tz="UTC")
    assert compute_audit_summary(audit, 1) == {"trades": 1, "violations": 0, "items": 1}


def test_audit_flags_a_trade_that_peeked():
    trades = pd.DataFrame([
        _trade(1, "2025-02-03", ["a"], ["2025-02-03T00:59:00+00:00"]),
        _trade(2, "2025-02-03", ["b"], ["2025-02-03T01:15:00+00:00"]),   # 09:15 HKT: after the 09:00 cutoff, traded at 09:30
        _trade(3, "2025-02-03", ["c"], ["2025-02-03T02:00:00+00:00"]),   # recorded as tradable the same day: a lie
        _trade(4, "2025-02-03", ["zz"], ["2025-02-01T00:00:00+00:00"]),  # cites news that is not in news.csv
        _trade(5, "2025-02-03", [], []),                                 # cites nothing: not news-driven (basket_hold)
    ])
    audit = compute_audit(trades, NEWS, SCHEDULE, 30)
    status = dict(zip(audit.trade_id, audit.ok))
    assert status == {1: True, 2: False, 3: False, 4: False, 5: True}
    problems = dict(zip(audit.trade_id, audit.problem))
    assert "after the order cutoff" in problems[2] and "before the news was tradable" in problems[2]
    assert "after the order cutoff" in problems[3] and "disagrees with the XHKG calendar" in problems[3]
    assert "not in news.csv" in problems[4]
    assert "no news cited" in problems[5]
    assert compute_audit_summary(audit, 5)["violations"] == 3


def test_audit_exactly_at_the_cutoff_is_a_violation():
    trades = pd.DataFrame([_trade(1, "2025-02-03", ["x"], ["2025-02-03T01:00:00+00:00"])])
    news = pd.DataFrame({"news_id": ["x"], "headline": ["09:00 sharp"], "published_at": pd.to_datetime(["2025-02-03 01:00"], utc=True),
                         "tradable_session": pd.to_datetime(["2025-02-04"])})
    audit = compute_audit(trades, news, SCHEDULE, 30)
    assert not audit.ok[0] and audit.calendar_session[0] == pd.Timestamp("2025-02-04")


def test_the_report_shows_the_computed_audit(runs, demo_html):
    run = load_run(runs.demo)
    assert len(run.trades) > 0
    match = re.search(r'id="audit-summary">(\d+) trades, (\d+) violations?<', demo_html)
    assert match and int(match.group(1)) == len(run.trades) == run.metrics["trades"] and match.group(2) == "0"
    assert demo_html.count('<span class="ok">OK</span>') == sum(len(ids.split(";")) for ids in run.trades.news_ids)


def test_a_tampered_run_folder_shows_its_violation(runs, tmp_path):
    folder = tmp_path / "tampered"
    shutil.copytree(runs.demo, folder)
    trades = pd.read_csv(folder / "trades.csv", dtype=str)
    first = trades.news_published_at[0].split(";")
    trades.loc[0, "news_published_at"] = ";".join([trades.entry_session[0] + "T03:00:00+00:00"] + first[1:])  # 11:00 HKT, after the open
    trades.to_csv(folder / "trades.csv", index=False)
    html = render_report(folder)
    assert re.search(r'id="audit-summary">\d+ trades, 1 violation<', html)
    assert "VIOLATION" in html


def test_the_resolved_config_is_read_through_the_config_schema(runs, tmp_path):
    from hkbt.config import Config
    from hkbt.errors import DataError

    run = load_run(runs.demo)
    assert isinstance(run.settings, Config) and run.config == run.settings.resolved()
    assert run.settings.signals.cutoff_before_open_minutes == 30  # read, not restated by the report
    folder = tmp_path / "old"
    shutil.copytree(runs.demo, folder)
    text = (folder / "config.resolved.yaml").read_text(encoding="utf-8")
    (folder / "config.resolved.yaml").write_text(text.replace("  params:\n", "  entry_threshold: 0.5\n  params:\n"), encoding="utf-8")
    with pytest.raises(DataError, match="strategy.entry_threshold: Extra inputs are not permitted .written by another hkbt version"):
        load_run(folder)


# ------------------------------------------------------------------------------ KPI tiles and metrics table


def test_every_kpi_tile_equals_metrics_json(runs, demo_html):
    metrics = json.loads((runs.demo / "metrics.json").read_text())
    section = demo_html[demo_html.index('<section id="kpis"'): demo_html.index('<section id="equity"')]
    shown = parse(section).values
    kinds = {key: kind for _, key, kind, _ in KPI_TILES}
    keys = [item["key"] for item in shown]
    for _, key, _, _ in KPI_TILES:
        assert key in keys, f"no KPI tile for {key}"
    assert {"benchmark_total_return_pct", "benchmark_cagr_pct", "benchmark_max_drawdown_pct"} <= set(keys)
    for item in shown:
        assert json.loads(item["value"]) == metrics[item["key"]], item
        kind = kinds.get(item["key"]) or kinds[item["key"].replace("benchmark_", "")]
        assert item["text"].strip() == format_value(metrics[item["key"]], kind), item
        number = float(re.sub(r"[^\d.+-]", "", item["text"]))
        assert number == pytest.approx(metrics[item["key"]], abs=0.006)


def test_metrics_table_shows_every_metrics_key_side_by_side(runs, demo_html):
    metrics = json.loads((runs.demo / "metrics.json").read_text())
    section = demo_html[demo_html.index('<section id="metrics"'): demo_html.index('<section id="news"')]
    cells = {item["key"]: item for item in parse(section).values}
    assert set(cells) == {k for k in metrics if k not in {"run", "warning"}}
    for key, item in cells.items():
        assert json.loads(item["value"]) == metrics[key]
    assert "benchmark_sharpe" in cells and "benchmark_annual_volatility_pct" in cells


def test_metrics_rows_keep_unknown_keys():
    rows, has_proxy = build_metric_rows({"total_return_pct": 1.0, "brand_new_ratio": 0.5, "run": {}})
    assert not has_proxy
    assert [row["cells"][0]["key"] for row in rows] == ["total_return_pct", "brand_new_ratio"]


# ------------------------------------------------------------------------------ escaping


def test_hostile_text_never_appears_unescaped(xss_html):
    for raw in (XSS_SCRIPT, XSS_IMG, XSS_ALIAS, "<b>bold</b>", "<i>wire</i>", "onerror=alert(1)>"):
        assert raw not in xss_html, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in xss_html  # shown as text (trades, audit)
    assert "&lt;img src=x onerror=alert(1)&gt;" in xss_html
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in xss_html  # inside the JSON data
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in xss_html  # the alias, in the config section
    # only our own scripts: every <script> tag is one the template wrote
    skipped_rows = int('id="hkbt-skipped"' in xss_html)  # the signals-not-traded rows, as JSON for the page
    assert len(re.findall(r"<script\b", xss_html)) == 5 + skipped_rows


def test_only_http_links_with_noopener(xss_html):
    page = parse(xss_html)
    external = [(h, r) for h, r in zip(page.hrefs, page.rels) if not h.startswith("#") and not h.endswith(".html")]
    assert external, "the trades table links its news"
    for href, rel in external:
        assert href.startswith(("http://", "https://")), href
        assert rel == "noopener noreferrer"
    assert not any("javascript:" in h for h in page.hrefs)
    assert safe_url("javascript:alert(1)") == "" and safe_url(" HTTPS://x.org/a ") == "HTTPS://x.org/a" and safe_url(None) == ""


def test_column_formatters_agree_with_the_one_value_forms():
    urls = pd.Series(["javascript:alert(1)", " HTTPS://x.org/a ", None, "", "data:text/html,x", "http://ok.hk/1"])
    assert safe_urls(urls).tolist() == [safe_url(u) for u in urls]
    stamps = pd.Series(pd.to_datetime(["2025-02-17 01:05:00", None, "2024-12-31 16:00:00"], utc=True))
    assert hkt_texts(stamps).tolist() == ["2025-02-17 09:05 HKT", "—", "2025-01-01 00:00 HKT"]
    assert hkt_texts(stamps, "%H:%M").tolist() == ["09:05", "—", "00:00"]
    assert hkt_texts(pd.Series([pd.NaT, pd.NaT])).tolist() == ["—", "—"]  # a column of NaT only has no time zone
    days = pd.Series(pd.to_datetime(["2025-02-18", None]))
    assert day_texts(days).tolist() == ["2025-02-18", "—"] and day_texts(pd.Timestamp("2025-02-18")).tolist() == ["2025-02-18"]


def test_json_for_html_cannot_close_a_script():
    text = str(json_for_html({"h": "</script><script>alert(1)</script>", "q": "it's & <b>"}))
    assert "<" not in text and ">" not in text and "&" not in text and "'" not in text
    assert json.loads(text) == {"h": "</script><script>alert(1)</script>", "q": "it's & <b>"}


def test_yaml_highlighting_tokens():
    lines = highlight_yaml("# head\nrun:\n  name: demo\n  cash: 1000.5\n  proxy: null\n  tickers:\n  - 9988.HK\n  - NYSE:BABA\n  bad: <script>x</script>\n")
    assert lines[0] == [("c", "# head")]
    assert lines[1] == [("k", "run"), ("p", ":")]
    assert lines[2] == [("", "  "), ("k", "name"), ("p", ":"), ("", " "), ("s", "demo")]
    assert lines[3][-1] == ("n", "1000.5") and lines[4][-1] == ("b", "null")
    assert lines[6] == [("", "  "), ("p", "- "), ("s", "9988.HK")]
    assert lines[7][-1] == ("s", "NYSE:BABA")
    assert lines[8][-1] == ("s", "<script>x</script>")  # raw token: the template escapes it


def test_config_section_is_escaped_and_complete(runs, xss_html):
    section = xss_html[xss_html.index('<section id="config"'): xss_html.index("</section>", xss_html.index('<section id="config"'))]
    assert '<span class="k">entry_threshold</span>' in section
    text = re.sub(r"<[^>]+>", "", section)
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in text


# ------------------------------------------------------------------------------ built from the folder only


def test_report_is_built_from_the_run_folder_alone(runs, tmp_path):
    copy = tmp_path / "copied"
    shutil.copytree(runs.demo, copy)
    (copy / "report.html").unlink()
    html = render_report(copy)
    assert 'data-key="total_return_pct"' in html and "fig-ticker-0" in html
    assert is_run_folder(copy)


def test_older_run_folders_without_prices_still_render(runs, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(runs.demo, old)
    for name in ("prices.csv", "run_info.json", "report.html"):
        (old / name).unlink()
    html = render_report(old)
    assert "no prices.csv in this run folder" in html


def test_news_usage_and_ticker_news(runs):
    run = load_run(runs.xss)
    used = compute_news_usage(run.trades)
    # the market-wide stimulus item ties every name (same scope, score and count): the free slots are shared by
    # the seven names not already held, so seven trades cite it
    assert sorted(len(v) for v in used.values()) == [1, 1, 1, 7]
    market_wide = run.news[run.news.tickers == ""].news_id.tolist()
    for ticker in ("1211.HK", "9618.HK"):  # named by no item: only the market-wide policy news feeds them
        assert compute_news_by_ticker(run.signals, run.news, [ticker])[ticker].news_id.tolist() == market_wide


def test_flatten_config():
    assert flatten_config({"a": {"b": 1, "c": {"d": [1, 2]}}, "e": {}}) == {"a.b": 1, "a.c.d": [1, 2], "e": {}}


def test_every_news_item_is_in_the_news_table(runs, demo_html):
    data = json.loads(re.search(r'id="hkbt-news">(.*?)</script>', demo_html, re.S).group(1))
    news = pd.read_csv(runs.demo / "news.csv")
    assert len(data["rows"]) == len(news)
    used = {i for ids in pd.read_csv(runs.demo / "trades.csv", dtype=str).news_ids for i in ids.split(";")}
    assert data["used"] == len(used)


def test_the_page_makes_no_reference_to_the_network(demo_html):
    without_links = re.sub(r'href="https?://[^"]*"', "", demo_html)
    for pattern in (r'<script[^>]+src=', r'<link[^>]+href=', r"@import", r'src="https?:', r"url\(https?:"):
        assert not re.search(pattern, without_links), pattern
    assert demo_html.count("* plotly.js v") == 1  # plotly's bundle, inlined exactly once
    assert "default-src 'none'" in demo_html  # and the page forbids fetching anything


def test_simulated_banner_only_for_synthetic_runs(runs, demo_html, tmp_path):
    assert 'id="simulated-banner"' in demo_html and "SIMULATED PRICES" in demo_html
    real = tmp_path / "real"
    shutil.copytree(runs.demo, real)
    metrics = json.loads((real / "metrics.json").read_text())
    metrics.pop("warning")
    metrics["run"] |= {"simulated_prices": False, "price_source": "csv"}
    (real / "metrics.json").write_text(json.dumps(metrics))
    assert 'id="simulated-banner"' not in render_report(real)


def test_write_run_leaves_nothing_when_the_report_fails(runs, tmp_path, monkeypatch):
    """The report is rendered inside the staging folder: if it fails, no run folder appears."""
    from hkbt.backtest import results

    class Boom(Exception):
        pass

    def render(run: RunData) -> str:
        assert (run.folder / "metrics.json").is_file() and (run.folder / "trades.csv").is_file()
        raise Boom

    demo = load_run(runs.demo)

    def write_files(artifacts, folder: Path) -> tuple[pd.DataFrame, str]:
        shutil.copytree(runs.demo, folder, dirs_exist_ok=True)
        return demo.news, demo.config_text

    artifacts = type("A", (), {"config": demo.settings})()
    monkeypatch.setattr(results, "_write_files", write_files)
    with pytest.raises(Boom):
        results.write_run(artifacts, tmp_path / "never", render)
    assert list(tmp_path.iterdir()) == []


def test_hkbt_report_rerenders_a_copied_run_folder(runs, tmp_path):
    from click.testing import CliRunner

    from hkbt.cli.main import cli

    copy = tmp_path / "backtests" / "demo"
    shutil.copytree(runs.demo, copy)
    (copy / "report.html").write_text("stale", encoding="utf-8")
    result = CliRunner().invoke(cli, ["report", "demo", "--dir", str(tmp_path / "backtests")])
    assert result.exit_code == 0, result.output
    html = (copy / "report.html").read_text(encoding="utf-8")
    assert html != "stale" and 'data-key="total_return_pct"' in html  # (the page carries its render time)
    assert (tmp_path / "backtests" / "index.html").is_file()
    missing = CliRunner().invoke(cli, ["report", "demx", "--dir", str(tmp_path / "backtests")])
    assert missing.exit_code == 2 and "did you mean 'demo'?" in missing.output


def test_signals_not_traded_are_listed_with_their_reasons(runs, demo_html):
    skipped = pd.read_csv(runs.demo / "skipped.csv", keep_default_na=False)
    assert len(skipped) > 0  # the demo has signals below the threshold at least
    section = demo_html[demo_html.index('<section id="skipped">'):]
    section = section[: section.index("</section>")]
    assert f"Signals not traded, and why ({len(skipped)})" in section
    for reason, count in skipped.reason.value_counts().items():
        assert f"<td>{reason}</td><td class=\"num\">{count}</td>" in section
    # the rows go to the page as JSON (the page builds the table): newest first, each with the news behind it
    payload = section[section.index('<script type="application/json" id="hkbt-skipped">'):]
    spec = json.loads(payload[payload.index(">") + 1: payload.index("</script>")])
    rows = spec["rows"]
    assert len(rows) == min(len(skipped), 5000)
    news = pd.read_csv(runs.demo / "news.csv", keep_default_na=False).set_index("news_id")
    first = skipped.sort_values(["session", "ticker"], ascending=[False, True], kind="stable").iloc[0]
    assert (rows[0]["ticker"], rows[0]["reason"], rows[0]["news"]) == (first.ticker, first.reason, first.news_ids.split(";"))
    assert [spec["news"][i]["headline"] for i in rows[0]["news"]] == [news.loc[i, "headline"] for i in first.news_ids.split(";")]


def test_older_run_folders_without_skipped_csv_have_no_such_section(runs, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(runs.demo, old)
    (old / "skipped.csv").unlink()
    assert '<section id="skipped">' not in render_report(old)


def test_an_exit_on_news_shows_the_news_it_sold_on(tmp_path):
    result = CliRunner().invoke(cli, [
        "run", "--config", str(REPO_ROOT / "config.yaml"), "--name", "exits", "--set", f"run.output_dir={tmp_path}",
        "--set", "prices.source=synthetic", "--set", "sentiment.cache_dir=null",
        "--set", "strategy.params.exit_threshold=0.0", "--set", "strategy.params.hold_days=20"])
    assert result.exit_code == 0, result.output
    trades = pd.read_csv(tmp_path / "exits" / "trades.csv", keep_default_na=False)
    news = pd.read_csv(tmp_path / "exits" / "news.csv", keep_default_na=False).set_index("news_id")
    sold = trades[trades.exit_reason == "exit_signal"]
    assert len(sold) > 0 and (sold.exit_news_ids != "").all()
    page = (tmp_path / "exits" / "report.html").read_text(encoding="utf-8")
    assert page.count("Sold on this news") == len(sold)
    for ids in sold.exit_news_ids:
        for news_id in ids.split(";"):
            assert str(escape(news.loc[news_id, "headline"])) in page
