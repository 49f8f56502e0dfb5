"""The one-line error contract every CLI test checks, and the small inputs they share.

For any bad input a command must exit with status 2, print no traceback, and print exactly one
stderr line starting ``error: ``, as its last line (see tests/cli/test_cli.py and tests/hostile/).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner, Result

from hkbt.cli.main import cli

TICKERS = ["9988.HK", "0700.HK", "1810.HK"]

NEWS_CSV = """\
published_at,headline,body,source,url,tickers
2025-01-27T07:30:00+08:00,Alibaba surges on strong AI model release,,rthk,https://example.com/1,9988.HK
2025-02-03T08:00:00+08:00,Tencent beats estimates as AI chatbot booms,,rthk,https://example.com/2,0700.HK
2025-02-10T07:00:00+08:00,Beijing unveils stimulus to support private sector,,rthk,https://example.com/3,
2025-02-17T07:00:00+08:00,Xiaomi slumps after regulators probe,,rthk,https://example.com/4,1810.HK
"""


# A tiny experiment on synthetic prices. Line numbers matter: test_cli.py asserts them (CONFIG_LINES).
CONFIG_YAML = """\
# small test experiment
run:
  name: good
  start: 2025-01-02
  end: 2025-03-31
  output_dir: out
universe:
  tickers: [9988.HK, 0700.HK, 1810.HK]
  benchmark: ^HSI
  lot_sizes: {9988.HK: 100, 0700.HK: 100, 1810.HK: 200}
  aliases: {9988.HK: [Alibaba], 0700.HK: [Tencent], 1810.HK: [Xiaomi]}
news:
  path: news.csv
sentiment:
  scorer: vader_fin
  cache_dir: cache
prices:
  source: synthetic
  csv_dir: prices_csv
  cache_dir: prices_cache
strategy:
  name: sentiment_long
  params:
    entry_threshold: 0.2
    hold_days: 5
"""


def write_price_csvs(folder: Path, tickers: list[str] = [*TICKERS, "^HSI"]) -> None:  # noqa: B006
    """Plausible ``Date,Open,High,Low,Close,Volume`` files for every ticker, Dec 2024 .. Apr 2025."""
    folder.mkdir(parents=True, exist_ok=True)
    days = pd.bdate_range("2024-12-02", "2025-04-30")
    for number, ticker in enumerate(tickers):
        rng = np.random.default_rng(number)
        close = (100.0 + 50 * number) * np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))
        frame = pd.DataFrame(
            {"Open": close * 0.995, "High": close * 1.01, "Low": close * 0.99, "Close": close,
             "Volume": rng.integers(1_000_000, 5_000_000, len(days))},
            index=pd.Index(days.strftime("%Y-%m-%d"), name="Date"),
        )
        frame.to_csv(folder / f"{ticker.replace('^', '')}.csv", float_format="%.4f")


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def invoke(args: list[str], **kwargs) -> Result:
    """``hkbt ARGS`` in-process (stdout and stderr kept apart)."""
    kwargs.setdefault("prog_name", "hkbt")
    return CliRunner().invoke(cli, args, catch_exceptions=True, **kwargs)


def error_line(stderr: str) -> str:
    """The single ``error: `` line of ``stderr`` (asserts there is exactly one)."""
    lines = strip_ansi(stderr).splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, f"expected exactly one 'error: ' line on stderr, got:\n{stderr}"
    assert [line for line in lines if line.strip()][-1] == errors[0], f"the error line must come last:\n{stderr}"
    return errors[0]


def assert_user_error(result: Result) -> str:
    """Exit 2, no traceback anywhere, exactly one ``error:`` line; return that line."""
    stderr = strip_ansi(result.stderr)
    assert result.exit_code == 2, (
        f"exit code {result.exit_code} (exception {result.exception!r})\nstderr:\n{stderr}"
    )
    assert isinstance(result.exception, SystemExit), f"unexpected exception {result.exception!r}"
    assert "Traceback" not in stderr and "Traceback" not in result.stdout
    return error_line(stderr)

