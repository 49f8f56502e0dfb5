"""The report, comparison and index pages in a real headless Chromium.

Debian's ``chromium`` (``/usr/bin/chromium``) driven by Playwright's Python
package with ``executable_path`` (no browser download). Locally a missing
browser skips these tests; under ``CI=true`` it fails them.

Each page must load with no console error, draw the expected number of Plotly
traces, make no request other than ``file://``, never run injected script (no
dialog), show hostile headlines as text, and have working tables. A full-page
screenshot of each page is saved beside it in the test's run folder.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from hkbt.reports.compare import write_compare, write_index

from report_runs import XSS_IMG, XSS_SCRIPT, report_runs

CHROMIUM = Path(os.environ.get("HKBT_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (required when CI=true: .ci/run installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


class Visit:
    """A page opened from a file, with everything it logged, requested or tried to pop up."""

    def __init__(self, browser, path: Path) -> None:
        self.page = browser.new_page(viewport={"width": 1360, "height": 900})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)
        self.page.goto(path.resolve().as_uri(), wait_until="load")
        self.page.wait_for_function("() => !document.querySelector('.plot') || document.querySelectorAll('.js-plotly-plot').length > 0")

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def traces(self) -> dict[str, int]:
        return self.page.evaluate("() => Object.fromEntries(Array.from(document.querySelectorAll('.js-plotly-plot')).map(d => [d.id, d.data.length]))")

    def assert_clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.dialogs == [], f"script ran: {self.dialogs}"
        foreign = [url for url in self.requests if not url.startswith("file://")]
        assert foreign == [], f"network requests: {foreign}"

    def screenshot(self, path: Path) -> Path:
        self.page.screenshot(path=str(path), full_page=True)
        extra = os.environ.get("HKBT_SCREENSHOT_DIR")
        if extra:
            Path(extra).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(extra) / path.name)
        return path


@pytest.fixture(scope="module")
def runs():
    return report_runs()


def _expected_report_traces(folder: Path) -> dict[str, int]:
    config = __import__("yaml").safe_load((folder / "config.resolved.yaml").read_text())
    tickers = config["universe"]["tickers"]
    proxy = 1 if config["universe"].get("proxy") else 0
    expected = {"fig-equity": 4 + proxy, "fig-monthly": 2, "fig-rolling": 2}
    # close, news, entry, exit, mean score, entry threshold
    expected |= {f"fig-ticker-{i}": 6 for i in range(len(tickers))}
    return expected


def test_demo_report_renders_offline(browser, runs):
    visit = Visit(browser, runs.demo / "report.html")
    assert visit.traces() == _expected_report_traces(runs.demo)
    drawn = visit.page.evaluate("() => document.querySelectorAll('#fig-equity .scatterlayer .trace').length")
    assert drawn == 4
    assert visit.page.evaluate("() => document.querySelectorAll('#fig-monthly .hm').length") == 2  # both heatmaps drawn
    metrics = json.loads((runs.demo / "metrics.json").read_text())
    tile = visit.page.locator('#kpis [data-key="total_return_pct"]')
    assert tile.is_visible() and json.loads(tile.get_attribute("data-value")) == metrics["total_return_pct"]
    assert visit.page.locator("#simulated-banner").is_visible()
    assert visit.page.locator("#audit-summary").inner_text() == f"{metrics['trades']} trades, 0 violations"
    # the linear/log toggle of the equity chart
    visit.page.locator("#fig-equity .updatemenu-button", has_text="log").click()
    visit.page.wait_for_function("() => document.getElementById('fig-equity').layout.yaxis.type === 'log'")
    # the news markers got their dates and hover text from the news table
    news_points = visit.page.evaluate("() => Array.from(document.querySelectorAll('[id^=fig-ticker-]')).map(d => d.data[1].x.length)")
    assert sum(news_points) > 0
    visit.screenshot(runs.demo / "report.png")
    visit.assert_clean()


def test_hostile_headlines_stay_text(browser, runs):
    visit = Visit(browser, runs.xss / "report.html")
    news_text = visit.page.locator("#news-body").inner_text()
    assert XSS_SCRIPT in news_text and XSS_IMG in news_text
    assert visit.page.evaluate("() => document.querySelectorAll('img, [onerror], a[href^=javascript]').length") == 0
    # expand the first trade: its news shows the headline as text
    visit.page.locator("#trades-table button.expand").first.click()
    detail = visit.page.locator("#trade-detail-1")
    assert detail.is_visible() and XSS_SCRIPT in detail.inner_text()
    # the chart hover label of that news item shows it as text too
    hover = visit.page.evaluate("""() => {
        const gd = document.getElementById('fig-ticker-0');           // 9988.HK, the first ticker
        Plotly.Fx.hover(gd, [{curveNumber: 1, pointNumber: 0}]);
        return gd.querySelector('.hoverlayer').textContent;
    }""")
    assert XSS_SCRIPT in hover
    assert visit.page.evaluate("() => document.querySelectorAll('.hoverlayer script, .hoverlayer img').length") == 0
    visit.screenshot(runs.xss / "report.png")
    visit.assert_clean()


def _visible_column(visit: Visit, column: int) -> list[str]:
    return visit.page.evaluate(f"""() => Array.from(document.querySelectorAll('#trades-table tbody[data-row]'))
        .filter(g => !g.hidden).map(g => g.rows[0].cells[{column}].textContent.trim())""")


def test_trades_table_sorts_and_filters(browser, runs):
    trades = pd.read_csv(runs.loose / "trades.csv", dtype={"ticker": str})
    assert len(trades) > 5 and trades.ticker.nunique() > 1
    visit = Visit(browser, runs.loose / "report.html")
    header = visit.page.locator("#trades-table th", has_text="P&L HKD")
    header.click()
    pnl = [float(v.replace(",", "")) for v in _visible_column(visit, 8)]
    assert pnl == sorted(pnl) and len(pnl) == len(trades)
    header.click()
    pnl = [float(v.replace(",", "")) for v in _visible_column(visit, 8)]
    assert pnl == sorted(pnl, reverse=True)
    ticker = trades.ticker.value_counts().index[0]
    visit.page.locator("#trade-filter").fill(ticker[:4])
    shown = _visible_column(visit, 2)
    assert shown == [ticker] * int((trades.ticker == ticker).sum())
    assert visit.page.locator("#trade-count").inner_text() == f"{len(shown)} of {len(trades)} shown"
    visit.page.locator("#trade-filter").fill("")
    assert len(_visible_column(visit, 2)) == len(trades)
    visit.assert_clean()


def test_news_table_pages_and_filters(browser, runs):
    news = pd.read_csv(runs.demo / "news.csv")
    visit = Visit(browser, runs.demo / "report.html")
    rows = visit.page.locator("#news-body tr")
    assert rows.count() == min(100, len(news))
    if len(news) > 100:
        visit.page.locator("#news-next").click()
        assert rows.count() == len(news) - 100
    visit.page.locator("#news-filter").fill("Tencent")
    expected = int(news.headline.str.contains("Tencent", case=False).sum())
    assert rows.count() >= expected > 0
    visit.page.locator("#news-filter").fill("")
    visit.page.locator("#news-used").check()
    used = {i for ids in pd.read_csv(runs.demo / "trades.csv", dtype=str).news_ids for i in ids.split(";")}
    assert rows.count() == len(used)
    visit.assert_clean()


def test_comparison_page(browser, runs):
    page = write_compare([runs.demo, runs.loose], runs.root)
    visit = Visit(browser, page)
    # one line per run plus the shared index line, in both charts
    assert visit.traces() == {"fig-growth": 3, "fig-drawdown": 3}
    assert visit.page.locator("#compare-metrics td.best").count() > 0
    assert visit.page.locator("#differs-table").inner_text().count("strategy.params.entry_threshold") == 1
    visit.screenshot(runs.root / "compare" / f"{page.stem}.png")
    visit.assert_clean()
    visit.page.locator("a.report-link").first.click()
    visit.page.wait_for_load_state("load")
    assert visit.page.url == (runs.demo / "report.html").resolve().as_uri()


def test_index_page(browser, runs):
    index = write_index(runs.root)
    visit = Visit(browser, index)
    assert visit.page.locator("#runs-index tbody tr").count() == 3
    assert visit.traces() == {}
    visit.screenshot(runs.root / "index.png")
    visit.assert_clean()


def test_skipped_signals_table_is_built_sorts_filters_and_expands(browser, runs):
    """The page builds the signals-not-traded table from JSON: one row per skipped signal, sortable, filterable, with its news as text."""
    skipped = pd.read_csv(runs.demo / "skipped.csv", keep_default_na=False, dtype={"ticker": str})
    news = pd.read_csv(runs.demo / "news.csv", keep_default_na=False).set_index("news_id")
    assert len(skipped) > 1
    visit = Visit(browser, runs.demo / "report.html")
    groups = visit.page.locator("#skipped-table tbody[data-row]")
    assert groups.count() == min(len(skipped), 5000)
    newest = skipped.sort_values(["session", "ticker"], ascending=[False, True], kind="stable").iloc[0]
    visit.page.locator("#skipped-table button.expand").first.click()
    detail = visit.page.locator("#skipped-detail-0")
    assert detail.is_visible()
    assert [line.split("\n")[-1] for line in detail.locator("li").all_inner_texts()] == [
        news.loc[i, "headline"] for i in newest.news_ids.split(";")]
    visit.page.locator("#skipped-table th", has_text="score").click()
    scores = visit.page.evaluate("""() => Array.from(document.querySelectorAll('#skipped-table tbody[data-row]'))
        .map(g => g.rows[0].cells[4].textContent.trim()).filter(t => t !== '—').map(t => parseFloat(t))""")
    assert scores == sorted(scores)
    reason = skipped.reason.value_counts().index[-1]
    visit.page.locator("#skipped-filter").fill(reason)
    count = int((skipped.reason.str.contains(reason)).sum())  # a reason may contain another's name
    assert visit.page.locator("#skipped-count").inner_text() == f"{count} of {min(len(skipped), 5000)} shown"
    visit.assert_clean()


def test_hostile_headlines_stay_text_in_the_skipped_signals_table(browser, runs, tmp_path):
    """A skipped signal citing hostile headlines and links: the rows built from JSON show them as text, run nothing."""
    from hkbt.reports.run_report import write_report

    folder = tmp_path / "xss"
    shutil.copytree(runs.xss, folder)
    news = pd.read_csv(folder / "news.csv", keep_default_na=False)
    hostile = news[news.headline.str.contains("<script>|<img", regex=True)].news_id.tolist()
    assert len(hostile) >= 2
    skipped = pd.read_csv(folder / "skipped.csv", keep_default_na=False, dtype=str)
    row = {column: "" for column in skipped.columns} | {
        "session": "2025-03-04", "ticker": "1810.HK", "reason": "threshold", "detail": XSS_IMG, "score": "0.1",
        "news_count": str(len(hostile)), "news_ids": ";".join(hostile)}
    pd.concat([skipped, pd.DataFrame([row])]).to_csv(folder / "skipped.csv", index=False)
    write_report(folder)
    visit = Visit(browser, folder / "report.html")
    visit.page.evaluate("() => document.querySelectorAll('#skipped-table button.expand').forEach(b => b.click())")
    text = visit.page.locator("#skipped-table").inner_text()
    assert XSS_SCRIPT in text and XSS_IMG in text
    assert visit.page.evaluate("() => document.querySelectorAll('#skipped-table img, #skipped-table script, "
                               "#skipped-table [onerror], #skipped-table a[href^=javascript]').length") == 0
    assert visit.page.evaluate("() => document.querySelectorAll('#skipped-table a').length") >= 1  # the https link stays a link
    visit.assert_clean()
