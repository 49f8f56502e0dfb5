"""Every command in README.md's ```bash blocks works as written: the README is executed, not just read.

How to keep this green when you add or change a command in README.md (the rules, in the order they apply):

1. Every line of every fenced ```bash block is a command. A trailing backslash continues it on the next line,
   ``#`` outside quotes starts a comment, and ``a; b`` is two commands. Blocks run in README order, each
   command through ``bash -c`` in one scratch copy of the repository (its git-tracked files, the
   repository's ``.venv``, and ``../shared/data`` beside it, as in CI), with ``.venv/bin`` first on PATH.
   Each must exit 0, or N if its comment says ``[exit N]`` (a command shown failing on purpose). A later
   command may use what an earlier one wrote (``backtests/demo``, the news store).
2. Prices are offline: an ``hkbt run|study|sweep|check-lookahead|today`` command that does not choose
   ``prices.source`` would download from Yahoo, so it runs with ``--set prices.source=csv`` appended (the
   real daily bars in ../shared/data/prices). This is the README's documented convention too.
3. ``--random N`` and ``--optuna N`` run with at most :data:`MAX_TRIALS` trials; nothing else is changed.
4. A line whose comment contains ``[network]`` is not run: it talks to hosts other than package registries
   (live feeds, a remote Dask cluster). Register its offline twin in :data:`OFFLINE_TWINS`: the test file
   that runs the same command against a server or cluster on 127.0.0.1. An unregistered ``[network]``
   line fails :func:`test_network_lines_have_offline_twins`.
5. ``make test`` and ``make lint`` are not run here (this file is part of what they and CI run); they must
   be in ``.ci/run``. Any other ``make`` line (``make demo``) is run.

6. Every ```python block runs too, as a script with the scratch copy as its working directory (a strategy
   file's block just defines its class; test_docs.py runs that strategy).

Two tests use these rules. :func:`test_readme_commands_parse` (part of ``make test``, under a second) hands
every ``hkbt`` line to the CLI's own parser without running it, so a renamed command or option, or a bad
option value, fails the ordinary suite at once. :func:`test_readme_block_runs` executes everything; it is
marked ``readme`` and runs in ``make docs-test`` (CI runs it after ``make test``), because the README's
real-data backtests, sweeps and look-ahead checks take minutes.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from hkbt.cli.main import cli

from conftest import REPO_ROOT, SHARED_DATA

README = REPO_ROOT / "README.md"
MAX_TRIALS = 4
EXPERIMENT_COMMANDS = {"run", "study", "sweep", "check-lookahead", "today"}
NOT_RUN_MAKE_TARGETS = {"test", "lint", "docs-test"}
OFFLINE_TWINS = {
    # the start of a [network] command -> the test that runs it against a server or cluster on 127.0.0.1
    "hkbt news fetch": "tests/news/test_feeds.py",
    "hkbt today": "tests/test_today.py",
    "hkbt sweep": "tests/tuning/test_sweep.py",
    "dask scheduler": "tests/dask_cluster.py",
    "dask worker": "tests/dask_cluster.py",
}


@dataclass(frozen=True)
class Command:
    """One README command: where it is, the shell text (continuations joined) and its comment."""

    block: int
    line: int
    text: str
    comment: str

    @property
    def words(self) -> list[str]:
        return shlex.split(self.text)

    @property
    def network(self) -> bool:
        return "[network]" in self.comment

    @property
    def exit_code(self) -> int:
        """0, or N when the comment says ``[exit N]``."""
        found = re.search(r"\[exit (\d+)\]", self.comment)
        return int(found.group(1)) if found else 0

    def __str__(self) -> str:
        return f"README.md:{self.line}: {self.text}"


def _split_comment(line: str) -> tuple[str, str]:
    """``(code, comment)``: ``#`` starts a comment outside quotes, at the start or after a space."""
    quote = None
    for position, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (position == 0 or line[position - 1].isspace()):
            return line[:position].rstrip(), line[position + 1:].strip()
    return line.rstrip(), ""


def _split_commands(code: str) -> list[str]:
    """``a; b`` -> ``["a", "b"]`` (a ``;`` inside quotes stays)."""
    parts, current, quote = [], "", None
    for char in code:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == ";":
            parts.append(current.strip())
            current = ""
            continue
        current += char
    return [part for part in [*parts, current.strip()] if part]


def readme_blocks(text: str) -> list[list[Command]]:
    """The commands of every ```bash block, block by block."""
    blocks = []
    for match in re.finditer(r"^```bash\n(.*?)^```", text, re.S | re.M):
        first = text.count("\n", 0, match.start(1)) + 1
        commands, pending, start, notes = [], "", 0, []
        for offset, raw in enumerate(match.group(1).splitlines()):
            code, comment = _split_comment(raw)
            if not pending:
                start, notes = first + offset, []
            notes.append(comment)
            if code.endswith("\\"):
                pending += code[:-1].strip() + " "
                continue
            pending += code.strip()
            for part in _split_commands(pending):
                commands.append(Command(len(blocks), start, part, " ".join(n for n in notes if n)))
            pending = ""
        blocks.append(commands)
    return blocks


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))
COMMANDS = [command for block in BLOCKS for command in block]
PYTHON_BLOCKS = [(README.read_text(encoding="utf-8").count("\n", 0, match.start()) + 1, match.group(1))
                 for match in re.finditer(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), re.S | re.M)]
"""``(line of the fence, code)`` of every ```python block."""


def offline(command: Command) -> str:
    """The shell text the docs test runs for ``command`` (rules 2 and 3 of the module docstring)."""
    words = command.words
    if words[0] == "hkbt" and len(words) > 1 and words[1] in EXPERIMENT_COMMANDS and not any("prices.source=" in w for w in words):
        words = [*words, "--set", "prices.source=csv"]
    for option in ("--random", "--optuna"):
        if option in words:
            at = words.index(option) + 1
            words[at] = str(min(int(words[at]), MAX_TRIALS))
    return shlex.join(words)


def _not_run(command: Command) -> bool:
    words = command.words
    return command.network or (words[0] == "make" and len(words) > 1 and words[1] in NOT_RUN_MAKE_TARGETS)


# ----------------------------------------------------------------------------- fast checks (make test)


def test_the_readme_has_commands_and_the_rules_see_them() -> None:
    assert len(BLOCKS) >= 5 and len(COMMANDS) >= 20
    assert any(c.text.startswith("make demo") for c in COMMANDS)
    sample = readme_blocks("```bash\nhkbt run --name a \\\n  --set x=1   # note [network]\nhkbt --help; hkbt run --help\n```\n")
    assert [c.text for c in sample[0]] == ["hkbt run --name a --set x=1", "hkbt --help", "hkbt run --help"]
    assert sample[0][0].network and sample[0][0].line == 2 and sample[0][0].exit_code == 0
    assert readme_blocks("```bash\nhkbt check-lookahead  # [exit 1] caught\n```\n")[0][0].exit_code == 1
    assert offline(Command(0, 1, "hkbt sweep --random 200", "")) == "hkbt sweep --random 4 --set prices.source=csv"
    assert offline(Command(0, 1, "hkbt run --set prices.source=synthetic", "")) == "hkbt run --set prices.source=synthetic"


def _parse_only(args: list[str]) -> None:
    """Let click parse ``hkbt ARGS`` down to the last subcommand, without running anything."""
    command, name, parent = cli, "hkbt", None
    with contextlib.redirect_stdout(io.StringIO()):
        while True:
            try:
                context = command.make_context(name, list(args), parent=parent)
            except click.exceptions.Exit as exit_:  # --help, --version
                assert exit_.exit_code == 0
                return
            if not isinstance(command, click.Group):
                return
            protected = getattr(context, "_protected_args", None)  # click >= 8.2; older: protected_args
            rest = [*(context.protected_args if protected is None else protected), *context.args]
            if not rest:
                return
            name, command, args = command.resolve_command(context, rest)
            parent = context


@pytest.mark.parametrize("command", [pytest.param(c, id=f"line{c.line}") for c in COMMANDS if c.words[0] == "hkbt"])
def test_readme_commands_parse(command: Command) -> None:
    """Every hkbt line names commands and options that exist, with values they accept."""
    try:
        _parse_only(shlex.split(offline(command))[1:])
    except click.ClickException as exc:
        pytest.fail(f"{command}\n-> {exc.format_message()}")


@pytest.mark.parametrize(("line", "code"), PYTHON_BLOCKS, ids=[f"python-line{line}" for line, _ in PYTHON_BLOCKS])
def test_readme_python_blocks_compile(line: int, code: str) -> None:
    compile(code, f"README.md:{line}", "exec")


def test_network_lines_have_offline_twins() -> None:
    for command in (c for c in COMMANDS if c.network):
        twin = next((path for start, path in OFFLINE_TWINS.items() if command.text.startswith(start)), None)
        assert twin, f"{command}: a [network] line needs an offline twin in OFFLINE_TWINS"
        assert (REPO_ROOT / twin).is_file(), f"{command}: its offline twin {twin} does not exist"


def test_make_lines_not_run_here_are_run_by_ci() -> None:
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command in COMMANDS:
        words = command.words
        if words[0] == "make" and words[1] in NOT_RUN_MAKE_TARGETS:
            assert re.search(rf"^make {words[1]}\b", ci, re.M), f"{command}: not run by .ci/run"


# ----------------------------------------------------------------------------- execution (make docs-test)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's tracked files, with its .venv and ../shared beside it, as in a fresh clone."""
    shared = SHARED_DATA.parent
    if not shared.is_dir():
        from conftest import require_shared

        require_shared()
    base = tmp_path_factory.mktemp("readme")
    repo = base / "repo"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True).stdout.decode()
    for name in filter(None, tracked.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    # the environment running this test, as the copy's .venv; `make` sees it installed and never rebuilds it
    (repo / ".venv").mkdir()
    (repo / ".venv" / "bin").symlink_to(Path(sys.executable).parent)
    (repo / ".venv" / ".installed").touch()
    stamp = (repo / ".venv" / ".installed").stat().st_mtime - 10
    os.utime(repo / "pyproject.toml", (stamp, stamp))
    (base / "shared").symlink_to(shared.resolve())
    return repo


@pytest.mark.readme
@pytest.mark.parametrize("block", range(len(BLOCKS)), ids=[f"block{n}-line{b[0].line if b else 0}" for n, b in enumerate(BLOCKS)])
def test_readme_block_runs(scratch: Path, block: int) -> None:
    env = {**os.environ, "PATH": f"{scratch / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    for command in BLOCKS[block]:
        if _not_run(command):
            continue
        text = offline(command)
        completed = subprocess.run(["bash", "-c", text], cwd=scratch, env=env, capture_output=True, text=True, timeout=900)
        assert completed.returncode == command.exit_code, (
            f"{command}\nran: {text}\nexit {completed.returncode}\n{completed.stderr[-3000:]}\n{completed.stdout[-1500:]}")


@pytest.mark.readme
@pytest.mark.parametrize(("line", "code"), PYTHON_BLOCKS, ids=[f"python-line{line}" for line, _ in PYTHON_BLOCKS])
def test_readme_python_block_runs(scratch: Path, line: int, code: str) -> None:
    """Rule 6: the Python API example runs as written (on a clean install, where e.g. matplotlib is absent)."""
    completed = subprocess.run([sys.executable, "-c", code], cwd=scratch, capture_output=True, text=True, timeout=900,
                               env={k: v for k, v in os.environ.items() if k != "FORCE_COLOR"})
    assert completed.returncode == 0, f"README.md:{line}\n{completed.stderr[-3000:]}"
