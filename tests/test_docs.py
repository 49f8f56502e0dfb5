"""The documentation keeps up with the code."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from hkbt.cli.main import cli

from conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_names_every_metrics_key(tmp_path) -> None:
    result = CliRunner().invoke(
        cli,
        ["run", "--config", str(REPO_ROOT / "config.yaml"), "--name", "docs", "--set", "prices.source=synthetic",
         "--set", "universe.proxy=2800.HK", "--set", "universe.lot_sizes.2800.HK=500",
         "--set", f"run.output_dir={tmp_path}", "--set", "sentiment.cache_dir=null"],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "docs" / "metrics.json").read_text())
    keys = [k for k in metrics if k != "run"]
    assert "proxy_total_return_pct" in keys
    missing = [k for k in keys if f"`{k}`" not in README]
    assert not missing, f"README does not document: {missing}"


def test_readme_commands_exist() -> None:
    assert "make demo" in README and "make test" in README
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text()


def test_every_command_has_help() -> None:
    for args in (["--help"], ["run", "--help"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0 and "Example" in result.output
