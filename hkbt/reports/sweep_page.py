"""``sweep.html``: a finished sweep on one offline page.

Built only from what :func:`hkbt.tuning.sweep.finish_sweep` computed (the results table
and ``sweep.json``); it recomputes no statistic. Sections: a summary in plain words, the
overfitting guards (deflated Sharpe ratio, PBO, walk-forward, each with a sentence on what
it means), a heatmap of the objective over any two swept settings (each cell: the best
over the other settings), the sensitivity of the objective to each setting, and the
sortable table of every combination with the ``hkbt run`` that reproduces it and links to
the run folders written with ``--save-top``.

Like the run report: Jinja2 autoescape, data as escaped JSON in ``<script
type="application/json">``, Plotly inlined, no network request.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from hkbt.reports.run_report import PLOT_CONFIG, TEMPLATES, format_value, json_for_html, plotly_js
from hkbt.tuning.space import short_name

TABLE_METRICS = [  # (key, label, format of hkbt.reports.run_report.FORMATS)
    ("total_return_pct", "return %", "pct"), ("excess_return_pct", "excess %", "pct"), ("cagr_pct", "CAGR %", "pct"),
    ("sharpe", "Sharpe", "ratio"), ("sortino", "Sortino", "ratio"), ("max_drawdown_pct", "max DD %", "pct_u"),
    ("trades", "trades", "int"), ("win_rate_pct", "win %", "pct_u"), ("exposure_pct", "exposure %", "pct_u"),
]


def dsr_sentence(dsr: dict[str, Any]) -> str:
    """What the deflated Sharpe ratio says, in one or two sentences."""
    value = dsr.get("dsr")
    trials = dsr["trials"]
    lead = (f"Of {trials} combinations tried, the best has a Sharpe ratio of {_fmt(dsr.get('annual_sharpe'))} (annualised). "
            f"Even if none had any edge, the best of {trials} would show about {_fmt(dsr.get('annual_expected_max_sharpe'))} by luck. ")
    if value is None:
        return lead + "The deflated Sharpe ratio cannot be computed here (too few sessions, or a flat curve)."
    verdict = ("so the result is unlikely to be luck alone (0.95 or more is the usual bar)" if value >= 0.95 else
               "which is not convincing: the number of trials could explain much of it" if value >= 0.5 else
               "so the number of trials explains the result: treat it as luck")
    return lead + f"The probability that its true Sharpe ratio beats that bar (the deflated Sharpe ratio) is {value:.2f}, {verdict}."


def pbo_sentence(pbo: dict[str, Any]) -> str:
    """What the probability of backtest overfitting says."""
    value = pbo["pbo"]
    verdict = ("low: picking the best backtest mostly picked something that also did well elsewhere" if value <= 0.1 else
               "moderate: the in-sample winner often disappoints out of sample" if value <= 0.5 else
               "high: picking the best backtest is no better than picking at random")
    return (f"The sessions were cut into {pbo['blocks']} blocks, and for each of the {pbo['splits']:,} ways of taking half of "
            f"them as in-sample, the combination with the best in-sample Sharpe ratio was ranked on the other half. It landed in "
            f"the bottom half in {100 * value:.0f} % of cases (PBO {value:.2f}), which is {verdict}.")


def walk_forward_sentence(wf: dict[str, Any]) -> str:
    """What the walk-forward record says."""
    oos, bench = wf["out_of_sample"], wf["benchmark"]
    return (f"Choosing the best combination on each training part ({wf['spec']}) and trading only that choice over the test part "
            f"after it, the out-of-sample record returned {_fmt(oos.get('total_return_pct'), '{:+.1f} %')} against "
            f"{_fmt(bench.get('total_return_pct'), '{:+.1f} %')} for the index over the same sessions "
            f"(Sharpe {_fmt(oos.get('sharpe'))} vs {_fmt(bench.get('sharpe'))}). In sample the choices averaged "
            f"{wf['objective']} {_fmt(wf.get('mean_in_sample'))}; out of sample {_fmt(wf.get('mean_out_of_sample'))}. "
            f"{wf['distinct_choices']} different combination(s) were chosen over {len(wf['windows'])} windows"
            + (f"; in {wf['windows_without_choice']} no combination had traded in the training part, so that test part stayed "
               "in cash." if wf.get("windows_without_choice") else "."))


def _fmt(value: object, pattern: str = "{:.2f}") -> str:
    return "—" if value is None or (isinstance(value, float) and not math.isfinite(value)) else pattern.format(value)


def _display(value: object) -> str:
    return "null" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def build_table(results: pd.DataFrame, keys: list[str], links: dict[str, str]) -> list[dict[str, Any]]:
    """Rows of the combinations table, best first (failed ones last, with their error)."""
    rows = []
    for record in results.sort_values(["rank", "combo_id"], kind="stable").to_dict("records"):
        rows.append({
            "id": record["combo_id"], "rank": int(record["rank"]) if record["status"] == "ok" else None, "status": record["status"],
            "error": record["error"], "objective": format_value(record["objective"], "ratio") if record["status"] == "ok" else "—",
            "params": [_display(record[key]) for key in keys],
            "metrics": [format_value(record.get(key), kind) if record["status"] == "ok" else "—" for key, _, kind in TABLE_METRICS],
            "command": record["command"], "link": links.get(record["combo_id"], ""),
        })
    return rows


def chart_data(results: pd.DataFrame, keys: list[str], objective_key: str, higher: bool) -> dict[str, Any]:
    """The rows the heatmap and sensitivity charts are drawn from (client side), and each setting's values in order."""
    ok = results[(results.status == "ok") & results.objective.notna()]
    params = []
    for key in keys:
        values = list(dict.fromkeys(ok[key].tolist()))
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        ordered = sorted(values) if numeric else sorted(values, key=_display)
        params.append({"key": key, "label": short_name(key), "values": [_display(v) for v in ordered]})
    rows = [[_display(row[key]) for key in keys] + [float(row["objective"])] for _, row in ok.iterrows()]
    return {"params": params, "rows": rows, "objective": objective_key, "higher": higher}


def render_sweep(results: pd.DataFrame, summary: dict[str, Any], links: dict[str, str], generated_at: datetime | None = None) -> str:
    """The HTML of ``sweep.html``."""
    keys = summary["keys"]
    generated_at = generated_at or datetime.now(timezone.utc)
    guards = {
        "dsr": dsr_sentence(summary["dsr"]) if summary.get("dsr") else None,
        "pbo": pbo_sentence(summary["pbo"]) if summary.get("pbo") and "pbo" in summary["pbo"] else None,
        "walk_forward": walk_forward_sentence(summary["walk_forward"]) if summary.get("walk_forward") and "windows" in summary["walk_forward"] else None,
    }
    payload = {
        "charts": chart_data(results, keys, summary["objective"], summary["higher_is_better"]),
        "pbo": summary.get("pbo") if guards["pbo"] else None,
        "walkForward": summary.get("walk_forward", {}).get("curve") if guards["walk_forward"] else None,
        "config": PLOT_CONFIG,
    }
    return TEMPLATES.get_template("sweep.html.j2").render(
        page_title=f"hkbt sweep · {summary['name']}", summary=summary, guards=guards,
        labels=[short_name(k) for k in keys], metric_labels=[label for _, label, _ in TABLE_METRICS],
        table=build_table(results, keys, links), payload=json_for_html(payload), plotly_js=plotly_js(),
        generated_at=generated_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )
