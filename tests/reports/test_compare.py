"""``hkbt compare`` and ``backtests/index.html``: best-value highlighting, what differs, links, errors."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from hkbt.cli.main import cli
from hkbt.reports.compare import (
    COMPARE_METRICS,
    HIGHER,
    LOWER,
    NEITHER,
    compare_slug,
    compute_best,
    compute_config_diff,
    compute_trade_counts,
    list_runs,
    render_index,
    resolve_runs,
    write_compare,
)
from hkbt.errors import ConfigError, DataError
from hkbt.reports.chart_data import load_run
from hkbt.backtest.results import run_folder

from report_runs import report_runs


@pytest.fixture(scope="module")
def runs():
    return report_runs()


def test_best_value_direction_ties_and_nulls():
    assert compute_best([1.0, 3.0, 2.0], HIGHER) == {1}
    assert compute_best([1.0, 3.0, 2.0], LOWER) == {0}
    assert compute_best([-3.8, -1.9, None], HIGHER) == {1}  # max drawdown: closer to zero wins
    assert compute_best([2.0, None, 2.0, 1.0], HIGHER) == {0, 2}  # ties all win
    assert compute_best([5.0, 5.0], HIGHER) == set()  # nothing to choose
    assert compute_best([None, 4.0], LOWER) == set()  # a lone value is no winner
    assert compute_best([1.0, 9.0], NEITHER) == set()
    assert compute_best([True, 0.5], HIGHER) == set()  # booleans are not numbers here


def test_every_compare_metric_knows_its_direction():
    directions = {key: direction for _, key, _, direction in COMPARE_METRICS}
    assert directions["max_drawdown_pct"] == HIGHER and directions["annual_volatility_pct"] == LOWER
    assert directions["total_costs_hkd"] == LOWER and directions["sharpe"] == HIGHER and directions["beta"] == NEITHER


def test_config_diff_lists_only_differing_keys():
    a = {"run": {"name": "a", "start": "2024-01-01"}, "strategy": {"entry_threshold": 0.5, "topics": ["policy", "ai"], "hold_days": 5}}
    b = {"run": {"name": "b", "start": "2024-01-01"}, "strategy": {"entry_threshold": 0.7, "topics": ["ai"], "hold_days": 5, "stop_loss": 0.1}}
    assert compute_config_diff([a, b]) == [
        ("strategy.entry_threshold", [0.5, 0.7]),
        ("strategy.topics", [["policy", "ai"], ["ai"]]),
        ("strategy.stop_loss", [None, 0.1]),
    ]
    assert compute_config_diff([a, a]) == []


def test_trade_counts_by_ticker():
    import pandas as pd

    one = pd.DataFrame({"ticker": ["0700.HK", "0700.HK", "9988.HK"]})
    two = pd.DataFrame({"ticker": ["1810.HK"]})
    counts = compute_trade_counts([one, two], ["a", "b"], ["9988.HK", "0700.HK", "1810.HK", "3690.HK"])
    assert counts.to_dict() == {"a": {"9988.HK": 1, "0700.HK": 2, "1810.HK": 0, "3690.HK": 0},
                                "b": {"9988.HK": 0, "0700.HK": 0, "1810.HK": 1, "3690.HK": 0}}


def test_slug():
    assert compare_slug(["demo", "loose"]) == "demo_vs_loose"
    long = compare_slug([f"run_number_{i}" for i in range(12)])
    assert len(long) <= 100 and "12_runs" in long


@pytest.fixture(scope="module")
def page(runs) -> tuple[Path, str]:
    path = write_compare([runs.demo, runs.loose], runs.root)
    return path, path.read_text(encoding="utf-8")


def test_compare_page_location_and_links(runs, page):
    path, html = page
    assert path == runs.root / "compare" / "demo_vs_loose.html"
    links = re.findall(r'class="report-link" href="([^"]+)"', html)
    assert links == ["../demo/report.html", "../loose/report.html"]
    for link in links:
        assert (path.parent / link).resolve().is_file()
    assert not list(path.parent.glob(".*"))  # written atomically: no temporary left


def test_compare_highlights_the_best_value_per_row(runs, page):
    _, html = page
    metrics = [json.loads((folder / "metrics.json").read_text()) for folder in (runs.demo, runs.loose)]
    table = html[html.index('id="compare-metrics"'):html.index("</table>", html.index('id="compare-metrics"'))]
    rows = dict(re.findall(r'<tr data-key="([^"]+)">(.*?)</tr>', table, re.S))
    assert rows, "no metric rows"
    highlighted_somewhere = False
    for _label, key, _kind, direction in COMPARE_METRICS:
        if key not in rows:
            continue
        cells = re.findall(r'<td class="num([^"]*)" data-value="([^"]*)">', rows[key])
        assert [json.loads(raw) for _, raw in cells] == [m.get(key) for m in metrics]
        best = {i for i, (classes, _) in enumerate(cells) if "best" in classes.split()}
        assert best == compute_best([m.get(key) for m in metrics], direction), key
        highlighted_somewhere |= bool(best)
    assert highlighted_somewhere


def test_compare_says_what_differs(page):
    _, html = page
    table = html[html.index('id="differs-table"'):html.index("</table>", html.index('id="differs-table"'))]
    keys = re.findall(r"<tr><td><code>([^<]+)</code></td>", table)
    assert keys == ["strategy.params.entry_threshold"]
    assert "<code>0.5</code>" in table and "<code>0.3</code>" in table


def test_compare_counts_trades_per_ticker(runs, page):
    _, html = page
    table = html[html.index('id="counts-table"'):html.index("</table>", html.index('id="counts-table"'))]
    totals = re.findall(r'<td class="num"><b>(\d+)</b></td>', table)
    assert [int(t) for t in totals] == [load_run(runs.demo).metrics["trades"], load_run(runs.loose).metrics["trades"]]


def test_same_period_has_no_mismatch_note_but_different_ones_do(runs, page, tmp_path):
    _, html = page
    assert 'class="warn mismatch"' not in html
    other = write_compare([runs.demo, runs.xss], runs.root)
    text = other.read_text(encoding="utf-8")
    assert "different periods" in text and 'class="warn mismatch"' in text


def test_compare_cli_and_index(runs):
    result = CliRunner().invoke(cli, ["compare", "demo", "loose", "--dir", str(runs.root)])
    assert result.exit_code == 0, result.output
    assert "demo_vs_loose.html" in result.output
    index = (runs.root / "index.html").read_text(encoding="utf-8")
    assert 'href="./compare/demo_vs_loose.html"' in index
    for name in ("demo", "loose", "xss"):
        assert f'href="./{name}/report.html"' in index


def test_compare_all_and_by_folder(runs, tmp_path):
    result = CliRunner().invoke(cli, ["compare", "--all", "--dir", str(runs.root)])
    assert result.exit_code == 0, result.output
    assert (runs.root / "compare" / "all.html").is_file()
    result = CliRunner().invoke(cli, ["compare", str(runs.demo), str(runs.xss), "--dir", str(runs.root), "--out", "by_path"])
    assert result.exit_code == 0, result.output
    assert (runs.root / "compare" / "by_path.html").is_file()


def test_compare_unknown_run_is_one_error_line(runs):
    result = CliRunner().invoke(cli, ["compare", "demo", "dmeo", "--dir", str(runs.root)])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: dmeo:") and "did you mean 'demo'?" in lines[0]
    result = CliRunner().invoke(cli, ["compare", "--dir", str(runs.root)])
    assert result.exit_code == 2 and "error:" in result.stderr
    with pytest.raises(DataError):
        resolve_runs(["compare"], runs.root)  # the comparison folder is never a run


def test_compare_and_index_are_never_runs(runs):
    write_compare([runs.demo, runs.loose], runs.root)
    names = [p.name for p in list_runs(runs.root)]
    assert "compare" not in names and "index.html" not in names
    assert {"demo", "loose", "xss"} <= set(names)
    for reserved in ("compare", "index.html"):
        with pytest.raises(ConfigError, match="reserved"):
            run_folder(runs.root, reserved)


def test_index_is_newest_first_by_recorded_time(runs, tmp_path):
    root = tmp_path / "backtests"
    for name, finished in (("older", "2025-01-01T00:00:00+00:00"), ("newest", "2025-03-01T00:00:00+00:00"), ("middle", "2025-02-01T00:00:00+00:00")):
        shutil.copytree(runs.demo, root / name)
        (root / name / "run_info.json").write_text(json.dumps({"finished_at": finished, "warnings": []}))
    os.utime(root / "older" / "metrics.json", (time.time() + 1000, time.time() + 1000))  # file times do not matter
    (root / ".half.tmp-123").mkdir()  # a run being written
    html = render_index(root)
    order = re.findall(r'<a href="\./([^"/]+)/report.html"><b>', html)
    assert order == ["newest", "middle", "older"]
    metrics = json.loads((runs.demo / "metrics.json").read_text())
    assert f'data-key="total_return_pct" data-value="{json.dumps(metrics["total_return_pct"])}"' in html
