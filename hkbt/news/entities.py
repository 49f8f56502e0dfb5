"""Stage 2: entity linking. Which companies does each news item talk about?

Rule, in order:

1. If the item's ``tickers`` column names tickers, those are used (kept only
   if they are in the universe; others are reported in ``unknown_tickers``).
2. Otherwise the text is searched for each ticker's aliases: the configured
   names (``universe.aliases``: English and Chinese company names, US
   listings like ``BABA``) plus forms built from the ticker itself:
   ``9988.HK``, ``HK:9988``, ``9988 HK`` and, for 0700.HK, ``700.HK``/``HK:700``.

Latin aliases match on word boundaries: names ("Alibaba", "JD.com") ignore
case, while all-caps ticker-like aliases ("JD", "BABA", "BYD") must match
exactly, so "jd" inside an ordinary word or "Baba" as a name does not count.
CJK aliases match anywhere, because Chinese text has no spaces between words.

Output: ``tickers`` (list[str], possibly empty) and ``linked_by``
("column", "alias" or "").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd

_CJK = re.compile(r"[\u3400-\u9fff]")


def ticker_forms(ticker: str) -> list[str]:
    """Spellings of an HK ticker itself: ``9988.HK`` -> 9988.HK, HK:9988, 9988 HK.

    >>> ticker_forms("0700.HK")
    ['0700.HK', 'HK:0700', '0700 HK', '700.HK', 'HK:700', '700 HK']
    """
    if not ticker.endswith(".HK"):
        return [ticker]
    code = ticker[:-3]
    codes = [code] + ([code.lstrip("0")] if code.lstrip("0") != code else [])
    return [form for c in codes for form in (f"{c}.HK", f"HK:{c}", f"{c} HK")]


def compile_aliases(tickers: Sequence[str], aliases: Mapping[str, Sequence[str]]) -> dict[str, re.Pattern[str]]:
    """One regex per ticker that matches any of its aliases (longest first)."""
    patterns = {}
    for ticker in tickers:
        names = sorted(set(ticker_forms(ticker)) | set(aliases.get(ticker, ())), key=len, reverse=True)
        patterns[ticker] = re.compile("|".join(_alias_regex(name) for name in names))
    return patterns


def _alias_regex(name: str) -> str:
    if _CJK.search(name):
        return re.escape(name)
    bounded = rf"(?<![\w:.]){re.escape(name)}(?!\w|\.\w)"
    return bounded if name.upper() == name else f"(?i:{bounded})"


def link_entities(news: pd.DataFrame, tickers: Sequence[str], aliases: Mapping[str, Sequence[str]], text: Sequence[str]) -> pd.DataFrame:
    """Pure: return a copy of ``news`` with ``tickers`` resolved and ``linked_by``.

    Args:
        news: output of :func:`hkbt.news.load.build_news`.
        tickers: the universe.
        aliases: ``universe.aliases``.
        text: the text to search, one per row of ``news``
            (see :func:`hkbt.sentiment.scoring.compose_text`).
    """
    universe = set(tickers)
    patterns = compile_aliases(tickers, aliases)
    resolved, how = [], []
    for given, content in zip(news.tickers, text):
        if given:
            resolved.append(sorted(t for t in given if t in universe))
            how.append("column")
            continue
        found = sorted(t for t, pattern in patterns.items() if pattern.search(content))
        resolved.append(found)
        how.append("alias" if found else "")
    out = news.copy()
    out["tickers"] = resolved
    out["linked_by"] = how
    out["unknown_tickers"] = [sorted(set(g) - universe) for g in news.tickers]
    return out

