"""The Python API: hkbt.run(config) -> Run, and an `import hkbt` that loads nothing heavy."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

import hkbt
from hkbt.errors import HkbtError

from conftest import REPO_ROOT

SHORT = ["prices.source=synthetic", "sentiment.cache_dir=null", "run.start=2025-01-02", "run.end=2025-03-31"]


def test_import_hkbt_loads_nothing_heavy():
    code = "import sys, hkbt; print([m for m in ('pandas', 'numpy', 'backtrader', 'pydantic', 'yaml') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_run_writes_the_same_folder_as_the_command_and_returns_its_frames(tmp_path):
    result = hkbt.run(REPO_ROOT / "config.yaml", set=[*SHORT, f"run.output_dir={tmp_path}"], name="notebook")
    assert isinstance(result, hkbt.Run)
    assert result.report_path == tmp_path / "notebook" / "report.html" and result.report_path.is_file()
    assert result.metrics == json.loads((tmp_path / "notebook" / "metrics.json").read_text())
    pd.testing.assert_frame_equal(result.trades, pd.read_csv(tmp_path / "notebook" / "trades.csv",
                                                             parse_dates=["entry_session", "exit_session"], keep_default_na=False,
                                                             na_values={"entry_score": [""]}), check_dtype=False)
    assert list(result.equity.columns[:3]) == ["value_hkd", "cash_hkd", "positions"] and len(result.equity) == result.metrics["run"]["sessions"]
    assert (tmp_path / "index.html").is_file()


def test_run_takes_a_mapping_and_can_keep_everything_in_memory(tmp_path):
    settings = {"news": {"path": str(REPO_ROOT / "data/news/hk_tech_sample.csv")}, "run": {"output_dir": str(tmp_path)}}
    result = hkbt.run(settings, set=SHORT + ["strategy.name=basket_hold"], write=False)
    assert result.report_path is None and result.folder is None and not any(tmp_path.iterdir())
    assert result.metrics["run"]["strategy"] == "basket_hold" and len(result.trades) > 0
    again = hkbt.run(result.config, write=False)  # a Config runs too, with the same numbers
    assert again.metrics == result.metrics


def test_a_bad_setting_raises_the_one_line_error():
    with pytest.raises(HkbtError, match="strategy.params.hold_dayz: unknown key -> did you mean strategy.params.hold_days"):
        hkbt.run(REPO_ROOT / "config.yaml", set=["strategy.params.hold_dayz=3"], write=False)
