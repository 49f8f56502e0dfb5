"""``study.html``: the event study's aggregates and CAR curves in one offline page.

It only reads a finished :class:`~hkbt.analysis.event_study.StudyArtifacts` (never recomputes
a statistic), escapes every text that came from news or config (Jinja2
autoescape, ``StrictUndefined``) and inlines the Plotly library, so the file
opens with no network request.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from hkbt.prices import SIMULATED_BANNER
from hkbt.analysis.event_study import StudyArtifacts

_ENV = Environment(
    loader=PackageLoader("hkbt.reports", "templates"),
    autoescape=select_autoescape(["html", "j2"], default=True),
    undefined=StrictUndefined,
)
TOP_EVENTS = 10


def _num(value: object, pattern: str) -> str:
    """Format a number, or an em dash for NaN/None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return pattern.format(value)


def build_car_figure(car: pd.DataFrame, group_by: str, title: str) -> go.Figure:
    """Mean CAR (%) against sessions after the event's open, one line per group (0 at the open)."""
    figure = go.Figure()
    for group, rows in car[car.group_by == group_by].groupby("group", sort=False):
        if rows["count"].iloc[0] == 0:
            continue
        figure.add_scatter(
            x=[0, *rows.horizon_sessions], y=[0.0, *rows.car_pct], mode="lines+markers",
            name=f"{group} (n={int(rows['count'].iloc[0])})",
        )
    figure.add_hline(y=0, line={"width": 1, "color": "#888"})
    figure.update_layout(
        height=380, margin={"l": 60, "r": 20, "t": 40, "b": 40}, title=title, template="plotly_white",
        xaxis_title="sessions after the open of the tradable session", yaxis_title="mean CAR vs benchmark, %",
        hovermode="x unified", legend={"orientation": "h", "y": -0.2},
    )
    return figure


def render_study(artifacts: StudyArtifacts) -> str:
    """Render ``study.html`` and return the HTML text."""
    meta = artifacts.meta
    summary_rows = [
        {
            "group_by": r.group_by, "group": r.group, "horizon": r.horizon_sessions, "events": r.events,
            "count": r.count, "excluded": r.excluded,
            "mean": _num(r.mean_ar_pct, "{:+.3f}"), "std": _num(r.std_ar_pct, "{:.3f}"), "t": _num(r.t_stat, "{:+.2f}"),
            "positive": _num(r.positive_pct, "{:.1f}"), "ret": _num(r.mean_return_pct, "{:+.3f}"),
            "bench": _num(r.mean_benchmark_pct, "{:+.3f}"), "beta_count": r.beta_count,
            "beta_mean": _num(r.mean_ar_beta_pct, "{:+.3f}"), "beta_t": _num(r.t_stat_beta, "{:+.2f}"),
            "sessions": r.sessions, "sessions_t": _num(r.t_stat_sessions, "{:+.2f}"),
            "signed": _num(r.mean_signed_ar_pct, "{:+.3f}"), "signed_t": _num(r.t_signed_sessions, "{:+.2f}"),
            "sign": "pos" if r.mean_ar_pct > 0 else ("neg" if r.mean_ar_pct < 0 else ""),
        }
        for r in artifacts.summary.itertuples()
    ]
    focus = 5 if 5 in artifacts.horizons else artifacts.horizons[0]
    ranked = artifacts.events.dropna(subset=[f"h{focus}_ar_pct"]).sort_values(f"h{focus}_ar_pct", ascending=False)
    extremes = []
    for label, part in (("highest", ranked.head(TOP_EVENTS)), ("lowest", ranked.tail(TOP_EVENTS).iloc[::-1])):
        extremes.append((label, [
            {"session": pd.Timestamp(e.tradable_session).date().isoformat(), "ticker": e.ticker, "headline": e.headline,
             "score": _num(e.score, "{:+.3f}"), "bucket": e.bucket, "scope": e.scope, "topics": e.topics or "—",
             "ar": _num(getattr(e, f"h{focus}_ar_pct"), "{:+.2f}")}
            for e in part.itertuples()
        ]))
    bucket_chart = build_car_figure(artifacts.car, "bucket", "CAR by score bucket").to_html(full_html=False, include_plotlyjs=True)
    topic_chart = build_car_figure(artifacts.car, "topic", "CAR by topic").to_html(full_html=False, include_plotlyjs=False)
    scope_chart = build_car_figure(artifacts.car, "scope", "CAR by scope").to_html(full_html=False, include_plotlyjs=False)
    theme_chart = build_car_figure(artifacts.car, "theme", "CAR by theme").to_html(full_html=False, include_plotlyjs=False)
    statuses = sorted({s for counts in meta["statuses"].values() for s in counts})
    return _ENV.get_template("study.html.j2").render(
        meta=meta, banner=SIMULATED_BANNER, warnings=artifacts.warnings, summary=summary_rows,
        group_kinds=["all", "scope", "theme", "topic", "bucket"], bucket_chart=bucket_chart, topic_chart=topic_chart,
        scope_chart=scope_chart, theme_chart=theme_chart,
        statuses=statuses, focus=focus, extremes=extremes,
    )
