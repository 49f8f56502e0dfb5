"""Write a run folder ``backtests/<name>/`` atomically.

Everything is first written into a hidden sibling folder
(``backtests/.<name>.tmp-XXXX``), then swapped into place with ``os.replace``.
A crash or a bad input half-way leaves the previous run folder untouched and
no partial one behind.

Files:

=====================  ======================================================
metrics.json           statistics + run metadata (deterministic: no clock)
trades.csv             one row per round trip, with the news that caused it
equity.csv             strategy, benchmark (and proxy) value per session
signals.csv            per (session, ticker) aggregated news signal
skipped.csv            every signal no order cited, and why (max_positions, no_cash, ...)
news.csv               every news item: language, score, topics, tickers, tradable session
config.resolved.yaml   the exact settings used, defaults included
prices.csv             daily bars of the traded tickers on the run's sessions
run_info.json          when the run finished and its warnings (the only clock-dependent file)
report.html            the HTML report, rendered from the files above
=====================  ======================================================
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import yaml

from hkbt.files import default_mode
from hkbt.errors import ConfigError
from hkbt.pipeline import RunArtifacts

NEWS_OUTPUT_COLUMNS = [
    "news_id", "published_at", "tradable_session", "headline", "source", "url",
    "tickers", "linked_by", "topics", "language", "score",
]


RESERVED_NAMES = {"compare": "hkbt compare's pages", "index.html": "the list of all runs"}


def run_folder(output_dir: Path, name: str) -> Path:
    """``output_dir/name``, refusing any name that would land outside ``output_dir``."""
    root = output_dir.resolve()
    if root.exists() and not root.is_dir():
        raise ConfigError("run.output_dir", f"{output_dir} is a file, not a folder", "point run.output_dir at a folder")
    target = (root / name).resolve()
    if target.parent != root:
        raise ConfigError("run.name", f"{name!r} would write outside {output_dir}", "use a plain name like strict_07")
    if name in RESERVED_NAMES:
        raise ConfigError("run.name", f"{name!r} is reserved for {RESERVED_NAMES[name]}", "choose another run name")
    return target


@contextmanager
def staging_folder(folder: Path) -> Iterator[Path]:
    """A fresh hidden sibling of ``folder`` (``.<name>.tmp-XXXX``) to write into.

    If the ``with`` block raises, the staging folder is removed and the error
    propagates; on success the caller moves its contents into place.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    staging.chmod(default_mode(directory=True))  # mkdtemp makes it private; a run folder is an ordinary folder
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_run(artifacts: RunArtifacts, folder: Path, report_html: str | Callable[[Path], str]) -> Path:
    """Write every output file of a run into ``folder`` atomically; return it.

    ``report_html`` is the report's HTML, or a function that renders it from the
    staging folder once every other file is complete there (so the report is
    built from the run's files only, and still nothing appears half-written).
    """
    with staging_folder(folder) as staging:
        _write_files(artifacts, staging)
        html = report_html(staging) if callable(report_html) else report_html
        (staging / "report.html").write_text(html, encoding="utf-8")
        if folder.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old-", dir=folder.parent))
            os.replace(folder, retired / folder.name)
            os.replace(staging, folder)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, folder)
    return folder


def add_files(folder: Path, write: Callable[[Path], None]) -> list[Path]:
    """Add files to ``folder`` (created if missing) without touching its other files.

    ``write(staging)`` writes complete files into a hidden staging folder; only
    when it returns is each file moved into ``folder`` with ``os.replace``
    (atomic per file, replacing a file of the same name). If ``write`` fails,
    ``folder`` is left exactly as it was. Used by ``hkbt study`` to put its
    files beside a run's. Note that a later :func:`write_run` to the same
    folder replaces the whole folder, added files included.

    Returns the paths written, in name order.
    """
    with staging_folder(folder) as staging:
        write(staging)
        names = sorted(p.name for p in staging.iterdir() if p.is_file())
        folder.mkdir(parents=True, exist_ok=True)
        for name in names:
            os.replace(staging / name, folder / name)
    shutil.rmtree(staging, ignore_errors=True)
    return [folder / name for name in names]


def _write_files(artifacts: RunArtifacts, folder: Path) -> None:
    (folder / "metrics.json").write_text(json.dumps(artifacts.metrics, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    artifacts.trades.to_csv(folder / "trades.csv", index=False, date_format="%Y-%m-%d")
    artifacts.equity.to_csv(folder / "equity.csv", date_format="%Y-%m-%d", float_format="%.4f")
    artifacts.signals.to_csv(folder / "signals.csv", index=False, date_format="%Y-%m-%d")
    artifacts.skipped.to_csv(folder / "skipped.csv", index=False, date_format="%Y-%m-%d")
    news = artifacts.news.assign(
        tickers=artifacts.news.tickers.map(";".join), topics=artifacts.news.topics.map(";".join)
    )[NEWS_OUTPUT_COLUMNS]
    news.to_csv(folder / "news.csv", index=False)
    resolved = artifacts.config.resolved()
    header = f"# resolved config of run {artifacts.config.run.name!r} (config_hash {artifacts.config.config_hash()})\n"
    (folder / "config.resolved.yaml").write_text(header + yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True), encoding="utf-8")
    sessions = artifacts.equity.index
    bars = [frame.loc[frame.index.isin(sessions)].assign(ticker=ticker) for ticker, frame in artifacts.prices.items()
            if ticker in artifacts.config.universe.tickers]
    if bars:
        prices = pd.concat(bars).rename_axis("session").reset_index()
        columns = ["session", "ticker"] + [c for c in ("open", "high", "low", "close", "volume") if c in prices]
        prices[columns].to_csv(folder / "prices.csv", index=False, date_format="%Y-%m-%d", float_format="%.4f")
    finished = datetime.now(timezone.utc).isoformat(timespec="seconds")
    info = {"finished_at": finished, "warnings": list(artifacts.warnings)}
    (folder / "run_info.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")

