"""Shared fixtures.

Real data lives beside the repository in ``../shared/data`` and is read in
place, never copied. Locally a missing folder skips the tests that need it;
under CI (``CI=true``) it is a hard failure, so a green CI always means the
real-data tests ran.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


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
