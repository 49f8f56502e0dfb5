"""Stage 3: themes and scope. Is an item about a company, a theme, the market, or none of these?

Every item gets exactly one ``scope``, the first rule that holds, in this order:

============  ==========================================================================
``company``   it names a universe company (:mod:`hkbt.news.entities` found tickers)
``theme``     it is about a configured theme (``themes:``, e.g. ``china_ai``: DeepSeek,
              Kimi, AI chips for China ...), and names no universe company
``market``    it is about the China / Hong Kong economy, markets or policy
              (``scopes.market`` / ``scopes.market_with_china``)
``other``     anything else: US and European markets, foreign companies with no China
              angle, sport, weather, and rows whose tickers column names only
              companies outside the universe (``outside_universe``)
============  ==========================================================================

and a list of ``themes`` (also filled for company items: "Alibaba says Qwen beats
DeepSeek" is company news with the ``china_ai`` theme).

The rules are word lists in config.yaml, matched case-insensitively as regexes:

* ``scopes.china``: words that tie a text to China or Hong Kong (places, leaders,
  state bodies, Chinese firms outside the universe; Chinese-language text that
  names no foreign place).
* ``scopes.market``: China / HK market words that make an item market news on their
  own (PBOC, Politburo, Hang Seng, 恒指, Stock Connect ...).
* ``scopes.market_with_china``: economy, market and policy words that make an item
  market news only together with a ``scopes.china`` word ("tariffs" is market news
  in "Trump raises tariffs on Chinese imports", not in "EU tariffs on US whiskey").
* per theme, ``keywords`` that name it on their own and ``with_china`` words that
  name it together with a ``scopes.china`` word ("AI chips" in "US curbs AI chips to
  China", not in "Microsoft buys AI chips").
* ``scopes.false_friends``: phrases blanked out of the text before companies, themes
  and market words are searched ("JD Sports", "Hang Seng Bank", "Kimi Antonelli").

Latin words match on ASCII word boundaries, so "ai" does not match inside "said", yet
a Chinese word needs no spaces around it ("AI芯片", "周二恒指收涨" both match).

All functions here are pure: frames and strings in, new frames out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from hkbt.news.entities import AliasMatcher, compile_false_friends
from hkbt.news.prefilter import Hits, Prefilter, word_regex

SCOPES = ("company", "theme", "market", "other")
"""Scope names in precedence order: an item gets the first one whose rule holds."""


def compile_words(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """One case-insensitive regex matching any pattern on ASCII word boundaries (None when empty).

    >>> compile_words(["ai", "恒指"]).search("周二恒指收涨") is not None, compile_words(["ai"]).search("he said") is None
    (True, True)
    """
    return word_regex(patterns) if patterns else None


@dataclass(frozen=True)
class ThemeRule:
    """One compiled theme: words that name it alone, and words that need a China word beside them."""

    keywords: re.Pattern[str] | None
    with_china: re.Pattern[str] | None


@dataclass(frozen=True)
class ScopeRules:
    """The compiled ``scopes:`` and ``themes:`` word lists (see the module docstring)."""

    false_friends: AliasMatcher | None
    china: re.Pattern[str] | None
    market: re.Pattern[str] | None
    market_with_china: re.Pattern[str] | None
    themes: dict[str, ThemeRule]


def compile_scope_rules(
    false_friends: Sequence[str] = (),
    china: Sequence[str] = (),
    market: Sequence[str] = (),
    market_with_china: Sequence[str] = (),
    themes: Mapping[str, tuple[Sequence[str], Sequence[str]]] | None = None,
) -> ScopeRules:
    """Compile the word lists once. ``themes`` maps a name to ``(keywords, with_china)``."""
    return ScopeRules(
        false_friends=compile_false_friends(false_friends),
        china=compile_words(china),
        market=compile_words(market),
        market_with_china=compile_words(market_with_china),
        themes={name: ThemeRule(compile_words(keys), compile_words(near)) for name, (keys, near) in (themes or {}).items()},
    )


def scope_rules_from_config(config) -> ScopeRules:
    """:func:`compile_scope_rules` from a :class:`hkbt.config.Config` (its ``scopes`` and ``themes``)."""
    scopes = config.scopes
    return compile_scope_rules(
        scopes["false_friends"], scopes["china"], scopes["market"], scopes["market_with_china"],
        {name: (theme.keywords, theme.with_china) for name, theme in config.themes.items()},
    )


def mask_false_friends(text: Sequence[str], false_friends: AliasMatcher | None) -> list[str]:
    """Pure: each text with its false friends replaced by a space (unchanged when there are none)."""
    if false_friends is None:
        return list(text)
    return [false_friends.blank(t) for t in text]


def _has(pattern: re.Pattern[str] | None, text: str | Hits) -> bool:
    if isinstance(text, Hits):
        return text.has(pattern)
    return pattern is not None and pattern.search(text) is not None


def rules_prefilter(rules: ScopeRules) -> Prefilter:
    """One automaton over every word list of ``rules``, so a text is read once for all of them (:mod:`hkbt.news.prefilter`)."""
    themes = [p for rule in rules.themes.values() for p in (rule.keywords, rule.with_china)]
    return Prefilter([rules.china, rules.market, rules.market_with_china, *themes])


def match_themes(rules: ScopeRules, text: str | Hits, names_company: bool = False) -> list[str]:
    """The themes one (already masked) text is about, in config order (the text, or its :class:`~hkbt.news.prefilter.Hits`).

    ``names_company``: the text names a universe company, which counts as a
    China word (every universe company is Chinese): "Xiaomi raises funds for
    cars" is about Chinese EVs.

    >>> rules = compile_scope_rules(china=["china"], themes={"china_ai": (["deepseek"], ["ai chips?"])})
    >>> match_themes(rules, "DeepSeek tops the charts"), match_themes(rules, "US curbs AI chips to China")
    (['china_ai'], ['china_ai'])
    >>> match_themes(rules, "Microsoft buys AI chips")
    []
    """
    china = True if names_company else None  # searched at most once, and only when a theme needs it
    found = []
    for name, rule in rules.themes.items():
        if _has(rule.keywords, text):
            found.append(name)
        elif rule.with_china is not None and _has(rule.with_china, text):
            china = _has(rules.china, text) if china is None else china
            if china:
                found.append(name)
    return found


def is_market(rules: ScopeRules, text: str | Hits) -> bool:
    """Whether one (already masked) text is China / Hong Kong market news."""
    if _has(rules.market, text):
        return True
    return _has(rules.market_with_china, text) and _has(rules.china, text)


def assign_scope(news: pd.DataFrame, rules: ScopeRules, text: Sequence[str]) -> pd.DataFrame:
    """Pure: return a copy of ``news`` with ``themes`` (sorted list) and ``scope`` (one of :data:`SCOPES`).

    Args:
        news: linked news (``tickers`` and ``outside_universe`` from
            :func:`hkbt.news.entities.link_entities`).
        rules: :func:`compile_scope_rules` output.
        text: the text each item is judged by, one per row, with false friends
            already blanked (:func:`mask_false_friends`).

    >>> rules = compile_scope_rules(china=["china"], market=["pboc"], themes={"china_ai": (["deepseek"], [])})
    >>> news = pd.DataFrame({"tickers": [["9988.HK"], [], [], [], []], "outside_universe": [False] * 4 + [True]})
    >>> out = assign_scope(news, rules, ["Alibaba beats DeepSeek", "DeepSeek R1 is out", "PBOC cuts rates",
    ...                                  "Nasdaq rises", "HSBC PBOC deal"])
    >>> out.scope.tolist(), out.themes.tolist()
    (['company', 'theme', 'market', 'other', 'other'], [['china_ai'], ['china_ai'], [], [], []])
    """
    prefilter = rules_prefilter(rules)
    hits = [prefilter.hits(t) for t in text]
    themes = [sorted(match_themes(rules, found, bool(tickers))) for found, tickers in zip(hits, news.tickers)]
    scopes = []
    for tickers, outside, found, content in zip(news.tickers, news.outside_universe, themes, hits):
        if tickers:
            scopes.append("company")
        elif outside:
            scopes.append("other")  # about a company outside the universe: not market news
        elif found:
            scopes.append("theme")
        elif is_market(rules, content):
            scopes.append("market")
        else:
            scopes.append("other")
    out = news.copy()
    out["themes"] = themes
    out["scope"] = scopes
    return out
