"""``hkbt run`` imports what a run uses and nothing else, and keeps the cycle collector off its long-lived objects.

Start-up is part of every run's cost: a command that imported Optuna, Dask, yfinance or
the language detector without needing them would pay for it each time. The run is a fresh
process, as a user starts it; the second one finds every score and language in the cache.
"""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import REPO_ROOT

NOT_FOR_A_RUN = [
    "optuna", "dask", "distributed", "yfinance", "feedparser", "lingua", "plotly.graph_objects", "scipy", "matplotlib",
    "hkbt.tuning", "hkbt.news.feeds", "hkbt.analysis",
    "exchange_calendars", "hkbt.prices.yahoo",  # the XHKG calendar comes from the cache folder (hkbt.news.calendar_cache)
    # the other commands load only when they run (hkbt.cli.main.COMMANDS_ELSEWHERE); a page header needs no news store
    "hkbt.cli.news", "hkbt.cli.sweep", "hkbt.cli.sentiment", "hkbt.cli.study", "hkbt.cli.today", "hkbt.cli.check",
    "hkbt.cli.settings", "hkbt.news.store",
]

RUN = """
import gc, json, sys
from hkbt.cli.main import main
sys.argv = ["hkbt", "run", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as end:
    assert not end.code, end.code
print(json.dumps({"modules": sorted(sys.modules), "frozen": gc.get_freeze_count(), "threshold": gc.get_threshold()}))
"""


def test_a_run_with_a_warm_cache_imports_nothing_it_does_not_use(tmp_path):
    args = ["--config", str(REPO_ROOT / "config.yaml"), "--set", "prices.source=synthetic", "--set", f"run.output_dir={tmp_path / 'out'}",
            "--set", f"sentiment.cache_dir={tmp_path / 'cache'}", "--name", "imports"]
    for _ in range(2):  # the first run fills the score and language cache
        done = subprocess.run([sys.executable, "-c", RUN, json.dumps(args)], capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert (tmp_path / "out" / "imports" / "report.html").is_file()
    assert [name for name in NOT_FOR_A_RUN if name in seen["modules"]] == []
    assert "backtrader" in seen["modules"] and "jinja2" in seen["modules"]  # (the check sees what a run imports)
    # the modules imported before the work starts are out of the collector's reach, and it starts less often
    assert seen["frozen"] > 10_000 and seen["threshold"][0] > 700
