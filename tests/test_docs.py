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
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text() and "make lint" in (REPO_ROOT / ".ci" / "run").read_text()
    assert re.search(r"^lint:", makefile, re.M) and "ruff check" in makefile and "--doctest-modules hkbt" in makefile


def test_every_command_has_help() -> None:
    for args in (["--help"], ["run", "--help"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0 and "Example" in result.output


def readme_block(after: str, language: str) -> str:
    """The first ```language block after the heading ``after``."""
    start = README.index(after)
    begin = README.index(f"```{language}\n", start) + len(language) + 4
    return README[begin:README.index("```", begin)]


def test_the_writing_a_strategy_example_runs_and_passes_the_lookahead_check(tmp_path) -> None:
    folder = tmp_path / "my_strategies"
    folder.mkdir()
    (folder / "first_good_news.py").write_text(readme_block("### Writing a strategy", "python"), encoding="utf-8")
    common = ["--config", str(REPO_ROOT / "config.yaml"), "--set", "prices.source=synthetic", "--set", "sentiment.cache_dir=null",
              "--set", f"strategy.path={folder}", "--set", "strategy.name=first_good_news", "--set", "run.start=2024-06-01"]
    result = CliRunner().invoke(cli, ["run", *common, "--set", f"run.output_dir={tmp_path / 'out'}", "--name", "example"])
    assert result.exit_code == 0, result.output
    trades = (tmp_path / "out" / "example" / "trades.csv").read_text(encoding="utf-8").splitlines()
    assert len(trades) > 2 and all(line.split(",")[15] for line in trades[1:])  # every trade cites its news
    skipped = (tmp_path / "out" / "example" / "skipped.csv").read_text(encoding="utf-8")
    assert ",threshold," in skipped
    result = CliRunner().invoke(cli, ["check-lookahead", *common, "--cuts", "4", "--moves", "2"])
    assert result.exit_code == 0 and "pass" in result.stdout, result.output


def test_the_readme_table_of_builtin_parameters_matches_the_code() -> None:
    from hkbt.backtest.discovery import available_strategies, find_strategy, param_fields
    from hkbt.config_yaml import scalar

    rows = dict(re.findall(r"^\| `(\w+)` \| (.+) \|$", README, re.M))
    builtins = [name for name, source in available_strategies(None, REPO_ROOT).items() if source.startswith("built-in")]
    assert set(builtins) <= set(rows), "a built-in strategy is missing from README's parameter table"
    for name in builtins:
        fields = param_fields(find_strategy(name).cls.Params)
        expected = ", ".join(f"`{f.name}={scalar(f.default)}`" for f in fields) or "none"
        assert rows[name] == expected, f"README's row for {name} says {rows[name]!r}, the code {expected!r}"
