"""The built-in word lists, kept as package data: topics in ``hkbt/news/taxonomy.yaml``,
scope words and themes in ``hkbt/news/scopes.yaml``.

Each file states the patterns (with a comment on each group); the config
schema's defaults for ``topics:``, ``scopes:`` and ``themes:`` are read from
them, and a config's own ``topics:`` and ``themes:`` are merged onto them by
name. This module imports nothing but PyYAML, so the config schema can use it
cheaply.

>>> taxonomy = default_taxonomy()
>>> sorted(taxonomy)[:2], "deepseek" in taxonomy["ai"]
(['ai', 'policy'], True)
>>> sorted(default_scope_words()), sorted(default_themes()), default_themes()["china_ev"]["tickers"]
(['china', 'false_friends', 'market', 'market_with_china'], ['china_ai', 'china_ev', 'hk_tech'], ['1211.HK', '0175.HK', '1810.HK'])
"""

from __future__ import annotations

import copy
from functools import lru_cache
from importlib.resources import files

import yaml

TAXONOMY_FILE = "taxonomy.yaml"
SCOPES_FILE = "scopes.yaml"


@lru_cache(maxsize=1)
def _load() -> dict[str, list[str]]:
    taxonomy = yaml.safe_load(files("hkbt.news").joinpath(TAXONOMY_FILE).read_text(encoding="utf-8"))
    if not isinstance(taxonomy, dict) or not all(isinstance(v, list) for v in taxonomy.values()):
        raise RuntimeError(f"hkbt/news/{TAXONOMY_FILE} must map each topic to a list of patterns")  # a broken install
    return taxonomy


def default_taxonomy() -> dict[str, list[str]]:
    """topic -> regex patterns, a fresh copy of the built-in taxonomy each call."""
    return copy.deepcopy(_load())


@lru_cache(maxsize=1)
def _load_scopes() -> dict[str, dict]:
    data = yaml.safe_load(files("hkbt.news").joinpath(SCOPES_FILE).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or set(data) != {"scopes", "themes"}:
        raise RuntimeError(f"hkbt/news/{SCOPES_FILE} must hold scopes: and themes:")  # a broken install
    return data


def default_scope_words() -> dict[str, list[str]]:
    """list name (false_friends, china, market, market_with_china) -> patterns, a fresh copy each call."""
    return copy.deepcopy(_load_scopes()["scopes"])


def default_themes() -> dict[str, dict]:
    """theme -> {keywords, with_china, tickers, weight}, a fresh copy each call."""
    return copy.deepcopy(_load_scopes()["themes"])
