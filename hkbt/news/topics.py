"""Stage 4: topic tags from keyword/regex taxonomies.

A taxonomy maps a topic name to regex patterns (``topics:`` in config.yaml)::

    policy: [stimulus, politburo, "rate cuts?"]
    ai: [deepseek, "large language models?"]

Each pattern is matched case-insensitively, bounded by anything but an ASCII
letter, digit or underscore, so ``ai`` tags "AI chips" and "AI芯片" but not
"Shanghai" or "said" (Chinese has no spaces: a Chinese pattern matches anywhere).
Chinese patterns are written in simplified characters; text with Chinese characters
is converted to simplified before matching
(:func:`hkbt.news.language.to_simplified`), so they read traditional text too.
Add a topic by adding a key; the strategy's ``topics`` list says which ones may
trigger an entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd

from hkbt.news.language import to_simplified
from hkbt.news.prefilter import Prefilter, word_regex


def compile_taxonomy(taxonomy: Mapping[str, Sequence[str]]) -> dict[str, re.Pattern[str]]:
    """One case-insensitive, word-bounded regex per topic."""
    return {topic: word_regex(patterns) for topic, patterns in taxonomy.items() if patterns}


def tag_topics(news: pd.DataFrame, taxonomy: Mapping[str, Sequence[str]], text: Sequence[str]) -> pd.DataFrame:
    """Pure: return a copy of ``news`` with ``topics``, a sorted list of topic names.

    >>> news = pd.DataFrame({"headline": ["Politburo vows stimulus", "Shanghai said hi"]})
    >>> tag_topics(news, {"policy": ["stimulus"], "ai": ["ai"]}, news.headline).topics.tolist()
    [['policy'], []]
    >>> tag_topics(news.iloc[:1], {"policy": ["降准"]}, ["央行宣佈降準"]).topics.tolist()
    [['policy']]
    """
    patterns = compile_taxonomy(taxonomy)
    prefilter = Prefilter(patterns.values())  # every topic's words in one pass per text (hkbt.news.prefilter)
    out = news.copy()
    hits = [prefilter.hits(to_simplified(content)) for content in text]
    out["topics"] = [sorted(t for t, pattern in patterns.items() if found.has(pattern)) for found in hits]
    return out
