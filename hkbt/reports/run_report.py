"""The HTML report of one finished run: ``backtests/<name>/report.html``.

:func:`render_report` reads a *finished* run folder (through
:func:`hkbt.reports.chart_data.load_run`) and returns one self-contained HTML page:
Plotly's JavaScript is inlined once, fonts are the system's, and nothing is
fetched from the network. Every statistic shown is the one in ``metrics.json``;
the chart series (drawdown, monthly returns, rolling Sharpe and beta) and the
look-ahead audit come from the pure functions in :mod:`hkbt.reports.chart_data`.

Escaping: Jinja2 runs with autoescape and ``StrictUndefined``; chart and table
data travel as JSON inside ``<script type="application/json">`` with ``<``,
``>``, ``&`` and ``'`` written as ``\\u003c``-style escapes (so no headline can
close the script), and text that Plotly draws as hover labels is HTML-escaped
first (Plotly reads a few tags in labels). The news table is filled with
``textContent`` only. Links are made only for ``http(s)`` URLs.

Sections, in order: header, KPI tiles, equity + underwater, monthly returns and
rolling Sharpe/beta, per-ticker panels, trades, look-ahead audit, metrics
table, news table, resolved config.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from hkbt.errors import DataError
from hkbt.files import write_text_atomic
from hkbt.news.load import describe_news_source
from hkbt.news.sessions import HKT
from hkbt.prices import SIMULATED_BANNER
from hkbt.reports.chart_data import (
    ROLLING_WINDOW,
    RunData,
    compute_audit,
    compute_audit_summary,
    compute_drawdown_series,
    compute_excess_monthly_returns,
    compute_monthly_returns,
    compute_news_by_ticker,
    compute_news_usage,
    compute_rolling_beta,
    compute_rolling_sharpe,
    load_run,
    split_by_ticker,
)

REPORT_FILE = "report.html"
GENERATOR_META = '<meta name="generator" content="hkbt">'
"""In the head of every page hkbt writes, so that hkbt can tell its own pages from a user's file."""
HOVER_HEADLINE_CHARS = 140
SESSIONS = "@sessions"  # stands for the run's session dates in chart data; the page's script fills it in (stored once)

COLORS = {
    "strategy": "#0969da", "benchmark": "#bc4c00", "proxy": "#8250df", "price": "#57606a",
    "entry": "#1a7f37", "exit": "#cf222e", "pos": "#1a7f37", "neg": "#cf222e", "flat": "#8c959f",
}
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
PLOT_CONFIG = {"responsive": True, "displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}

TEMPLATES = Environment(
    loader=PackageLoader("hkbt.reports", "templates"),
    autoescape=select_autoescape(["html", "j2"], default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def keep_compiled_templates(cache_dir: Path | None) -> None:
    """Keep the pages' compiled templates in ``cache_dir`` (the run's cache folder), or nowhere when None.

    For this process (``hkbt run`` calls it with ``sentiment.cache_dir``): the next run
    reads the compiled code instead of compiling again (:mod:`hkbt.reports.template_cache`).
    """
    from hkbt.reports.template_cache import TemplateCache

    TEMPLATES.bytecode_cache = TemplateCache(cache_dir) if cache_dir is not None else None


# ----------------------------------------------------------------------------- formatting

FORMATS = {
    "pct": "{:+.2f} %",     # signed percent
    "pct_u": "{:.2f} %",    # percent without a forced sign
    "ratio": "{:.2f}",
    "int": "{:,.0f}",
    "hkd": "HK$ {:,.2f}",
    "days": "{:.1f}",
    "text": "{}",
}


def format_value(value: object, kind: str) -> str:
    """Display text of a metrics.json value (``—`` for null)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, str) or kind == "text":
        return str(value)
    return FORMATS[kind].format(value)


def json_for_html(data: object) -> Markup:
    """Compact JSON that is safe inside ``<script>``: ``< > & '`` become ``\\u00XX`` escapes."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def hover_text(text: object, limit: int | None = None) -> str:
    """Escape text for a Plotly hover label (Plotly reads some HTML tags in labels)."""
    text = str(text)
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text, quote=False)


_HTTP = re.compile(r"^https?://", re.IGNORECASE)


def safe_url(url: object) -> str:
    """The URL if it is http(s), else an empty string (no javascript:, data:, …)."""
    url = str(url or "").strip()
    return url if _HTTP.match(url) else ""


def safe_urls(urls: pd.Series) -> pd.Series:
    """:func:`safe_url` of a whole column at once."""
    urls = urls.fillna("").astype(str).str.strip()
    return urls.where(urls.str.match(_HTTP), "")


MINUTES = "%Y-%m-%d %H:%M"


def clock_texts(clock: pd.DatetimeIndex, fmt: str, missing: str | None = None) -> np.ndarray:
    """Clock times (a zone's wall clock if zoned) as text in ``fmt`` (an object array of str), ``missing`` for NaT.

    ``%Y-%m-%d``, or ``%Y-%m-%d %H:%M`` followed by plain text (`` HKT``), are written
    by numpy in one C loop (the same text as ``strftime``, which calls Python per value
    for these formats: 0.1 s per 100,000 times); other formats go through ``strftime``.
    """
    if not len(clock):
        return np.array([], dtype=object)
    if clock.tz is not None:  # its wall-clock times, as strftime shows them
        clock = clock.tz_localize(None)
    if fmt == "%Y-%m-%d":
        text = np.datetime_as_string(clock.to_numpy(), unit="D").astype(object)
    elif fmt.startswith(MINUTES) and "%" not in fmt[len(MINUTES):]:
        text = np.char.add(np.char.replace(np.datetime_as_string(clock.to_numpy(), unit="m"), "T", " "), fmt[len(MINUTES):]).astype(object)
    else:
        text = clock.strftime(fmt).to_numpy(dtype=object)
    text[np.asarray(clock.isna())] = missing
    return text


def hkt_texts(stamps: object, fmt: str = MINUTES + " HKT") -> np.ndarray:
    """Tz-aware times (a column or one value) as Hong Kong time text, ``—`` where missing. One vectorised call."""
    index = pd.DatetimeIndex(stamps if pd.api.types.is_list_like(stamps) else [stamps])
    if index.tz is None:  # a column of NaT only has no zone
        index = index.tz_localize("UTC")
    return clock_texts(index.tz_convert(HKT).tz_localize(None), fmt, "—")


def day_texts(stamps: object) -> np.ndarray:
    """Dates (a column or one value) as ``YYYY-MM-DD``, ``—`` where missing. One vectorised call."""
    index = pd.DatetimeIndex(stamps if pd.api.types.is_list_like(stamps) else [stamps])
    return clock_texts(index, "%Y-%m-%d", "—")


def _hkt(stamp: pd.Timestamp | None, fmt: str = MINUTES + " HKT") -> str:
    return hkt_texts(stamp, fmt)[0]


def _day(stamp: object) -> str:
    return day_texts(stamp)[0]


def json_floats(values: pd.Series | np.ndarray, digits: int = 4) -> list:
    """Floats for JSON: rounded, NaN/inf as null."""
    rounded = np.round(np.asarray(values, dtype=float), digits)
    floats = rounded.tolist()
    if np.isfinite(rounded).all():
        return floats
    return [v if math.isfinite(v) else None for v in floats]


def date_strings(index: pd.Index) -> list[str]:
    return clock_texts(pd.DatetimeIndex(index), "%Y-%m-%d").tolist()


@lru_cache(maxsize=1)
def plotly_js() -> Markup:
    """Plotly's JavaScript bundle (from the installed plotly package), safe to inline."""
    from plotly.offline import get_plotlyjs

    return Markup(get_plotlyjs().replace("</script", "<\\/script"))


# ----------------------------------------------------------------------------- figures


def base_layout(height: int, **extra) -> dict:
    layout = {
        "height": height, "margin": {"l": 64, "r": 24, "t": 36, "b": 40},
        "font": {"family": FONT, "size": 12, "color": "#1f2328"},
        "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff", "hovermode": "x unified",
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "bgcolor": "rgba(255,255,255,0)"},
        "hoverlabel": {"font": {"family": FONT}},
    }
    return layout | extra


def axis(**extra) -> dict:
    return {"gridcolor": "#eaeef2", "zerolinecolor": "#d0d7de", "linecolor": "#d0d7de", "automargin": True} | extra


def build_equity_figure(run: RunData) -> dict:
    """Strategy vs buy-and-hold benchmark (and proxy), linear/log toggle; drawdowns beneath on a shared x-axis."""
    equity = run.equity
    x = SESSIONS
    benchmark = run.run.get("benchmark", "benchmark")
    data = [
        {"type": "scatter", "mode": "lines", "name": "strategy", "x": x, "y": json_floats(equity.value_hkd, 2),
         "line": {"color": COLORS["strategy"], "width": 2}, "hovertemplate": "%{y:,.0f} HKD<extra>strategy</extra>"},
        {"type": "scatter", "mode": "lines", "name": f"{benchmark} buy & hold", "x": x, "y": json_floats(equity.benchmark_hkd, 2),
         "line": {"color": COLORS["benchmark"], "width": 1.5}, "hovertemplate": "%{y:,.0f} HKD<extra>" + hover_text(benchmark) + "</extra>"},
    ]
    if "proxy_hkd" in equity:
        data.append({"type": "scatter", "mode": "lines", "name": f"{run.run.get('proxy') or 'proxy'} (tradable proxy)", "x": x,
                     "y": json_floats(equity.proxy_hkd, 2), "line": {"color": COLORS["proxy"], "width": 1.2, "dash": "dot"},
                     "hovertemplate": "%{y:,.0f} HKD<extra>proxy</extra>"})
    data += [
        {"type": "scatter", "mode": "lines", "name": "strategy drawdown", "x": x, "y": json_floats(compute_drawdown_series(equity.value_hkd), 3),
         "yaxis": "y2", "fill": "tozeroy", "line": {"color": COLORS["strategy"], "width": 1}, "fillcolor": "rgba(9,105,218,0.18)",
         "hovertemplate": "%{y:.2f} %<extra>strategy DD</extra>"},
        {"type": "scatter", "mode": "lines", "name": f"{benchmark} drawdown", "x": x, "y": json_floats(compute_drawdown_series(equity.benchmark_hkd), 3),
         "yaxis": "y2", "line": {"color": COLORS["benchmark"], "width": 1}, "hovertemplate": "%{y:.2f} %<extra>" + hover_text(benchmark) + " DD</extra>"},
    ]
    layout = base_layout(
        520,
        xaxis=axis(anchor="y2", type="date"),
        yaxis=axis(domain=[0.36, 1.0], title={"text": "value, HKD"}, tickformat=",.0f", type="linear"),
        yaxis2=axis(domain=[0.0, 0.27], title={"text": "drawdown, %"}, ticksuffix=" %", rangemode="tozero"),
        updatemenus=[{
            "type": "buttons", "direction": "left", "showactive": True, "x": 1.0, "xanchor": "right", "y": 1.02, "yanchor": "bottom",
            "pad": {"r": 0, "t": 0}, "bgcolor": "#f6f8fa", "bordercolor": "#d0d7de", "font": {"size": 11},
            "buttons": [
                {"label": "linear", "method": "relayout", "args": [{"yaxis.type": "linear"}]},
                {"label": "log", "method": "relayout", "args": [{"yaxis.type": "log"}]},
            ],
        }],
    )
    layout["margin"] = {"l": 72, "r": 24, "t": 48, "b": 40}
    return {"data": data, "layout": layout}


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _heatmap(table: pd.DataFrame, xaxis: str, yaxis: str, unit: str) -> dict:
    z = [json_floats(row, 3) for row in table.to_numpy()]
    text = [["" if v is None else f"{v:+.1f}" for v in row] for row in z]
    finite = [abs(v) for row in z for v in row if v is not None]
    bound = max(finite) if finite else 1.0
    return {
        "type": "heatmap", "x": MONTHS, "y": [str(y) for y in table.index], "z": z, "text": text,
        "texttemplate": "%{text}", "textfont": {"size": 11}, "xaxis": xaxis, "yaxis": yaxis, "xgap": 2, "ygap": 2,
        "zmin": -bound, "zmax": bound, "zmid": 0, "showscale": False, "hoverongaps": False,
        "colorscale": [[0.0, "#cf222e"], [0.5, "#f6f8fa"], [1.0, "#1a7f37"]],
        "hovertemplate": "%{y} %{x}: %{z:+.2f} " + unit + "<extra></extra>",
    }


def build_monthly_figure(run: RunData) -> dict:
    """Monthly returns heatmaps: the strategy, and its excess over the benchmark."""
    equity = run.equity
    strategy = compute_monthly_returns(equity.value_hkd)
    excess = compute_excess_monthly_returns(equity.value_hkd, equity.benchmark_hkd)
    benchmark = run.run.get("benchmark", "benchmark")
    rows = max(len(strategy), 1)
    below = {"xref": "paper", "y": 0, "yref": "paper", "yanchor": "top", "yshift": -6, "showarrow": False, "xanchor": "left"}
    layout = base_layout(
        110 + 34 * rows, hovermode="closest",
        xaxis=axis(domain=[0.0, 0.47], side="top", showgrid=False, fixedrange=True),
        xaxis2=axis(domain=[0.53, 1.0], side="top", showgrid=False, fixedrange=True, anchor="y2"),
        yaxis=axis(autorange="reversed", type="category", showgrid=False, fixedrange=True),
        yaxis2=axis(autorange="reversed", type="category", showgrid=False, fixedrange=True, anchor="x2"),
        annotations=[
            {"text": "<b>strategy</b>, % per month", "x": 0.0, **below},
            {"text": f"<b>excess over {hover_text(benchmark)}</b>, percentage points", "x": 0.53, **below},
        ],
    )
    layout["margin"] = {"l": 56, "r": 16, "t": 40, "b": 36}
    return {"data": [_heatmap(strategy, "x", "y", "%"), _heatmap(excess, "x2", "y2", "pp")], "layout": layout}


def build_rolling_figure(run: RunData) -> dict:
    """Rolling 60-session Sharpe and beta, with the full-period values from metrics.json dotted."""
    equity = run.equity
    x = SESSIONS
    sharpe = compute_rolling_sharpe(equity.value_hkd)
    beta = compute_rolling_beta(equity.value_hkd, equity.benchmark_hkd)
    benchmark = run.run.get("benchmark", "benchmark")
    data = [
        {"type": "scatter", "mode": "lines", "name": f"Sharpe, {ROLLING_WINDOW} sessions", "x": x, "y": json_floats(sharpe, 3),
         "line": {"color": COLORS["strategy"], "width": 1.5}, "hovertemplate": "%{y:.2f}<extra>rolling Sharpe</extra>", "connectgaps": False},
        {"type": "scatter", "mode": "lines", "name": f"beta to {benchmark}, {ROLLING_WINDOW} sessions", "x": x, "y": json_floats(beta, 3),
         "yaxis": "y2", "line": {"color": COLORS["proxy"], "width": 1.5}, "hovertemplate": "%{y:.2f}<extra>rolling beta</extra>", "connectgaps": False},
    ]
    shapes = []
    for key, yref, color in (("sharpe", "y", COLORS["strategy"]), ("beta", "y2", COLORS["proxy"])):
        value = run.metrics.get(key)
        if isinstance(value, (int, float)) and math.isfinite(value):
            shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": yref, "y0": value, "y1": value,
                           "line": {"color": color, "width": 1, "dash": "dot"}})
    annotations = []
    if sharpe.isna().all() and beta.isna().all():
        annotations.append({"text": f"fewer than {ROLLING_WINDOW} sessions with varying returns: no rolling values to show",
                            "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5, "showarrow": False, "font": {"color": "#57606a"}})
    layout = base_layout(
        380, shapes=shapes, annotations=annotations,
        xaxis=axis(anchor="y2", type="date"),
        yaxis=axis(domain=[0.55, 1.0], title={"text": "Sharpe"}),
        yaxis2=axis(domain=[0.0, 0.45], title={"text": "beta"}),
    )
    return {"data": data, "layout": layout}


def build_ticker_figure(run: RunData, entry_threshold: float | None, news_rows: dict[str, int], news: pd.DataFrame,
                        trades: pd.DataFrame, signals: pd.DataFrame, prices: pd.DataFrame | None) -> tuple[dict, dict]:
    """One ticker: close with entry/exit and news markers; the session's news signal beneath.

    ``news`` is the ticker's news (:func:`~hkbt.reports.chart_data.compute_news_by_ticker`), ``trades``,
    ``signals`` and ``prices`` its rows of the run's (:func:`~hkbt.reports.chart_data.split_by_ticker`).
    Returns ``(figure, news_link)``. The news markers carry no text here: ``news_link``
    (``{"trace": i, "rows": [...]}``) points at rows of the news table, and the
    page's script fills the markers' dates, colours and escaped hover text from
    those rows, so a headline is stored once however many panels show it.
    """
    sessions = run.equity.index
    data: list[dict] = []
    close = None
    if prices is not None:
        bars = prices.set_index("session").sort_index()
        if len(bars):
            close = bars.close
            x = SESSIONS if bars.index.equals(sessions) else date_strings(bars.index)
            data.append({"type": "scatter", "mode": "lines", "name": "close", "x": x, "y": json_floats(bars.close, 4),
                         "line": {"color": COLORS["price"], "width": 1.2}, "hovertemplate": "close %{y:.2f}<extra></extra>"})
    # news markers sit on the close of the session each item became tradable in (beneath, on the score, without prices)
    news = news[news.tradable_session.isin(sessions)]
    y = close.reindex(news.tradable_session).to_numpy() if close is not None else news.score.to_numpy()
    link = {"trace": len(data), "rows": [news_rows[i] for i in news.news_id.tolist()]}
    data.append({"type": "scatter", "mode": "markers", "name": "news", "x": [], "y": json_floats(y, 4), "yaxis": "y" if close is not None else "y2",
                 "marker": {"symbol": "circle", "size": 7, "opacity": 0.8, "cmin": -1, "cmax": 1,
                            "colorscale": [[0, COLORS["neg"]], [0.5, "#d0d7de"], [1, COLORS["pos"]]], "line": {"color": "#57606a", "width": 0.5}},
                 "hoverinfo": "text"})
    t = {name: trades[name].tolist() for name in ("trade_id", "entry_price", "size", "entry_score", "news_ids", "exit_reason",
                                                  "exit_price", "pnl_hkd", "return_pct")}
    entry_text = [
        f"<b>trade #{trade_id} entry</b><br>{day} open {price:.3f} × {size:,}<br>"
        + (f"score {score:+.3f} · {len([i for i in ids.split(';') if i])} news item(s)" if ids else "no news cited")
        for trade_id, day, price, size, score, ids in zip(t["trade_id"], day_texts(trades.entry_session), t["entry_price"], t["size"],
                                                          t["entry_score"], t["news_ids"])
    ]
    exit_text = [
        f"<b>trade #{trade_id} exit</b> ({hover_text(reason)})<br>{day} {price:.3f}<br>P&amp;L {pnl:+,.0f} HKD ({ret:+.2f} %)"
        for trade_id, reason, day, price, pnl, ret in zip(t["trade_id"], t["exit_reason"], day_texts(trades.exit_session), t["exit_price"],
                                                          t["pnl_hkd"], t["return_pct"])
    ]
    size = 12 if len(trades) <= 40 else 8
    data.append({"type": "scatter", "mode": "markers", "name": "entry", "x": date_strings(trades.entry_session), "y": json_floats(trades.entry_price, 4),
                 "marker": {"symbol": "triangle-up", "size": size, "color": COLORS["entry"], "line": {"color": "#ffffff", "width": 1}},
                 "hovertext": entry_text, "hoverinfo": "text"})
    data.append({"type": "scatter", "mode": "markers", "name": "exit", "x": date_strings(trades.exit_session), "y": json_floats(trades.exit_price, 4),
                 "marker": {"symbol": "triangle-down", "size": size, "color": COLORS["exit"], "line": {"color": "#ffffff", "width": 1}},
                 "hovertext": exit_text, "hoverinfo": "text"})
    score = signals.score if "score" in signals else signals.score_mean  # run folders from before signals.aggregate
    data.append({"type": "bar", "name": "news signal", "x": date_strings(signals.session), "y": json_floats(score, 3), "yaxis": "y2",
                 "marker": {"color": [COLORS["pos"] if s > 0 else COLORS["neg"] if s < 0 else COLORS["flat"] for s in score]},
                 "customdata": signals.news_count.astype(int).tolist(),
                 "hovertemplate": "score %{y:+.3f} (%{customdata} item(s))<extra>signal</extra>"})
    if entry_threshold is not None and len(sessions):
        data.append({"type": "scatter", "mode": "lines", "name": f"entry threshold {entry_threshold:+.2f}", "x": [_day(sessions[0]), _day(sessions[-1])],
                     "y": [entry_threshold, entry_threshold], "yaxis": "y2", "hoverinfo": "skip",
                     "line": {"color": COLORS["entry"], "width": 1, "dash": "dash"}})
    annotations = []
    if close is None:
        annotations.append({"text": "no prices.csv in this run folder (written by an older hkbt): re-run to see prices",
                            "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.7, "showarrow": False, "font": {"color": "#57606a"}})
    first, last = (_day(sessions[0]), _day(sessions[-1])) if len(sessions) else (None, None)
    layout = base_layout(
        400, hovermode="closest", annotations=annotations, bargap=0.1,
        xaxis=axis(anchor="y2", type="date", range=[first, last] if first else None),
        yaxis=axis(domain=[0.38, 1.0], title={"text": "price"}),
        yaxis2=axis(domain=[0.0, 0.28], title={"text": "news score"}, range=[-1.05, 1.05], zeroline=True),
    )
    layout["legend"] = layout["legend"] | {"font": {"size": 11}}
    return {"data": data, "layout": layout}, link


# ----------------------------------------------------------------------------- tables

KPI_TILES = [
    # (label, key, kind, secondary key shown under the value)
    ("Total return", "total_return_pct", "pct", "benchmark_total_return_pct"),
    ("Excess vs index", "excess_return_pct", "pct", None),
    ("CAGR", "cagr_pct", "pct", "benchmark_cagr_pct"),
    ("Sharpe", "sharpe", "ratio", "benchmark_sharpe"),
    ("Max drawdown", "max_drawdown_pct", "pct_u", "benchmark_max_drawdown_pct"),
    ("Trades", "trades", "int", None),
    ("Win rate", "win_rate_pct", "pct_u", None),
]

# (label, strategy key, benchmark key, proxy key, format)
METRIC_TABLE = [
    ("Total return", "total_return_pct", "benchmark_total_return_pct", "proxy_total_return_pct", "pct"),
    ("CAGR", "cagr_pct", "benchmark_cagr_pct", "proxy_cagr_pct", "pct"),
    ("Annual volatility", "annual_volatility_pct", "benchmark_annual_volatility_pct", None, "pct_u"),
    ("Sharpe", "sharpe", "benchmark_sharpe", None, "ratio"),
    ("Sortino", "sortino", "benchmark_sortino", None, "ratio"),
    ("Calmar", "calmar", "benchmark_calmar", None, "ratio"),
    ("Max drawdown", "max_drawdown_pct", "benchmark_max_drawdown_pct", "proxy_max_drawdown_pct", "pct_u"),
    ("Max drawdown peak", "max_drawdown_peak", None, None, "text"),
    ("Max drawdown trough", "max_drawdown_trough", None, None, "text"),
    ("Max drawdown recovery", "max_drawdown_recovery", None, None, "text"),
    ("Excess return", "excess_return_pct", None, None, "pct"),
    ("Alpha (annual)", "alpha_pct", None, None, "pct"),
    ("Beta", "beta", None, None, "ratio"),
    ("Information ratio", "information_ratio", None, None, "ratio"),
    ("Correlation", "correlation", None, None, "ratio"),
    ("Trades", "trades", None, None, "int"),
    ("Win rate", "win_rate_pct", None, None, "pct_u"),
    ("Profit factor", "profit_factor", None, None, "ratio"),
    ("Avg holding, sessions", "avg_holding_days", None, None, "days"),
    ("Exposure", "exposure_pct", None, None, "pct_u"),
    ("Total costs", "total_costs_hkd", None, None, "hkd"),
    ("Final equity", "final_equity_hkd", None, None, "hkd"),
]


def _cell(metrics: dict, key: str | None, kind: str) -> dict | None:
    if key is None:
        return None
    value = metrics.get(key)
    return {"key": key, "text": format_value(value, kind), "raw": json.dumps(value), "present": key in metrics,
            "sign": "pos" if isinstance(value, (int, float)) and kind == "pct" and value > 0 else
                    "neg" if isinstance(value, (int, float)) and kind in ("pct", "pct_u") and value < 0 else ""}


def build_kpis(metrics: dict) -> list[dict]:
    """The KPI tiles: label, value cell and (optionally) the benchmark's cell beneath."""
    return [{"label": label, "value": _cell(metrics, key, kind), "vs": _cell(metrics, other, kind) if other and other in metrics else None}
            for label, key, kind, other in KPI_TILES]


def build_metric_rows(metrics: dict) -> tuple[list[dict], bool]:
    """Strategy | benchmark | proxy rows (quantstats-style); keys not listed are appended as-is."""
    has_proxy = any(k.startswith("proxy_") for k in metrics)
    rows, shown = [], set()
    for label, ours, theirs, proxy, kind in METRIC_TABLE:
        if ours not in metrics and (theirs is None or theirs not in metrics):
            continue
        rows.append({"label": label, "cells": [_cell(metrics, ours, kind), _cell(metrics, theirs, kind), _cell(metrics, proxy, kind)]})
        shown |= {ours, theirs, proxy}
    for key, value in metrics.items():
        if key not in shown and key not in {"run", "warning"}:
            kind = "text" if isinstance(value, str) else "ratio"
            rows.append({"label": key, "cells": [_cell(metrics, key, kind), None, None]})
    return rows, has_proxy


def news_items(news: pd.DataFrame, ids: pd.Series) -> tuple[dict[str, dict], dict]:
    """Display fields (headline, link, times, score, scope, topics) of the items cited in ``ids`` (";"-joined), by id,
    and the fields to show for an id news.csv lacks. Formatted column-wise; callers only look items up."""
    cited = {i for joined in ids.tolist() for i in joined.split(";") if i}
    news = news[np.fromiter((i in cited for i in news.news_id.tolist()), dtype=bool, count=len(news))]  # (Arrow's isin: a scalar per id)
    scope = news["scope"] if "scope" in news else pd.Series("", index=news.index)  # older run folders have none
    ids = news.news_id.tolist()
    columns = {
        "id": ids, "headline": news.headline.tolist(), "url": safe_urls(news.url).tolist(), "published": hkt_texts(news.published_at).tolist(),
        "tradable": day_texts(news.tradable_session).tolist(), "score": [f"{score:+.3f}" for score in news.score.tolist()],
        "topics": news.topics.str.replace(";", ", ").tolist(), "scope": scope.fillna("").astype(str).tolist(),
    }
    items = {news_id: dict(zip(columns, values)) for news_id, values in zip(ids, zip(*columns.values()))}
    missing = {"headline": "(not in news.csv)", "url": "", "published": "—", "tradable": "—", "score": "—", "topics": "", "scope": ""}
    return items, missing


def build_trade_rows(run: RunData) -> list[dict]:
    """Trades with the news behind each entry, and for an ``exit_signal`` exit the news behind the exit."""
    trades = run.trades
    items, missing = news_items(run.news, pd.concat([trades.news_ids, trades.exit_news_ids]))
    columns = pd.DataFrame({
        "id": trades.trade_id.astype(int), "ticker": trades.ticker, "entry": day_texts(trades.entry_session),
        "exit": day_texts(trades.exit_session), "entry_price": trades.entry_price.astype(float),
        "exit_price": trades.exit_price.astype(float), "size": trades["size"].astype(int), "pnl": trades.pnl_hkd.astype(float),
        "ret": trades.return_pct.astype(float), "days": trades.holding_days.astype(int), "reason": trades.exit_reason,
        "costs": trades.costs_hkd.astype(float), "score": trades.entry_score.astype(float),
    })
    rows = columns.to_dict("records")
    for row, joined, exit_joined in zip(rows, trades.news_ids.tolist(), trades.exit_news_ids.tolist()):
        row["news"] = [items.get(i) or {"id": i} | missing for i in joined.split(";") if i]
        row["exit_news"] = [items.get(i) or {"id": i} | missing for i in exit_joined.split(";") if i]
        row["score"] = None if row["score"] != row["score"] else row["score"]  # an entry no news caused has no score
    return rows


SKIPPED_ROWS_SHOWN = 5000  # skipped.csv holds them all; the page keeps the newest this many


def build_skipped(run: RunData) -> dict | None:
    """The "signals not traded, and why" section: a count per reason and every signal with its news.

    The rows (each citing its news by id) and the cited news go to the page as JSON
    (``json``), which builds the table with all text inserted as text
    (``hkbtSkippedRows``); None for a run folder from before skipped.csv existed.
    """
    from hkbt.backtest.strategy import SKIP_REASONS

    skipped = run.skipped
    if skipped is None:
        return None
    counts = skipped.reason.value_counts()
    summary = [{"reason": reason, "count": int(n), "share": 100.0 * n / len(skipped), "meaning": SKIP_REASONS.get(reason, "")}
               for reason, n in counts.items()]
    shown = skipped.sort_values(["session", "ticker"], ascending=[False, True], kind="stable").head(SKIPPED_ROWS_SHOWN)
    signals = run.signals
    scope = (dict(zip(zip(signals.session.tolist(), signals.ticker.tolist()), signals.scope.tolist()))  # a dict: 300 µs less per
             if "scope" in signals else {})                                                            # row than a MultiIndex lookup
    items, missing = news_items(run.news, shown.news_ids)
    columns = [shown[name].tolist() for name in ("session", "ticker", "reason", "detail", "score", "news_count", "news_ids")]
    rows = [
        {"id": n, "session": day, "ticker": ticker, "reason": reason, "detail": detail,
         "score_text": "—" if score != score else f"{score:+.3f}", "count": int(count),
         "scope": scope.get((session, ticker), ""),
         "news": [i for i in ids.split(";") if i]}
        for n, (day, session, ticker, reason, detail, score, count, ids) in enumerate(zip(day_texts(shown.session), *columns))
    ]
    cited = {i: items.get(i) or {"id": i} | missing for row in rows for i in row["news"]}  # each item once: market news reaches every name
    return {"total": len(skipped), "summary": summary, "shown": len(rows), "reasons": list(counts.index),
            "json": json_for_html({"rows": rows, "news": cited})}  # the page builds the rows: 5,000 rendered by Jinja took 2 s


def build_audit(run: RunData) -> tuple[list[dict], dict]:
    """Look-ahead audit rows for display, and the computed summary."""
    from hkbt.news.sessions import xhkg_schedule

    cutoff = run.settings.signals.cutoff_before_open_minutes
    trades, news = run.trades, run.news
    stamps = [pd.Timestamp(s) for joined in trades.news_published_at for s in str(joined).split(";") if s]
    if len(trades):
        first = min([s.tz_convert(HKT).date() for s in stamps] + [trades.entry_session.min().date()]) - timedelta(days=7)
        last = max([s.tz_convert(HKT).date() for s in stamps] + [trades.entry_session.max().date()]) + timedelta(days=45)
        schedule = xhkg_schedule(first, last)
    else:
        schedule = pd.DataFrame(columns=["open", "close"])
    audit = compute_audit(trades, news, schedule, cutoff)
    summary = compute_audit_summary(audit, len(trades)) | {"cutoff_minutes": cutoff}
    later = (audit.available_at > audit.published_at).fillna(False) if len(audit) else audit.ok
    rows = pd.DataFrame({
        "trade_id": audit.trade_id.astype(int), "ticker": audit.ticker, "headline": audit.headline,
        "published": hkt_texts(audit.published_at), "first_seen": hkt_texts(audit.first_seen_at),
        "available": hkt_texts(audit.available_at), "later": later.astype(bool),
        "tradable": day_texts(audit.tradable_session),
        "cutoff": hkt_texts(audit.cutoff_at, "%H:%M"), "fill": hkt_texts(audit.fill_at), "ok": audit.ok.astype(bool),
        "problem": audit.problem,
    }).to_dict("records")
    return rows, summary


NEWS_TABLE_COLUMNS = ["published", "tradable", "headline", "url", "source", "tickers", "topics", "score", "trades"]
NO_TRADES: list[int] = []  # shared by every news row no trade cites (only ever serialised)


def build_news_table(run: RunData) -> tuple[dict, dict[str, int]]:
    """Every news item as compact rows (:data:`NEWS_TABLE_COLUMNS`) for the client-side news table.

    Returns ``(table, row_of)``, ``row_of`` mapping news_id to its row (chart markers point at rows).
    Text stays raw here: the page inserts it with ``textContent`` (table) or escapes it (chart hovers).
    """
    used = compute_news_usage(run.trades)
    news = run.news.sort_values(["published_at", "news_id"], kind="stable")
    ids = news.news_id.tolist()  # a list: iterating an Arrow-backed column calls Python per value
    columns = {  # one list per NEWS_TABLE_COLUMNS entry, each formatted in one vectorised call
        "published": hkt_texts(news.published_at).tolist(), "tradable": day_texts(news.tradable_session).tolist(),
        "headline": news.headline.tolist(), "url": safe_urls(news.url).tolist(), "source": news.source.tolist(),
        "tickers": news.tickers.str.replace(";", " ").tolist(), "topics": news.topics.str.replace(";", " ").tolist(),
        "score": json_floats(news.score, 4), "trades": [used.get(news_id, NO_TRADES) for news_id in ids],
    }
    rows = list(zip(*(columns[name] for name in NEWS_TABLE_COLUMNS)))  # tuples: the same JSON arrays, built faster
    table = {"columns": NEWS_TABLE_COLUMNS, "rows": rows, "used": sum(1 for i in ids if i in used), "hoverChars": HOVER_HEADLINE_CHARS}
    return table, dict(zip(ids, range(len(ids))))


_YAML_KEY = re.compile(r"^(\s*)(- )?((?:\"[^\"]*\"|'[^']*'|[^\s:#'\"][^:#]*?)):(\s+|$)(.*)$")
_YAML_SCALAR_NUMBER = re.compile(r"^[-+]?(\d[\d_]*\.?\d*(e[-+]?\d+)?|\.\d+)$", re.IGNORECASE)


def _yaml_value(text: str) -> list[tuple[str, str]]:
    if not text:
        return []
    if _YAML_SCALAR_NUMBER.match(text):
        return [("n", text)]
    if text in ("true", "false", "null", "~", "[]", "{}"):
        return [("b", text)]
    return [("s", text)]


def highlight_yaml(text: str) -> list[list[tuple[str, str]]]:
    """Pure: YAML lines -> ``[(css class, text), ...]`` tokens (k key, s string, n number, b bool/null, c comment, p punctuation).

    The template escapes each token, so a value like ``<script>`` stays text.
    """
    lines = []
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("#"):
            lines.append([("c", line)])
            continue
        match = _YAML_KEY.match(line)
        if match:
            indent, dash, key, space, value = match.groups()
            tokens = [("", indent)] + ([("p", dash)] if dash else []) + [("k", key), ("p", ":"), ("", space)] + _yaml_value(value)
        elif stripped.startswith("- "):
            indent = line[: len(line) - len(stripped)]
            tokens = [("", indent), ("p", "- ")] + _yaml_value(stripped[2:])
        else:
            tokens = [("", line)]
        lines.append([t for t in tokens if t[1]])
    return lines


# ----------------------------------------------------------------------------- page


def build_header(run: RunData, generated_at: datetime) -> dict:
    info = run.run
    strategy, universe = run.settings.strategy, run.settings.universe
    return {
        "name": run.name, "start": info.get("start"), "end": info.get("end"), "sessions": info.get("sessions"),
        "strategy": strategy.name,
        "params": [(k, json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else ("null" if v is None else str(v)))
                   for k, v in strategy.params.items()],
        "universe": list(universe.tickers), "benchmark": info.get("benchmark"), "proxy": info.get("proxy"),
        "price_source": info.get("price_source"), "simulated": bool(info.get("simulated_prices")),
        "config_hash": info.get("config_hash"), "data_hash": info.get("data_hash"),
        "versions": [(k, v) for k, v in (info.get("versions") or {}).items()],
        "news_items": info.get("news_items"), "signals": info.get("signals"), "initial_cash": info.get("initial_cash_hkd"),
        "generated_at": generated_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "finished_at": run.finished_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "news_path": describe_news_source(run.settings.news),
    }



def render_report(run: RunData | Path, generated_at: datetime | None = None) -> str:
    """Render ``report.html`` of a finished run folder (or loaded :class:`RunData`) and return the HTML."""
    if not isinstance(run, RunData):
        run = load_run(Path(run))
    generated_at = generated_at or datetime.now(timezone.utc)
    threshold = run.settings.strategy.params.get("entry_threshold")  # a strategy's own parameter, if it has one
    threshold = float(threshold) if isinstance(threshold, (int, float)) else None
    tickers, aliases = list(run.settings.universe.tickers), run.settings.universe.aliases
    figures = {
        "fig-equity": build_equity_figure(run),
        "fig-monthly": build_monthly_figure(run),
        "fig-rolling": build_rolling_figure(run),
    }
    news_table, news_rows = build_news_table(run)
    panels, news_links = [], {}
    news_by_ticker = compute_news_by_ticker(run.signals, run.news[["news_id", "tickers", "tradable_session", "score"]], tickers)
    trades_of, signals_of = split_by_ticker(run.trades, tickers), split_by_ticker(run.signals, tickers)
    prices_of = split_by_ticker(run.prices, tickers) if run.prices is not None else dict.fromkeys(tickers)
    for position, ticker in enumerate(tickers):
        div = f"fig-ticker-{position}"
        trades, signals, prices = trades_of[ticker], signals_of[ticker], prices_of[ticker]
        figures[div], news_links[div] = build_ticker_figure(run, threshold, news_rows, news_by_ticker[ticker], trades, signals, prices)
        names = aliases.get(ticker) or []
        if (prices is None or not len(prices)) and not len(trades) and not len(signals):
            del figures[div], news_links[div]  # nothing to draw: say so in one line instead of an empty chart
        panels.append({"div": div if div in figures else None, "ticker": ticker, "alias": names[0] if names else "", "trades": int(len(trades)),
                       "pnl": float(trades.pnl_hkd.sum()) if len(trades) else 0.0, "signals": int(len(signals))})
    audit_rows, audit_summary = build_audit(run)
    metric_rows, has_proxy = build_metric_rows(run.metrics)
    return TEMPLATES.get_template("report.html.j2").render(
        page_title=f"hkbt · {run.name}",
        header=build_header(run, generated_at),
        banner=run.metrics.get("warning") or SIMULATED_BANNER,
        rolling_window=ROLLING_WINDOW,
        warnings=run.warnings,
        kpis=build_kpis(run.metrics),
        figures=json_for_html({"figures": figures, "config": PLOT_CONFIG, "sessions": date_strings(run.equity.index), "newsMarkers": news_links}),
        panels=panels,
        threshold=threshold,
        trades=build_trade_rows(run),
        skipped=build_skipped(run),
        trade_tickers=sorted(set(run.trades.ticker)),
        audit_rows=audit_rows,
        audit=audit_summary,
        metric_rows=metric_rows,
        has_proxy=has_proxy,
        news=json_for_html(news_table),
        news_count=len(run.news),
        news_used=sum(1 for ids in compute_news_usage(run.trades)),
        config_lines=highlight_yaml(run.config_text),
        plotly_js=plotly_js(),
    )


def write_report(folder: Path) -> Path:
    """Re-render ``report.html`` inside an existing finished run folder.

    The page is replaced when hkbt's marker lists it (it is the run's own
    report, whatever it now holds) or when it is an hkbt page; a link, or a
    file of the user's in an unmarked folder, is refused.
    """
    from hkbt.backtest.results import hkbt_files

    folder = Path(folder)
    page = folder / REPORT_FILE
    if not page.is_symlink() and REPORT_FILE in (hkbt_files(folder) or set()):
        return write_text_atomic(page, render_report(folder))
    return write_page(page, render_report(folder))


def is_hkbt_page(page: Path) -> bool:
    """An existing regular file (not a link) whose head says hkbt wrote it."""
    if page.is_symlink() or not page.is_file():
        return False
    try:
        with page.open(encoding="utf-8", errors="replace") as stream:
            head = stream.read(4000)
    except OSError:
        return False
    return GENERATOR_META in head or "<title>hkbt · " in head  # (pages from before the generator tag)


def write_page(page: Path, html: str) -> Path:
    """Write an HTML page atomically, replacing only a page hkbt wrote (never a file or link of the user's)."""
    if page.parent.is_symlink():
        raise DataError(str(page.parent), "is a symbolic link; hkbt never writes through links", "remove the link")
    if os.path.lexists(page) and not is_hkbt_page(page):
        raise DataError(str(page), "exists and was not written by hkbt", "move it away, or choose another name")
    return write_text_atomic(page, html)
