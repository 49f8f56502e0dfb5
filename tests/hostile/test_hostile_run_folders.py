"""Run folders: hkbt replaces only what it wrote (D1), swaps atomically (D5), repairs leftovers,
skips corrupt siblings (D6), locks a run name (D22) and turns disk failures into one line (D4).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import signal
from pathlib import Path

import pytest

from hkbt.backtest import results
from hkbt.backtest.results import MARKER_FILE

from hostile_kit import RUN, assert_user_error, check, invoke, leftovers, make_project, run_hostile, snapshot


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_project(tmp_path)


def run_ok(root: Path, *args: str):
    result = invoke(["run", "--config", str(root / "config.yaml"), *args])
    assert result.exit_code == 0, f"{result.exception!r}\n{result.stderr}"
    return result


# ----------------------------------------------------------------------------- D1: never replace what hkbt did not write


def _victim_file(root: Path) -> tuple[list[str], Path]:
    victim = root / "out" / "README.md"
    victim.write_text("the user's notes\n", encoding="utf-8")
    return ["--name", "README.md"], victim


def _victim_folder(root: Path) -> tuple[list[str], Path]:
    victim = root / "strategies"
    victim.mkdir()
    (victim / "mine.py").write_text("print('mine')\n", encoding="utf-8")
    return ["--set", f"run.output_dir={root}", "--name", "strategies"], victim


def _symlink_to_folder(root: Path) -> tuple[list[str], Path]:
    victim = root / "victim"
    victim.mkdir()
    (victim / "data.txt").write_text("precious\n", encoding="utf-8")
    (root / "out" / "alias").symlink_to(victim)
    return ["--name", "alias"], victim


def _symlink_to_a_run(root: Path) -> tuple[list[str], Path]:
    (root / "out" / "alias").symlink_to(root / "out" / RUN)  # even a link to hkbt's own run is not followed
    return ["--name", "alias"], root / "out" / RUN


def _dangling_symlink(root: Path) -> tuple[list[str], Path]:
    (root / "out" / "ghost").symlink_to(root / "nowhere")
    return ["--name", "ghost"], root / "out" / "ghost"


def _user_file_in_a_run(root: Path) -> tuple[list[str], Path]:
    (root / "out" / RUN / "my_notes.txt").write_text("added by the user\n", encoding="utf-8")
    return ["--name", RUN], root / "out" / RUN


def _marker_removed(root: Path) -> tuple[list[str], Path]:
    (root / "out" / RUN / MARKER_FILE).unlink()  # the documented way to protect a folder
    (root / "out" / RUN / "config.resolved.yaml").write_text("mine: true\n", encoding="utf-8")
    return ["--name", RUN], root / "out" / RUN


def _marker_is_a_link(root: Path) -> tuple[list[str], Path]:
    victim = root / "mine"
    victim.mkdir()
    (victim / "a.txt").write_text("a\n", encoding="utf-8")
    real = root / "out" / RUN / MARKER_FILE
    shutil.copy(real, victim / MARKER_FILE)
    (victim / MARKER_FILE).unlink()
    (victim / MARKER_FILE).symlink_to(real)
    return ["--set", f"run.output_dir={root}", "--name", "mine"], victim


def _forged_marker_with_extra_file(root: Path) -> tuple[list[str], Path]:
    victim = root / "out" / "forged"
    victim.mkdir()
    (victim / MARKER_FILE).write_text(json.dumps({"written_by": "hkbt", "files": ["metrics.json"]}), encoding="utf-8")
    (victim / "thesis.tex").write_text("years of work\n", encoding="utf-8")
    return ["--name", "forged"], victim


def _empty_user_folder(root: Path) -> tuple[list[str], Path]:
    victim = root / "out" / "empty"
    victim.mkdir()
    return ["--name", "empty"], victim


def _link_in_a_run(root: Path) -> tuple[list[str], Path]:
    outside = root / "outside.txt"
    outside.write_text("outside\n", encoding="utf-8")
    (root / "out" / RUN / "report.html").unlink()
    (root / "out" / RUN / "report.html").symlink_to(outside)
    return ["--name", RUN], root / "out" / RUN


VICTIMS = {
    "tracked-readme-file": (_victim_file, "is not a folder hkbt wrote"),
    "output-dir-dot-strategies": (_victim_folder, "is not a run folder hkbt wrote"),
    "symlink-to-user-folder": (_symlink_to_folder, "is a symbolic link"),
    "symlink-to-a-run-folder": (_symlink_to_a_run, "is a symbolic link"),
    "dangling-symlink": (_dangling_symlink, "is a symbolic link"),
    "user-file-added-to-run": (_user_file_in_a_run, "holds files hkbt did not write (my_notes.txt)"),
    "marker-removed-to-protect": (_marker_removed, "is not a run folder hkbt wrote"),
    "marker-is-a-symlink": (_marker_is_a_link, "is not a run folder hkbt wrote"),
    "forged-marker-extra-file": (_forged_marker_with_extra_file, "holds files hkbt did not write (thesis.tex)"),
    "empty-user-folder": (_empty_user_folder, "is not a run folder hkbt wrote"),
    "symlink-inside-a-run": (_link_in_a_run, "holds files hkbt did not write (report.html)"),
}


@pytest.mark.parametrize("case", list(VICTIMS))
@pytest.mark.parametrize("command", ["run", "study"])
def test_d1_a_name_that_is_not_an_hkbt_folder_is_refused(root: Path, case: str, command: str):
    prepare, expected = VICTIMS[case]
    args, victim = prepare(root)
    watched = victim.parent
    before = snapshot(watched) | {"<victim>": snapshot(victim) if victim.is_dir() and not victim.is_symlink() else b""}
    if victim.is_file() and not victim.is_symlink():
        before["<victim>"] = victim.read_bytes()
    line = run_hostile(root, args, name=None, command=command)
    check(line, "error: run.name:", expected, "->")
    after = snapshot(watched) | {"<victim>": snapshot(victim) if victim.is_dir() and not victim.is_symlink() else b""}
    if victim.is_file() and not victim.is_symlink():
        after["<victim>"] = victim.read_bytes()
    assert after == before, "the victim was touched"


def test_d1_index_html_written_by_the_user_is_left_alone(root: Path):
    page = root / "out" / "index.html"
    page.write_text("<h1>my own index</h1>\n", encoding="utf-8")
    result = run_ok(root, "--name", "fresh")
    assert page.read_text(encoding="utf-8") == "<h1>my own index</h1>\n"
    assert "index.html was not written by hkbt; left alone" in result.stderr


def test_d1_the_marker_lists_what_hkbt_wrote(root: Path):
    folder = root / "out" / RUN
    blob = json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))
    assert blob["written_by"] == "hkbt"
    assert sorted(blob["files"]) == sorted(p.name for p in folder.iterdir() if p.name != MARKER_FILE)


def test_d1_an_older_run_folder_without_marker_is_still_replaced(root: Path):
    """Folders written before the marker existed are recognised by their files and config header."""
    (root / "out" / RUN / MARKER_FILE).unlink()
    run_ok(root, "--name", RUN)
    assert (root / "out" / RUN / MARKER_FILE).is_file()


def test_d1_study_adds_to_a_run_and_keeps_the_marker_complete(root: Path):
    result = invoke(["study", "--config", str(root / "config.yaml"), "--name", RUN, "--beta-window", "0"])
    assert result.exit_code == 0, result.stderr
    folder = root / "out" / RUN
    listed = set(json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))["files"])
    assert {"study.csv", "study.html", "metrics.json"} <= listed
    assert listed == {p.name for p in folder.iterdir()} - {MARKER_FILE}
    run_ok(root, "--name", RUN)  # and the folder, study files included, is still replaceable


# ----------------------------------------------------------------------------- D5: atomic swap, repair of leftovers


def _complete(folder: Path) -> bool:
    listed = json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))["files"]
    return all((folder / name).is_file() for name in listed) and "report.html" in listed


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "fallback"])
def test_d5_rerun_replaces_the_folder_completely(root: Path, monkeypatch, exchange: bool):
    if not exchange:
        monkeypatch.setattr(results, "exchange_paths", lambda a, b: False)
    (root / "out" / RUN / "metrics.json").write_text(json.dumps({"run": {}, "old": True}), encoding="utf-8")
    run_ok(root, "--name", RUN)
    folder = root / "out" / RUN
    assert "old" not in json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert _complete(folder)
    assert leftovers(root / "out") == []


def test_d5_exchange_is_atomic_on_this_system(tmp_path: Path):
    from hkbt.files import exchange_paths

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "x").write_text("a"), (b / "y").write_text("b")
    if not exchange_paths(a, b):
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available here; the fallback is tested instead")
    assert [p.name for p in a.iterdir()] == ["y"] and [p.name for p in b.iterdir()] == ["x"]


def test_d5_fallback_swap_failure_puts_the_previous_run_back(root: Path, monkeypatch):
    monkeypatch.setattr(results, "exchange_paths", lambda a, b: False)
    real_rename = os.rename

    def rename(src, dst):
        if ".tmp-" in str(src) and Path(dst).name == RUN:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_rename(src, dst)

    monkeypatch.setattr(results.os, "rename", rename)
    line = run_hostile(root, [])
    check(line, "No space left on device", "free some disk space")


def test_d5_stale_staging_folders_are_swept_and_a_lost_run_restored(root: Path):
    out = root / "out"
    # a kill between the two renames of the fallback swap: the run sits in .prev.old-*, prev is missing
    os.rename(out / RUN, out / f".{RUN}.old-abc123")
    stale = out / f".{RUN}.tmp-zz9"
    stale.mkdir()
    (stale / MARKER_FILE).write_text(json.dumps({"written_by": "hkbt", "files": []}), encoding="utf-8")
    (stale / "metrics.json").write_text("{half", encoding="utf-8")
    (out / f".{RUN}.tmp-empty").mkdir()
    foreign = out / f".{RUN}.tmp-user"  # looks like staging but carries no marker: not hkbt's, kept
    foreign.mkdir()
    (foreign / "keep.txt").write_text("keep\n", encoding="utf-8")
    restored = snapshot(out / f".{RUN}.old-abc123")
    # a command that fails later still repairs first
    line = run_hostile_after_repair(root)
    check(line, "news file not found")
    assert snapshot(out / RUN) == restored
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [f".{RUN}.tmp-user"]


class _Killed(BaseException):
    """Stands for SIGKILL: raised by every deletion from a chosen one on, so that nothing after it runs."""


def _dying_after(deletions: int):
    """``os.unlink`` and ``os.rmdir`` that delete ``deletions`` entries in all, then raise :class:`_Killed` for good."""
    done = 0

    def dying(real):
        def delete(*args, **kwargs):
            nonlocal done
            if done >= deletions:
                raise _Killed
            done += 1
            return real(*args, **kwargs)
        return delete

    return dying(os.unlink), dying(os.rmdir)


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "fallback"])
def test_d5_a_sigkill_while_the_previous_run_is_deleted_leaves_what_the_next_run_sweeps(root: Path, monkeypatch,
                                                                                          exchange: bool):
    """After the swap the previous run is deleted file by file; a SIGKILL may land after any deletion.

    Whatever is left must still be recognised as hkbt's by the next run's sweep. It was not when the
    marker went before metrics.json or config.resolved.yaml and a kill landed before the rest went:
    the leftover ``.prev.tmp-*`` was then kept for ever (the flaky "SIGTERM left" of the kill loop).
    """
    out = root / "out"
    staging = out / f".{RUN}.tmp-new"
    deletions_needed = len(list((out / RUN).iterdir())) + 1  # every file, then the folder
    for killed_at in range(deletions_needed):
        shutil.copytree(out / RUN, staging)
        (staging / "run_info.json").write_text(f'{{"round": {killed_at}}}\n', encoding="utf-8")
        new = snapshot(staging)
        unlink, rmdir = _dying_after(killed_at)
        with monkeypatch.context() as patch:
            patch.setattr(os, "unlink", unlink)
            patch.setattr(os, "rmdir", rmdir)
            if not exchange:
                patch.setattr(results, "exchange_paths", lambda a, b: False)
            with pytest.raises(_Killed):
                results._swap_into_place(staging, out / RUN)
        assert snapshot(out / RUN) == new  # the swap itself happened before the kill
        results.sweep_stale(out / RUN)  # what the next run does first
        assert leftovers(out) == [], f"killed after {killed_at} deletions"
        assert snapshot(out / RUN) == new


def run_hostile_after_repair(root: Path) -> str:
    result = invoke(["run", "--config", str(root / "config.yaml"), "--name", RUN, "--set", "news.path=missing.csv"])
    return assert_user_error(result)


def test_sigterm_is_handled_like_ctrl_c(root: Path, monkeypatch):
    """An Interrupted (what SIGTERM raises) in the write phase removes the staging folder and keeps the run."""
    from hkbt.files import Interrupted

    before = snapshot(root / "out")

    def interrupted(folder: Path) -> str:
        raise Interrupted(15)

    monkeypatch.setattr("hkbt.reports.run_report.render_report", interrupted)
    result = invoke(["run", "--config", str(root / "config.yaml"), "--name", RUN])
    assert result.exit_code == 143, result.stderr
    assert "interrupted by SIGTERM" in result.stderr
    assert leftovers(root / "out") == [] and snapshot(root / "out") == before


def test_a_signal_just_after_the_staging_folder_is_made_still_removes_it(root: Path, monkeypatch):
    """The signal lands after ``staging_folder``'s set-up returned, before the ``with`` body began.

    CPython runs a Python signal handler at its next check, and contextlib's ``__enter__`` has
    one right after ``next(generator)`` returns: an Interrupted raised there skips the context
    manager's ``__exit__``, so the staging folder it just made was not removed (the generator's
    own clean-up ran only if and when it was garbage-collected; a forked child ending with
    ``os._exit`` never did). The handler is called at exactly that point here.
    """
    from hkbt import files

    real = results.staging_folder

    class SignalAfterEnter:
        def __init__(self, folder: Path) -> None:
            self.inner = real(folder)

        def __enter__(self) -> Path:
            staging = self.inner.__enter__()
            files._on_signal(signal.SIGTERM, None)  # what the interpreter's check does when SIGTERM is pending
            return staging

        def __exit__(self, *exc):
            return self.inner.__exit__(*exc)

    monkeypatch.setattr(results, "staging_folder", SignalAfterEnter)
    monkeypatch.setattr(files, "_raised", None)
    monkeypatch.setattr(files, "_pending", None)
    before = snapshot(root / "out")
    handlers = {signum: signal.getsignal(signum) for signum in files.INTERRUPTS}
    files.raise_on_signals()
    try:
        result = invoke(["run", "--config", str(root / "config.yaml"), "--name", RUN])
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    assert result.exit_code == 143, result.stderr
    assert leftovers(root / "out") == [] and snapshot(root / "out") == before


@pytest.mark.parametrize("failing_move", [1, 2, 3, 4, 5])
def test_d5_study_files_arrive_together_or_not_at_all(root: Path, monkeypatch, failing_move: int):
    """`hkbt study` adds four files to a run: the n-th rename or exchange touching the run fails (as a disk
    error, or where a kill would land) and the run is then exactly as before, or complete with every new file:
    never new study files beside old ones."""
    folder = root / "out" / RUN
    study = ["study", "--config", str(root / "config.yaml"), "--name", RUN, "--beta-window", "0"]
    assert invoke(study).exit_code == 0  # a previous study, so that a half-done one would show
    before = snapshot(root / "out")
    moves = []

    def counted(real):
        def move(source, target, *args, **kwargs):
            if f".{RUN}." in str(source) or Path(target).parent == folder or Path(target) == folder:
                moves.append((source, target))
                if len(moves) == failing_move:
                    raise OSError(errno.EIO, "Input/output error", str(target))
            return real(source, target, *args, **kwargs)
        return move

    monkeypatch.setattr(os, "replace", counted(os.replace))
    monkeypatch.setattr(os, "rename", counted(os.rename))
    monkeypatch.setattr(results, "exchange_paths", counted(results.exchange_paths))
    result = invoke([*study[:-2], "--beta-window", "60"])  # another window: every study file changes
    if result.exit_code == 0:
        assert len(moves) < failing_move
        after = snapshot(root / "out")
        changed = {name for name in after if after[name] != before.get(name)}
        assert {f"{RUN}/study.csv", f"{RUN}/study_events.csv", f"{RUN}/study_car.csv", f"{RUN}/study.html"} <= changed
        assert _complete(folder) and leftovers(root / "out") == []
    else:
        check(assert_user_error(result), "Input/output error")
        assert snapshot(root / "out") == before and leftovers(root / "out") == []


# ----------------------------------------------------------------------------- D6: a corrupt sibling never fails a run


CORRUPTIONS = {
    "metrics-not-json": lambda f: (f / "metrics.json").write_text("{", encoding="utf-8"),
    "metric-is-a-dict": lambda f: _edit_metrics(f, total_return_pct={"a": 1}),
    "metric-is-a-list": lambda f: _edit_metrics(f, sharpe=[1, 2]),
    "metric-is-text": lambda f: _edit_metrics(f, trades="many"),
    "run-block-is-a-list": lambda f: _edit_metrics(f, run=[1]),
    "run-info-garbage": lambda f: (f / "run_info.json").write_text('{"finished_at": 5}', encoding="utf-8"),
    "run-info-bad-offset": lambda f: (f / "run_info.json").write_text('{"finished_at": "2025-01-01T00:00:00+99:00"}', encoding="utf-8"),
    "metrics-is-a-folder": lambda f: ((f / "metrics.json").unlink(), (f / "metrics.json").mkdir()),
}


def _edit_metrics(folder: Path, **changes) -> None:
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    metrics.update(changes)
    (folder / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_d6_a_corrupt_sibling_is_left_out_of_the_index_with_a_warning(root: Path, corruption: str):
    from hkbt.reports.compare import write_index

    sibling = root / "out" / "sibling"
    shutil.copytree(root / "out" / RUN, sibling)
    CORRUPTIONS[corruption](sibling)
    before = snapshot(sibling)
    warnings: list[str] = []
    assert write_index(root / "out", warnings) == root / "out" / "index.html"
    index = (root / "out" / "index.html").read_text(encoding="utf-8")
    assert f"./{RUN}/report.html" in index
    if corruption.startswith("run-info"):  # a readable run with an unreadable finish time: listed by file time
        assert "./sibling/report.html" in index and warnings == []
    else:
        assert "./sibling/report.html" not in index
        assert all("left out sibling/" in w for w in warnings)
    assert snapshot(sibling) == before


def test_d6_corrupt_siblings_never_fail_a_run(root: Path):
    for number, corrupt in enumerate(CORRUPTIONS.values()):
        sibling = root / "out" / f"sibling{number}"
        shutil.copytree(root / "out" / RUN, sibling)
        corrupt(sibling)
    for _ in range(2):  # and they do not break the next run either
        result = run_ok(root, "--name", RUN)
    assert "left out sibling1/" in result.stderr and "Traceback" not in result.stderr
    assert f"./{RUN}/report.html" in (root / "out" / "index.html").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- D22: one command per run name


def test_d22_a_second_command_on_the_same_name_fails_at_once(root: Path):
    lock = root / "out" / f".{RUN}.lock"
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another process is writing prev
        os.write(descriptor, b"4242\n")
        before = snapshot(root / "out" / RUN)
        for command in ("run", "study"):
            result = invoke([command, "--config", str(root / "config.yaml"), "--name", RUN])
            check(assert_user_error(result), f"out/{RUN}: another hkbt process (pid 4242) is writing it",
                  "wait for the other hkbt command to finish")
        assert snapshot(root / "out" / RUN) == before
        run_ok(root, "--name", "other")  # other names are free
    finally:
        os.close(descriptor)
    run_ok(root, "--name", RUN)
    assert not lock.exists()


# ----------------------------------------------------------------------------- D4: output folders that cannot be written


@pytest.mark.parametrize(("code", "fragment"), [
    (errno.EROFS, "cannot write (Read-only file system)"),
    (errno.EACCES, "cannot write (Permission denied)"),
    (errno.EPERM, "cannot write (Operation not permitted)"),  # an immutable folder (chattr +i)
    (errno.ENOSPC, "free some disk space"),
    (errno.EDQUOT, "cannot write (Disk quota exceeded)"),
])
def test_d4_output_folder_that_cannot_be_written(root: Path, monkeypatch, code: int, fragment: str):
    """Simulated: the tests run as root, for whom permission bits do not apply."""

    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code), kwargs.get("dir", ""))

    monkeypatch.setattr(results.tempfile, "mkdtemp", refuse)
    check(run_hostile(root, []), fragment)


def test_d4_disk_full_while_writing_files(root: Path, monkeypatch):
    real = Path.write_text

    def full(self, *args, **kwargs):
        if self.name == "report.html":
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    check(run_hostile(root, []), "No space left on device", "free some disk space")


def test_d4_lock_file_cannot_be_created(root: Path, monkeypatch):
    real_open = os.open

    def refuse(path, *args, **kwargs):
        if str(path).endswith(".lock"):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    check(run_hostile(root, []), "cannot create the lock file (Read-only file system)")


def test_d4_immutable_output_folder_for_real(root: Path):
    """chattr +i stops even root; skipped where the file system or the container does not allow it."""
    import subprocess

    out = root / "out"
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(out)], capture_output=True).returncode:
        pytest.skip("chattr +i is not available here (the simulated EPERM case above still runs)")
    try:
        check(run_hostile(root, []), f"out/.{RUN}.lock: cannot create the lock file (Operation not permitted)")
    finally:
        subprocess.run(["chattr", "-i", str(out)], check=True)


def test_d4_output_dir_is_a_symlink_loop(root: Path):
    (root / "loop").symlink_to(root / "loop")
    line = run_hostile(root, ["--set", f"run.output_dir={root / 'loop'}"])
    check(line, "run.output_dir", "loop")


def test_d4_output_dir_goes_through_a_file(root: Path):
    (root / "afile").write_text("x\n", encoding="utf-8")
    line = run_hostile(root, ["--set", f"run.output_dir={root / 'afile' / 'sub'}"])
    check(line, "afile")


def test_signals_are_held_inside_a_deferred_block_and_the_first_one_wins():
    """In a subprocess (the handler is process-wide): a SIGTERM inside signals_deferred() is raised at its end;
    a second signal during the clean-up the first started does not interrupt it."""
    import subprocess
    import sys

    code = """
import os, signal
from hkbt.files import Interrupted, interrupted_by, raise_on_signals, signals_deferred
raise_on_signals()
steps = []
try:
    with signals_deferred():
        os.kill(os.getpid(), signal.SIGTERM)
        steps.append("after kill, still inside")
    steps.append("never")
except Interrupted as exc:
    steps.append(f"raised {exc.signum} at the end")
    os.kill(os.getpid(), signal.SIGINT)  # a second signal during clean-up: noted, not raised
    steps.append("clean-up finished")
print(steps, interrupted_by())
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['after kill, still inside', 'raised 15 at the end', 'clean-up finished'] 15"


def test_temporary_files_of_a_killed_page_write_are_removed_by_the_next_write(root: Path):
    from hkbt.files import STALE_SECONDS
    from hkbt.reports.compare import write_index

    out = root / "out"
    old, fresh = out / ".index.html.abc123.tmp", out / ".index.html.def456.tmp"
    old.write_text("<half", encoding="utf-8")
    fresh.write_text("<being written", encoding="utf-8")
    long_ago = old.stat().st_mtime - STALE_SECONDS - 5
    os.utime(old, (long_ago, long_ago))
    assert write_index(out) == out / "index.html"
    assert not old.exists() and fresh.exists()  # a write in progress elsewhere is left alone


@pytest.mark.parametrize("target", ["compare-page", "report"])
def test_d1_pages_hkbt_did_not_write_are_not_replaced(root: Path, target: str):
    out = root / "out"
    notes = root / "notes.html"
    notes.write_text("<p>my notes</p>\n", encoding="utf-8")
    if target == "report":  # the run's report.html replaced by a link to a file of the user's
        page, args = out / RUN / "report.html", ["report", RUN, "--dir", str(out)]
        page.unlink()
        page.symlink_to(notes)
    else:  # a comparison page name already taken by a file of the user's
        shutil.copytree(out / RUN, out / "other")
        page, args = out / "compare" / f"{RUN}_vs_other.html", ["compare", RUN, "other", "--dir", str(out)]
        page.parent.mkdir()
        shutil.copy(notes, page)
    check(assert_user_error(invoke(args)), str(page), "was not written by hkbt")
    assert notes.read_text(encoding="utf-8") == page.read_text(encoding="utf-8") == "<p>my notes</p>\n"
