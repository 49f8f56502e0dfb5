"""hkbt check-lookahead: the built-ins pass, the deliberately peeking strategy is caught by the command."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hkbt.cli.main import cli

from conftest import REPO_ROOT

WINDOW = ["--config", str(REPO_ROOT / "config.yaml"), "--set", "prices.source=synthetic", "--set", "sentiment.cache_dir=null",
          "--set", "run.start=2025-01-02", "--set", "run.end=2025-03-31", "--set", "strategy.params.entry_threshold=0.3"]
PEEKING = ["--set", f"strategy.path={REPO_ROOT / 'tests' / 'strategies_for_tests'}", "--set", "strategy.name=peeking_long"]


def invoke(*args: str):
    # a wide console, so that the table's strategy names are never cut short ("sentiment_rotati…")
    return CliRunner().invoke(cli, ["check-lookahead", *args], catch_exceptions=False, env={"COLUMNS": "200"})


def test_the_builtins_pass():
    result = invoke(*WINDOW, "--strategy", "sentiment_long", "--strategy", "news_rebound", "--strategy", "sentiment_rotation",
                    "--strategy", "basket_hold", "--cuts", "6", "--moves", "3")
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.strip().startswith(("sentiment_", "news_", "basket_"))}
    assert set(rows) == {"sentiment_long", "news_rebound", "sentiment_rotation", "basket_hold"}
    assert all("pass" in row for row in rows.values())
    assert int(rows["sentiment_long"][1]) > 0  # it traded, so the check tested something


@pytest.mark.parametrize("peek", ["close", "next_signal"])
def test_the_peeking_strategy_is_caught_and_the_first_difference_named(peek):
    result = invoke(*WINDOW, *PEEKING, "--set", f"strategy.params.peek={peek}", "--cuts", "6", "--moves", "0")
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.stdout and "truncation at" in result.stdout and "without the future" in result.stdout
    assert "look-ahead: peeking_long" in result.stderr


def test_an_unknown_strategy_is_a_user_error_before_any_work():
    result = invoke(*WINDOW, "--strategy", "sentiment_lon")
    assert result.exit_code == 2 and "did you mean sentiment_long" in result.stderr


def test_hkbt_config_prints_the_resolved_config_with_descriptions():
    result = CliRunner().invoke(cli, ["config", "--config", str(REPO_ROOT / "config.yaml"), "--set", "strategy.name=news_rebound"])
    assert result.exit_code == 0, result.output
    assert "  name: news_rebound" in result.stdout
    assert "    market_wide_only: true    # only signals that include news naming no company" in result.stdout
    assert CliRunner().invoke(cli, ["config", "--defaults"]).stdout == (REPO_ROOT / "config.yaml").read_text(encoding="utf-8")


def test_hkbt_strategies_lists_the_builtins_and_a_user_folder(tmp_path):
    result = CliRunner().invoke(cli, ["strategies", "--config", str(REPO_ROOT / "config.yaml"),
                                      "--set", f"strategy.path={REPO_ROOT / 'tests' / 'strategies_for_tests'}"])
    assert result.exit_code == 0, result.output
    for name in ("sentiment_long", "news_rebound", "sentiment_rotation", "basket_hold", "peeking_long"):
        assert name in result.stdout
    assert "peek='close'" in result.stdout
