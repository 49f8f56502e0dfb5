"""What every hostile-input test shares: a tiny project with a previous good run, and the contract checks.

The contract (issue 7) for any hostile input:

- exit status 2 and no traceback anywhere;
- exactly one ``error:`` line on stderr, and it is the last line;
- nothing half-written: no ``.<name>.tmp-*`` / ``.<name>.old-*`` staging folder, no lock file;
- the previous run of the same name is byte-identical (every file, the marker included);
- for D1 (a name that points at something hkbt did not write) the victim is untouched.

:func:`project` copies a prepared project (config, news, CSV prices and one finished run named
``prev``) into ``tmp_path``; the finished run is built once per test session, so each case costs
only its own command. Commands run in-process through click's ``CliRunner``; only signals and
output encodings need a subprocess.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cli_contract import CONFIG_YAML as BASE_CONFIG
from cli_contract import NEWS_CSV, assert_user_error, error_line, invoke, strip_ansi, write_price_csvs

__all__ = ["NEWS_CSV", "assert_user_error", "error_line", "invoke", "strip_ansi", "write_price_csvs"]

RUN = "prev"


@dataclass
class Case:
    """One hostile input: ``prepare(root)`` breaks the project and returns extra CLI arguments."""

    id: str
    defect: str  # the defect id (D1..D26), or what else the case guards
    prepare: Callable[[Path], list[str]]
    expect: list[str]  # fragments of the one error line

CONFIG_YAML = BASE_CONFIG.replace("  name: good\n", f"  name: {RUN}\n").replace("  source: synthetic\n", "  source: csv\n")


@cache
def _template() -> Path:
    """A project with one finished run ``out/prev``, built once per session (removed with the temp dir)."""
    root = Path(tempfile.mkdtemp(prefix="hkbt-hostile-"))
    (root / "news.csv").write_text(NEWS_CSV, encoding="utf-8")
    (root / "config.yaml").write_text(CONFIG_YAML, encoding="utf-8")
    write_price_csvs(root / "prices_csv")
    result = invoke(["run", "--config", str(root / "config.yaml")])
    assert result.exit_code == 0, f"{result.exception!r}\n{result.stderr}"
    import atexit

    atexit.register(shutil.rmtree, root, True)
    return root


def make_project(tmp_path: Path) -> Path:
    """A fresh copy of the template project in ``tmp_path / "p"``; returns its root."""
    root = tmp_path / "p"
    shutil.copytree(_template(), root, symlinks=True)
    return root


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry under ``folder``: file bytes, ``"<dir>"`` or ``"-> target"`` for links (not followed)."""
    if not folder.exists() and not folder.is_symlink():
        return {}
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            found[key] = f"-> {path.readlink()}"
        elif path.is_dir():
            found[key] = "<dir>"
        else:
            found[key] = path.read_bytes()
    return found


def leftovers(output_dir: Path) -> list[str]:
    """Hidden staging folders and lock files in ``output_dir`` (there must be none after a command)."""
    if not output_dir.is_dir():
        return []
    return sorted(p.name for p in output_dir.iterdir() if re.fullmatch(r"\..+\.(tmp-\w+|old-\w+|lock)", p.name))


def run_hostile(root: Path, args: list[str], *, name: str = RUN, command: str = "run") -> str:
    """Run ``hkbt <command>`` in ``root``'s project against run ``name``; assert the whole contract.

    Returns the error line. The previous run ``out/prev`` (and everything else in ``out/``) must be
    byte-identical afterwards, and no staging folder or lock may remain.
    """
    before = snapshot(root / "out")
    config = [] if "--config" in args else ["--config", str(root / "config.yaml")]
    named = [] if "--name" in args or name is None else ["--name", name]
    line = assert_user_error(invoke([command, *config, *named, *args]))
    assert leftovers(root / "out") == [], "a staging folder or lock file was left behind"
    assert snapshot(root / "out") == before, "the output folder changed (the previous run must be byte-identical)"
    return line


def check(line: str, *fragments: str) -> None:
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in:\n{line}"
