"""Stage 2: entity linking. Which companies does each news item talk about?

Rule, in order:

1. If the item's ``tickers`` column names tickers, those are used: the ones in
   the universe become ``tickers``, the others are kept in ``unknown_tickers``.
   A row whose column names *only* companies outside the universe (HSBC,
   2800.HK ...) is about those companies, not about the market: it gets
   ``outside_universe=True`` and no ticker, so it can never be broadcast as
   market news (:mod:`hkbt.news.scopes` gives it scope ``other``).
2. Otherwise the text is searched for each ticker's aliases: the configured
   names (``universe.aliases``: English and Chinese company names, founders and
   executives such as "Jack Ma" or 雷军, products such as WeChat or the SU7, US
   listings like ``BABA``) plus forms built from the ticker itself:
   ``9988.HK``, ``HK:9988``, ``9988 HK`` and, for 0700.HK, ``700.HK``/``HK:700``.

Latin aliases match on word boundaries: names ("Alibaba", "JD.com", "Pony Ma")
ignore case, while all-caps ticker-like aliases ("JD", "BABA", "BYD") must
match exactly, so "jd" inside an ordinary word or "Baba" as a name does not
count. CJK aliases match anywhere, because Chinese text has no spaces between
words.

False friends (``universe.false_friends``) are phrases that contain an alias
but mean something else -- "JD Sports" (a British retailer), 京东方 (BOE, a
display maker, contains 京东), 王兴兴 (Unitree's founder, contains 王兴). They
are blanked out of the text before aliases are searched, with the same
matching rules as aliases.

Output: ``tickers`` (list[str], possibly empty), ``linked_by`` ("column",
"alias" or ""), ``unknown_tickers`` (list[str]) and ``outside_universe`` (bool).
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


def compile_false_friends(phrases: Sequence[str]) -> re.Pattern[str] | None:
    """One regex for all false friends (same matching rules as aliases), or None when there are none.

    >>> compile_false_friends(["JD Sports"]).sub(" ", "JD Sports and JD.com")
    '  and JD.com'
    """
    if not phrases:
        return None
    return re.compile("|".join(_alias_regex(p) for p in sorted(set(phrases), key=len, reverse=True)))


def _alias_regex(name: str) -> str:
    if _CJK.search(name):
        return re.escape(name)
    bounded = rf"(?<![\w:.]){re.escape(name)}(?!\w|\.\w)"
    return bounded if name.upper() == name else f"(?i:{bounded})"


def link_entities(
    news: pd.DataFrame,
    tickers: Sequence[str],
    aliases: Mapping[str, Sequence[str]],
    text: Sequence[str],
    false_friends: Sequence[str] = (),
) -> pd.DataFrame:
    """Pure: return a copy of ``news`` with ``tickers`` resolved, ``linked_by``, ``unknown_tickers``, ``outside_universe``.

    Args:
        news: output of :func:`hkbt.news.load.build_news`.
        tickers: the universe.
        aliases: ``universe.aliases``.
        text: the text to search, one per row of ``news``
            (see :func:`hkbt.sentiment.scoring.compose_text`).
        false_friends: ``universe.false_friends``, blanked out before searching.

    >>> news = pd.DataFrame({"tickers": [[], [], ["0005.HK"]]})
    >>> out = link_entities(news, ["9618.HK", "9988.HK"], {"9618.HK": ["JD"], "9988.HK": ["Jack Ma"]},
    ...                     ["JD Sports profit falls", "Jack Ma returns", "HSBC pays out"], ["JD Sports"])
    >>> out.tickers.tolist(), out.outside_universe.tolist()
    ([[], ['9988.HK'], []], [False, False, True])
    """
    universe = set(tickers)
    patterns = compile_aliases(tickers, aliases)
    masked = compile_false_friends(false_friends)
    resolved, how = [], []
    for given, content in zip(news.tickers, text):
        if given:
            resolved.append(sorted(t for t in given if t in universe))
            how.append("column")
            continue
        if masked is not None:
            content = masked.sub(" ", content)
        found = sorted(t for t, pattern in patterns.items() if pattern.search(content))
        resolved.append(found)
        how.append("alias" if found else "")
    out = news.copy()
    out["tickers"] = resolved
    out["linked_by"] = how
    out["unknown_tickers"] = [sorted(set(g) - universe) for g in news.tickers]
    out["outside_universe"] = [bool(g) and not r for g, r in zip(news.tickers, resolved)]
    return out
