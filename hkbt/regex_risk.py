"""Refuse user regexes that can take exponential time (catastrophic backtracking).

Topic patterns come from the config and run against every headline. Python's
``re`` backtracks, and cannot be interrupted while it matches, so a pattern
like ``(a+)+$`` on a line of 30 ``a``s followed by ``b`` runs for minutes. This
module refuses such patterns up front, when the config is validated.

The rule (checked on ``re``'s own parse of the pattern): **a repeat that may
run more than** :data:`MAX_NESTED_REPEAT` **times** (``*``, ``+``, ``{n,}``,
``{0,50}``) **may not contain another repeat, nor a choice between alternatives
longer than one character.** Those two shapes are what make the number of
ways to match a text grow exponentially: ``(a+)+``, ``(\\w+\\s?)*``,
``(a|aa)+``, ``(?:ab|a)*``. Write ``\\w+(?:\\s\\w+){0,3}``, a character class
(``[ab]+``) or a possessive/atomic form (``(?:a+)++``, ``(?>a|aa)+``) instead;
possessive repeats and atomic groups never backtrack, so they are allowed.

Polynomial cases (``.*.*.*``) are not refused: they are slow only on very long
texts, and headlines are short.

>>> risk_of(r"rate cuts?"), risk_of(r"(?:bans?|curbs?) (?:\\w+ ){0,3}exports?")
(None, None)
>>> risk_of(r"(a+)+$")
'a repeat inside a repeat (e.g. (a+)+) can take exponential time'
>>> risk_of(r"(?:ab|a)*c")
'a choice between alternatives inside a repeat (e.g. (a|ab)*) can take exponential time'
"""

from __future__ import annotations

import re

try:  # Python 3.11+
    from re import _constants as _c, _parser as _p
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _c
    import sre_parse as _p

MAX_NESTED_REPEAT = 3
"""A repeat bounded at this many times or fewer may contain other repeats (e.g. ``(?:\\w+ ){0,3}``)."""
MAX_PATTERN_CHARS = 5_000

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT}
_NESTED = "a repeat inside a repeat (e.g. (a+)+) can take exponential time"
_CHOICE = "a choice between alternatives inside a repeat (e.g. (a|ab)*) can take exponential time"


def risk_of(pattern: str) -> str | None:
    """Why ``pattern`` could take exponential time, or ``None`` if it is safe by the rule above.

    Raises ``re.error`` if it is not a valid pattern at all.
    """
    if len(pattern) > MAX_PATTERN_CHARS:
        return f"longer than {MAX_PATTERN_CHARS:,} characters"
    return _scan(_p.parse(pattern), inside_repeat=False)


def _scan(items, inside_repeat: bool) -> str | None:
    for op, av in items:
        found = None
        if op in _REPEATS:
            low, high, body = av
            if high > 1 and inside_repeat:
                return _NESTED
            many = high == _c.MAXREPEAT or high > MAX_NESTED_REPEAT
            found = _scan(body, inside_repeat or many)
        elif op == _c.BRANCH:
            alternatives = av[1]
            if inside_repeat and len(alternatives) > 1 and any(_width(alt) != (1, 1) for alt in alternatives):
                return _CHOICE
            found = next((r for alt in alternatives if (r := _scan(alt, inside_repeat))), None)
        elif op == _c.SUBPATTERN:
            found = _scan(av[-1], inside_repeat)
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            found = _scan(av[1], inside_repeat)
        elif op == _c.GROUPREF_EXISTS:
            found = _scan(av[1], inside_repeat) or (_scan(av[2], inside_repeat) if av[2] is not None else None)
        elif op == _c.ATOMIC_GROUP or op == getattr(_c, "POSSESSIVE_REPEAT", None):
            body = av if op == _c.ATOMIC_GROUP else av[2]
            found = _scan(body, inside_repeat=False)  # never backtracks into itself
        if found:
            return found
    return None


def _width(items) -> tuple[int, int]:
    return items.getwidth() if hasattr(items, "getwidth") else (0, _c.MAXREPEAT)


def check_patterns(patterns: list[str], where: str) -> None:
    """Raise ``ValueError`` naming the first invalid or risky pattern (for pydantic validators)."""
    for pattern in patterns:
        try:
            risk = risk_of(pattern)
        except re.error as exc:
            raise ValueError(f"{where}: pattern {pattern!r} is not a valid regex ({exc})") from None
        if risk:
            raise ValueError(f"{where}: pattern {pattern!r} refused: {risk}; "
                             "bound the outer repeat to {0,3}, use a character class, or a possessive form like (?:a+)++")
