"""The built-in topic taxonomy, kept as package data in ``hkbt/news/taxonomy.yaml``.

One file states the patterns (with a comment on each group); the config
schema's default for ``topics:`` is read from it, and a config's own
``topics:`` mapping is merged onto it by topic name. This module imports
nothing but PyYAML, so the config schema can use it cheaply.

>>> taxonomy = default_taxonomy()
>>> sorted(taxonomy)[:2], "deepseek" in taxonomy["ai"]
(['ai', 'policy'], True)
"""

from __future__ import annotations

import copy
from functools import lru_cache
from importlib.resources import files

import yaml

TAXONOMY_FILE = "taxonomy.yaml"


@lru_cache(maxsize=1)
def _load() -> dict[str, list[str]]:
    taxonomy = yaml.safe_load(files("hkbt.news").joinpath(TAXONOMY_FILE).read_text(encoding="utf-8"))
    if not isinstance(taxonomy, dict) or not all(isinstance(v, list) for v in taxonomy.values()):
        raise RuntimeError(f"hkbt/news/{TAXONOMY_FILE} must map each topic to a list of patterns")  # a broken install
    return taxonomy


def default_taxonomy() -> dict[str, list[str]]:
    """topic -> regex patterns, a fresh copy of the built-in taxonomy each call."""
    return copy.deepcopy(_load())
