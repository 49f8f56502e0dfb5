"""SIGTERM and SIGKILL during the write phase never leave the visible run missing or half-written (D5).

The loop lives in ``kill_driver.py`` (a subprocess, so that forking and killing stay out of pytest's
own process). It runs for ``BUDGET_SECONDS`` and until every kind of signal (SIGTERM, SIGKILL, SIGTERM
on the fallback swap, SIGINT) has killed a write phase, never longer than the driver's ``HARD_SECONDS``
(20 s): a loaded machine gets fewer rounds, not a failure for want of rounds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hostile_kit import make_project

BUDGET_SECONDS = 6  # of rounds; the driver's start, its warm-up run and the final run add about 4 s


def test_kill_loop_never_leaves_the_visible_run_missing_or_half_written(tmp_path: Path):
    root = make_project(tmp_path)
    driver = Path(__file__).with_name("kill_driver.py")
    completed = subprocess.run([sys.executable, str(driver), str(root), str(BUDGET_SECONDS), "20250217"],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    stats = json.loads(completed.stdout.strip().splitlines()[-1])
    print(json.dumps(stats, indent=1))  # the figures, with pytest -s
    assert stats["problems"] == []
    # every kind really hit the write phase (the loop's cap would only stop it short on a machine
    # where one round takes several seconds)
    assert set(stats["kills"]) == {"SIGTERM", "SIGKILL", "SIGTERM-fallback", "SIGINT"}, stats
    assert min(stats["kills"].values()) >= 1, stats
    assert set(stats["exit_codes"]) <= {"0", "130", "143", "-9"}, stats  # SIGINT/SIGTERM exit 128 + n, no traceback
    assert stats["final_exit_code"] == 0
    assert stats["left_after_final_run"] == [], stats  # the final run swept every leftover of the kills
