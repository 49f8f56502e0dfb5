r"""fin_lexicon: read vader_fin's two data files into the tables its rules and VADER use.

The finance scorer (:mod:`hkbt.sentiment.vader_fin`) is set up by two text files in
``hkbt/sentiment/lexicons/``, both in one format: three TAB-separated columns per line,
``terms<TAB>weight<TAB>why``, with ``#`` comments (each file's header documents it).

* ``vader_fin.txt``: words and phrases with their VADER valence (-4..4);
  :func:`parse_lexicon` turns it into ``(entries, phrases)``.
* ``vader_fin_rules.txt``: the word classes the rules look for (quantities,
  change words, hedges, ...), grouped under ``@section`` lines; :class:`RuleWords`
  turns it into lookups.

A word ending in ``+`` stands for the regular forms of a verb (:func:`verb_forms`):
``surpass+`` is "surpass, surpasses, surpassed, surpassing", ``fight+ off`` is "fight off, fights off,
fighted off, fighting off" -- so irregular verbs ("fought off") and doubled consonants ("slipped")
are written out instead.

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

__all__ = ["parse_lexicon", "parse_sections", "compile_phrases", "read_lexicon_file", "verb_forms", "expand_term", "RuleWords"]


# --- the file format and phrases --------------------------------------------------------


def _phrase_token(words: Sequence[str]) -> str:
    return "_".join(words)


_VOWELS = frozenset("aeiou")


def verb_forms(base: str) -> list[str]:
    """The regular forms of an English verb: base, third person, past, -ing.

    >>> verb_forms("surpass")
    ['surpass', 'surpasses', 'surpassed', 'surpassing']
    >>> verb_forms("ease"), verb_forms("ally")
    (['ease', 'eases', 'eased', 'easing'], ['ally', 'allies', 'allied', 'allying'])
    """
    if base.endswith(("s", "x", "z", "ch", "sh", "o")):
        third = base + "es"
    elif base.endswith("y") and base[-2:-1] not in _VOWELS:
        third = base[:-1] + "ies"
    else:
        third = base + "s"
    if base.endswith("e"):
        past = base + "d"
    elif base.endswith("y") and base[-2:-1] not in _VOWELS:
        past = base[:-1] + "ied"
    else:
        past = base + "ed"
    if base.endswith("ie"):
        gerund = base[:-2] + "ying"
    elif base.endswith("e") and not base.endswith(("ee", "ye", "oe")):
        gerund = base[:-1] + "ing"
    else:
        gerund = base + "ing"
    return [base, third, past, gerund]


def expand_term(term: str) -> list[str]:
    """A term as written in a lexicon file -> the terms it stands for (``word+`` -> its verb forms).

    >>> expand_term("fend+ off")
    ['fend off', 'fends off', 'fended off', 'fending off']
    >>> expand_term("price war")
    ['price war']
    """
    words = term.split(" ")
    marked = [k for k, word in enumerate(words) if word.endswith("+")]
    if not marked:
        return [term]
    if len(marked) > 1:
        raise ValueError(f"term {term!r}: only one word may end in '+'")
    k = marked[0]
    return [" ".join(words[:k] + [form] + words[k + 1 :]) for form in verb_forms(words[k][:-1])]


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
        for written in (t.strip() for t in terms.split(",")):
            if not written or written != written.lower() or written.startswith("+"):
                raise ValueError(f"{where}: term {written!r} must be non-empty lower case")
            try:
                expanded = expand_term(written)
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None
            for term in expanded:
                _add_term(entries, phrases, term, weight, where)
    return out


def _add_term(entries: dict[str, float], phrases: dict[str, str], term: str, weight: float, where: str) -> None:
    words = re.split(r"[\s-]+", term)
    token = _phrase_token(words) if len(words) > 1 else term
    if token in entries:
        raise ValueError(f"{where}: term {term!r} is listed twice")
    entries[token] = weight
    if len(words) > 1:
        phrases[" ".join(words)] = token


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


_INDEXED = (
    "verb_only", "genre", "end_head", "record_verb", "contest", "official", "imposed", "relief_head", "finish",
    "transition", "wish", "rating", "milestone", "stop", "stop_after", "verdict_after", "fail", "carrier", "unchanged", "hedge", "meets", "no_market", "market",
    "consequence", "subordinate", "status_quo", "holds",
)
"""The classes whose presence in a text :meth:`RuleWords.classes_in` reports."""

_RULE_SECTIONS = frozenset({
    "more_is_better", "more_is_worse", "restriction", "up", "down", "up_before_noun",
    "down_before_noun", "up_object", "down_object", "better", "worse", "noun", "transition", "good_state",
    "bad_state", "hedge", "subordinate", "consequence", "stop", "end", "stop_after", "verdict_after", "fail",
    "status_quo", "meets", "expectation", "rating", "rating_move", "carrier", "milestone", "finish",
    "relief_head", "end_head", "genre", "media", "verb_only", "intransitive", "wish", "unchanged",
    "no_market", "market", "weak_anchor", "ceiling", "resize", "holds", "marks", "publication", "record_verb",
    "contest", "won", "lost", "official", "imposed_before_noun",
})
"""The ``@section`` names vader_fin_rules.txt may use."""


def _change_words(get) -> dict[str, tuple[int, float, int, bool]]:
    """Change token -> (direction +1/-1, strength, fixed sign or 0, comes before its noun), from the up/down
    sections (the first section naming a token decides its direction) and better/worse (which fix the sign)."""
    change: dict[str, list[float]] = {}
    for name, direction in (
        ("up", 1), ("down", -1), ("up_before_noun", 1), ("down_before_noun", -1), ("up_object", 1), ("down_object", -1)
    ):
        for token, strength in get(name).items():
            change.setdefault(token, [direction, strength, 0, False])
            if name.endswith("before_noun"):
                change[token][3] = True
    for name, sign in (("better", 1), ("worse", -1)):
        for token, strength in get(name).items():
            entry = change.setdefault(token, [sign, strength, 0, False])
            entry[2] = sign
    return {token: (int(d), s, int(f), bool(b)) for token, (d, s, f, b) in change.items()}


class RuleWords:
    """The word classes of ``vader_fin_rules.txt``, as lookups.

    What :mod:`hkbt.sentiment.fin_rules` reads: ``quantity`` and ``change`` (token -> tuple, shapes in
    the comments below); sets of words (``noun``, ``object_only``, ``transition``, ``lift_words``, ``end``,
    ``stop_after``, ``verdict_after``, ``meets``, ``expectation``, ``rating_move``, ``carrier``,
    ``milestone``, ``record_verb``, ``contest``, ``won``, ``lost``, ``official``, ``finish``, ``imposed``
    (token -> strength), ``relief_head``, ``genre``, ``media``, ``verb_only``, ``intransitive``,
    ``end_head``, ``wish``, ``no_market``, ``market``); ``state`` (token -> signed valence), ``rating``
    (token -> the rating's own sign); factors (token -> factor: ``hedge``, ``subordinate``, ``consequence``,
    ``stop``, ``fail``, ``status_quo``, ``unchanged``), ``question_factor`` and ``hashtags_are_tags`` (from
    ``@marks``) and ``phrases`` (as in :func:`parse_lexicon`). Each
    section is documented where it is defined, in ``vader_fin_rules.txt``. Given ``""``, every class is
    empty: the rules are switched off.

    Raises:
        ValueError: a malformed line (as :func:`parse_lexicon`), an unknown
            ``@section``, or an ``@noun`` word that is not also a change word.
    """

    def __init__(self, text: str) -> None:
        sections = parse_sections(text, "vader_fin_rules.txt")
        unknown = set(sections) - _RULE_SECTIONS
        if unknown:
            raise ValueError(f"vader_fin_rules.txt: unknown section(s) {', '.join(sorted(unknown))}")
        get = lambda name: sections.get(name, ({}, {}))[0]  # noqa: E731
        self.enabled = bool(sections)
        """False for ``""``: the rules that need no word class (levels, negation at a comma) are off too."""
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
        self.restrictions = frozenset(get("restriction"))
        # ceilings among the restrictions: raising one loosens it ("raises the cap on foreign ownership")
        self.ceilings = frozenset(get("ceiling"))
        self.resize = frozenset(get("resize"))  # verbs that set a size, not impose or remove
        for token in self.ceilings:
            self.quantity.setdefault(token, (-1, 1.0, True))
        # change token -> (direction +1/-1, strength, fixed sign or 0, comes before its noun)
        self.change = _change_words(get)
        # change words that only ever take an object on their right: "takes a stake", never "stake takes"
        self.object_only = frozenset(get("up_object")) | frozenset(get("down_object"))
        self.noun = frozenset(get("noun"))
        missing = self.noun - set(self.change)
        if missing:
            raise ValueError(f"vader_fin_rules.txt: @noun words must also be change words: {', '.join(sorted(missing))}")
        self.transition = frozenset(get("transition"))
        self.state = {token: w for token, w in get("good_state").items()}
        self.state.update({token: -w for token, w in get("bad_state").items()})
        self.hedge = dict(get("hedge"))
        self.subordinate = dict(get("subordinate"))
        self.consequence = dict(get("consequence"))
        # stop words turn a bad thing round; end words (also stop words) turn a good thing round too
        self.stop = {**get("end"), **get("stop")}
        self.end = frozenset(get("end"))
        self.stop_after = frozenset(get("stop_after"))
        self.verdict_after = frozenset(get("verdict_after"))
        self.fail = dict(get("fail"))
        self.status_quo = dict(get("status_quo"))
        self.meets = frozenset(get("meets"))
        self.meets_factor = min(get("meets").values(), default=1.0)
        self.expectation = frozenset(get("expectation"))
        self.rating = {token: int(sign) for token, sign in get("rating").items()}  # a rating's own sign
        self.rating_move = frozenset(get("rating_move"))
        self.carrier = frozenset(get("carrier"))
        self.publication = frozenset(get("publication"))
        self.milestone = frozenset(get("milestone"))
        self.record_verb = frozenset(get("record_verb"))
        self.contest = frozenset(get("contest"))
        self.won = frozenset(get("won"))
        self.lost = frozenset(get("lost"))
        self.official = frozenset(get("official"))
        self.imposed = dict(get("imposed_before_noun"))
        self.remark_factor = min(get("official").values(), default=1.0)
        self.finish = frozenset(get("finish"))
        self.relief_head = frozenset(get("relief_head"))
        self.genre = frozenset(get("genre"))
        self.media = frozenset(get("media"))
        self.verb_only = frozenset(get("verb_only"))
        self.intransitive = frozenset(get("intransitive"))
        self.end_head = frozenset(get("end_head"))
        self.wish = frozenset(get("wish"))
        self.wish_factor = min(get("wish").values(), default=1.0)
        self.unchanged = dict(get("unchanged"))
        self.holds = dict(get("holds"))  # "remains", "stays": a rank kept is no news (round 6)
        self.no_market = frozenset(get("no_market"))
        # words that make a text market news: every quantity, and the @market nouns
        self.market = frozenset(get("market")) | (frozenset(self.quantity) - frozenset(get("weak_anchor")))
        # marks of a text's form, by name (not tokens): "question" -> factor of a sentence ending in "?", "hashtag"
        marks = get("marks")
        self.question_factor: float | None = marks.get("question")
        self.hashtags_are_tags = "hashtag" in marks
        self.lift_words = frozenset(
            t for t in ("lift", "lifts", "lifted", "lifting", "remove", "removes", "removed") if t in self.change
        )
        self._classes_of = self._class_index()

    def _class_index(self) -> dict[str, frozenset[str]]:
        """token -> the names of the classes in :data:`_INDEXED` that hold it, for :meth:`classes_in`."""
        index: dict[str, set[str]] = {}
        for name in _INDEXED:
            for token in getattr(self, name):
                index.setdefault(token, set()).add(name)
        return {token: frozenset(names) for token, names in index.items()}

    def classes_in(self, words: set[str]) -> set[str]:
        """The names of the classes in :data:`_INDEXED` that hold one of ``words``: one look-up per word tells
        each rule whether it can fire at all ("stop" in the result: a stop verb is in the text).

        >>> rules = RuleWords(read_lexicon_file("vader_fin_rules.txt"))
        >>> sorted(rules.classes_in({"tencent", "may", "launches", "probe"}))
        ['carrier', 'hedge', 'market']
        """
        found: set[str] = set()
        classes_of = self._classes_of
        for word in words:
            names = classes_of.get(word)
            if names is not None:
                found |= names
        return found
