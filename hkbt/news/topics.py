"""Stage 4: topic tags from keyword/regex taxonomies.

A taxonomy maps a topic name to regex patterns (``topics:`` in config.yaml)::

    policy: [stimulus, politburo, "rate cuts?"]
    ai: [deepseek, "large language models?"]

Each pattern is matched case-insensitively on word boundaries, so ``ai``
tags "AI chips" but not "Shanghai" or "said". Add a topic by adding a key;
the strategy's ``topics`` list says which ones may trigger an entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd


def compile_taxonomy(taxonomy: Mapping[str, Sequence[str]]) -> dict[str, re.Pattern[str]]:
    """One case-insensitive, word-bounded regex per topic."""
    return {
        topic: re.compile(r"(?<!\w)(?:" + "|".join(f"(?:{p})" for p in patterns) + r")(?!\w)", re.IGNORECASE)
        for topic, patterns in taxonomy.items()
        if patterns
    }


def tag_topics(news: pd.DataFrame, taxonomy: Mapping[str, Sequence[str]], text: Sequence[str]) -> pd.DataFrame:
    """Pure: return a copy of ``news`` with ``topics``, a sorted list of topic names.

    >>> news = pd.DataFrame({"headline": ["Politburo vows stimulus", "Shanghai said hi"]})
    >>> tag_topics(news, {"policy": ["stimulus"], "ai": ["ai"]}, news.headline).topics.tolist()
    [['policy'], []]
    """
    patterns = compile_taxonomy(taxonomy)
    out = news.copy()
    out["topics"] = [sorted(t for t, pattern in patterns.items() if pattern.search(content)) for content in text]
    return out
