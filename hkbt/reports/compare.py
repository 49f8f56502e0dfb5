"""Side-by-side comparison of finished runs, and the ``backtests/index.html`` of all runs.

``hkbt compare RUN [RUN ...]`` (or ``--all``) writes ``backtests/compare/<slug>.html``:
a metrics table with one column per run and the best value of each row
highlighted, overlaid normalised equity curves with the benchmark, overlaid
drawdowns, the config keys that differ between the runs, trade counts per
ticker, and links to each run's report. Runs over different periods,
universes or benchmarks are flagged at the top.

``write_index`` (called after every ``hkbt run`` and by ``compare``) lists every
run folder newest first, by the time in its ``run_info.json``.

Like :mod:`hkbt.reports.run_report`, everything here reads finished run folders only and
never recomputes a statistic: each number comes from a run's ``metrics.json``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from hkbt.errors import DataError
from hkbt.files import write_text_atomic
from hkbt.reports.run_report import (
    COLORS,
    PLOT_CONFIG,
    TEMPLATES,
    axis,
    base_layout,
    date_strings,
    format_value,
    hover_text,
    is_hkbt_page,
    json_floats,
    json_for_html,
    plotly_js,
    write_page,
)
from hkbt.reports.chart_data import (
    RunData,
    compute_drawdown_series,
    compute_growth,
    flatten_config,
    is_run_folder,
    load_run,
    load_run_info,
    read_json,
)

COMPARE_DIR = "compare"
INDEX_FILE = "index.html"
PALETTE = ["#0969da", "#1a7f37", "#8250df", "#bf3989", "#9a6700", "#1b7c83", "#cf222e", "#6639ba", "#0550ae", "#953800"]

HIGHER, LOWER, NEITHER = 1, -1, 0

# (label, metrics.json key, display format, which direction is better)
COMPARE_METRICS = [
    ("Total return", "total_return_pct", "pct", HIGHER),
    ("Benchmark total return", "benchmark_total_return_pct", "pct", NEITHER),
    ("Excess return", "excess_return_pct", "pct", HIGHER),
    ("CAGR", "cagr_pct", "pct", HIGHER),
    ("Annual volatility", "annual_volatility_pct", "pct_u", LOWER),
    ("Sharpe", "sharpe", "ratio", HIGHER),
    ("Sortino", "sortino", "ratio", HIGHER),
    ("Calmar", "calmar", "ratio", HIGHER),
    ("Max drawdown", "max_drawdown_pct", "pct_u", HIGHER),  # closer to 0 is better
    ("Alpha (annual)", "alpha_pct", "pct", HIGHER),
    ("Beta", "beta", "ratio", NEITHER),
    ("Information ratio", "information_ratio", "ratio", HIGHER),
    ("Correlation", "correlation", "ratio", NEITHER),
    ("Trades", "trades", "int", NEITHER),
    ("Win rate", "win_rate_pct", "pct_u", HIGHER),
    ("Profit factor", "profit_factor", "ratio", HIGHER),
    ("Avg holding, sessions", "avg_holding_days", "days", NEITHER),
    ("Exposure", "exposure_pct", "pct_u", NEITHER),
    ("Total costs", "total_costs_hkd", "hkd", LOWER),
    ("Final equity", "final_equity_hkd", "hkd", HIGHER),
]
IGNORED_CONFIG_KEYS = {"run.name"}  # always differs; the column headers already say it


# ----------------------------------------------------------------------------- pure helpers


def compute_best(values: list[object], direction: int) -> set[int]:
    """Pure: positions of the best value(s) in a row (ties all win).

    ``direction`` is :data:`HIGHER` or :data:`LOWER` (:data:`NEITHER` gives no
    winner). Nulls never win, and a row whose values are all equal has none.

    >>> sorted(compute_best([1.0, 3.0, None, 3.0], HIGHER)), sorted(compute_best([5, 2, 9], LOWER))
    ([1, 3], [1])
    """
    numbers = {i: float(v) for i, v in enumerate(values) if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v}
    if direction == NEITHER or len(set(numbers.values())) < 2:
        return set()
    best = max(numbers.values()) if direction == HIGHER else min(numbers.values())
    return {i for i, v in numbers.items() if v == best}


_MISSING = object()


def compute_config_diff(configs: list[dict], ignore: set[str] = IGNORED_CONFIG_KEYS) -> list[tuple[str, list[object]]]:
    """Pure: the dotted config keys whose values differ between runs, with each run's value.

    A key missing from a run's config counts as different (its value is
    :data:`None` there and reported as "not set"). Keys come in the first
    config's order, then any others.

    >>> compute_config_diff([{"strategy": {"entry_threshold": 0.5, "hold_days": 5}}, {"strategy": {"entry_threshold": 0.7, "hold_days": 5}}])
    [('strategy.entry_threshold', [0.5, 0.7])]
    """
    flats = [flatten_config(c or {}) for c in configs]
    keys = list(dict.fromkeys(k for flat in flats for k in flat))
    rows = []
    for key in keys:
        if key in ignore:
            continue
        values = [flat.get(key, _MISSING) for flat in flats]
        if len({json.dumps(v, sort_keys=True, default=str) if v is not _MISSING else "\0missing" for v in values}) > 1:
            rows.append((key, [None if v is _MISSING else v for v in values]))
    return rows


def compute_trade_counts(trades: list[pd.DataFrame], labels: list[str], tickers: list[str] | None = None) -> pd.DataFrame:
    """Pure: trades per ticker (rows) and run (columns), zeros filled, tickers in first-seen order."""
    order = list(dict.fromkeys(list(tickers or []) + [t for frame in trades for t in frame.ticker]))
    counts = {label: frame.ticker.value_counts() for label, frame in zip(labels, trades)}
    return pd.DataFrame(counts, index=order, columns=labels).fillna(0).astype(int)


def compute_mismatches(runs: list[RunData]) -> list[str]:
    """Pure: sentences saying how the runs are not like-for-like (periods, universes, benchmarks, prices)."""
    notes = []
    labels = [run.folder.name for run in runs]

    def differ(values: list[object], what: str, show) -> None:
        if len({json.dumps(v, sort_keys=True, default=str) for v in values}) > 1:
            parts = "; ".join(f"{label}: {show(v)}" for label, v in zip(labels, values))
            notes.append(f"These runs cover different {what} ({parts}), so their numbers are not like-for-like.")

    differ([(r.run.get("start"), r.run.get("end")) for r in runs], "periods", lambda v: f"{v[0]} → {v[1]}")
    differ([sorted(r.settings.universe.tickers) for r in runs], "universes", lambda v: " ".join(v))
    differ([r.run.get("benchmark") for r in runs], "benchmarks", str)
    differ([r.run.get("price_source") for r in runs], "price sources", str)
    return notes


def compare_slug(labels: list[str]) -> str:
    """Pure: a file-name-safe slug for a comparison: ``a_vs_b``, shortened with a hash when long."""
    slug = "_vs_".join(re.sub(r"[^A-Za-z0-9_.-]+", "-", label) for label in labels)
    if len(slug) > 80:
        digest = hashlib.sha256("\0".join(labels).encode()).hexdigest()[:8]
        slug = f"{slug[:60].rstrip('_-.')}_and_{len(labels)}_runs_{digest}"
    return slug


# ----------------------------------------------------------------------------- finding runs


def list_runs(output_dir: Path) -> list[Path]:
    """Every finished run folder directly under ``output_dir`` (never ``compare/`` or staging folders)."""
    output_dir = Path(output_dir)
    if not output_dir.is_dir():
        return []
    try:
        entries = list(output_dir.iterdir())
    except OSError as exc:
        raise DataError(str(output_dir), f"cannot list the runs folder ({exc.strerror or exc.__class__.__name__})",
                        "check its permissions, or pass another --dir") from None
    return sorted((p for p in entries if is_run_folder(p)), key=lambda p: p.name)


def resolve_runs(specs: list[str], output_dir: Path) -> list[Path]:
    """Run names (folders under ``output_dir``) or run folder paths -> folders; unknown -> DataError."""
    output_dir = Path(output_dir)
    folders: list[Path] = []
    for spec in specs:
        candidates = [output_dir / spec, Path(spec)]
        found = next((c for c in candidates if is_run_folder(c)), None)
        if found is None:
            known = [p.name for p in list_runs(output_dir)]
            close = difflib.get_close_matches(spec, known, n=1)
            hint = (f"did you mean {close[0]!r}?" if close else f"known runs: {', '.join(known[:12])}" if known
                    else f"no runs in {output_dir} yet: `hkbt run --name NAME` first")
            raise DataError(spec, f"no finished run of that name in {output_dir} and no run folder at that path", hint)
        if found.resolve() not in [f.resolve() for f in folders]:
            folders.append(found)
    return folders


# ----------------------------------------------------------------------------- comparison page


def _relative(target: Path, start: Path) -> str:
    """A percent-encoded relative link (never read as a ``scheme:`` URL)."""
    link = quote(Path(os.path.relpath(Path(target).resolve(), Path(start).resolve())).as_posix(), safe="/")
    return link if link.startswith(("./", "../")) else "./" + link


def _labels(runs: list[RunData]) -> list[str]:
    labels, seen = [], {}
    for run in runs:
        label = run.folder.name
        seen[label] = seen.get(label, 0) + 1
        labels.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return labels


def build_compare_figures(runs: list[RunData], labels: list[str]) -> dict:
    """Overlaid growth-of-100 curves and drawdowns; one benchmark trace per distinct (benchmark, period)."""
    growth, drawdown, benchmarks = [], [], {}
    for position, (run, label) in enumerate(zip(runs, labels)):
        color = PALETTE[position % len(PALETTE)]
        x = date_strings(run.equity.index)
        growth.append({"type": "scatter", "mode": "lines", "name": hover_text(label), "x": x, "y": json_floats(100.0 * compute_growth(run.equity.value_hkd), 3),
                       "line": {"color": color, "width": 2}, "hovertemplate": "%{y:.2f}<extra>" + hover_text(label) + "</extra>"})
        drawdown.append({"type": "scatter", "mode": "lines", "name": hover_text(label), "x": x,
                         "y": json_floats(compute_drawdown_series(run.equity.value_hkd), 3), "line": {"color": color, "width": 1.5},
                         "hovertemplate": "%{y:.2f} %<extra>" + hover_text(label) + "</extra>", "showlegend": False})
        growth_of_benchmark = round(float(run.equity.benchmark_hkd.iloc[-1] / run.equity.benchmark_hkd.iloc[0]), 6)
        key = (run.run.get("benchmark"), x[0] if x else None, x[-1] if x else None, growth_of_benchmark)
        benchmarks.setdefault(key, run)
    for position, (key, run) in enumerate(benchmarks.items()):
        name = f"{key[0]} buy & hold" + (f" ({key[1]} → {key[2]})" if len(benchmarks) > 1 else "")
        x = date_strings(run.equity.index)
        dash = ["dash", "dot", "dashdot", "longdash"][position % 4]
        hover = "%{y:.2f}<extra>" + hover_text(str(key[0])) + "</extra>"
        growth.append({"type": "scatter", "mode": "lines", "name": hover_text(name), "x": x,
                       "y": json_floats(100.0 * compute_growth(run.equity.benchmark_hkd), 3),
                       "line": {"color": COLORS["benchmark"], "width": 1.5, "dash": dash}, "hovertemplate": hover})
        drawdown.append({"type": "scatter", "mode": "lines", "name": hover_text(name), "x": x,
                         "y": json_floats(compute_drawdown_series(run.equity.benchmark_hkd), 3),
                         "line": {"color": COLORS["benchmark"], "width": 1, "dash": dash}, "hovertemplate": hover.replace("}<", "} %<", 1),
                         "showlegend": False})
    # same fixed left margin on both charts, so their date axes line up one above the other
    margin = {"l": 84, "r": 24, "t": 36, "b": 40}
    growth_layout = base_layout(420, margin=margin, xaxis=axis(type="date"), yaxis=axis(title={"text": "growth of 100"}, automargin=False))
    drawdown_layout = base_layout(300, margin=margin | {"t": 16}, xaxis=axis(type="date"), showlegend=False,
                              yaxis=axis(title={"text": "drawdown, %"}, ticksuffix=" %", automargin=False))
    return {"fig-growth": {"data": growth, "layout": growth_layout}, "fig-drawdown": {"data": drawdown, "layout": drawdown_layout}}


def _show_config_value(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def render_compare(runs: list[RunData], page_dir: Path, generated_at: datetime | None = None) -> str:
    """The comparison page for ``runs``; links are relative to ``page_dir`` (where the page will live)."""
    generated_at = generated_at or datetime.now(timezone.utc)
    labels = _labels(runs)
    metric_rows = []
    for label, key, kind, direction in COMPARE_METRICS:
        values = [run.metrics.get(key) for run in runs]
        if all(v is None for v in values) and not any(key in run.metrics for run in runs):
            continue
        best = compute_best(values, direction)
        metric_rows.append({
            "label": label, "key": key, "better": {HIGHER: "higher", LOWER: "lower", NEITHER: ""}[direction],
            "cells": [{"text": format_value(v, kind), "raw": json.dumps(v), "best": i in best,
                       "sign": "pos" if kind == "pct" and isinstance(v, (int, float)) and v > 0
                               else "neg" if kind in ("pct", "pct_u") and isinstance(v, (int, float)) and v < 0 else ""}
                      for i, v in enumerate(values)],
        })
    differ = [{"key": key, "cells": [("not set" if v is None and key not in flatten_config(run.config) else _show_config_value(v))
                                     for v, run in zip(values, runs)]}
              for key, values in compute_config_diff([run.config for run in runs])]
    universe = [t for run in runs for t in run.settings.universe.tickers]
    counts = compute_trade_counts([run.trades for run in runs], labels, universe)
    columns = [{
        "label": label, "name": run.name, "report": _relative(run.folder / "report.html", page_dir),
        "start": run.run.get("start"), "end": run.run.get("end"), "strategy": run.run.get("strategy"),
        "price_source": run.run.get("price_source"), "simulated": bool(run.run.get("simulated_prices")),
        "color": PALETTE[i % len(PALETTE)], "finished_at": run.finished_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "config_hash": run.run.get("config_hash"),
    } for i, (label, run) in enumerate(zip(labels, runs))]
    figures = build_compare_figures(runs, labels)
    return TEMPLATES.get_template("compare.html.j2").render(
        page_title=f"hkbt · compare {' vs '.join(labels)}"[:200],
        columns=columns,
        mismatches=compute_mismatches(runs),
        any_simulated=any(c["simulated"] for c in columns),
        metric_rows=metric_rows,
        differ=differ,
        counts=[{"ticker": ticker, "cells": [int(v) for v in row]} for ticker, row in zip(counts.index, counts.to_numpy())],
        totals=[int(len(run.trades)) for run in runs],
        figures=json_for_html({"figures": figures, "config": PLOT_CONFIG}),
        index_link=_relative(page_dir.parent / INDEX_FILE, page_dir) if page_dir.name == COMPARE_DIR else None,
        generated_at=generated_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        plotly_js=plotly_js(),
    )


def write_compare(folders: list[Path], output_dir: Path, slug: str | None = None, skipped: list[str] | None = None) -> Path:
    """Write ``output_dir/compare/<slug>.html`` atomically for the given run folders; return its path.

    A folder that cannot be read raises :class:`DataError`; with a ``skipped``
    list (``hkbt compare --all``) it is left out and a sentence is added there.
    """
    runs = []
    for folder in folders:
        try:
            runs.append(load_run(folder))
        except DataError as exc:
            if skipped is None:
                raise
            skipped.append(f"left out {folder.name}/: {exc}")
    if not runs:
        raise DataError(str(output_dir), "no runs to compare", "name two or more runs, or use --all")
    page_dir = Path(output_dir) / COMPARE_DIR
    slug = slug or compare_slug(_labels(runs))
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,120}", slug):
        raise DataError("--out", f"{slug!r} is not a plain file name", "use letters, digits, _ . - only")
    page = page_dir / f"{slug}.html"
    return write_page(page, render_compare(runs, page_dir))


# ----------------------------------------------------------------------------- index page


def build_index_rows(output_dir: Path, skipped: list[str] | None = None) -> list[dict]:
    """One row per run folder under ``output_dir``, newest first (by the time the run finished).

    A folder whose files cannot be read (a corrupt ``metrics.json``, a value
    that is not a number) is left out, and a sentence saying so is appended to
    ``skipped``: one broken sibling never stops a run or the index.
    """
    rows = []
    for folder in list_runs(output_dir):
        try:
            rows.append(_index_row(folder))
        except (ValueError, TypeError, KeyError, AttributeError, OSError) as exc:
            if skipped is not None:
                skipped.append(f"index.html: left out {folder.name}/ (unreadable run folder: {exc.__class__.__name__}: {exc})")
    rows.sort(key=lambda r: (r["finished"], r["folder"]), reverse=True)
    return rows


def _index_row(folder: Path) -> dict:
    metrics = read_json(folder / "metrics.json")
    finished_at, _ = load_run_info(folder)
    run = metrics["run"]
    cells = {}
    for key, kind in INDEX_COLUMNS:
        value = metrics.get(key)
        if not (value is None or isinstance(value, (int, float)) and not isinstance(value, bool)):
            raise TypeError(f"{key} is {type(value).__name__}, not a number")
        cells[key] = {"text": format_value(value, kind), "raw": json.dumps(value),
                      "sign": "pos" if kind == "pct" and value is not None and value > 0 else
                              "neg" if kind in ("pct", "pct_u") and value is not None and value < 0 else ""}
    return {
        "folder": folder.name, "report": folder_link(folder.name, "report.html"), "has_report": (folder / "report.html").is_file(),
        "finished": finished_at, "finished_text": finished_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "start": _text(run.get("start")), "end": _text(run.get("end")), "strategy": _text(run.get("strategy")),
        "price_source": _text(run.get("price_source")), "simulated": run.get("simulated_prices") is True, "cells": cells,
        "experiment": _text(run.get("experiment")) or None,
    }


def _text(value: object) -> str:
    return "" if value is None else str(value)[:200]


def folder_link(*parts: str) -> str:
    """A relative link to a file in a run folder, safe for any folder name.

    Each part is percent-encoded and the link starts with ``./``, so a folder
    named ``javascript:alert(1)`` is a path, never a script URL.

    >>> folder_link("javascript:alert(1)", "report.html")
    './javascript%3Aalert%281%29/report.html'
    """
    return "./" + "/".join(quote(part, safe="") for part in parts)


def group_index_rows(rows: list[dict], comparisons: set[str]) -> list[dict]:
    """Pure: runs grouped by experiment (``hkbt run --experiments``), each group where its newest run is.

    Runs outside any experiment form one group with ``experiment`` None.
    ``comparisons`` are the page names under compare/; an experiment's own
    page (``<experiment>.html``) is linked from its group.

    >>> groups = group_index_rows([{"folder": "e.a", "experiment": "e"}, {"folder": "solo", "experiment": None},
    ...                            {"folder": "e.b", "experiment": "e"}], {"e"})
    >>> [(g["experiment"], [r["folder"] for r in g["rows"]], g["compare"]) for g in groups]
    [('e', ['e.a', 'e.b'], './compare/e.html'), (None, ['solo'], None)]
    """
    groups: dict[str | None, dict] = {}
    for row in rows:
        name = row.get("experiment")
        group = groups.setdefault(name, {"experiment": name, "rows": [],
                                         "compare": folder_link(COMPARE_DIR, f"{name}.html") if name in comparisons else None})
        group["rows"].append(row)
    for group in groups.values():
        if group["experiment"] is not None:
            group["rows"].sort(key=lambda r: r["folder"])  # variants side by side, in name order
    return list(groups.values())


INDEX_COLUMNS = [
    ("total_return_pct", "pct"), ("benchmark_total_return_pct", "pct"), ("excess_return_pct", "pct"),
    ("sharpe", "ratio"), ("max_drawdown_pct", "pct_u"), ("trades", "int"), ("win_rate_pct", "pct_u"),
]


def render_index(output_dir: Path, generated_at: datetime | None = None, skipped: list[str] | None = None) -> str:
    """``index.html``: every run, newest first, with key metrics and a link to its report."""
    generated_at = generated_at or datetime.now(timezone.utc)
    compare_dir = Path(output_dir) / COMPARE_DIR
    comparisons = sorted(compare_dir.glob("*.html"), key=lambda p: p.stat().st_mtime, reverse=True) if compare_dir.is_dir() else []
    rows = build_index_rows(output_dir, skipped)
    return TEMPLATES.get_template("index.html.j2").render(
        page_title="hkbt · all runs",
        rows=rows,
        groups=group_index_rows(rows, {p.stem for p in comparisons}),
        comparisons=[{"name": p.stem, "href": folder_link(COMPARE_DIR, p.name)} for p in comparisons],
        generated_at=generated_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        plotly_js=None,
    )


def write_index(output_dir: Path, warnings: list[str] | None = None) -> Path | None:
    """Regenerate ``output_dir/index.html`` atomically; return its path.

    Never fails a command: run folders that cannot be read are left out, and
    an ``index.html`` that hkbt did not write (or a link in its place) is
    left alone; both add a sentence to ``warnings`` (then ``None`` is
    returned when nothing was written).
    """
    page = Path(output_dir) / INDEX_FILE
    if os.path.lexists(page) and not is_hkbt_page(page):
        if warnings is not None:
            warnings.append(f"{page} was not written by hkbt; left alone (the list of runs was not updated)")
        return None
    try:
        return write_text_atomic(page, render_index(output_dir, skipped=warnings))
    except DataError as exc:
        if warnings is not None:
            warnings.append(f"the list of runs was not updated: {exc}")
        return None


__all__ = [
    "COMPARE_METRICS", "compute_best", "compute_config_diff", "compute_mismatches", "compute_trade_counts",
    "compare_slug", "list_runs", "resolve_runs", "render_compare", "write_compare", "group_index_rows", "render_index",
    "write_index",
]
