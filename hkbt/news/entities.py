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

False friends (``scopes.false_friends``) are phrases that contain an alias
but mean something else -- "JD Sports" (a British retailer), 京东方 (BOE, a
display maker, contains 京东), 王兴兴 (Unitree's founder, contains 王兴). The
pipeline blanks them out of the text (:func:`hkbt.news.scopes.mask_false_friends`,
same matching rules as aliases) before this stage searches it.

Output: ``tickers`` (list[str], possibly empty), ``linked_by`` ("column",
"alias" or ""), ``unknown_tickers`` (list[str]) and ``outside_universe`` (bool).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class AliasMatcher:
    """Finds one set of literal names in text on the rules above.

    ``needles`` are the names lower-cased: a text that contains none of them
    as a plain substring cannot match, so the regex runs only on the few texts
    that do (searching every headline with an alternation of a few dozen names
    is what made linking slow). :func:`link_entities` finds the needles of all
    tickers in one pass (:func:`_candidate_finder`).
    """

    pattern: re.Pattern[str]
    needles: tuple[str, ...]

    def blank(self, text: str) -> str:
        """``text`` with every match replaced by a space."""
        lowered = text.lower()
        return self.pattern.sub(" ", text) if any(n in lowered for n in self.needles) else text


def alias_matcher(names: Sequence[str]) -> AliasMatcher:
    """An :class:`AliasMatcher` for literal names (longest first, so 'JD.com' wins over 'JD')."""
    ordered = sorted(set(names), key=len, reverse=True)
    return AliasMatcher(re.compile("|".join(_alias_regex(name) for name in ordered)), tuple(n.lower() for n in ordered))


def compile_aliases(tickers: Sequence[str], aliases: Mapping[str, Sequence[str]]) -> dict[str, AliasMatcher]:
    """One matcher per ticker for its configured aliases and its own spellings (:func:`ticker_forms`)."""
    return {ticker: alias_matcher([*ticker_forms(ticker), *aliases.get(ticker, ())]) for ticker in tickers}


def compile_false_friends(phrases: Sequence[str]) -> AliasMatcher | None:
    """One matcher for all false friends (same matching rules as aliases), or None when there are none.

    >>> compile_false_friends(["JD Sports"]).blank("JD Sports and JD.com")
    '  and JD.com'
    """
    return alias_matcher(phrases) if phrases else None


def _alias_regex(name: str) -> str:
    if _CJK.search(name):
        return re.escape(name)
    bounded = rf"(?<![\w:.]){re.escape(name)}(?!\w|\.\w)"
    return bounded if name.upper() == name else f"(?i:{bounded})"


def _candidate_finder(patterns: Mapping[str, AliasMatcher]) -> Callable[[str], set[str]]:
    """``lowered text -> the tickers one of whose needles it contains``, in one pass over the text.

    The needle test of :class:`AliasMatcher` for every ticker at once: one Aho-Corasick
    automaton (``pyahocorasick``) over all needles instead of ``in`` for each needle of
    each ticker (nine tickers with twenty names each is 180 substring searches per text).
    """
    import ahocorasick

    owners: dict[str, set[str]] = {}
    always = {ticker for ticker, matcher in patterns.items() if "" in matcher.needles}  # "" is in every text
    for ticker, matcher in patterns.items():
        for needle in matcher.needles:
            if needle:
                owners.setdefault(needle, set()).add(ticker)
    if not owners:
        return lambda lowered: set(always)
    automaton = ahocorasick.Automaton()
    for needle, tickers in owners.items():
        automaton.add_word(needle, tuple(tickers))
    automaton.make_automaton()

    def find(lowered: str) -> set[str]:
        found = set(always)
        for _, tickers in automaton.iter(lowered):
            found.update(tickers)
        return found

    return find


def link_entities(news: pd.DataFrame, tickers: Sequence[str], aliases: Mapping[str, Sequence[str]], text: Sequence[str]) -> pd.DataFrame:
    """Pure: return a copy of ``news`` with ``tickers`` resolved, ``linked_by``, ``unknown_tickers``, ``outside_universe``.

    Args:
        news: output of :func:`hkbt.news.load.build_news`.
        tickers: the universe.
        aliases: ``universe.aliases``.
        text: the text to search, one per row of ``news`` (see
            :func:`hkbt.sentiment.scoring.compose_text`), false friends blanked.

    >>> news = pd.DataFrame({"tickers": [[], ["0005.HK"]]})
    >>> out = link_entities(news, ["9988.HK"], {"9988.HK": ["Jack Ma"]}, ["Jack Ma returns", "HSBC pays out"])
    >>> out.tickers.tolist(), out.outside_universe.tolist()
    ([['9988.HK'], []], [False, True])
    """
    universe = set(tickers)
    patterns = compile_aliases(tickers, aliases)
    candidates = _candidate_finder(patterns)
    resolved, how = [], []
    for given, content in zip(news.tickers.tolist(), text):
        if given:
            resolved.append(sorted(t for t in given if t in universe))
            how.append("column")
            continue
        found = sorted(t for t in candidates(content.lower()) if patterns[t].pattern.search(content) is not None)
        resolved.append(found)
        how.append("alias" if found else "")
    out = news.copy()
    out["tickers"] = resolved
    out["linked_by"] = how
    out["unknown_tickers"] = [sorted(set(g) - universe) for g in news.tickers]
    out["outside_universe"] = [bool(g) and not r for g, r in zip(news.tickers, resolved)]
    return out
