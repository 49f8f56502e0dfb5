"""vader_fin: hkbt's finance scorer, VADER's algorithm with a finance lexicon and rules.

The scorer (:class:`VaderFinScorer`, registered as ``vader_fin`` in
:data:`hkbt.sentiment.scoring.SCORERS`) is still VADER underneath: VADER's algorithm
(:class:`hkbt.sentiment.vader_engine.VaderEngine`, a faster reimplementation tested equal to the
vaderSentiment package) scores every text, reading hkbt's lexicon, and is handed the valence the
finance rules give a word at a given position. What lives here:

* phrase joining ("export controls" -> ``export_controls``, one token);
* the rules: :data:`FIN_RULES` lists each with an example, and
  :meth:`VaderFinScorer.explain` returns an :class:`Explanation` saying which
  fired for a text.

The two data files, ``hkbt/sentiment/lexicons/vader_fin.txt`` (words, phrases and weights)
and ``hkbt/sentiment/lexicons/vader_fin_rules.txt`` (the word classes the rules look for,
in ``@section`` groups), are read by :mod:`hkbt.sentiment.fin_lexicon`.

Example (plain VADER scores this text 0; a rule reads it as good news)::

    >>> e = VaderFinScorer().explain("US lifts sanctions on chipmaker")
    >>> round(e.score, 2), [rule for rule, words, valence in e.fired]
    (0.46, ['restriction_lifted'])

``version`` changes with :data:`ENGINE_VERSION`, the lexicon files and VADER, so
the score cache in :mod:`hkbt.sentiment.scoring` never serves a score from other rules.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
import string
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from hkbt.sentiment.fin_lexicon import RuleWords, compile_phrases, parse_lexicon, read_lexicon_file
from hkbt.sentiment.vader_engine import VaderEngine, vader_tokens

__all__ = [
    "VaderFinScorer",
    "Explanation",
    "FIN_RULES",
    "ENGINE_VERSION",
    "RULE_VALENCE",
    "EVERYDAY_WEIGHT",
    "vader_version",
]


def vader_version() -> str:
    """The installed vaderSentiment version, part of every VADER-based scorer's ``version``."""
    try:
        return importlib.metadata.version("vaderSentiment")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - vendored copy
        return "unknown"


# --- the vader_fin rules ----------------------------------------------------------------

ENGINE_VERSION = "4"
"""Bumped whenever the rule code below, or the file parsing in :mod:`hkbt.sentiment.fin_lexicon`, changes what a
text scores (part of the cache key)."""

RULE_VALENCE = 2.0
"""VADER valence of a plain ordinary change of a financial quantity ("sales rose"): about
VADER's "gain" (2.4) or "strong" (2.3) less a little, so one such clause alone scores ±0.46."""

EVERYDAY_WEIGHT = 0.8
"""Weight of a word that only VADER's own (social-media) lexicon knows, relative to hkbt's
finance lexicon and rules."""

FIN_RULES: dict[str, str] = {
    "lexicon": "a word or phrase from hkbt's finance/policy/AI lexicon (vader_fin.txt) replaces or "
    "adds to VADER's valence: 'tariffs' -2.0, 'stimulus' +2.0; weight 0 removes a VADER word that "
    "is not an opinion in market news ('shares', 'solutions', 'respectively')",
    "direction": "a change word applied to a financial quantity takes its sign from both: more of a "
    "good quantity or less of a bad one is positive ('profit rose', 'loss narrowed', 'cut costs', 'lowers "
    "its base rate', 'buys more shares'), less of a good one or more of a bad one is negative ('revenue "
    "fell', 'costs rose', 'loss widened', 'sells its stake', 'pauses its buyback'); the quantity noun itself "
    "then counts for nothing. Subject and change word never pair across a comma ('loss widened, cuts jobs' "
    "is two clauses); a record level reached by the change is part of it ('cuts its rate to a record low')",
    "direction_fixed": "'improved', 'recovered', 'deteriorated', 'weakened' say better or worse "
    "whatever the quantity ('the loss improved' is good news)",
    "restriction_lifted": "for restrictions (tariffs, sanctions, curbs, bans, export controls) "
    "'lift' and 'remove' mean taken away: 'US lifts sanctions' is positive",
    "comparison": "a quantity reported against an earlier figure, with no change word, gets its "
    "direction from the numbers: 'operating profit was EUR 5 mn compared with EUR 7 mn' is "
    "negative; '(EUR 3 mn)' after a figure is the earlier figure; a loss counts as a negative profit",
    "transition": "moving into a state: 'swung to a profit', 'returned to growth' (positive), "
    "'slipped into the red', 'turned to a loss' (negative)",
    "hedge": "'may', 'could', 'reportedly', 'if' halve the sentiment that follows them in the "
    "same clause: 'tariffs could rise' is milder than 'tariffs rise'",
    "negation": "VADER's negation ('not', 'no', 'never', 'n't', 'without' up to three words "
    "before) also flips rule valences: 'profit did not rise' is negative",
    "but": "after 'but' the sentiment counts 1.5 times, before it half (VADER's rule)",
    "stop": "a word that stops, reverses or blocks something takes the sign off the bad thing that follows "
    "it in its clause: 'vows to stem the rout', 'halts the slide in ad revenue', 'court blocks the investment "
    "ban', 'drops its antitrust probe' are good news; with nothing bad after it, 'blocks' keeps its own sign",
    "status_quo": "'unchanged', 'in line with forecasts', 'as expected', 'flat', 'routine', 'previously "
    "announced' say nothing moved: the whole text counts x0.25 ('CPI up 0.1 %, in line with estimates' is "
    "neutral)",
    "carrier": "a verb whose object is the news counts for nothing when a sentiment word follows it in "
    "its clause: 'launches a cybersecurity investigation' is bad news, 'wins only a lukewarm welcome' too; "
    "alone, 'launches a new model' is mildly good news",
    "title": "a quoted name in capitals is a name, not an opinion: \"'Doom Fighters' to launch next quarter\"",
    "rating": "a broker moving a stock 'to' a rating: the move decides, whatever the rating is called: "
    "'raises Meituan to buy' and 'upgrades to neutral' are positive, 'cuts JD to hold' negative",
    "subordinate": "a headline's news is its main clause: when a clause opened by 'as', 'amid' or "
    "'following' after it pulls the other way, that clause counts half: 'Wall Street rallies as West "
    "hits Russia with new sanctions' is positive; when both agree ('cash shrinks as losses persist') "
    "nothing changes",
}
"""Every vader_fin rule by name, with an example; ``VaderFinScorer.explain`` names these."""

_PUNCT = string.punctuation

# Words that end the search for a change word's subject on its left: a new clause starts.
_CLAUSE_WORDS = frozenset(
    "while whereas but although though however after as because since when following thanks due "
    "despite and which that who amid whilst before once".split()
)
_UNITS = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "mln": 1e6, "million": 1e6, "millions": 1e6,
    "b": 1e9, "bn": 1e9, "billion": 1e9, "billions": 1e9, "tn": 1e12, "trillion": 1e12,
}
_NUMBER_RE = re.compile(r"^\(?[A-Za-z$€£¥]{0,4}\$?(\d[\d,]*(?:\.\d+)?|\.\d+)([A-Za-z%]{0,8})\)?$")
_COMPARE_CUES = frozenset({"from", "compared", "versus", "vs", "vs.", "against"})
_RESULT_WORDS = frozenset(
    "profit profits net_profit operating_profit pretax_profit pre_tax_profit loss losses net_loss operating_loss "
    "pretax_loss pre_tax_loss earnings result results ebit".split()
)
_STATE_FILLERS = frozenset(
    "a an the its their net operating pre-tax pretax quarterly annual full-year first second third small "
    "slight modest narrow deep large big".split()
)


_QUOTES = frozenset("'\"‘’“”")
_OPENING_QUOTE = re.compile("(?:^|\\s)['\"‘“]")  # a token that opens a quotation (a title rule candidate)
# Record levels that a bound change word reaches ("cut ... to a record low"): part of the change.
_LEVELS = frozenset(
    "record_high record_highs record_low record_lows all_time_high all_time_highs all_time_low all_time_lows "
    "multi_year_high multi_year_low year_high year_low".split()
)
# Words that may stand between a verb and its object without counting towards the reach:
# "sells its entire stake", "buys more of the shares".
_OBJECT_FILLERS = frozenset("its their his her the a an more entire nearly almost about some all of".split())


_PARTICLE_VERBS = frozenset(
    "set sets setting shut shuts shutting step steps stepped stepping wind winds wound back backs backed "
    "turn turns turned break breaks broke make makes made end ends ended take takes took taken sign signs "
    "signed team teams teamed line lines lined open opens opened follow follows followed write writes wrote "
    "written put puts lay lays laid cut cuts slow slows slowed tie ties tied hold holds held play plays "
    "played back-up pay pays paid paying".split()
)
_BE = frozenset("was were is are be been being".split())


def _is_direction_particle(lower: list[str], i: int) -> bool:
    """Whether "up"/"down" at ``i`` says a rise or fall.

    Not after a phrasal verb ("set up", "shut down", "step down") unless a figure
    follows ("closed down 0.9 %" is a fall), and "up to" is a ceiling ("up to 200
    jobs") unless it follows "was"/"were"/a comma ("sales were up to EUR 5 mn").
    """
    following = lower[i + 1] if i + 1 < len(lower) else ""
    previous = lower[i - 1] if i > 0 else ""
    figure = bool(following) and following[0].isdigit()
    if previous in _PARTICLE_VERBS and not figure:
        return False
    if lower[i] == "up" and following == "to" and previous not in _BE and previous != ",":
        return False
    return True


_CURRENCY_RE = re.compile(r"^\(?([A-Za-z]{0,3}[$€£¥]|[A-Z]{3}|[€£¥$])")
_CURRENCY_WORDS = {
    "eur": "EUR", "euro": "EUR", "euros": "EUR", "usd": "USD", "$": "USD", "us$": "USD", "dollar": "USD",
    "dollars": "USD", "hk$": "HKD", "hkd": "HKD", "yuan": "CNY", "rmb": "CNY", "cny": "CNY", "€": "EUR",
    "£": "GBP", "gbp": "GBP", "pounds": "GBP", "¥": "JPY", "yen": "JPY", "jpy": "JPY", "sek": "SEK",
    "cad": "CAD", "mln": "", "mn": "", "m": "", "million": "", "bn": "", "billion": "",
}


def _currency(raw: list[str], k: int) -> str:
    """The currency of the figure at ``raw[k]``: attached ("EUR9.4", "$5"), just before, or after its unit."""
    if k >= len(raw):
        return ""
    token = raw[k].lstrip("(")
    match = _CURRENCY_RE.match(token)
    if match and not token[0].isdigit():
        code = match.group(1)
        return _CURRENCY_WORDS.get(code.lower(), code.upper())
    if k > 0:
        previous = raw[k - 1].lower().lstrip("(")
        if _CURRENCY_WORDS.get(previous):
            return _CURRENCY_WORDS[previous]
    for m in (k + 1, k + 2):
        if m < len(raw):
            word = raw[m].lower().strip(_PUNCT) or raw[m].lower()
            if _CURRENCY_WORDS.get(word):
                return _CURRENCY_WORDS[word]
            if word not in _UNITS:
                break
    return ""


def _raised_to(lower: list[str], raw: list[str], k: int) -> bool:
    """Whether "to <figure>" follows within a few words of ``k``: "lifting tariffs on US goods to 125 %"."""
    for m in range(k + 1, min(len(lower) - 1, k + 6)):
        if lower[m] == "to" and _number(raw[m + 1], None) is not None:
            return True
    return False


def _is_filler(raw: list[str], lower: list[str], k: int) -> bool:
    """Words that may stand between "swung to" / "from" and the state: "a 1.1 mln euro net"."""
    word = lower[k]
    return (
        word in _STATE_FILLERS or word in _UNITS or bool(_CURRENCY_WORDS.get(word))
        or _number(raw[k], None) is not None or word in ("(", ")", "of", "some", "about", "around", "to", "with")
    )


def _number(token: str, following: str | None) -> float | None:
    """The value of a number token like ``9.4``, ``EUR9.4``, ``1,200``, ``5bn``, times a unit word after it."""
    match = _NUMBER_RE.match(token)
    if match is None:
        return None
    digits, unit = match.groups()
    try:
        value = float(digits.replace(",", ""))
    except ValueError:
        return None
    if not unit and len(digits) == 4 and digits.isdigit() and 1950 <= value <= 2100 and token.isdigit():
        return None  # a year, not a figure
    scale = _UNITS.get(unit.lower())
    if scale is None and following is not None:
        scale = _UNITS.get(following.lower().strip(_PUNCT))
    return value * (scale or 1.0)


_AS_COMPOUND_BEFORE = frozenset({"such", "so", "as", "well", "just", "twice", "same"})
_AS_COMPOUND_AFTER = frozenset({"well", "much", "many", "long", "soon", "expected", "part", "if", "though", "of", "to"})


def _subordinate_clause(lower: list[str], openers: dict[str, float]) -> tuple[int, float] | None:
    """``(position, factor)`` of the first word opening a subordinate clause after a main one.

    At least two words must come first (the main clause). "as" counts only as a
    conjunction: not in "such as", "as well as", "as much as", "as expected", "as of".

    >>> _subordinate_clause("stocks rally as sanctions bite".split(), {"as": 0.5})
    (2, 0.5)
    >>> _subordinate_clause("such as tariffs".split(), {"as": 0.5}) is None
    True
    """
    for h in range(2, len(lower)):
        scale = openers.get(lower[h])
        if scale is None:
            continue
        following = lower[h + 1] if h + 1 < len(lower) else ""
        if lower[h] == "as" and (lower[h - 1] in _AS_COMPOUND_BEFORE or following in _AS_COMPOUND_AFTER):
            continue
        return h, scale
    return None


class Explanation(NamedTuple):
    """Why vader_fin gave a text its score (see :meth:`VaderFinScorer.explain`).

    Attributes:
        text: the text as scored (after phrase joining).
        score: the compound score, float in [-1, 1].
        fired: ``(rule, words, valence)`` per rule that fired, in text order; ``rule``
            is a key of :data:`FIN_RULES` or ``"vader"`` (a word from VADER's own lexicon);
            ``valence`` is the word's final valence in VADER units (-4..4), after
            negation, boosters, hedges and 'but'.
    """

    text: str
    score: float
    fired: list[tuple[str, str, float]]


class VaderFinScorer:
    """VADER plus hkbt's finance rules and lexicon: the project's own scorer.

    Still VADER underneath: every text is scored by VADER's algorithm (its tokens,
    boosters, negation, capitals, idioms, "but", punctuation and normalisation, in
    :class:`~hkbt.sentiment.vader_engine.VaderEngine`, equal to the vaderSentiment
    package's ``polarity_scores``), reading hkbt's lexicon instead of VADER's; where
    the finance rules give a word a valence, VADER is handed that valence for the
    word at that position, so its heuristics apply to rule valences as to any
    lexicon word. In order:

    1. **lexicon** (``hkbt/sentiment/lexicons/vader_fin.txt``): finance, policy and AI words
       and phrases; phrases ("export controls", "rate cut") are first joined into
       one token.
    2. **direction**: a change word applied to a financial quantity, signed by
       both ("costs rose" -, "loss narrowed" +, "cut costs" +, "cut jobs" -), with
       ``direction_fixed`` and ``restriction_lifted`` as special cases; word
       classes in ``hkbt/sentiment/lexicons/vader_fin_rules.txt``.
    3. **comparison**: "X was EUR 5 mn compared with EUR 7 mn" (no change word).
    4. **transition**: "swung to a loss", "returned to profit".
    5. **hedge**: "may", "could", "if" halve what follows in the clause.
    6. VADER's **negation**, boosters and **but** then apply to all of the above.

    Each rule is listed with an example in :data:`FIN_RULES`; :meth:`explain`
    says which fired for a text.

    ``version`` includes the engine version, a hash of both lexicon files and the
    VADER version, so editing a weight invalidates cached scores.

    Args:
        lexicon_text: the lexicon in ``vader_fin.txt`` format; by default the
            file shipped in ``hkbt/sentiment/lexicons/``. Meant for experiments and tests.
        rules_text: the rule word classes in ``vader_fin_rules.txt`` format;
            by default the shipped file; ``""`` switches the rules off.

    Example::

        >>> scorer = VaderFinScorer()
        >>> [round(float(s), 2) for s in scorer.score(["Operating loss widened", "Operating loss narrowed"])]
        [-0.46, 0.46]
    """

    name = "vader_fin"
    language = "en"
    class_thresholds = (-0.2, 0.3)
    """Default 3-class cut (negative, positive); the config's sentiment.negative_threshold /
    positive_threshold take precedence in ``hkbt sentiment``."""

    def __init__(self, lexicon_text: str | None = None, rules_text: str | None = None) -> None:
        text = read_lexicon_file() if lexicon_text is None else lexicon_text
        rules = read_lexicon_file("vader_fin_rules.txt") if rules_text is None else rules_text
        entries, phrases = parse_lexicon(text)
        self.rules = RuleWords(rules)
        self._sources = (text, rules)
        self.entries = entries
        self.phrases = {**self.rules.phrases, **phrases}
        self._phrase_re = compile_phrases(self.phrases)
        # Two VADER analyzers reading one lexicon (ours): VADER as published for texts the rules
        # leave alone, and one that takes the rules' valences (it holds the current text's).
        vader = SentimentIntensityAnalyzer()  # reads VADER's files
        self._vader_lexicon = vader.lexicon  # VADER's own, kept to rebuild ours from
        self._emojis = {e: d for e, d in vader.emojis.items() if len(e) == 1}
        self._engine = VaderEngine({})
        self._emoji_re = re.compile("[" + re.escape("".join(self._emojis)) + "]") if self._emojis else None
        self._ours = frozenset(entries)
        self._rule_words = (
            frozenset(self.rules.change) | self.rules.transition | frozenset(self.rules.hedge)
            | frozenset(self.rules.subordinate)
            | frozenset(self.rules.quantity)
            | frozenset(self.rules.stop)
            | frozenset(self.rules.status_quo)
            | self.rules.carrier
            | self.rules.rating
        )
        self.everyday_weight = EVERYDAY_WEIGHT  # builds the lexicon and the version

    @property
    def everyday_weight(self) -> float:
        """Weight of words only VADER's own lexicon knows (:data:`EVERYDAY_WEIGHT`); setting it
        rebuilds the lexicon and changes ``version``."""
        return self._everyday_weight

    @everyday_weight.setter
    def everyday_weight(self, weight: float) -> None:
        self._everyday_weight = weight
        text, rules = self._sources
        tuning = f"{RULE_VALENCE}/{weight}"  # the two numeric knobs of the rules
        digest = hashlib.sha256("\0".join((text, rules, tuning)).encode("utf-8")).hexdigest()[:12]
        self.version = f"{ENGINE_VERSION}+vader{vader_version()}+lex{digest}"
        # One dict, the one VADER reads: its lexicon (VADER-only words at the everyday weight;
        # a few slang numbers like "187" left out, since in market news a number is a figure)
        # with ours laid over it. Weight 0 means "not an opinion word here": drop it rather
        # than keep a 0, so that boosters like "very" next to it add nothing either.
        lexicon = {w: v * weight for w, v in self._vader_lexicon.items() if not w.isdigit()}
        for token, value in self.entries.items():
            if value == 0:
                lexicon.pop(token, None)
            else:
                lexicon[token] = value
        self.lexicon: dict[str, float] = lexicon
        self._engine.lexicon = lexicon

    # -- text to tokens --------------------------------------------------------------------

    def join_phrases(self, text: str) -> str:
        """Rewrite lexicon phrases in ``text`` to their single tokens.

        >>> VaderFinScorer().join_phrases("Stocks hit a Record-High after the rate cut")
        'Stocks hit a record_high after the rate_cut'
        """
        if self._phrase_re is None:
            return text
        return self._phrase_re.sub(self._token_for, text)

    def _token_for(self, match: re.Match[str]) -> str:
        return self.phrases[" ".join(re.split(r"[\s\-]+", match.group(0).lower()))]

    def _demojize(self, text: str) -> str:
        """VADER's emoji step: each emoji becomes its description (a space before it unless one is there)."""

        def describe(match: re.Match[str]) -> str:
            start = match.start()
            space = "" if start == 0 or text[start - 1] == " " else " "
            return space + self._emojis[match.group(0)]

        return self._emoji_re.sub(describe, text)

    # -- scoring ---------------------------------------------------------------------------

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Return the vader_fin score of each text, float64 in [-1, 1] (0 for an empty text)."""
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"scorers take str texts, got {type(text).__name__}: {text!r}")
        analyse = self._analyse
        return np.fromiter((analyse(text, None) for text in texts), dtype=np.float64, count=len(texts))

    def explain(self, text: str) -> Explanation:
        """Score one text and say which rules fired, word by word.

        >>> e = VaderFinScorer().explain("Costs rose")
        >>> e.score < 0, e.fired
        (True, [('direction', 'Costs … rose', -2.0)])
        """
        if not isinstance(text, str):
            raise TypeError(f"scorers take str texts, got {type(text).__name__}: {text!r}")
        fired: list[tuple[str, str, float]] = []
        score = self._analyse(text, fired)
        joined = text.strip()
        if joined and self._emoji_re is not None and self._emoji_re.search(joined):
            joined = self._demojize(joined)
        return Explanation(self.join_phrases(joined), score, fired)

    def _analyse(self, text: str, fired: list[tuple[str, str, float]] | None) -> float:  # noqa: C901 - vader_fin's rule engine (issue 9); one branch per rule
        text = text.strip()
        if not text:
            return 0.0
        if not text.isascii() and self._emoji_re is not None and not self._emojis.keys().isdisjoint(text):
            text = self._demojize(text).strip()
        if self._phrase_re is not None:
            text = self._phrase_re.sub(self._token_for, text)
        words = vader_tokens(text)  # VADER's own tokens: rule positions are VADER's
        lower = [w.lower() for w in words]
        engine = self._engine
        has_rule_words = not self._rule_words.isdisjoint(lower) or _OPENING_QUOTE.search(text) is not None
        if not has_rule_words and fired is None:
            return engine.compound(text, words, lower)
        lexicon = self.lexicon
        base: list[float | None] = [lexicon.get(w) for w in lower]
        source = ["vader" if v is not None and w not in self._ours else "lexicon" for w, v in zip(lower, base)]
        spans: dict[int, str] = {}
        notes: list[tuple[str, str]] = []  # rules that removed a valence: (rule, words), for explain()
        factor = self._apply_rules(text.split(), words, lower, base, source, spans, notes) if has_rule_words else None
        valued = {i: v for i, (w, v) in enumerate(zip(lower, base)) if v != lexicon.get(w)}
        clause = _subordinate_clause(lower, self.rules.subordinate) if has_rule_words else None
        if not valued and factor is None and clause is None and fired is None:
            return engine.compound(text, words, lower)  # rule words, but no rule fired
        score = engine.compound(text, words, lower, valued, factor, clause)
        if fired is not None:
            sentiments = [float(v) for v in engine.sentiments]  # VADER leaves an int 0 for plain words
            for i, value in enumerate(sentiments):
                if not value and i not in spans:
                    continue
                fired.append((source[i], spans.get(i, words[i]), round(value, 3)))
                if base[i] and value and (value > 0) != (base[i] > 0):
                    fired.append(("negation", f"{' '.join(words[max(0, i - 3) : i])} → {words[i]}", round(value, 3)))
            if factor is not None:
                for h, w in enumerate(lower):
                    if w in self.rules.hedge:
                        fired.append(("hedge", f"{words[h]} (x{self.rules.hedge[w]:g} after it)", 0.0))
                    if w in self.rules.status_quo:
                        fired.append(("status_quo", f"{words[h]} (x{self.rules.status_quo[w]:g}: nothing moved)", 0.0))
            if "but" in lower and any(sentiments):
                fired.append(("but", "but (x0.5 before, x1.5 after)", 0.0))
            fired.extend((rule, span, 0.0) for rule, span in notes)
            if engine.clause_applied:
                at, scale = engine.clause_applied
                fired.append(("subordinate", f"{words[at]} … (x{scale:g}: pulls against the main clause)", 0.0))
        return score

    # -- the rules -------------------------------------------------------------------------

    def _apply_rules(  # noqa: C901 - vader_fin's rule engine (issue 9); one branch per rule
        self,
        raw: list[str],
        words: list[str],
        lower: list[str],
        base: list[float | None],
        source: list[str],
        spans: dict[int, str],
        notes: list[tuple[str, str]],
    ) -> list[float] | None:
        """Set rule valences in ``base`` (in place); return per-word hedge factors (or None).

        Rules that only take a valence away (carrier, title) say so in ``notes``.
        """
        rules = self.rules
        quantity = rules.quantity
        change = rules.change
        n = len(lower)
        present = set(lower)  # each rule's loop runs only when one of its words is in the text
        boundary = [
            t.endswith((";", ":", "!", "?")) or (t.endswith(".") and len(t) > 4 and t[:-1].isalpha() and t[:-1].islower())
            for t in raw
        ]
        bound_quantity: set[int] = set()
        bound_change: dict[int, int] = {}  # change index -> quantity index
        skip: set[int] = set()

        # transition: "swung to a loss", "returned to profit"
        for i, w in enumerate(lower) if not rules.transition.isdisjoint(present) else ():
            if w in rules.transition and i + 2 < n and lower[i + 1] in ("to", "into", "back"):
                for k in range(i + 2, min(n, i + 10)):
                    state = rules.state.get(lower[k])
                    if state is not None:
                        base[i] = state
                        source[i] = "transition"
                        spans[i] = " ".join(words[i : k + 1])
                        base[k] = None
                        skip.update((i, k))
                        bound_quantity.add(k)
                        break
                    if not _is_filler(raw, lower, k):
                        break

        def find_left(i: int, reach: int = 12, cross_commas: bool = False) -> int | None:
            for k in range(i - 1, max(-1, i - 1 - reach), -1):
                if boundary[k] or lower[k] in _CLAUSE_WORDS or (raw[k].endswith(",") and not cross_commas):
                    return None  # "loss widened, cuts jobs": a comma ends the subject's clause
                if lower[k] in quantity and k not in skip:
                    return k
                if lower[k] in change and k in bound_change:
                    return None  # "stocks jump ... on easing": the nearer change word has the subject
            return None

        def find_right(i: int, reach: int) -> int | None:
            counted = 0
            for k in range(i + 1, n):
                if lower[k] in quantity and k not in skip:
                    if lower[k] == "number" and k + 1 < n and lower[k + 1] == "of":
                        continue
                    return k
                if boundary[k] or lower[k] in _CLAUSE_WORDS or lower[k] in change or raw[k].endswith(","):
                    return None  # an object follows its verb directly: no comma, no new clause
                if not (lower[k] in _OBJECT_FILLERS or _is_filler(raw, lower, k)):
                    counted += 1  # "bought nearly $200 million of Alibaba stock": the amount does not count
                    if counted >= reach:
                        return None
            return None

        for i, w in enumerate(lower):
            entry = change.get(w)
            if entry is None or i in skip:
                continue
            direction, strength, fixed, before_noun = entry
            if w in ("up", "down") and not _is_direction_particle(lower, i):
                continue
            j = None
            if i + 1 < n and lower[i + 1] in ("in", "of") and not boundary[i]:
                j = find_right(i + 1, 4)  # "increase in costs", "decline of sales"
            if w in rules.noun:
                if j is None and i > 0 and lower[i - 1] in quantity and i - 1 not in skip:
                    j = i - 1  # "sales growth", "cost reduction"
                if j is None:
                    continue
            if j is None and before_noun and not boundary[i]:
                j = find_right(i, 3)  # "higher costs", "a narrower loss"
            if j is None:
                # "costs rose"; "sales totalled EUR 5 mn in 2009 , down 5 %" reaches further back
                after_comma = w in ("up", "down") and i > 0 and lower[i - 1] == ","
                j = find_left(i, 20 if after_comma else 12, cross_commas=after_comma)
            if j is None and not boundary[i]:
                j = find_right(i, 5)  # "cut costs", "raised its forecast", "reduce a maximum of ten jobs"
            if j is None:
                continue
            polarity, weight, is_restriction = quantity[lower[j]]
            lifted = is_restriction and w in rules.lift_words and not _raised_to(lower, raw, max(i, j))
            if lifted:
                direction = -1  # "lifts sanctions" takes them away; "lifting tariffs to 125 %" raises them
            sign = fixed or direction * polarity
            base[i] = sign * RULE_VALENCE * strength * weight
            source[i] = "direction_fixed" if fixed else ("restriction_lifted" if lifted else "direction")
            spans[i] = f"{words[j]} … {words[i]}" if j < i else f"{words[i]} … {words[j]}"
            bound_change[i] = j
            bound_quantity.add(j)
            # "trims its loan prime rate to a record low": the level belongs to the change
            for t in range(max(i, j) + 1, min(n - 1, max(i, j) + 5)):
                if lower[t] == "to":
                    level = t + 1 + (lower[t + 1] in ("a", "an", "its", "their", "the") and t + 2 < n)
                    value = base[level]
                    if lower[level] in _LEVELS and value is not None and value * base[i] < 0:
                        base[level] = None  # it says how far the change went, not a second piece of news
                        skip.add(level)
                    break
        for j in bound_change.values():
            if j in bound_change:  # "sales growth slowed": the outer change decides
                base[j] = None
        for j in bound_quantity:
            if j not in bound_change:
                base[j] = None  # the quantity noun itself is not an opinion

        # "from a loss", "compared with a profit of ...": the earlier state is not news
        compared = not _COMPARE_CUES.isdisjoint(present) or any(t.startswith("(") for t in raw)
        for k, w in enumerate(lower) if compared else ():
            if (w in _RESULT_WORDS or w == "negative") and k not in bound_change and k not in skip:
                m = k - 1
                while m >= 0 and k - m <= 8 and _is_filler(raw, lower, m):
                    m -= 1
                if m >= 0 and lower[m] in _COMPARE_CUES:
                    base[k] = None
                    skip.add(k)

        # comparison: a quantity with no change word, reported against an earlier figure
        for j, w in enumerate(lower) if compared else ():
            if w not in quantity or j in bound_quantity or j in skip:
                continue
            value = self._compare(raw, lower, boundary, j)
            if value is None:
                continue
            polarity, weight, _ = quantity[w]
            result_family = w in _RESULT_WORDS
            now, before = value
            direction = (now > before) - (now < before)
            if not direction:
                continue
            sign = direction if result_family else direction * polarity
            base[j] = sign * RULE_VALENCE * weight
            source[j] = "comparison"
            spans[j] = f"{words[j]} (now vs before)"
            bound_quantity.add(j)

        # rating: "raises Meituan to buy", "cuts JD to neutral": the move decides, whatever the rating's name
        for p, w in enumerate(lower) if not rules.rating.isdisjoint(present) else ():
            if w not in rules.rating or p < 2 or lower[p - 1] != "to":
                continue
            for k in range(p - 2, max(-1, p - 8), -1):
                if boundary[k] or lower[k] in _CLAUSE_WORDS:
                    break
                entry = change.get(lower[k])
                if entry is not None and not entry[2]:
                    base[p] = entry[0] * RULE_VALENCE
                    source[p] = "rating"
                    spans[p] = f"{words[k]} … to {words[p]}"
                    base[k] = None
                    break

        # stop: stopping or reversing a bad thing is good news ("vows to stem the rout", "blocks the ban",
        # "kill off competition that is crushing margins": a relative clause still describes the bad thing)
        for k, w in enumerate(lower) if not rules.stop.keys().isdisjoint(present) else ():
            scale = rules.stop.get(w)
            if scale is None:
                continue
            for m in range(k + 1, min(n, k + 7)):
                if boundary[m - 1] or raw[m - 1].endswith(",") or (lower[m] in _CLAUSE_WORDS and lower[m] not in ("that", "which")):
                    break
                if base[m] is not None and base[m] < 0:
                    base[m] = -base[m] * scale
                    source[m] = "stop"
                    spans[m] = f"{words[k]} … {words[m]}"
                    if base[k] is not None and base[k] < 0:
                        base[k] = None  # "blocks" is bad news only when nothing bad is blocked

        # carrier: "launches a probe", "wins only a lukewarm welcome": what is launched or won is the news
        for k, w in enumerate(lower) if not rules.carrier.isdisjoint(present) else ():
            if w not in rules.carrier or base[k] is None or source[k] not in ("lexicon", "vader"):
                continue
            for m in range(k + 1, min(n, k + 5)):
                if boundary[m - 1] or raw[m - 1].endswith(",") or lower[m] in _CLAUSE_WORDS:
                    break
                if base[m]:
                    base[k] = None
                    notes.append(("carrier", f"{words[k]} → {words[m]} (the object carries the news)"))
                    break

        # titles: a quoted name in capitals ("'Doom Fighters'") is a name, not an opinion
        for k, token in enumerate(raw) if _OPENING_QUOTE.search(" ".join(raw)) else ():
            if token[:1] in _QUOTES and k < n:
                end = next((e for e in range(k, min(n, k + 6)) if raw[e][-1:] in _QUOTES and (e > k or len(token) > 1)), None)
                if end is not None and all(t.strip("".join(_QUOTES))[:1].isupper() for t in raw[k : end + 1]):
                    for e in range(k, end + 1):
                        if source[e] in ("vader", "lexicon"):
                            base[e] = None
                    notes.append(("title", f"{' '.join(words[k : end + 1])} (a name)"))

        # hedges: halve what follows in the same clause
        factor: list[float] | None = None
        for h, w in enumerate(lower) if not rules.hedge.keys().isdisjoint(present) else ():
            scale = rules.hedge.get(w)
            if scale is None:
                continue
            if factor is None:
                factor = [1.0] * n
            for k in range(h + 1, n):
                if boundary[k - 1] or lower[k] in ("but", "while", "whereas", "although"):
                    break
                factor[k] *= scale

        # status quo: "in line with forecasts", "unchanged", "as expected" say nothing moved
        quiet = [rules.status_quo[w] for w in present & rules.status_quo.keys()]
        if quiet:
            factor = [f * min(quiet) for f in (factor or [1.0] * n)]
        return factor

    def _compare(self, raw: list[str], lower: list[str], boundary: list[bool], j: int) -> tuple[float, float] | None:  # noqa: C901 - vader_fin's rule engine (issue 9); one branch per rule
        """``(now, before)`` for a quantity at ``j`` reported against an earlier figure, else None.

        Losses count as negative amounts: "profit of 2 compared with a loss of 1" is (2, -1).
        """
        n = len(lower)
        loss_words = ("loss", "losses", "net_loss", "operating_loss", "negative")
        sign_now = -1.0 if lower[j] in loss_words else 1.0
        now = None
        now_currency = ""
        percent = False
        for k in range(j + 1, min(n, j + 20)):
            if boundary[k - 1] and k > j + 1:
                return None
            token = raw[k]
            if now is None:
                if lower[k] in self.rules.quantity and lower[k] != lower[j]:
                    return None  # another quantity comes first; its figure is not ours
                value = _number(token, raw[k + 1] if k + 1 < n else None)
                if value is not None:
                    now = sign_now * value
                    now_currency = _currency(raw, k)
                    percent = token.endswith("%") or (k + 1 < n and lower[k + 1] in ("%", "pct", "percent"))
                continue
            bracket = token.startswith("(")
            cue = lower[k] in _COMPARE_CUES or bracket
            if not cue:
                if _number(token, None) is not None:
                    return None  # a second figure with no cue: a breakdown, not a comparison
                continue
            if bracket and _currency(raw, k + (token == "(")) != now_currency:
                return None  # "EUR 5 mn ( $ 6.5 mn )" converts a currency; it is not last year's figure
            sign_before = sign_now
            for m in range(k, min(n, k + 7)):
                if lower[m] in loss_words:
                    sign_before = -1.0
                elif lower[m] in ("profit", "profits", "net_profit", "operating_profit"):
                    sign_before = 1.0
                value = _number(raw[m].lstrip("("), raw[m + 1] if m + 1 < n else None)
                if value is not None:
                    before_percent = raw[m].endswith("%") or (m + 1 < n and lower[m + 1] in ("%", "pct", "percent"))
                    if before_percent != percent:
                        return None  # a share against an amount: not the same measure
                    return now, sign_before * value
            return None
        return None

