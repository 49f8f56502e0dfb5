"""Finished run folders for the report, compare and browser tests, built once per test session.

``report_runs()`` runs ``hkbt run`` in-process (so the report and index are
rendered exactly as the CLI does) into a temporary ``backtests/`` folder:

- ``demo``: the repository's config.yaml on synthetic prices (the ``make demo`` run);
- ``loose``: the same with ``strategy.params.entry_threshold=0.3``;
- ``xss``: a small news file whose headlines, URLs and an alias try to inject
  HTML (``<script>alert(1)</script>``, ``<img src=x onerror=alert(1)>``,
  ``javascript:`` links). The hostile headlines are strong positive AI news, so
  they cause trades and show up in every section, charts included.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from click.testing import CliRunner

from hkbt.cli.main import cli

from conftest import REPO_ROOT

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_ALIAS = "<script>alert(2)</script>"

XSS_NEWS = f"""\
published_at,headline,body,source,url,tickers
2025-01-27T07:30:00+08:00,"{XSS_SCRIPT} Alibaba surges on strong AI model release",,wire,https://example.com/1?a=1&b=<2>,9988.HK
2025-02-03T08:00:00+08:00,"{XSS_IMG} Tencent beats estimates as AI chatbot booms",,wire,javascript:alert(1),0700.HK
2025-02-10T07:00:00+08:00,"Beijing unveils stimulus to support private sector & ""growth"" it's <b>bold</b>",,"<i>wire</i>",https://example.com/3,
2025-02-17T07:00:00+08:00,Xiaomi slumps after regulators probe,,wire,https://example.com/4,1810.HK
2025-03-03T08:10:00+08:00,"{XSS_SCRIPT} Xiaomi soars on record AI phone sales",,wire,,1810.HK
"""


@dataclass(frozen=True)
class Runs:
    root: Path  # the backtests/ folder
    demo: Path
    loose: Path
    xss: Path


def _run(*args: str) -> None:
    result = CliRunner().invoke(cli, ["run", "--config", str(REPO_ROOT / "config.yaml"), *args])
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"


@cache
def report_runs() -> Runs:
    """Build the three runs once; the folder is removed when the test session ends."""
    root = Path(tempfile.mkdtemp(prefix="hkbt-report-tests-"))
    atexit.register(shutil.rmtree, root, True)
    out = root / "backtests"
    common = ["--set", "prices.source=synthetic", "--set", f"run.output_dir={out}", "--set", "sentiment.cache_dir=null"]
    _run("--name", "demo", *common)
    _run("--name", "loose", "--set", "strategy.params.entry_threshold=0.3", *common)
    (root / "xss_news.csv").write_text(XSS_NEWS, encoding="utf-8")
    _run("--name", "xss", *common, "--set", f"news.path={root / 'xss_news.csv'}", "--set", "run.start=2025-01-02",
         "--set", "run.end=2025-04-30", "--set", "strategy.params.entry_threshold=0.2",
         "--set", f"universe.aliases.9988.HK=[Alibaba, '{XSS_ALIAS}']")
    return Runs(out, out / "demo", out / "loose", out / "xss")
