r"""fin_lexicon: read vader_fin's two data files into the tables its rules and VADER use.

The finance scorer (:mod:`hkbt.sentiment.vader_fin`) is set up by two text files in
``hkbt/sentiment/lexicons/``, both in one format: three TAB-separated columns per line,
``terms<TAB>weight<TAB>why``, with ``#`` comments (each file's header documents it).

* ``vader_fin.txt``: words and phrases with their VADER valence (-4..4);
  :func:`parse_lexicon` turns it into ``(entries, phrases)``.
* ``vader_fin_rules.txt``: the word classes the rules look for (quantities,
  change words, hedges, ...), grouped under ``@section`` lines; :class:`RuleWords`
  turns it into lookups.

A term of several words ("export controls", "record-high") is a *phrase*. VADER
looks words up one at a time, so the scorer rewrites each phrase found in a text
into one token (``export_controls``) before scoring; :func:`compile_phrases`
builds the one regex that finds them all.

Everything here is text in, tables out, except :func:`read_lexicon_file`, which
reads a shipped file. A malformed line raises ``ValueError`` naming ``file:line``.
The scorer's ``version`` hashes the files' text, not these tables: a change here
that changes what a text scores must bump :data:`hkbt.sentiment.vader_fin.ENGINE_VERSION`.

Example::

    >>> entries, phrases = parse_lexicon("rate cut, rate cuts\t1.5\tcheaper money\ntariffs\t-2.0\ta tax on trade\n")
    >>> entries
    {'rate_cut': 1.5, 'rate_cuts': 1.5, 'tariffs': -2.0}
    >>> phrases
    {'rate cut': 'rate_cut', 'rate cuts': 'rate_cuts'}
    >>> compile_phrases(phrases).sub(lambda m: "<" + m.group(0) + ">", "Rate-cuts beat a rate cut")
    '<Rate-cuts> beat a <rate cut>'
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Sequence

__all__ = ["parse_lexicon", "parse_sections", "compile_phrases", "read_lexicon_file", "RuleWords"]


# --- the file format and phrases --------------------------------------------------------


def _phrase_token(words: Sequence[str]) -> str:
    return "_".join(words)


def parse_lexicon(text: str, source: str = "vader_fin.txt") -> tuple[dict[str, float], dict[str, str]]:
    """Parse the lexicon file format (see the header of ``vader_fin.txt``).

    Returns:
        ``(entries, phrases)``: ``entries`` maps each single token VADER will see
        to its valence; ``phrases`` maps each multi-word phrase (words joined by
        one space, lower case) to the token it is rewritten to.

    Raises:
        ValueError: a malformed line, a weight outside [-4, 4] or a duplicate term;
            the message gives ``source:line``.
    """
    sections = parse_sections(text, source, sectioned=False)
    return sections.get("", ({}, {}))


def parse_sections(  # noqa: C901 - a small line parser, one branch per line kind
    text: str, source: str, *, sectioned: bool = True
) -> dict[str, tuple[dict[str, float], dict[str, str]]]:
    """Parse ``terms<TAB>weight<TAB>why`` lines, optionally grouped under ``@section`` lines.

    Returns ``{section: (entries, phrases)}`` (section ``""`` when not sectioned).
    A term may appear in several sections but only once per section.
    """
    out: dict[str, tuple[dict[str, float], dict[str, str]]] = {}
    section = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source}:{number}"
        if sectioned and line.startswith("@"):
            section = line[1:].split()[0] if len(line) > 1 else ""
            if not re.fullmatch(r"[a-z_]+", section):
                raise ValueError(f"{where}: bad section name {line!r}")
            continue
        if sectioned and not section:
            raise ValueError(f"{where}: entry before the first @section line")
        entries, phrases = out.setdefault(section, ({}, {}))
        columns = raw.rstrip("\n").split("\t")
        if len(columns) != 3:
            raise ValueError(f"{where}: expected 3 tab-separated columns (terms, weight, why), got {len(columns)}")
        terms, weight_text, why = (column.strip() for column in columns)
        try:
            weight = float(weight_text)
        except ValueError:
            raise ValueError(f"{where}: weight {weight_text!r} is not a number") from None
        if not -4.0 <= weight <= 4.0:
            raise ValueError(f"{where}: weight {weight} is outside VADER's range -4..4")
        if not why:
            raise ValueError(f"{where}: the 'why' column is empty")
        for term in (t.strip() for t in terms.split(",")):
            if not term or term != term.lower():
                raise ValueError(f"{where}: term {term!r} must be non-empty lower case")
            words = re.split(r"[\s-]+", term)
            token = _phrase_token(words) if len(words) > 1 else term
            if token in entries:
                raise ValueError(f"{where}: term {term!r} is listed twice")
            entries[token] = weight
            if len(words) > 1:
                phrases[" ".join(words)] = token
    return out


def compile_phrases(phrases: dict[str, str]) -> re.Pattern[str] | None:
    r"""One regex matching any phrase, longest first, words joined by spaces or hyphens.

    The phrases are merged into a character trie ("rate cut", "rate cuts", "rate hike"
    become ``rate[\s\-]+(?:cut(?:s)?|hike)``), so that at each position of a text only one
    branch is tried: about ten times faster than a flat alternation of hundreds of phrases.
    """
    if not phrases:
        return None
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = {}  # end of a phrase

    def pattern(node: dict) -> str:
        ends = "" in node
        branches = []
        for char in sorted(c for c in node if c):
            head = r"[\s\-]+" if char == " " else re.escape(char)
            branches.append(head + pattern(node[char]))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and not ends else "(?:" + "|".join(branches) + ")"
        if len(branches) == 1 and not ends:
            return body
        return body + "?" if ends else body

    return re.compile(r"(?<![\w-])" + pattern(trie) + r"(?![\w-])", re.IGNORECASE)


def read_lexicon_file(name: str = "vader_fin.txt") -> str:
    """The text of a file shipped in ``hkbt/sentiment/lexicons/`` (UTF-8), e.g. ``read_lexicon_file("vader_fin_rules.txt")``."""
    return (importlib.resources.files("hkbt.sentiment") / "lexicons" / name).read_text(encoding="utf-8")


# --- the rules file ---------------------------------------------------------------------


class RuleWords:
    """The word classes of ``vader_fin_rules.txt``, as lookups.

    What :mod:`hkbt.sentiment.vader_fin`'s rules read: ``quantity`` and ``change`` (token ->
    tuple, shapes in the comments below), ``noun``, ``transition`` and ``lift_words``
    (sets), ``state`` (token -> signed valence), ``hedge``, ``subordinate``, ``stop`` and ``status_quo``
    (token -> factor), ``rating`` and ``carrier`` (sets) and ``phrases`` (as in :func:`parse_lexicon`). Given ``""``, every class is empty:
    the rules are switched off.

    Raises:
        ValueError: a malformed line (as :func:`parse_lexicon`), an unknown
            ``@section``, or an ``@noun`` word that is not also a change word.
    """

    def __init__(self, text: str) -> None:
        sections = parse_sections(text, "vader_fin_rules.txt")
        known = {
            "more_is_better", "more_is_worse", "restriction", "up", "down", "up_before_noun",
            "down_before_noun", "better", "worse", "noun", "transition", "good_state", "bad_state", "hedge",
            "subordinate", "stop", "status_quo", "rating", "carrier",
        }
        unknown = set(sections) - known
        if unknown:
            raise ValueError(f"vader_fin_rules.txt: unknown section(s) {', '.join(sorted(unknown))}")
        get = lambda name: sections.get(name, ({}, {}))[0]  # noqa: E731
        self.phrases: dict[str, str] = {}
        for _, phrases in sections.values():
            self.phrases.update(phrases)
        # quantity token -> (polarity: +1 more is better / -1 more is worse, weight, is a restriction)
        self.quantity: dict[str, tuple[int, float, bool]] = {}
        for token, weight in get("more_is_better").items():
            self.quantity[token] = (1, weight, False)
        for token, weight in get("more_is_worse").items():
            self.quantity[token] = (-1, weight, False)
        for token, weight in get("restriction").items():
            self.quantity[token] = (-1, weight, True)
        # change token -> (direction +1/-1, strength, fixed sign or 0, comes before its noun)
        change: dict[str, list[float]] = {}
        for name, direction in (("up", 1), ("down", -1), ("up_before_noun", 1), ("down_before_noun", -1)):
            for token, strength in get(name).items():
                change.setdefault(token, [direction, strength, 0, False])
                if name.endswith("before_noun"):
                    change[token][3] = True
        for name, sign in (("better", 1), ("worse", -1)):
            for token, strength in get(name).items():
                entry = change.setdefault(token, [sign, strength, 0, False])
                entry[2] = sign
        self.change = {token: (int(d), s, int(f), bool(b)) for token, (d, s, f, b) in change.items()}
        self.noun = frozenset(get("noun"))
        missing = self.noun - set(self.change)
        if missing:
            raise ValueError(f"vader_fin_rules.txt: @noun words must also be change words: {', '.join(sorted(missing))}")
        self.transition = frozenset(get("transition"))
        self.state = {token: w for token, w in get("good_state").items()}
        self.state.update({token: -w for token, w in get("bad_state").items()})
        self.hedge = dict(get("hedge"))
        self.subordinate = dict(get("subordinate"))
        self.stop = dict(get("stop"))
        self.status_quo = dict(get("status_quo"))
        self.rating = frozenset(get("rating"))
        self.carrier = frozenset(get("carrier"))
        self.lift_words = frozenset(
            t for t in ("lift", "lifts", "lifted", "lifting", "remove", "removes", "removed") if t in self.change
        )
