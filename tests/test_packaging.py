"""The wheel ships every subpackage, the built-in strategies and the package data.

``pyproject.toml`` lists the packages by hand because the built-in strategies live in the
top-level ``strategies/`` folder and ship as ``hkbt.strategies`` (a ``package-dir`` mapping);
this test keeps that list equal to the tree, so a new subpackage cannot be left out of the wheel.
"""

from __future__ import annotations

import tomllib

from conftest import REPO_ROOT


def _setuptools() -> dict:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_every_subpackage_is_listed_for_the_wheel():
    on_disk = {
        ".".join(init.parent.relative_to(REPO_ROOT).parts)
        for init in (REPO_ROOT / "hkbt").rglob("__init__.py")
        if "__pycache__" not in init.parts
    } | {"hkbt.strategies"}
    assert set(_setuptools()["packages"]) == on_disk


def test_built_in_strategies_ship_from_the_top_level_folder():
    import hkbt.strategies

    assert _setuptools()["package-dir"] == {"hkbt.strategies": "strategies"}
    assert (REPO_ROOT / "strategies" / "sentiment_long.py").is_file()
    assert not (REPO_ROOT / "hkbt" / "strategies").exists()
    # in a checkout (editable install) the package is that very folder
    assert hkbt.strategies.__path__[0] == str(REPO_ROOT / "strategies")
