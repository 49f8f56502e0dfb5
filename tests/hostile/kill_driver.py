"""Kill ``hkbt run`` during its write phase, again and again, and check the visible run after each kill.

Usage: ``python kill_driver.py PROJECT SECONDS SEED`` (run by test_hostile_kill.py in a subprocess).

The driver imports hkbt once, then for each round forks a child that runs the console script's
``main()`` on ``PROJECT/config.yaml`` (run name ``prev``). It watches ``out/`` for the child's staging
folder (``.prev.tmp-*``: the write phase has begun), waits a random 0-250 ms, and sends SIGTERM or
SIGKILL, SIGTERM with ``renameat2`` disabled (the fallback swap: two renames with signals held; SIGKILL
cannot be held, its repair is tested elsewhere), and SIGINT (Ctrl-C): each round takes the kind with the
fewest kills in the write phase so far, so a round whose child finished before the signal is retried.

The loop stops once SECONDS have passed *and* every kind has killed a write phase at least once, or
after ``HARD_SECONDS`` whatever happened. Coverage, not the clock, decides on a slow machine: with a
time budget alone, a loaded machine (rounds of 2 s instead of 0.5 s) ran too few rounds to reach the
fourth kind.

After every round it checks that ``out/prev`` exists, carries hkbt's marker, holds every file the
marker lists, and that its deterministic files equal the reference run's bytes; after a SIGTERM or SIGINT
it also checks that no staging folder was left (the run's own start removed any a SIGKILL left). It
prints one JSON object with the counts.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import time
from pathlib import Path

HARD_SECONDS = 20.0  # the loop never runs longer than this, however slow the machine
DETERMINISTIC = ("metrics.json", "trades.csv", "equity.csv", "signals.csv", "news.csv", "config.resolved.yaml", "prices.csv")


def child(root: Path, fallback: bool) -> None:
    import hkbt.files
    from hkbt.cli.main import main

    if fallback:
        hkbt.files._RENAMEAT2 = None
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.argv = ["hkbt", "run", "--config", str(root / "config.yaml"), "--name", "prev"]
    try:
        main()
    except SystemExit as exc:
        os._exit(exc.code if isinstance(exc.code, int) else 1)
    except BaseException:  # noqa: BLE001 - report any crash as its own status
        os._exit(99)
    os._exit(0)


def problems(out: Path, reference: dict[str, bytes]) -> list[str]:
    folder = out / "prev"
    if not folder.is_dir() or folder.is_symlink():
        return ["visible run missing"]
    try:
        listed = json.loads((folder / ".hkbt-folder").read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError) as exc:
        return [f"marker unreadable: {exc!r}"]
    found = []
    for name in listed:
        if not (folder / name).is_file():
            found.append(f"{name} missing")
    for name in DETERMINISTIC:
        if (folder / name).read_bytes() != reference[name]:
            found.append(f"{name} differs from the reference run")
    if not (folder / "report.html").read_bytes().rstrip().endswith(b"</html>"):
        found.append("report.html incomplete")
    return found


def main() -> None:
    root, seconds, seed = Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    from click.testing import CliRunner

    from hkbt.cli.main import cli

    # one undisturbed run elsewhere first, so every forked child starts with modules imported and caches warm
    warm = CliRunner().invoke(cli, ["run", "--config", str(root / "config.yaml"), "--name", "warm",
                                    "--set", f"run.output_dir={root / 'warm_out'}"])
    assert warm.exit_code == 0, warm.output
    out = root / "out"
    reference = {name: (out / "prev" / name).read_bytes() for name in DETERMINISTIC}
    rng = random.Random(seed)
    stats = {"rounds": 0, "killed_in_write_phase": 0, "sigterm": 0, "sigint": 0, "sigkill": 0, "fallback_rounds": 0,
             "finished_before_kill": 0, "staging_left_by_sigkill": 0, "exit_codes": {}, "problems": []}
    began = time.monotonic()
    plan = [(signal.SIGTERM, False), (signal.SIGKILL, False), (signal.SIGTERM, True), (signal.SIGINT, False)]
    kills = dict.fromkeys(plan, 0)
    while (elapsed := time.monotonic() - began) < HARD_SECONDS and (elapsed < seconds or min(kills.values()) == 0):
        signum, fallback = min(plan, key=lambda kind: (kills[kind], plan.index(kind)))
        stale = {p.name for p in out.iterdir()}  # a SIGKILL's leftover is not this round's write phase
        pid = os.fork()
        if pid == 0:
            child(root, fallback)
        stats["rounds"] += 1
        stats["fallback_rounds"] += fallback
        started, killed = time.monotonic(), False
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if any(p.name.startswith(".prev.tmp-") and p.name not in stale for p in out.iterdir()):
                time.sleep(rng.uniform(0, 0.25))
                os.kill(pid, signum)
                killed = True
                _, status = os.waitpid(pid, 0)
                break
            if time.monotonic() - started > 60:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                stats["problems"].append("a round hung for 60 s")
                break
            time.sleep(0.0005)
        code = os.waitstatus_to_exitcode(status)
        stats["exit_codes"][str(code)] = stats["exit_codes"].get(str(code), 0) + 1
        killed = killed and code in (-signal.SIGKILL, 128 + signal.SIGTERM, 128 + signal.SIGINT)  # not if already done
        if killed:
            kills[signum, fallback] += 1
            stats["killed_in_write_phase"] += 1
            stats[{signal.SIGTERM: "sigterm", signal.SIGINT: "sigint"}.get(signum, "sigkill")] += 1
        else:
            stats["finished_before_kill"] += 1
        staging = [p.name for p in out.iterdir() if p.name.startswith((".prev.tmp-", ".prev.old-"))]
        if killed and signum == signal.SIGKILL and staging:
            stats["staging_left_by_sigkill"] += 1
        if killed and signum != signal.SIGKILL and staging:
            stats["problems"].append(f"round {stats['rounds']}: {signum.name} left {staging}")
        stats["problems"] += [f"round {stats['rounds']} ({signum.name}, fallback={fallback}): {p}" for p in problems(out, reference)]
    stats["loop_seconds"] = round(time.monotonic() - began, 1)
    stats["kills"] = {f"{signum.name}{'-fallback' if fallback else ''}": n for (signum, fallback), n in kills.items()}
    # a last, undisturbed run repairs whatever SIGKILL left
    pid = os.fork()
    if pid == 0:
        child(root, False)
    _, status = os.waitpid(pid, 0)
    stats["final_exit_code"] = os.waitstatus_to_exitcode(status)
    stats["left_after_final_run"] = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
    stats["problems"] += [f"final: {p}" for p in problems(out, reference)]
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
