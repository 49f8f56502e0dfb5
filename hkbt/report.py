"""A first HTML report of one run: equity vs benchmark, metrics, trades.

It only reads finished results (never recomputes a number) and escapes every
piece of text that came from news or config: Jinja2 runs with autoescape and
``StrictUndefined``. The Plotly chart library is inlined, so the file opens
offline with no network request.
"""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from hkbt.pipeline import SIMULATED_BANNER, RunArtifacts

_ENV = Environment(
    loader=PackageLoader("hkbt", "templates"),
    autoescape=select_autoescape(["html", "j2"], default=True),
    undefined=StrictUndefined,
)


def build_equity_figure(equity: pd.DataFrame, benchmark: str) -> go.Figure:
    """Strategy, benchmark (and proxy) value per session."""
    figure = go.Figure()
    figure.add_scatter(x=equity.index, y=equity.value_hkd, name="strategy", line={"width": 2})
    figure.add_scatter(x=equity.index, y=equity.benchmark_hkd, name=f"{benchmark} buy & hold", line={"width": 1.5})
    if "proxy_hkd" in equity:
        figure.add_scatter(x=equity.index, y=equity.proxy_hkd, name="tradable proxy", line={"width": 1, "dash": "dot"})
    figure.update_layout(
        height=420, margin={"l": 60, "r": 20, "t": 20, "b": 40}, yaxis_title="HKD", hovermode="x unified",
        legend={"orientation": "h", "y": 1.08}, template="plotly_white",
    )
    return figure


def render_report(artifacts: RunArtifacts) -> str:
    """Render ``report.html`` for a finished run and return the HTML text."""
    metrics = artifacts.metrics
    run = metrics["run"]
    news = artifacts.news.set_index("news_id")
    trades = []
    for trade in artifacts.trades.to_dict("records"):
        cited = [news.loc[i] for i in trade["news_ids"].split(";") if i in news.index]
        trades.append(
            trade | {
                "entry_session": pd.Timestamp(trade["entry_session"]).date().isoformat(),
                "exit_session": pd.Timestamp(trade["exit_session"]).date().isoformat(),
                "news": [
                    {"headline": n.headline, "url": n.url if n.url.startswith(("http://", "https://")) else "",
                     "published": n.published_at.tz_convert("Asia/Hong_Kong").strftime("%Y-%m-%d %H:%M HKT")}
                    for n in cited
                ],
            }
        )
    chart = build_equity_figure(artifacts.equity, run["benchmark"]).to_html(full_html=False, include_plotlyjs=True)
    rows = [(k, json.dumps(v) if isinstance(v, (dict, list)) else ("—" if v is None else v)) for k, v in metrics.items() if k not in {"run", "warning"}]
    return _ENV.get_template("report.html.j2").render(
        run=run, banner=SIMULATED_BANNER, warnings=artifacts.warnings, equity_chart=chart, metric_rows=rows, trades=trades
    )
