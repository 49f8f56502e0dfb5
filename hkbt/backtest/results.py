"""Write a run folder ``backtests/<name>/`` atomically.

Everything is first written into a hidden sibling folder
(``backtests/.<name>.tmp-XXXX``), then swapped into place in one atomic step.
A crash, a kill or a bad input half-way leaves the previous run folder
untouched; leftovers of an interrupted write are removed by the next run of
that name. Only folders hkbt wrote are ever replaced (:data:`MARKER_FILE`),
and one command at a time may write a run name (a lock file
``backtests/.<name>.lock`` while it works).

Files:

=====================  ======================================================
metrics.json           statistics + run metadata (deterministic: no clock)
trades.csv             one row per round trip, with the news that caused it
equity.csv             strategy, benchmark (and proxy) value per session
signals.csv            per (session, ticker) aggregated news signal
skipped.csv            every signal no order cited, and why (max_positions, no_cash, ...)
news.csv               every news item: times (published, first seen, available), language, score, topics, tickers, tradable session
config.resolved.yaml   the exact settings used, defaults included
prices.csv             daily bars of the traded tickers on the run's sessions
run_info.json          when the run finished and its warnings (the only clock-dependent file)
report.html            the HTML report, rendered from the files above (news.csv and the config from memory)
.hkbt-folder           hkbt's marker: the list of files hkbt wrote here
=====================  ======================================================
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import yaml

from hkbt.csv_text import csv_bytes
from hkbt.files import default_mode, disk_error, exchange_paths, exclusive_lock, signals_deferred
from hkbt.errors import ConfigError
from hkbt.pipeline import RunArtifacts

if TYPE_CHECKING:
    from hkbt.reports.chart_data import RunData

NEWS_OUTPUT_COLUMNS = [
    "news_id", "published_at", "first_seen_at", "available_at", "tradable_session", "headline", "source", "url",
    "tickers", "linked_by", "scope", "themes", "topics", "language", "score",
]


RESERVED_NAMES = {"compare": "hkbt compare's pages", "index.html": "the list of all runs"}

MARKER_FILE = ".hkbt-folder"
"""Written first into every folder hkbt makes; lists the files hkbt put there.

Only a folder carrying it (or an older hkbt run folder, see :data:`LEGACY_FILES`)
whose every entry hkbt wrote may be replaced or added to. Delete it to protect
a folder from being overwritten by a run of the same name."""

MARKER_TEMP = MARKER_FILE + ".tmp"  # the marker being written (see _write_marker)

LEGACY_FILES = frozenset({
    "metrics.json", "trades.csv", "equity.csv", "signals.csv", "news.csv", "config.resolved.yaml", "prices.csv",
    "run_info.json", "report.html", "skipped.csv", "study.csv", "study_events.csv", "study_car.csv", "study.html",
})
"""What run folders written before :data:`MARKER_FILE` existed may hold."""

_STAGING = re.compile(r"\.(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]*)\.(?P<kind>tmp|old)-[A-Za-z0-9_]+")


def run_folder(output_dir: Path, name: str) -> Path:
    """``output_dir/name``, refusing any name that would land outside ``output_dir``.

    The last part is not resolved: a symbolic link named ``name`` is refused
    later (:func:`check_hkbt_folder`), never followed.
    """
    try:
        root = Path(output_dir).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise ConfigError("run.output_dir", f"{output_dir} cannot be resolved ({exc})", "point run.output_dir at a real folder") from None
    if root.exists() and not root.is_dir():
        raise ConfigError("run.output_dir", f"{output_dir} is a file, not a folder", "point run.output_dir at a folder")
    target = root / name
    if name in {"", ".", ".."} or "/" in name or target.parent != root:
        raise ConfigError("run.name", f"{name!r} would write outside {output_dir}", "use a plain name like strict_07")
    if name in RESERVED_NAMES:
        raise ConfigError("run.name", f"{name!r} is reserved for {RESERVED_NAMES[name]}", "choose another run name")
    return target


# ----------------------------------------------------------------------------- whose folder is it?


def hkbt_files(folder: Path) -> set[str] | None:
    """The names hkbt wrote in ``folder`` by its marker (or legacy signature); ``None`` if not hkbt's."""
    marker = folder / MARKER_FILE
    if marker.is_file() and not marker.is_symlink():
        try:
            blob = json.loads(marker.read_text(encoding="utf-8"))
            if blob.get("written_by") == "hkbt" and isinstance(blob.get("files"), list):
                return {str(name) for name in blob["files"]} | {MARKER_FILE}
        except (OSError, ValueError, AttributeError):
            return None
        return None
    try:
        header = (folder / "config.resolved.yaml").read_text(encoding="utf-8")[:200]
        metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if header.startswith("# resolved config of run") and isinstance(metrics, dict) and isinstance(metrics.get("run"), dict):
        return set(LEGACY_FILES)
    return None


def check_hkbt_folder(folder: Path) -> None:
    """Refuse a ``folder`` hkbt may not replace or add to; a missing folder is fine.

    hkbt may only replace a folder it wrote: a real directory (not a symbolic
    link) carrying :data:`MARKER_FILE` whose every entry is a file hkbt listed
    there. Anything else (a file, a link, a folder of the user's, a run
    folder to which the user added a file) raises :class:`ConfigError` and is
    left untouched.
    """
    if not os.path.lexists(folder):
        return
    fix = "choose another --name (or run.output_dir), or move it out of the way yourself"
    if folder.is_symlink():
        raise ConfigError("run.name", f"{folder} is a symbolic link; hkbt never writes through links", fix)
    if not folder.is_dir():
        raise ConfigError("run.name", f"{folder} exists and is not a folder hkbt wrote (it is a file)", fix)
    listed = hkbt_files(folder)
    if listed is None:
        raise ConfigError("run.name", f"{folder} exists and is not a run folder hkbt wrote (no {MARKER_FILE} marker)", fix)
    foreign = sorted(entry.name for entry in folder.iterdir()
                     if entry.name not in listed or entry.is_symlink() or not (entry.is_file() or entry.is_dir()))
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise ConfigError("run.name", f"{folder} holds files hkbt did not write ({shown})",
                          "move them out of the folder, or choose another --name")


def _write_marker(folder: Path, names: list[str]) -> None:
    """(Re)write ``folder``'s marker atomically, so that a kill never leaves a folder with a torn one."""
    blob = {"written_by": "hkbt", "about": "hkbt replaces this folder when a run of the same name is re-run; "
            "delete this file to protect the folder", "files": sorted(set(names) - {MARKER_FILE, MARKER_TEMP})}
    (folder / MARKER_TEMP).write_text(json.dumps(blob, indent=1) + "\n", encoding="utf-8")
    os.replace(folder / MARKER_TEMP, folder / MARKER_FILE)


# ----------------------------------------------------------------------------- locking and repair


def _lock(folder: Path):
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise disk_error(folder.parent, exc, "cannot create the output folder") from None
    return exclusive_lock(folder.parent / f".{folder.name}.lock", str(folder),
                          "wait for the other hkbt command to finish, or use another --name")


@contextmanager
def claim_run_folder(folder: Path) -> Iterator[Path]:
    """Hold ``folder`` for one command: lock its name, refuse a folder hkbt did not write, repair leftovers.

    A second hkbt command on the same run name fails at once with one line
    (rather than waiting: a concurrent run of the same name is nearly always
    a mistake, and waiting would silently let the later one win). Stale
    staging folders of interrupted runs are removed (:func:`sweep_stale`).
    Taken by ``hkbt run`` and ``hkbt study`` before any work, and again
    (re-entrantly) by :func:`write_run` and :func:`add_files`.
    """
    with _lock(folder):
        sweep_stale(folder)
        check_hkbt_folder(folder)
        yield folder


def sweep_stale(folder: Path) -> list[str]:
    """Repair what interrupted writes of ``folder`` left; return what was done, for the log.

    Call with the folder's lock held. Hidden ``.<name>.tmp-*`` folders (a
    staging folder, or a previous run swapped out but not yet deleted) are
    removed; if a kill between the two renames of the fallback swap left the
    run folder missing, the previous run in ``.<name>.old-*`` is put back.
    Only folders carrying hkbt's marker (or nothing but a marker being
    written) are touched.
    """
    done = []
    try:
        entries = sorted(folder.parent.iterdir())
    except OSError:
        return done
    for entry in entries:
        match = _STAGING.fullmatch(entry.name)
        if not match or match["name"] != folder.name or entry.is_symlink() or not entry.is_dir():
            continue
        try:
            if {p.name for p in entry.iterdir()} <= {MARKER_TEMP}:  # killed before its marker was complete
                remove_folder(entry)
            elif hkbt_files(entry) is None:
                continue
            elif match["kind"] == "old" and not os.path.lexists(folder):
                os.rename(entry, folder)
                done.append(f"restored {folder.name} from {entry.name}")
                continue
            else:
                remove_folder(entry)
        except OSError:
            continue
        done.append(f"removed {entry.name}")
    return done


def remove_folder(folder: Path) -> None:
    """Delete a folder hkbt wrote, its marker last, so that a kill part-way leaves one :func:`sweep_stale` removes.

    ``shutil.rmtree`` deletes in directory order: a SIGKILL after it had removed the
    marker and ``metrics.json`` but not yet the rest left a ``.<name>.tmp-*`` that no
    longer looked like hkbt's, so no later run removed it. Here every other entry
    goes first; if one cannot be deleted, the marker stays (and so does the folder)
    for the next sweep. Raises ``OSError`` like ``shutil.rmtree``.
    """
    entries = sorted(os.scandir(folder), key=lambda entry: entry.name == MARKER_FILE)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)
    os.rmdir(folder)


def _remove_quietly(folder: Path) -> None:
    """:func:`remove_folder`, leaving what cannot be deleted to the next run's sweep."""
    try:
        remove_folder(folder)
    except OSError:
        pass


# ----------------------------------------------------------------------------- writing


@contextmanager
def staging_folder(folder: Path) -> Iterator[Path]:
    """A fresh hidden sibling of ``folder`` (``.<name>.tmp-XXXX``) to write into.

    It carries hkbt's marker from the start, so that an interrupted write is
    recognised and removed by :func:`sweep_stale`. If the ``with`` block
    raises, the staging folder is removed and the error propagates; on success
    the caller moves its contents into place. Enter it with signals held
    (``ExitStack.enter_context`` inside :func:`~hkbt.files.signals_deferred`,
    as :func:`write_run` does): Python may run a signal handler right after a
    generator's ``__enter__`` returns, before the ``with`` block that would
    remove the folder has begun.
    """
    staging = None
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        with signals_deferred():  # an interruption lands before the folder exists or after `staging` names it
            staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
        staging.chmod(default_mode(directory=True))  # mkdtemp makes it private; a run folder is an ordinary folder
        _write_marker(staging, [])
        yield staging
    except OSError as exc:
        if staging is not None:
            _remove_quietly(staging)
        raise disk_error(staging or folder.parent, exc) from None
    except BaseException:
        if staging is not None:
            _remove_quietly(staging)
        raise


def write_run(artifacts: RunArtifacts, folder: Path, report_html: str | Callable[[RunData], str]) -> Path:
    """Write every output file of a run into ``folder`` atomically; return it.

    ``report_html`` is the report's HTML, or a function that renders it from the
    staging folder once every other file is complete there (so the report is
    built from the run's files only, and still nothing appears half-written). It
    is given the folder as :func:`~hkbt.reports.chart_data.load_written_run` reads
    it: what ``load_run`` would read, with news.csv and config.resolved.yaml taken
    from the frame and text just written instead of parsed back.

    The finished staging folder replaces ``folder`` in one atomic exchange
    (:func:`hkbt.files.exchange_paths`): at every instant ``folder`` is either
    the complete previous run or the complete new one. Where the exchange is
    unsupported, two renames run with signals held and are undone on failure;
    a SIGKILL between them is repaired by the next run (:func:`sweep_stale`).
    Raises :class:`ConfigError` if ``folder`` is not one hkbt may replace.
    """
    with _lock(folder), ExitStack() as stack:
        with signals_deferred():  # an interruption lands where the stack's exit removes the staging folder
            staging = stack.enter_context(staging_folder(folder))
        news, config_text = _write_files(artifacts, staging)
        if callable(report_html):
            from hkbt.reports.chart_data import load_written_run

            html = report_html(load_written_run(staging, news, artifacts.config, config_text))
        else:
            html = report_html
        (staging / "report.html").write_text(html, encoding="utf-8")
        _write_marker(staging, [p.name for p in staging.iterdir()])
        check_hkbt_folder(folder)
        _swap_into_place(staging, folder)
    return folder


def _swap_into_place(staging: Path, folder: Path) -> None:
    """Put the complete ``staging`` folder at ``folder`` and delete the previous run, with signals held.

    Holding SIGINT/SIGTERM/SIGHUP for these few milliseconds means an
    interruption lands before the swap (nothing changed) or after the
    clean-up (the new run in place, nothing left over), never in between.
    """
    with signals_deferred():
        if not os.path.lexists(folder):
            os.rename(staging, folder)
        elif exchange_paths(staging, folder):
            _remove_quietly(staging)  # now the previous run
        else:
            retired = Path(str(staging).replace(".tmp-", ".old-", 1))
            os.rename(folder, retired)
            try:
                os.rename(staging, folder)
            except BaseException:
                os.rename(retired, folder)
                raise
            _remove_quietly(retired)


def add_files(folder: Path, write: Callable[[Path], None]) -> list[Path]:
    """Add files to ``folder`` (created if missing), keeping its other files; the change is one atomic step.

    ``write(staging)`` writes complete files into a hidden staging folder. When
    it returns, the files ``folder`` already holds (those its marker lists,
    except the ones being replaced) are hard-linked beside them (copied where
    the file system has no hard links), and the staging folder is swapped into
    place like a run (:func:`_swap_into_place`). So ``folder`` is at every
    instant either exactly as it was or complete with the new files, even if
    the command is killed: never a new ``study.csv`` beside an old
    ``study.html``. If ``write`` fails, ``folder`` is left exactly as it was.
    Used by ``hkbt study``, ``hkbt today`` and ``hkbt sweep``. A later
    :func:`write_run` to the same folder replaces the whole folder, added files
    included. Like :func:`write_run`, it refuses a folder hkbt did not write.

    Returns the paths written, in name order.
    """
    with _lock(folder), ExitStack() as stack:
        with signals_deferred():  # as in write_run
            staging = stack.enter_context(staging_folder(folder))
        write(staging)
        names = sorted(p.name for p in staging.iterdir() if p.is_file() and p.name != MARKER_FILE)
        check_hkbt_folder(folder)
        kept = sorted(name for name in (hkbt_files(folder) or set()) - {MARKER_FILE, *names} if (folder / name).exists())
        for name in kept:
            _link_or_copy(folder / name, staging / name)
        _write_marker(staging, kept + names)
        _swap_into_place(staging, folder)
    return [folder / name for name in names]


def _link_or_copy(source: Path, target: Path) -> None:
    """``target`` as a hard link to ``source`` (a copy where links are not supported); folders recursively."""
    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP):
                raise
            shutil.copy2(src, dst)

    if source.is_dir():
        shutil.copytree(source, target, symlinks=True, copy_function=link)
    else:
        link(str(source), str(target))


def utc_times_as_text(frame: pd.DataFrame, date_format: str | None = None) -> pd.DataFrame:
    """``frame`` with its UTC time columns turned into the text ``to_csv`` would write for them.

    pandas formats a tz-aware column value by value in Python (0.3 s per 100,000 rows,
    most of the time of writing news.csv); the same text comes from the naive UTC clock
    times in one vectorised call: ``date_format`` when given, else
    ``YYYY-MM-DD HH:MM:SS+00:00``. Without ``date_format`` that is exact for whole seconds
    only (pandas adds a fraction to every value of a column when one value has one), so
    such a column, and every other time zone, is left for pandas to write as before.
    Missing times become missing text, which ``to_csv`` writes as the empty field it
    writes for NaT. Nothing is changed in place.
    """
    texts = {}
    for name, column in frame.items():
        if not isinstance(column.dtype, pd.DatetimeTZDtype) or str(column.dt.tz) != "UTC":
            continue
        clock = column.dt.tz_localize(None)
        present = clock.dropna()
        if date_format is None and not (present == present.dt.floor("s")).all():
            continue
        texts[name] = clock.dt.strftime(date_format) if date_format else clock.dt.strftime("%Y-%m-%d %H:%M:%S") + "+00:00"
    if not texts:
        return frame
    frame = frame.copy(deep=False)
    for name, text in texts.items():
        frame[name] = text
    return frame


def yaml_text(data: object) -> str:
    """``yaml.safe_dump(data, sort_keys=False, allow_unicode=True)``, by libyaml's emitter where it writes the same text.

    PyYAML's own emitter is Python: 0.016 s for a run's resolved config of 1,100 strings,
    against 0.003 s for libyaml's. The two differ on some text (line breaks and other
    unprintable characters, characters beyond the BMP, empty or long mapping keys), so
    libyaml writes only data whose every string is printable and in the BMP and whose
    every key is a non-empty string of at most 40 characters (tested on random data of
    that kind); anything else, or a PyYAML without libyaml, goes to PyYAML's emitter.
    """
    dumper = getattr(yaml, "CSafeDumper", None) if _plain_for_libyaml(data) else None
    return yaml.dump(data, Dumper=dumper or yaml.SafeDumper, sort_keys=False, allow_unicode=True)


def _plain_for_libyaml(data: object) -> bool:
    if isinstance(data, dict):
        return all(isinstance(key, str) and 0 < len(key) <= 40 and _plain_for_libyaml(key) and _plain_for_libyaml(value)
                   for key, value in data.items())
    if isinstance(data, list):
        return all(_plain_for_libyaml(value) for value in data)
    if isinstance(data, str):
        return data.isprintable() and (data.isascii() or max(map(ord, data)) < 0x10000)
    return data is None or isinstance(data, (bool, int, float))


def _write_csv(path: Path, data: bytes) -> None:
    """Write :func:`~hkbt.csv_text.csv_bytes`'s bytes (what ``to_csv(path)`` writes there)."""
    path.write_bytes(data)


def _write_files(artifacts: RunArtifacts, folder: Path) -> tuple[pd.DataFrame, str]:
    """Every file of the run but the report; returns the frame written to news.csv and config.resolved.yaml's text."""
    (folder / "metrics.json").write_text(json.dumps(artifacts.metrics, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    _write_csv(folder / "trades.csv", csv_bytes(artifacts.trades, date_format="%Y-%m-%d"))
    _write_csv(folder / "equity.csv", csv_bytes(artifacts.equity, index=True, date_format="%Y-%m-%d", float_format="%.4f"))
    _write_csv(folder / "signals.csv", csv_bytes(utc_times_as_text(artifacts.signals, "%Y-%m-%d"), date_format="%Y-%m-%d"))
    _write_csv(folder / "skipped.csv", csv_bytes(artifacts.skipped, date_format="%Y-%m-%d"))
    news = artifacts.news.assign(
        tickers=artifacts.news.tickers.map(";".join), topics=artifacts.news.topics.map(";".join),
        themes=artifacts.news.themes.map(";".join),
    )[NEWS_OUTPUT_COLUMNS]
    _write_csv(folder / "news.csv", csv_bytes(utc_times_as_text(news)))
    resolved = artifacts.config.resolved()
    header = f"# resolved config of run {artifacts.config.run.name!r} (config_hash {artifacts.config.config_hash()})\n"
    config_text = header + yaml_text(resolved)
    (folder / "config.resolved.yaml").write_text(config_text, encoding="utf-8")
    sessions = artifacts.equity.index
    bars = [frame.loc[frame.index.isin(sessions)].assign(ticker=ticker) for ticker, frame in artifacts.prices.items()
            if ticker in artifacts.config.universe.tickers]
    if bars:
        prices = pd.concat(bars).rename_axis("session").reset_index()
        columns = ["session", "ticker"] + [c for c in ("open", "high", "low", "close", "volume") if c in prices]
        _write_csv(folder / "prices.csv", csv_bytes(prices[columns], date_format="%Y-%m-%d", float_format="%.4f"))
    finished = datetime.now(timezone.utc).isoformat(timespec="seconds")
    info = {"finished_at": finished, "warnings": list(artifacts.warnings)}
    (folder / "run_info.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return news, config_text

