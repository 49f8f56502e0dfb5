"""Do any of many word regexes match a text? Found with one pass over it.

Topics and scopes ask a dozen regexes, each an alternation of up to a thousand words and
phrases, about every news item; almost all answer "no" after trying every alternative at
every position of the text. But most alternatives can only match where one of a few
literal strings begins — ``rate cuts?`` where ``rate cut`` begins, ``state (?:planner|
media)`` where ``state planner`` or ``state media`` begins. One Aho-Corasick automaton
(``pyahocorasick``) holding those strings for every word list finds, in one pass over
the lower-cased text, the only positions where each list could match; :meth:`Hits.has`
then tries the list's own regex at those positions alone (``pattern.match(text, pos)``:
a lookbehind still sees the text before ``pos``). The few alternatives that need not
start with a literal (an optional first word, a character class) are searched as usual,
in a regex of their own. So every answer is the regex's own: the prefilter only skips
positions where no match can start.

Why the answer cannot change:

* the full regex matches at a position iff one of its alternatives does (alternation
  tries them all); an alternative with literal starts can only match where one begins,
  and there the full regex is tried; the others are searched everywhere;
* lower-casing keeps every position and finds every case-insensitive start in text
  whose letters are ASCII or uncased (CJK, punctuation). ``re`` also pairs letters such
  as ``ſ`` with ``s`` or the Kelvin sign with ``k``, so a text with any other cased letter
  ("Nestlé", Greek) is searched with the full regexes, as without the prefilter;
* a word list whose alternatives refer back to groups (``\\1``) is always searched whole.

:func:`word_regex` compiles a word list (case-insensitive, bounded by anything but an
ASCII letter, digit or underscore) and remembers its alternatives for the prefilter.

>>> policy = word_regex(["rate cuts?", "state (?:planner|media)", "[0-9]+ bn yuan"])
>>> prefilter = Prefilter([policy])
>>> prefilter.hits("Beijing's State Media says").has(policy), prefilter.hits("Estate media").has(policy)
(True, False)
>>> prefilter.hits("a 50 bn yuan plan").has(policy)   # an alternative without a literal start
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import product

import re._constants as _sre
import re._parser as _parser

BEFORE, AFTER = r"(?<![A-Za-z0-9_])(?:", r")(?![A-Za-z0-9_])"
FLAGS = re.IGNORECASE
MAX_STARTS = 256  # literal starts followed per alternative; a longer product stops at the prefix so far
MAX_CLASS = 8  # a character class of up to this many single characters is followed ([- ] -> "-" or " ")
_ZERO_WIDTH = {_sre.ASSERT, _sre.ASSERT_NOT, _sre.AT}
_REPEAT = {_sre.MAX_REPEAT, _sre.MIN_REPEAT}


@dataclass(frozen=True)
class WordList:
    """A compiled word list: the full regex, the literal starts of its alternatives, and a regex of the others."""

    full: re.Pattern[str]
    starts: frozenset[str]
    rest: re.Pattern[str] | None


_WORD_LISTS: dict[tuple[str, int], WordList] = {}  # keyed by the regex's text: hashing a compiled regex hashes its whole code


def word_regex(patterns: Sequence[str]) -> re.Pattern[str]:
    """One case-insensitive regex for the word list, bounded by anything but ``[A-Za-z0-9_]`` (remembered for :class:`Prefilter`)."""
    full = re.compile(BEFORE + "|".join(f"(?:{p})" for p in patterns) + AFTER, FLAGS)
    if (full.pattern, full.flags) not in _WORD_LISTS:
        _WORD_LISTS[full.pattern, full.flags] = _split(full, patterns)
    return full


def _split(full: re.Pattern[str], patterns: Sequence[str]) -> WordList:
    starts: set[str] = set()
    rest: list[str] = []
    for pattern in patterns:
        parsed = list(_parser.parse(f"(?:{pattern})", FLAGS))
        if _refers_back(parsed):
            return WordList(full, frozenset(), full)
        found, _ = literal_starts(parsed)
        if found is None:
            rest.append(pattern)
        else:
            starts |= found
    starts = {s for s in starts if not any(s != t and s.startswith(t) for t in starts)}  # "rate cut" covers "rate cuts"
    rest_regex = re.compile(BEFORE + "|".join(f"(?:{p})" for p in rest) + AFTER, FLAGS) if rest else None
    return WordList(full, frozenset(starts), rest_regex)


def literal_starts(items: list) -> tuple[set[str] | None, bool]:
    """``(starts, whole)``: lower-cased literal strings one of which begins every match of the parsed ``items``
    (None when there is no such set), and whether they are the whole of every match.

    >>> sorted(literal_starts(list(_parser.parse("(?:large |)language models?", FLAGS)))[0])
    ['language model', 'language models', 'large language model', 'large language models']
    """
    out, whole = {""}, True
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        step, step_whole = _step(op, av)
        if step is None or len(out) * len(step) > MAX_STARTS:
            return _so_far(out)
        out = {a + b for a, b in product(out, step)}
        if not step_whole:
            return _so_far(out)
    return out, whole


def _step(op, av) -> tuple[set[str] | None, bool]:
    """The literal starts of one parsed item, and whether they are the whole of it (None: not a literal start)."""
    if op == _sre.LITERAL:
        return {chr(av).lower()}, True
    if op == _sre.SUBPATTERN:
        return literal_starts(list(av[-1]))
    if op == _sre.BRANCH:
        parts = [literal_starts(list(branch)) for branch in av[1]]
        if any(found is None for found, _ in parts):
            return None, False
        return set().union(*(found for found, _ in parts)), all(w for _, w in parts)
    if op == _sre.IN and len(av) <= MAX_CLASS and all(kind == _sre.LITERAL for kind, _ in av):
        return {chr(code).lower() for _, code in av}, True
    if op in _REPEAT and (av[0], av[1]) == (0, 1):  # optional: with or without it
        found, whole = literal_starts(list(av[2]))
        return (None, False) if found is None else (found | {""}, whole)
    if op in _REPEAT and av[0] >= 1:  # at least once: its start is a start; what follows is unknown
        return literal_starts(list(av[2]))[0], False
    return None, False


def _so_far(out: set[str]) -> tuple[set[str] | None, bool]:
    """Cannot follow further: the starts so far still begin every match (unless one of them is empty)."""
    return (None if "" in out else out), False


def _refers_back(items: list) -> bool:
    for op, av in items:
        if op in (_sre.GROUPREF, _sre.GROUPREF_EXISTS):
            return True
        inner = ([av[-1]] if op == _sre.SUBPATTERN else av[1] if op == _sre.BRANCH else [av[2]] if op in _REPEAT
                 else [av[1]] if op in (_sre.ASSERT, _sre.ASSERT_NOT) else [])
        if any(_refers_back(list(sub)) for sub in inner):
            return True
    return False


class Prefilter:
    """One automaton over the literal starts of many word lists; :meth:`hits` reads a text once for all of them.

    Patterns not made by :func:`word_regex` are accepted and simply searched in full.
    """

    def __init__(self, patterns: Iterable[re.Pattern[str] | None]) -> None:
        import ahocorasick

        found = [p for p in dict.fromkeys(p for p in patterns if p is not None) if (p.pattern, p.flags) in _WORD_LISTS]
        self._patterns = found  # kept alive: they are looked up by id()
        self._lists = [_WORD_LISTS[p.pattern, p.flags] for p in found]
        self._number = {id(p): n for n, p in enumerate(found)}  # compiled regexes hash slowly: look them up by identity
        owners: dict[str, set[int]] = {}
        for number, words in enumerate(self._lists):
            for start in words.starts:
                owners.setdefault(start, set()).add(number)
        self._automaton = ahocorasick.Automaton()
        for start, numbers in owners.items():
            self._automaton.add_word(start, (len(start), tuple(numbers)))
        if owners:
            self._automaton.make_automaton()
        self._empty = not owners

    def hits(self, text: str) -> Hits:
        """Where in ``text`` each word list could start matching (one pass over it)."""
        if self._empty or (not text.isascii() and any(c.lower() != c.upper() for c in text if ord(c) > 127)):
            return Hits(text, None, self)
        positions: dict[int, set[int]] = {}
        for end, (length, numbers) in self._automaton.iter(text.lower()):
            for number in numbers:
                positions.setdefault(number, set()).add(end - length + 1)
        return Hits(text, positions, self)


class Hits:
    """One text, and the positions where each word list of a :class:`Prefilter` could match it."""

    __slots__ = ("text", "_positions", "_prefilter")

    def __init__(self, text: str, positions: dict[int, set[int]] | None, prefilter: Prefilter) -> None:
        self.text, self._positions, self._prefilter = text, positions, prefilter

    def has(self, pattern: re.Pattern[str] | None) -> bool:
        """``pattern.search(text) is not None``, answered with as little searching as the prefilter allows."""
        if pattern is None:
            return False
        number = self._prefilter._number.get(id(pattern))
        if self._positions is None or number is None:
            return pattern.search(self.text) is not None
        words = self._prefilter._lists[number]
        if words.rest is not None and words.rest.search(self.text) is not None:
            return True
        return any(pattern.match(self.text, position) is not None for position in sorted(self._positions.get(number, ())))
