"""Hostile configs: every one ends in one ``error:`` line, exit 2, and the previous run byte-identical.

Covers D2 (impossible dates, deep nesting), D3 (alias bombs), D10 (unreadable config), D14 (numbers
the schema accepted and a later stage crashed on), D15 (duplicate keys), D16 (trailing newlines),
D17 (multi-line messages), D18 (``!!set``), D19 (a window outside the calendar), D20 (``true`` as a
number), D25 (catastrophic topic regexes, FIFOs and ``/dev/zero`` as the config), and click's own
usage errors, which now print one line too.
"""

from __future__ import annotations

import errno
import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from hostile_kit import Case, CONFIG_YAML, RUN, check, make_project, run_hostile

LOTS = next(n for n, line in enumerate(CONFIG_YAML.splitlines(), 1) if line.strip().startswith("lot_sizes:"))
START = next(n for n, line in enumerate(CONFIG_YAML.splitlines(), 1) if line.strip().startswith("start:"))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_project(tmp_path)


def append(text: str) -> Callable[[Path], list[str]]:
    def prepare(root: Path) -> list[str]:
        with (root / "config.yaml").open("a", encoding="utf-8") as stream:
            stream.write(text)
        return []

    return prepare


def replace(old: str, new: str) -> Callable[[Path], list[str]]:
    def prepare(root: Path) -> list[str]:
        path = root / "config.yaml"
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return []

    return prepare


def sets(*items: str) -> Callable[[Path], list[str]]:
    return lambda root: [arg for item in items for arg in ("--set", item)]


def config_file(text: str | bytes, name: str = "hostile.yaml") -> Callable[[Path], list[str]]:
    def prepare(root: Path) -> list[str]:
        path = root / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return ["--config", str(path)]

    return prepare


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The classic 'billion laughs' in YAML: a few hundred bytes that expand to width**levels values."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


CASES = [
    # D2: impossible dates and times, nesting that would blow the stack
    Case("date-feb-30", "D2", replace("  start: 2025-01-02\n", "  start: 2025-02-30\n"),
         [f"config.yaml:{START}: run.start:", "'2025-02-30' is not a valid date", "day is out of range", "YYYY-MM-DD"]),
    Case("date-month-13", "D2", replace("  start: 2025-01-02\n", "  start: 2025-13-01\n"), [f"config.yaml:{START}: run.start:", "month must be in 1..12"]),
    Case("time-hour-25", "D2", replace("  start: 2025-01-02\n", "  start: 2025-01-02 25:00:00\n"),
         [f"config.yaml:{START}: run.start:", "hour must be in 0..23"]),
    Case("date-via-set", "D2", sets("run.start=2025-02-30"), ["--set run.start", "not a valid date"]),
    Case("nesting-5000-flow", "D2", config_file("a: " + "[" * 5000 + "]" * 5000 + "\n"), ["hostile.yaml", "nested more than 64 levels"]),
    Case("nesting-5000-block", "D2", config_file("".join(f"{'  ' * i}k{i}:\n" for i in range(400)) + "  " * 400 + "v: 1\n"),
         ["hostile.yaml", "nested"]),
    Case("nesting-in-set", "D2", sets("topics.ai=" + "[" * 3000 + "]" * 3000), ["topics.ai", "nested"]),
    # D3: alias bombs, and an alias that contains itself
    Case("alias-bomb-9x9", "D3", config_file(alias_bomb()), ["hostile.yaml:", "aliases expand this value to more than 100,000 values"]),
    Case("alias-bomb-in-topics", "D3", append("x-anchors:\n" + "".join(f"  {line}\n" for line in alias_bomb(6, 10).splitlines())),
         ["config.yaml:", "alias bomb"]),
    Case("alias-bomb-via-set", "D3", sets("topics.ai=" + alias_bomb().replace("\n", ", ").join("{}")),
         ["--set topics.ai", "alias bomb"]),
    Case("recursive-alias", "D3", config_file("run: &r\n  name: x\n  more: *r\n"), ["hostile.yaml:1", "contains it"]),
    Case("recursive-alias-list", "D3", config_file("topics:\n  ai: &l [a, *l]\n"), ["hostile.yaml:2", "contains it"]),
    # D15: duplicate keys
    Case("duplicate-section", "D15", append("strategy:\n  name: basket_hold\n"),
         [f"config.yaml:{len(CONFIG_YAML.splitlines()) + 1}: strategy: duplicate key "
          f"(first on line {CONFIG_YAML.splitlines().index('strategy:') + 1})", "keep one of them"]),
    Case("duplicate-nested-key", "D15", replace("  hold_days: 5\n", "  hold_days: 5\n    hold_days: 9\n"), ["duplicate key"]),
    Case("duplicate-in-flow-map", "D15", replace("{9988.HK: 100,", "{9988.HK: 100, 9988.HK: 300,"),
         [f"config.yaml:{LOTS}: 9988.HK: duplicate key (first on line {LOTS})"]),
    Case("duplicate-quoted-and-plain", "D15", replace("  name: prev\n", "  name: prev\n  'name': other\n"), ["name: duplicate key"]),
    # D18: sets and other tags whose order or type is not plain data
    Case("set-tag-tickers", "D18", replace("[9988.HK, 0700.HK, 1810.HK]", "!!set {9988.HK, 0700.HK, 1810.HK}"),
         [f"config.yaml:{LOTS - 2}", "the tag 'set' is not allowed", "write a list"]),
    Case("set-tag-via-set", "D18", sets("universe.tickers=!!set {9988.HK, 0700.HK}"), ["--set universe.tickers", "'set' is not allowed"]),
    Case("omap-tag", "D18", replace("  name: prev\n", "  name: !!omap [{a: 1}]\n"), ["'omap' is not allowed"]),
    Case("binary-tag", "D18", replace("  name: prev\n", "  name: !!binary aGk=\n"), ["'binary' is not allowed"]),
    Case("python-tag", "safe_load", config_file('run: !!python/object/apply:os.system ["echo pwned"]\n'),
         ["hostile.yaml:1", "invalid YAML", "python/object/apply:os.system"]),
    # D14: numbers that crashed a later stage
    Case("initial-cash-1e308", "D14", sets("run.initial_cash=1.0e308"), ["run.initial_cash", "must be between 0 and 1,000,000,000,000"]),
    Case("initial-cash-inf", "D14", sets("run.initial_cash=.inf"), ["run.initial_cash", "finite number"]),
    Case("initial-cash-nan", "D14", sets("run.initial_cash=.nan"), ["run.initial_cash", "finite number"]),
    Case("brokerage-min-1e300", "D14", sets("costs.brokerage_min=1.0e300"), ["costs.brokerage_min", "1,000,000"]),
    Case("brokerage-rate-inf", "D14", sets("costs.brokerage_rate=.inf"), ["costs.brokerage_rate"]),
    Case("lot-size-10e30", "D14", sets("universe.lot_sizes.9988.HK=1000000000000000000000000000000"),
         ["universe.lot_sizes.9988.HK", "at most 1,000,000"]),
    Case("lot-size-float", "D14", sets("universe.lot_sizes.9988.HK=100.5"), ["universe.lot_sizes.9988.HK", "integer"]),
    Case("seed-negative", "D14", sets("prices.seed=-1"), ["prices.seed", "must be between 0 and 4,294,967,295"]),
    Case("seed-huge", "D14", sets("prices.seed=100000000000000000000"), ["prices.seed"]),
    Case("strategy-param-huge-int", "D14", sets("strategy.params.hold_days=1000000000000000000000000000000"),
         ["strategy.params.hold_days", "too large"]),
    Case("strategy-param-inf", "D14", sets("strategy.params.take_profit=.inf"), ["strategy.params.take_profit", "finite"]),
    Case("strategy-param-nan", "D14", sets("strategy.params.entry_threshold=.nan"), ["strategy.params.entry_threshold", "finite"]),
    Case("threshold-out-of-range", "D14", sets("sentiment.positive_threshold=7"), ["sentiment.positive_threshold", "between -1 and 1"]),
    # D19: a window the calendar does not cover is an error, not silently cut
    Case("start-year-1", "D19", sets("run.start=0001-01-01"), ["run.start", "outside the XHKG calendar"]),
    Case("start-1900", "D19", sets("run.start=1900-01-01"), ["run.start", "outside the XHKG calendar", "covers"]),
    Case("end-2090", "D19", sets("run.end=2090-01-01"), ["run.end", "outside the XHKG calendar"]),
    # D20: true is not a number; 1 is not a boolean
    Case("hold-days-true", "D20", sets("strategy.params.hold_days=true"), ["strategy.params.hold_days", "must be a number, not true"]),
    Case("max-positions-false", "D20", sets("strategy.params.max_positions=false"), ["must be a number, not false"]),
    Case("initial-cash-true", "D20", sets("run.initial_cash=true"), ["run.initial_cash", "must be a number, not true"]),
    Case("cutoff-true", "D20", sets("signals.cutoff_before_open_minutes=true"), ["signals.cutoff_before_open_minutes", "not true"]),
    Case("lot-size-true", "D20", sets("universe.lot_sizes.9988.HK=true"), ["universe.lot_sizes.9988.HK"]),
    Case("boolean-from-1", "D20", sets("signals.market_wide_policy=1"), ["signals.market_wide_policy", "valid boolean"]),
    # D16: a trailing newline is not part of a name
    Case("run-name-newline", "D16", lambda root: ["--name", "good\n"], ["run.name", "'good\\n' is not a safe run name"]),
    Case("ticker-newline", "D16", sets('universe.tickers=["9988.HK\\n"]'), ["universe.tickers", "'9988.HK\\n' is not a ticker"]),
    Case("topic-name-newline", "D16", sets('topics={"ai\\n": [chips]}'), ["topics", "'ai\\n' must be lower_snake_case"]),
    Case("strategy-name-newline", "D16", sets('strategy.name="sentiment_long\\n"'), ["strategy.name", "not a strategy name"]),
    Case("benchmark-newline", "D16", sets('universe.benchmark="^HSI\\n"'), ["universe.benchmark", "not a ticker"]),
    # D17: a message never spans lines, even when the input has line breaks in it
    Case("key-with-newline", "D17", append('"strat\\negy": 1\n'), ["strat\\negy: unknown key"]),
    Case("key-with-tab", "D17", append('"a\\tb": 1\n'), ["a\\tb: unknown key"]),
    Case("value-with-newlines", "D17", sets('strategy.name="a\\nb\\nc"'), ["'a\\nb\\nc'"]),
    # D25: hangs
    Case("regex-nested-quantifier", "D25", sets("topics.ai=['(a+)+$']"), ["error: --set: topics: topic ai", "'(a+)+$' refused", "repeat inside a repeat"]),
    Case("regex-star-star", "D25", sets(r"topics.ai=['(\w+\s?)*$']"), ["refused", "exponential"]),
    Case("regex-overlapping-choice", "D25", sets("topics.policy=['(a|aa)+b']", "strategy.params.topics=[policy]"),
         ["error: --set: topics: topic policy", "choice between alternatives"]),
    Case("regex-invalid", "D25", sets("topics.ai=['(a+']"), ["topic ai", "not a valid regex"]),
    Case("config-is-dev-zero", "D25", lambda root: ["--config", "/dev/zero"], ["/dev/zero", "not a regular file"]),
    Case("config-is-a-folder", "D25", lambda root: (root / "cfgdir").mkdir() or ["--config", str(root / "cfgdir")], ["is a folder"]),
    Case("config-too-large", "D25", config_file("# " + "x" * 1_100_000 + "\n"), ["larger than 1,000,000 bytes"]),
    Case("config-not-utf8", "D10", config_file(b"run:\n  name: \xff\xfe\n"), ["not UTF-8 text"]),
    # click's usage errors: one line too
    Case("unknown-option", "usage", lambda root: ["--sett", "x=1"], ["hkbt run", "No such option", "see `hkbt run --help`"]),
    Case("set-without-value", "usage", lambda root: ["--set"], ["--set", "requires an argument", "--help"]),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c.defect}-{c.id}") for c in CASES])
def test_hostile_config(root: Path, case: Case):
    extra = case.prepare(root)
    line = run_hostile(root, extra)
    check(line, *case.expect)


def test_d25_config_that_is_a_fifo_does_not_block(root: Path):
    fifo = root / "config.fifo"
    os.mkfifo(fifo)
    previous = signal.signal(signal.SIGALRM, lambda *a: pytest.fail("reading the FIFO blocked"))
    signal.alarm(20)
    try:
        check(run_hostile(root, ["--config", str(fifo)]), "config.fifo", "not a regular file (a pipe, device or socket)")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize(("code", "fragment"), [(errno.EACCES, "Permission denied"), (errno.EIO, "Input/output error")])
def test_d10_unreadable_config_is_one_line(root: Path, monkeypatch, code: int, fragment: str):
    """Simulated (the suite runs as root, whom permission bits do not stop): opening the config fails."""
    import hkbt.yaml_input as yaml_input

    def refuse(path, *args, **kwargs):
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(yaml_input, "open", refuse, raising=False)
    check(run_hostile(root, []), "config.yaml: cannot read file", fragment)


def test_d3_alias_bomb_is_refused_before_it_is_expanded(root: Path):
    """A bomb of 10**12 values is checked in time proportional to the file (memoised node sizes)."""
    from hkbt.errors import ConfigError
    from hkbt.yaml_input import parse_yaml

    with pytest.raises(ConfigError, match="alias bomb"):
        parse_yaml(alias_bomb(12, 10), "bomb.yaml")


def test_d3_sharing_a_list_with_an_alias_is_still_allowed(root: Path):
    from hkbt.yaml_input import parse_yaml

    data, lines = parse_yaml("a: &x [9988.HK, 0700.HK]\nb: *x\n", "ok.yaml")
    assert data == {"a": ["9988.HK", "0700.HK"], "b": ["9988.HK", "0700.HK"]} and lines[("b",)] == 2


def test_d18_config_hash_does_not_depend_on_hash_seed(root: Path):
    """With !!set refused, list order is the file's order; the hash is the same under any PYTHONHASHSEED."""
    import subprocess
    import sys

    code = ("from hkbt.config import load_config; "
            f"print(load_config({str(root / 'config.yaml')!r}, ['universe.tickers=[1810.HK, 9988.HK, 0700.HK]']).config_hash())")
    hashes = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("0", "12345")}
    assert len(hashes) == 1


def test_d19_calendar_bounds_in_the_message_are_the_libraries(root: Path):
    import exchange_calendars as xcals

    calendar = xcals.get_calendar("XHKG")
    line = run_hostile(root, ["--set", "run.start=1900-01-01"])
    check(line, f"covers {calendar.first_session.date()}..{calendar.last_session.date()}")


def test_usage_errors_in_subcommands_are_one_line(root: Path):
    from hostile_kit import assert_user_error, invoke

    for args, fragment in (
        (["study", "--beta-window", "1000000000000"], "study.beta_window: must be between 0 and 2,520"),
        (["study", "--beta-window", "x"], "'x' is not a valid integer"),
        (["study", "--horizons", "1,100000000000"], "horizons must be distinct whole sessions from 1 to 2520"),
        (["study", "--buckets=nan,0"], "study.buckets.0: Input should be a finite number"),
        (["runn"], "No such command 'runn'"),
        (["sentiment", "eval", "--errors", "-1"], "--errors"),
    ):
        result = invoke([*args, "--config", str(root / "config.yaml")] if args[0] == "study" else args)
        check(assert_user_error(result), fragment)


def test_previous_run_is_the_one_the_cases_protect(root: Path):
    """Guards the fixture: every case above runs against a real previous run named prev."""
    assert (root / "out" / RUN / "metrics.json").is_file()
