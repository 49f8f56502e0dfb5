"""The one-pass prefilter answers exactly as the word regexes of topics and scopes do."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hkbt.config import Config
from hkbt.news.prefilter import FLAGS, Prefilter, _parser, literal_starts, word_regex

CONFIG = Config.model_validate({}, context={"strategy": False})
WORD_LISTS = [list(words) for words in CONFIG.topics.values()] + [
    list(words) for key, words in CONFIG.scopes.items() if key != "false_friends" and words
] + [list(words) for theme in CONFIG.themes.values() for words in (theme.keywords, theme.with_china) if words]
PATTERNS = [word_regex(words) for words in WORD_LISTS]
PREFILTER = Prefilter(PATTERNS)


def starts(pattern: str) -> list[str] | None:
    found, _ = literal_starts(list(_parser.parse(pattern, FLAGS)))
    return None if found is None else sorted(found)


def test_literal_starts_by_hand() -> None:
    assert starts("rate cuts?") == ["rate cut", "rate cuts"]
    assert starts("state (?:planner|media)") == ["state media", "state planner"]
    assert starts("(?:vice )?premier") == ["premier", "vice premier"]
    assert starts("u\\.?s\\.? bans") == ["u.s bans", "u.s. bans", "us bans", "us. bans"]
    assert starts("(?<!trade )deficits?") == ["deficit", "deficits"]  # a lookbehind consumes nothing
    assert starts("(?-i:Fed)") == ["fed"]  # lower-cased: a necessary condition on the lower-cased text
    assert starts("[0-9]+ bn") is None and starts("(?:the )?deal") == ["deal", "the deal"]
    assert starts("\\w+ shares") is None and starts("ai(?! weiwei)") == ["ai"]


def test_a_word_list_that_refers_back_is_searched_whole() -> None:
    pattern = word_regex(["(a)b\\1", "stimulus"])
    prefilter = Prefilter([pattern])
    assert prefilter.hits("xx aba yy").has(pattern) and not prefilter.hits("abb").has(pattern)


def test_unknown_patterns_are_searched_in_full() -> None:
    plain = re.compile("stimulus")
    assert PREFILTER.hits("more stimulus").has(plain) and not PREFILTER.hits("none").has(None)


@pytest.mark.parametrize("text", [
    "Politburo vows stimulus", "Shanghai said hi", "US slaps new tariffs on Chinese tech", "Beijing's State Media says",
    "央行宣佈降準", "央行宣布降准", "Nestlé and the PBOC", "ſtimulus", "Xi backs private firms", "Xi congratulates Sheinbaum",
    "DeepSeek tops app charts", "a.i. boom", "HK stocks rally as Hang Seng Tech jumps", "K-pop", "", "ΑΙ",
])
def test_known_cases(text: str) -> None:
    hits = PREFILTER.hits(text)
    assert [hits.has(p) for p in PATTERNS] == [p.search(text) is not None for p in PATTERNS]


PIECES = sorted({w for words in WORD_LISTS for w in words if re.fullmatch(r"[\w '’.-]+", w)})
FILLERS = [" ", "", ".", "'s ", "-", "x", "_", "’", "，", "股价", "\n", "İ", "ı", "ſ", "é", "Ω", "K", "U.S.", "china", "Beijing"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.sampled_from(FILLERS), st.text(max_size=3)), max_size=8),
       st.sampled_from([str, str.lower, str.upper, str.title]))
def test_same_answers_as_the_regexes(parts: list[str], case) -> None:
    text = case("".join(parts))
    hits = PREFILTER.hits(text)
    assert [hits.has(p) for p in PATTERNS] == [p.search(text) is not None for p in PATTERNS]
