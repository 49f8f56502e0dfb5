"""Compiled templates kept in the cache folder: the same pages, no compilation the second time, and the cache rules."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import pytest

from hkbt.reports import run_report
from hkbt.reports.chart_data import load_run
from hkbt.reports.template_cache import FOLDER, MAGIC, TemplateCache

from report_runs import report_runs

WHEN = datetime(2025, 1, 1, tzinfo=timezone.utc)


def _env(cache: Path, source: str = "<p>{{ x }}</p>") -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.DictLoader({"page.j2": source}), autoescape=True,
                              bytecode_cache=TemplateCache(cache))


def _no_compiling(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("compiled a template the cache holds")

    monkeypatch.setattr(jinja2.Environment, "compile", refuse)


def test_the_report_from_compiled_templates_is_the_same_page(tmp_path, monkeypatch):
    run = load_run(report_runs().demo)
    plain = run_report.render_report(run, WHEN)
    monkeypatch.setattr(run_report, "TEMPLATES", run_report.TEMPLATES.overlay(cache_size=400))  # a fresh environment: nothing loaded yet
    run_report.keep_compiled_templates(tmp_path)
    assert run_report.render_report(run, WHEN) == plain
    entries = sorted((tmp_path / FOLDER).iterdir())
    assert len(entries) == 2 and all(e.read_bytes().startswith(MAGIC) for e in entries)  # report.html.j2 and its base

    monkeypatch.setattr(run_report, "TEMPLATES", run_report.TEMPLATES.overlay(cache_size=400))  # as a new process would: only the cache
    run_report.keep_compiled_templates(tmp_path)
    _no_compiling(monkeypatch)
    assert run_report.render_report(run, WHEN) == plain


def test_an_edited_template_is_compiled_again(tmp_path):
    assert _env(tmp_path).get_template("page.j2").render(x=1) == "<p>1</p>"
    assert _env(tmp_path, "<b>{{ x }}</b>").get_template("page.j2").render(x=1) == "<b>1</b>"


def test_a_damaged_entry_is_compiled_again_and_rewritten(tmp_path, monkeypatch):
    _env(tmp_path).get_template("page.j2")
    [entry] = (tmp_path / FOLDER).iterdir()
    good = entry.read_bytes()
    entry.write_bytes(good[:-5] + b"XXXXX")
    assert _env(tmp_path).get_template("page.j2").render(x="<") == "<p>&lt;</p>"
    assert entry.read_bytes() == good
    _no_compiling(monkeypatch)
    assert _env(tmp_path).get_template("page.j2").render(x=2) == "<p>2</p>"


def test_a_file_hkbt_did_not_write_is_neither_read_nor_replaced(tmp_path):
    _env(tmp_path).get_template("page.j2")
    [entry] = (tmp_path / FOLDER).iterdir()
    entry.write_bytes(b"the user's own file")
    assert _env(tmp_path).get_template("page.j2").render(x=3) == "<p>3</p>"
    assert entry.read_bytes() == b"the user's own file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_cache_folder_that_cannot_be_written_only_costs_the_compilation(tmp_path):
    tmp_path.chmod(0o500)
    try:
        assert _env(tmp_path).get_template("page.j2").render(x=4) == "<p>4</p>"
    finally:
        tmp_path.chmod(0o700)
    assert not (tmp_path / FOLDER).exists()


def test_a_cache_path_that_is_a_file_only_costs_the_compilation(tmp_path):
    (tmp_path / FOLDER).write_text("not a folder")
    assert _env(tmp_path).get_template("page.j2").render(x=5) == "<p>5</p>"
    assert (tmp_path / FOLDER).read_text() == "not a folder"
