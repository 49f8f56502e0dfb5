"""The command line: exit codes, ``--help``/``--version``, and the one-line error contract.

Contract for any bad input (config, news or prices):

- exit status 2 and no traceback;
- exactly one stderr line starting ``error: ``, naming the file (``file:line`` where it applies)
  or the key/ticker, what is wrong and usually how to fix it after `` -> ``;
- no run folder left behind: neither ``<output_dir>/<name>/`` nor a hidden ``.<name>.tmp-*``
  staging folder; a previous good run of the same name survives unchanged.

Everything runs in ``tmp_path`` on a tiny news file with synthetic (or tmp CSV) prices; nothing
touches the network or the repository's ``backtests/``. All commands run in-process through
:class:`click.testing.CliRunner` except one, which runs the real console script in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from click.testing import Result

from hkbt import __version__

from cli_contract import CONFIG_YAML, NEWS_CSV, assert_user_error, error_line, invoke, strip_ansi, write_price_csvs

RUN_NAME = "bad"


def _config_lines(text: str) -> dict[str, int]:
    """``{"run": 2, "run.name": 3, "strategy.params.hold_days": 27, ...}``: line number of each key (2-space indents)."""
    lines, path = {}, []
    for number, line in enumerate(text.splitlines(), start=1):
        if ":" not in line or line.lstrip().startswith("#"):
            continue
        depth = (len(line) - len(line.lstrip())) // 2
        path = path[:depth] + [line.split(":")[0].strip()]
        lines[".".join(path)] = number
    return lines


CONFIG_LINES = _config_lines(CONFIG_YAML)


# ------------------------------------------------------------------------------------- helpers


def write_project(root: Path, config_text: str = CONFIG_YAML, news_text: str = NEWS_CSV) -> Path:
    """Write ``config.yaml`` and ``news.csv`` into ``root``; return the config path."""
    (root / "news.csv").write_text(news_text, encoding="utf-8")
    config = root / "config.yaml"
    config.write_text(config_text, encoding="utf-8")
    return config


def leftovers(output_dir: Path, name: str) -> list[str]:
    """Run or staging folders of ``name`` in ``output_dir``."""
    if not output_dir.is_dir():
        return []
    return sorted(p.name for p in output_dir.iterdir() if p.name == name or p.name.startswith(f".{name}."))


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tmp project (config.yaml + news.csv); the working directory is ``tmp_path`` too."""
    monkeypatch.chdir(tmp_path)
    write_project(tmp_path)
    return tmp_path


# ---------------------------------------------------------------------------- help and version


def test_help_mentions_the_run_options():
    result = invoke(["--help"])
    assert result.exit_code == 0, result.output
    for option in ("--config", "--set", "--name"):
        assert option in result.stdout
    assert "run" in result.stdout


def test_run_help_mentions_the_run_options():
    result = invoke(["run", "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--config", "--set", "--name"):
        assert option in result.stdout


def test_version():
    result = invoke(["--version"])
    assert result.exit_code == 0
    assert __version__ in result.stdout
    assert "hkbt" in result.stdout


# ------------------------------------------------------------------------------------ good runs


def run_ok(config: Path, *extra: str) -> Result:
    result = invoke(["run", "--config", str(config), *extra])
    assert result.exit_code == 0, f"{result.exception!r}\n{result.stderr}"
    return result


def test_synthetic_run_is_flagged_as_simulated(project: Path):
    result = run_ok(project / "config.yaml", "--name", "demo")
    assert "SIMULATED PRICES" in strip_ansi(result.stderr)
    folder = project / "out" / "demo"
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["warning"] == "SIMULATED PRICES"
    assert metrics["run"]["simulated_prices"] is True
    assert metrics["run"]["name"] == "demo"
    for name in ("metrics.json", "trades.csv", "equity.csv", "signals.csv", "news.csv", "config.resolved.yaml", "report.html"):
        assert (folder / name).is_file(), name
    assert leftovers(project / "out", "demo") == ["demo"], "a staging folder was left behind"


def test_identical_runs_give_byte_identical_metrics(project: Path):
    config = project / "config.yaml"
    run_ok(config, "--name", "twice")
    first = (project / "out" / "twice" / "metrics.json").read_bytes()
    run_ok(config, "--name", "twice")  # second run also reads the sentiment cache written by the first
    second = (project / "out" / "twice" / "metrics.json").read_bytes()
    assert first == second
    assert leftovers(project / "out", "twice") == ["twice"]


def test_csv_price_fixture_runs(project: Path):
    """The CSV prices used by the price error cases are good as written (so each case breaks one thing)."""
    write_price_csvs(project / "prices_csv")
    result = run_ok(project / "config.yaml", "--set", "prices.source=csv", "--name", "csv_ok")
    assert "SIMULATED PRICES" not in result.stderr
    metrics = json.loads((project / "out" / "csv_ok" / "metrics.json").read_text(encoding="utf-8"))
    assert "warning" not in metrics
    assert metrics["run"]["price_source"] == "csv"


@pytest.mark.parametrize("name", ["2024", "0700"])
def test_run_name_that_looks_like_a_number(project: Path, name: str):
    """``--name 2024`` is a safe folder name and must stay the string "2024" (not int 2024, or octal 448)."""
    run_ok(project / "config.yaml", "--name", name)
    metrics = json.loads((project / "out" / name / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["run"]["name"] == name


def test_failed_rerun_keeps_the_previous_good_run(project: Path):
    config = project / "config.yaml"
    run_ok(config, "--name", "keep")
    folder = project / "out" / "keep"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    # fails late: after the config loaded and the run folder was chosen, in the news stage
    result = invoke(["run", "--config", str(config), "--name", "keep", "--set", "news.path=missing.csv"])
    assert "missing.csv" in assert_user_error(result)
    # fails early: in the config
    result = invoke(["run", "--config", str(config), "--name", "keep", "--set", "strategy.params.hold_days=0"])
    assert "strategy.params.hold_days" in assert_user_error(result)

    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert after.keys() == before.keys()
    assert after["metrics.json"] == before["metrics.json"]
    assert after == before
    assert leftovers(project / "out", "keep") == ["keep"], "a staging folder was left behind"


# ------------------------------------------------------------------------------ bad-input cases


@dataclass
class Case:
    """One bad input: ``prepare(root)`` edits the project and returns the extra CLI arguments."""

    id: str
    prepare: Callable[[Path], list[str]]
    expect: list[str]  # substrings of the error line
    check: Callable[[Path, str], None] | None = None  # extra assertions(root, error line)
    pass_name: bool = True  # add --name bad (False: the case sets run.name itself)


def edit_config(old: str, new: str, extra: list[str] | None = None) -> Callable[[Path], list[str]]:
    def prepare(root: Path) -> list[str]:
        path = root / "config.yaml"
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return list(extra or [])

    return prepare


def args(*items: str) -> Callable[[Path], list[str]]:
    return lambda root: list(items)


def write_file(name: str, text: str, *extra: str) -> Callable[[Path], list[str]]:
    def prepare(root: Path) -> list[str]:
        (root / name).write_text(text, encoding="utf-8")
        return list(extra)

    return prepare


def make_dir(name: str, *extra: str) -> Callable[[Path], list[str]]:
    def prepare(root: Path) -> list[str]:
        (root / name).mkdir()
        return list(extra)

    return prepare


def csv_prices(edit: Callable[[Path], None]) -> Callable[[Path], list[str]]:
    """Good CSV prices in prices_csv/, broken by ``edit(folder)``; run with prices.source=csv."""

    def prepare(root: Path) -> list[str]:
        folder = root / "prices_csv"
        write_price_csvs(folder)
        edit(folder)
        return ["--set", "prices.source=csv"]

    return prepare


def drop_close_column(folder: Path) -> None:
    path = folder / "0700.HK.csv"
    pd.read_csv(path).drop(columns=["Close"]).to_csv(path, index=False)


def blank_close_on_line_5(folder: Path) -> None:
    path = folder / "1810.HK.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[4].split(",")  # line 5 of the file
    cells[4] = ""  # Date,Open,High,Low,Close,Volume
    lines[4] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def nothing_written_outside(root: Path, line: str) -> None:
    outside = [p for p in tree(root) if not p.startswith(("out", "config.yaml", "news.csv"))]
    assert outside == [], f"written outside output_dir: {outside}"
    assert not (root / "escape").exists() and not (root.parent / "escape").exists()


def nothing_executed(root: Path, line: str) -> None:
    assert not (root / "pwned").exists(), "the !!python tag was executed"


CONFIG_CASES = [
    Case("yaml-malformed", edit_config("    entry_threshold: 0.2\n", "    entry_threshold: 0.2: 0.3\n"),
         [f"config.yaml:{CONFIG_LINES['strategy.params.entry_threshold']}: invalid YAML", "mapping values", " -> "]),
    Case("yaml-unclosed-list", edit_config("    hold_days: 5\n", "    hold_days: [5\n"),
         [f"config.yaml:{len(CONFIG_YAML.splitlines()) + 1}: invalid YAML"]),  # reported at the end of the file
    Case("yaml-bad-indent", edit_config("  end: 2025-03-31\n", "  end: 2025-03-31\n   oops: 1\n"),
         [f"config.yaml:{CONFIG_LINES['run.end'] + 1}", "invalid YAML"]),
    Case("unknown-top-level-key", edit_config("news:\n", "newz:\n  path: news.csv\nnews:\n"),
         [f"config.yaml:{CONFIG_LINES['news']}: newz: unknown key", "-> did you mean news?"]),
    Case("unknown-nested-key", edit_config("    hold_days: 5\n", "    hold_dayz: 5\n"),
         [f"config.yaml:{CONFIG_LINES['strategy.params.hold_days']}: strategy.params.hold_dayz: unknown key", "did you mean strategy.params.hold_days?"]),
    Case("wrong-type", edit_config("    hold_days: 5\n", '    hold_days: "five"\n'),
         [f"config.yaml:{CONFIG_LINES['strategy.params.hold_days']}: strategy.params.hold_days:", "integer", "'five'"]),
    Case("entry-threshold-out-of-range", edit_config("    entry_threshold: 0.2\n", "    entry_threshold: 3\n"),
         [f"config.yaml:{CONFIG_LINES['strategy.params.entry_threshold']}: strategy.params.entry_threshold: must be between -1 and 1 (got 3)"]),
    Case("entry-threshold-via-set", args("--set", "strategy.params.entry_threshold=3"),
         ["strategy.params.entry_threshold: must be between -1 and 1 (got 3)"]),
    Case("end-before-start", edit_config("  end: 2025-03-31\n", "  end: 2024-12-31\n"),
         ["config.yaml:", "run.end", "must be after run.start (2025-01-02) (got 2024-12-31)"]),
    Case("lot-size-zero", edit_config("9988.HK: 100,", "9988.HK: 0,"),
         [f"config.yaml:{CONFIG_LINES['universe.lot_sizes']}: universe.lot_sizes", "9988.HK", "at least 1"]),
    Case("bad-ticker", edit_config("[9988.HK, 0700.HK, 1810.HK]", "[9988.HK, 'alibaba hk', 1810.HK]"),
         [f"config.yaml:{CONFIG_LINES['universe.tickers']}: universe.tickers", "'alibaba hk' is not a ticker"]),
    Case("run-name-escape", args("--name", "../escape"),
         ["run.name", "'../escape'", "not a safe run name"], check=nothing_written_outside),
    Case("run-name-escape-in-file", edit_config("  name: good\n", "  name: ../../escape\n", ["--set", "run.output_dir=out"]),
         [f"config.yaml:{CONFIG_LINES['run.name']}: run.name", "not a safe run name"], check=nothing_written_outside,
         pass_name=False),
    Case("unknown-strategy", edit_config("  name: sentiment_long\n", "  name: sentiment_lng\n"),
         ["strategy.name", "strategies/sentiment_lng.py", "did you mean sentiment_long?"]),
    Case("unknown-scorer", edit_config("  scorer: vader_fin\n", "  scorer: finbert\n"),
         [f"config.yaml:{CONFIG_LINES['sentiment.scorer']}: sentiment.scorer", "registered English scorer: vader, vader_fin, lm",
          "(got 'finbert')"]),
    Case("set-without-equals", args("--set", "strategy.hold_days"),
         ["--set strategy.hold_days", "expected KEY=VALUE"]),
    Case("set-empty-key-part", args("--set", "strategy..hold_days=3"),
         ["--set strategy..hold_days=3", "expected KEY=VALUE"]),
    Case("set-unknown-key", args("--set", "strategy.params.entry_treshold=0.7"),
         ["--set: strategy.params.entry_treshold: unknown key", "did you mean strategy.params.entry_threshold?"]),
    Case("old-style-strategy-key", edit_config("  params:\n    entry_threshold: 0.2\n", "  entry_threshold: 0.2\n  params:\n"),
         [f"config.yaml:{CONFIG_LINES['strategy.params']}: strategy.entry_threshold: unknown key",
          "did you mean strategy.params.entry_threshold?"]),
    Case("set-into-a-value", args("--set", "run.name.max=3"),
         ["--set run.name.max", "name is not a section"]),
    Case("missing-config-file", args("--config", "nope.yaml"),
         ["nope.yaml: file not found", "-> pass --config PATH"]),
    Case("top-level-list", write_file("config.yaml", "- run\n- strategy\n"),
         ["config.yaml: the top level must be a mapping"]),
    Case("python-tag-not-executed", lambda root: write_file(
             "config.yaml", f'run: !!python/object/apply:os.system ["touch {root}/pwned && echo hi"]\n')(root),
         ["config.yaml:1", "invalid YAML", "python/object/apply:os.system"], check=nothing_executed),
    Case("output-dir-is-a-file", write_file("out", "not a folder\n"), ["run.output_dir", "out"]),
    Case("two-problems-both-counted",
         edit_config("    hold_days: 5\n", "    hold_days: 0\n    max_positions: 0\n"),
         ["strategy.params.hold_days", "[and 1 more problem(s)]"]),
]


NEWS_CASES = [
    Case("news-missing-file", args("--set", "news.path=nowhere/news.csv"),
         ["nowhere/news.csv: news file not found", "-> set news.path"]),
    Case("news-missing-headline-column",
         write_file("news.csv", "published_at,title\n2025-01-27T07:30:00+08:00,Alibaba surges\n"),
         ["news.csv: missing column 'headline'", "title", "news.columns.headline"]),
    Case("news-unparsable-time", write_file("news.csv", NEWS_CSV.replace("2025-02-03T08:00:00+08:00", "last tuesday")),
         ["news.csv:3: unparsable published_at 'last tuesday'", "ISO 8601"]),
    Case("news-empty-headline",
         write_file("news.csv", NEWS_CSV.replace("Beijing unveils stimulus to support private sector", "  ")),
         ["news.csv:4: empty headline"]),
    Case("news-empty-file", write_file("news.csv", ""), ["news.csv", "empty"]),
    Case("news-header-only", write_file("news.csv", NEWS_CSV.splitlines()[0] + "\n"), ["news.csv", "no news items"]),
    Case("news-malformed-jsonl", write_file(
             "news.jsonl",
             '{"published_at": "2025-01-27T07:30:00+08:00", "headline": "Alibaba surges"}\n'
             "\n"
             '{"published_at": "2025-01-28T07:30:00+08:00", "headline": "Tencent jumps",}\n',
             "--set", "news.path=news.jsonl"),
         ["news.jsonl:3: invalid JSON", "one JSON object per line"]),
    Case("news-path-is-a-folder", make_dir("feed", "--set", "news.path=feed"),
         ["feed: news path is not a regular file"]),
    Case("sentiment-cache-dir-is-a-file", write_file("cachefile", "not a folder\n", "--set", "sentiment.cache_dir=cachefile"),
         ["cachefile"]),
    Case("news-path-with-brackets", args("--set", "news.path=feeds/[/old]/news.csv"),
         ["feeds/[/old]/news.csv: news file not found"]),
]


PRICE_CASES = [
    Case("prices-missing-csv", csv_prices(lambda folder: (folder / "1810.HK.csv").unlink()),
         ["prices_csv/1810.HK.csv", "no price file for 1810.HK", "prices.source=yfinance"]),
    Case("prices-missing-close-column", csv_prices(drop_close_column),
         ["prices_csv/0700.HK.csv", "missing column(s) close"]),
    Case("prices-nan-close", csv_prices(blank_close_on_line_5),
         ["prices_csv/1810.HK.csv:5: close is missing (NaN)"]),
    Case("prices-empty-csv", csv_prices(lambda folder: (folder / "HSI.csv").write_text("")),
         ["prices_csv/HSI.csv", "empty"]),
    Case("prices-csv-dir-is-a-file",
         write_file("prices_file", "x\n", "--set", "prices.source=csv", "--set", "prices.csv_dir=prices_file"),
         ["prices_file: price folder not found"]),
    Case("prices-missing-folder", args("--set", "prices.source=csv", "--set", "prices.csv_dir=no_such_dir"),
         ["no_such_dir: price folder not found"]),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CONFIG_CASES + NEWS_CASES + PRICE_CASES])
def test_bad_input_is_one_error_line(project: Path, case: Case):
    extra = case.prepare(project)
    config_args = [] if "--config" in extra else ["--config", str(project / "config.yaml")]
    name_args = ["--name", RUN_NAME] if case.pass_name and "--name" not in extra else []
    result = invoke(["run", *config_args, *name_args, *extra])

    line = assert_user_error(result)
    for fragment in case.expect:
        assert fragment in line, f"{fragment!r} not in:\n{line}"
    assert leftovers(project / "out", RUN_NAME) == [], "a run or staging folder was left behind"
    assert not any(p.name.startswith(".") and ".tmp-" in p.name for p in project.rglob("*")), "staging folder left"
    if case.check:
        case.check(project, line)


def test_yfinance_failure_suggests_csv(project: Path, monkeypatch: pytest.MonkeyPatch):
    """An empty yfinance download (what yfinance returns offline) is a clear error; no network is used."""
    import yfinance
    from fakes_yfinance import empty_download

    calls = []

    def offline_download(tickers, *args, **kwargs):
        calls.append(tickers)
        return empty_download(tickers)

    monkeypatch.setattr(yfinance, "download", offline_download)
    result = invoke(["run", "--config", str(project / "config.yaml"), "--name", RUN_NAME,
                     "--set", "prices.source=yfinance"])
    line = assert_user_error(result)
    assert calls, "the fake downloader was not used"
    assert "prices: 9988.HK: yfinance returned no data" in line
    assert "prices.source=csv" in line
    assert leftovers(project / "out", RUN_NAME) == []


def test_yfinance_exception_suggests_csv(project: Path, monkeypatch: pytest.MonkeyPatch):
    import yfinance

    def broken_download(*args, **kwargs):
        raise ConnectionError("no route to host")

    monkeypatch.setattr(yfinance, "download", broken_download)
    result = invoke(["run", "--config", str(project / "config.yaml"), "--name", RUN_NAME,
                     "--set", "prices.source=yfinance"])
    line = assert_user_error(result)
    assert "9988.HK" in line and "prices.source=csv" in line
    assert leftovers(project / "out", RUN_NAME) == []


def test_yfinance_cache_dir_is_a_file(project: Path, monkeypatch: pytest.MonkeyPatch):
    import yfinance
    from fakes_yfinance import empty_download

    monkeypatch.setattr(yfinance, "download", lambda tickers, *a, **k: empty_download(tickers))
    (project / "prices_cache").write_text("not a folder\n", encoding="utf-8")
    result = invoke(["run", "--config", str(project / "config.yaml"), "--name", RUN_NAME,
                     "--set", "prices.source=yfinance"])
    line = assert_user_error(result)
    assert "prices_cache" in line
    assert leftovers(project / "out", RUN_NAME) == []


# ------------------------------------------------------------------------ the real console script


def console_script() -> list[str]:
    script = Path(sys.executable).with_name("hkbt")
    if script.exists():
        return [str(script)]
    pytest.skip(f"console script not found next to {sys.executable}")


def test_real_console_script_prints_no_traceback(tmp_path: Path):
    write_project(tmp_path)
    (tmp_path / "news.csv").write_text(NEWS_CSV.replace("2025-02-03T08:00:00+08:00", "soon"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "CLICOLOR_FORCE", "TTY_COMPATIBLE"}}
    env["NO_COLOR"] = "1"
    completed = subprocess.run(
        [*console_script(), "run", "--config", str(tmp_path / "config.yaml"), "--name", RUN_NAME],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env,
    )
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr + completed.stdout
    line = error_line(completed.stderr)
    assert "news.csv:3: unparsable published_at 'soon'" in line
    assert leftovers(tmp_path / "out", RUN_NAME) == []


def test_a_run_names_the_settings_it_changed(tmp_path: Path):
    from hkbt.cli.common import changed_settings
    from hkbt.config import Config

    assert changed_settings(Config.model_validate({"strategy": {"params": {"hold_days": 10}}, "run": {"name": "x"}})) == ["strategy.params.hold_days=10"]
    assert changed_settings(Config()) == []
    assert changed_settings(Config.model_validate({"universe": {"lot_sizes": {"9988.HK": 100}, "tickers": ["9988.HK"]}})) == [
        'universe.tickers=["9988.HK"]', 'universe.lot_sizes={"9988.HK": 100}'
    ]
