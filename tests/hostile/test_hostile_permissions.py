"""Files and folders the user may not read: hkbt's own readers say so, in one line, with what to do.

The suite runs as root, whom permission bits do not stop, so the refusals are simulated: ``os.access``
answering "no" is what click's own ``readable`` check would have seen (it used to stop an unreadable
``--config`` with a generic usage message before hkbt's reader could name the file and the fix), and
``open`` / ``iterdir`` / ``stat`` raising ``PermissionError`` is what the reader then meets.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from hostile_kit import RUN, assert_user_error, check, invoke, make_project, run_hostile

from hkbt.cli.main import cli


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_project(tmp_path)


def _refuse(*args, **kwargs):
    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))


def test_no_click_option_checks_readability_itself():
    """Every path option and argument leaves the check to hkbt's reader (which names the file and the fix)."""
    import click

    paths = []

    def visit(command: click.Command) -> None:
        paths.extend((command.name, p.name, p.type) for p in command.params if isinstance(p.type, click.Path))
        for sub in getattr(command, "commands", {}).values():
            visit(sub)

    visit(cli)
    assert len(paths) >= 10, paths  # run, sweep, study, compare, index, news, sentiment ... take paths
    assert [(c, n) for c, n, t in paths if t.readable] == []


@pytest.mark.parametrize("args", [
    ["config", "--config", "{root}/config.yaml"],
    ["sentiment", "score", "--config", "{root}/config.yaml", "Profit rose"],
    ["sentiment", "eval", "--data", "{root}/labelled.csv"],
    ["compare", RUN, "--dir", "{root}/out"],
])
def test_a_path_os_access_calls_unreadable_is_still_read_by_hkbt(root: Path, monkeypatch, args: list[str]):
    """os.access saying "not readable" (as click's check would ask) no longer stops a command that can read the file."""
    (root / "labelled.csv").write_text("headline,label\nProfit rose,positive\nShares fell,negative\n", encoding="utf-8")
    monkeypatch.setattr(os, "access", lambda *a, **k: False)
    result = invoke([a.format(root=root) for a in args])
    assert result.exit_code == 0, result.stderr


def test_unreadable_config_names_the_file_and_the_fix(root: Path, monkeypatch):
    import hkbt.yaml_input as yaml_input

    monkeypatch.setattr(os, "access", lambda *a, **k: False)
    monkeypatch.setattr(yaml_input, "open", _refuse, raising=False)
    check(run_hostile(root, []), "config.yaml: cannot read file (Permission denied)", "check the file's permissions")


def test_unreadable_labelled_file_for_eval(root: Path, monkeypatch):
    import pandas as pd

    data = root / "labelled.csv"
    data.write_text("headline,label\nProfit rose,positive\n", encoding="utf-8")
    monkeypatch.setattr(pd, "read_csv", _refuse)
    check(_one_line(["sentiment", "eval", "--data", str(data)]), "labelled.csv: cannot read the file (Permission denied)", "check its permissions")


def test_a_folder_given_as_eval_data(root: Path):
    check(_one_line(["sentiment", "eval", "--data", str(root / "out")]), "out: is a folder", "--data PATH")


def test_unlistable_runs_folder_for_compare_and_index(root: Path, monkeypatch):
    monkeypatch.setattr(Path, "iterdir", _refuse)
    for args in (["compare", "--all", "--dir", str(root / "out")], ["report", "--all", "--dir", str(root / "out")],
                 ["compare", "nosuchrun", "--dir", str(root / "out")]):
        check(_one_line(args), "cannot list the runs folder (Permission denied)", "check its permissions")


def test_a_run_folder_that_cannot_be_looked_into_is_not_a_run(root: Path, monkeypatch):
    """``stat`` refused inside a folder the user may not search: not a run, rather than a traceback."""
    from hkbt.reports.chart_data import is_run_folder

    assert is_run_folder(root / "out" / RUN)
    monkeypatch.setattr(Path, "stat", _refuse)
    assert not is_run_folder(root / "out" / RUN)


def _one_line(args: list[str]) -> str:
    return assert_user_error(invoke(args))
