"""fin_rules: vader_fin's rules, from a headline's tokens to the valence of each word.

:func:`apply_rules` is the rule engine of :mod:`hkbt.sentiment.vader_fin`. It gets one text as
VADER's tokens (``words``, ``lower``) and its whitespace tokens (``raw``, which keep punctuation:
a comma ends a clause, "5 %" is a figure), plus each word's valence from the lexicon (``base``),
and returns what VADER's algorithm then scores (:class:`RuledText`): changed valences, per-word
hedge factors, and a clause to scale. Each rule is a function of the :class:`RuledText` and the
word classes of ``hkbt/sentiment/lexicons/vader_fin_rules.txt`` (:class:`~hkbt.sentiment.fin_lexicon.RuleWords`);
:data:`hkbt.sentiment.vader_fin.FIN_RULES` says what each does, with examples.

The rules read *classes* of words, never phrases of a particular headline: "a verb that ends
something, then the thing it ends", "a change word, then a quantity", "a negation, then the rest
of its clause". Order matters and is fixed in :func:`apply_rules`: words that are names or genres
are set aside first; then quantities get their direction; then the verbs that stop, end, fail or
negate act on the valences found so far; quoting, hedges and the clause structure come last.

Example::

    >>> from hkbt.sentiment.fin_lexicon import RuleWords, read_lexicon_file
    >>> rules = RuleWords(read_lexicon_file("vader_fin_rules.txt"))
    >>> text = "Beijing says the crackdown is_over"
    >>> lower = text.lower().split()
    >>> ruled = apply_rules(rules, text.split(), text.split(), lower, [None, None, None, -2.3, None], ["lexicon"] * 5)
    >>> ruled.base[3], ruled.spans[3]
    (2.3, 'crackdown … is_over')
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

from vaderSentiment.vaderSentiment import NEGATE

from hkbt.sentiment.fin_lexicon import RuleWords

__all__ = [
    "SEPARABLE_VERBS", "RULE_VALENCE", "N_SCALAR", "LONG_NEGATIONS", "NEGATIONS", "PERIOD_LEVELS",
    "SAY", "COMPARE_CUES", "OPENING_QUOTE", "RuledText", "apply_rules",
]

RULE_VALENCE = 2.0
"""VADER valence of a plain ordinary change of a financial quantity ("sales rose"): about
VADER's "gain" (2.4) or "strong" (2.3) less a little, so one such clause alone scores ±0.46."""

N_SCALAR = -0.74
"""VADER's negation factor; the longer-reaching negations here use it too."""

_PUNCT = string.punctuation
_CLAUSE_END = frozenset(";:!?.")

# Words that end the search for a change word's subject on its left: a new clause starts.
# Verbs after which "to <change word>" still has the subject on the left: "profit is expected to rise".
_RAISING = frozenset(
    "expected set likely unlikely forecast seen poised projected estimated continue continues continued is are was "
    "were tipped bound due expect expects going about begin begins began start starts started seems appears "
    "predicted".split()
)
_CLAUSE_WORDS = frozenset(
    "while whereas but although though however after as because since when following thanks due "
    "despite and which that who amid whilst before once unless if".split()
)
_UNITS = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "mln": 1e6, "million": 1e6, "millions": 1e6,
    "b": 1e9, "bn": 1e9, "billion": 1e9, "billions": 1e9, "tn": 1e12, "trillion": 1e12,
}
_NUMBER_RE = re.compile(r"^\(?[A-Za-z$€£¥]{0,4}\$?(\d[\d,]*(?:\.\d+)?|\.\d+)([A-Za-z%]{0,8})\)?$")
COMPARE_CUES = frozenset({"from", "compared", "versus", "vs", "vs.", "against"})
_RESULT_WORDS = frozenset(
    "profit profits net_profit operating_profit pretax_profit pre_tax_profit loss losses net_loss operating_loss "
    "pretax_loss pre_tax_loss earnings result results ebit".split()
)
_STATE_FILLERS = frozenset(
    "a an the its their net operating pre-tax pretax quarterly annual full-year half-year first second third small "
    "slight modest narrow deep large big ever".split()
)
_FIRSTS = frozenset({"first", "first-ever", "maiden"})  # "first quarterly profit": a state reached for the first time

_QUOTES = "'\"‘’“”"
OPENING_QUOTE = re.compile("(?:^|\\s)['\"‘“]")
_OPENING = frozenset("'\"‘“")
"""A token that opens a quotation: the quoted-words rule only runs when the text has one."""
# Record levels that a bound change word reaches ("cut ... to a record low"): part of the change.
_PERIOD_RE = re.compile(r"^(\d+|one|two|three|four|five|six|seven|eight|nine|ten|multi)-(year|month|week|day|decade)$|^(decade|record)$")
_PLAIN_LEVELS = frozenset("low lows high highs lowest highest".split())
_LEVELS = frozenset(
    "record_high record_highs record_low record_lows all_time_high all_time_highs all_time_low all_time_lows "
    "multi_year_high multi_year_low year_high year_low".split()
)
# Words that may stand between a verb and its object without counting towards the reach:
# "sells its entire stake", "buys more of the shares".
_OBJECT_FILLERS = frozenset("its their his her the a an more entire nearly almost about some all of".split())
# After a verb that reports where a price finished ("ends", "closes"), these say it is a level, not a stop.
_FINISH_NEXT = frozenset(
    "at higher lower up down flat little slightly near above below over under barely unchanged mixed in on with "
    "sharply modestly firmly".split()
)
_SIDES = {"above": 1, "over": 1, "below": -1, "under": -1}
_PERIODS = frozenset("day week month year session quarter morning afternoon half".split())
# Negations whose reach the rules extend beyond VADER's three words (to the end of the clause, up to six).
LONG_NEGATIONS = frozenset(
    "not no never won't wont cannot can't isn't aren't wasn't weren't doesn't don't didn't hasn't haven't "
    "hadn't shouldn't wouldn't couldn't nor".split()
)
_LONG_NEGATION_REACH = 6
_STOP_AFTER_REACH = 10  # "the problems at the Oulu plant have now been fixed": the subject may stand far back
NEGATIONS = frozenset(NEGATE) | LONG_NEGATIONS
"""Every word VADER or the rules read as a negation ("without" too); a text with one goes through the rules."""
# Words before a noun: after them a verb-only word ("rivals", "tops") is the noun ("its rivals", "the tops").
_NOUN_MARKERS = frozenset(
    "its their his her our your the a an to from with and of over against than all other for by on in at "
    "two three several many some local foreign domestic chinese us major key main bigger larger smaller "
    "lags lag lagged trails trail trailed beats beat outpaces outpaced outsells outsold overtakes overtook behind "
    "past".split()  # after a verb of ranking, the word ranked against is a noun: "lags rivals in user growth"
)
_RANKING = frozenset("lags lag lagged trails trail trailed beats outpaces outpaced outsells overtakes leads behind".split())
# Prepositions that start an adjunct: a verb's object ends before them ("blocks DeepSeek over data concerns").
_ADJUNCTS = frozenset("over for citing amid after due because despite under via through across without by".split())
# Prepositions: a change word's direct object comes before any of them ("raises HK$40 billion in a placement").
_PREPOSITIONS = _ADJUNCTS | frozenset("on at by in with into".split())
# Taxes whose "on" phrase names their scope, like a restriction's ("stamp duty on home purchases halved").
_TAXES = frozenset("stamp_duty transaction_tax tax taxes levy levies".split())
# "sales of <shares>" is a holder selling, not revenue ("steps up sales of Tencent shares").
_SALES = frozenset("sales sale".split())
_SHARES = frozenset("shares stock stake stakes".split())
# After one of these a participle describes the object ("postpones a planned tariff").
_DETERMINERS = frozenset("a an the its their his her our this these those".split())
# Before a verb, words that make it no finite verb after a subject: "to end", "will end", "could fade".
_NOT_FINITE = frozenset("to will would could may might can should must".split())
_FUNCTION_WORDS = _PREPOSITIONS | frozenset("to of and or but as than from is are was were be".split())
_NO_MARKET_FACTOR = 0.1  # like 'nothing moved': a disaster, a match or a summit is no trade
_STOP_FLOOR = 0.75 * 2.0  # a turned-round valence is at least this strong (3/4 of RULE_VALENCE)
_SCARE_QUOTE_WORDS = 3  # at most this many words in quotes before a noun: someone's word, not the news

_PARTICLE_VERBS = frozenset(
    "set sets setting shut shuts shutting step steps stepped stepping wind winds wound back backs backed "
    "turn turns turned break breaks broke make makes made take takes took taken sign signs "
    "signed team teams teamed line lines lined follow follows followed write writes wrote "
    "written put puts lay lays laid cut cuts slow slows slowed tie ties tied hold holds held play plays "
    "played back-up pay pays paid paying".split()
)
_BE = frozenset("was were is are be been being".split())
_AS_COMPOUND_BEFORE = frozenset({"such", "so", "as", "well", "just", "twice", "same"})
_AS_COMPOUND_AFTER = frozenset({"well", "much", "many", "long", "soon", "expected", "part", "if", "though", "of", "to"})

_CURRENCY_RE = re.compile(r"^\(?([A-Za-z]{0,3}[$€£¥]|[A-Z]{3}|[€£¥$])")
_CURRENCY_WORDS = {
    "eur": "EUR", "euro": "EUR", "euros": "EUR", "usd": "USD", "$": "USD", "us$": "USD", "dollar": "USD",
    "dollars": "USD", "hk$": "HKD", "hkd": "HKD", "yuan": "CNY", "rmb": "CNY", "cny": "CNY", "€": "EUR",
    "£": "GBP", "gbp": "GBP", "pounds": "GBP", "¥": "JPY", "yen": "JPY", "jpy": "JPY", "sek": "SEK",
    "cad": "CAD", "mln": "", "mn": "", "m": "", "million": "", "bn": "", "billion": "",
}


# --- one text through the rules -----------------------------------------------------------


@dataclass
class RuledText:
    """One text as the rules see it, and what they decided.

    ``base`` is each word's valence (None: no opinion here) and ``source`` the rule that set it
    (``"lexicon"``, ``"vader"`` or a rule name); ``spans`` names the words a rule paired, ``notes``
    the rules that only took a valence away. ``factor`` (per-word multipliers: hedges, nothing
    moved) and ``clause`` (``(position, before, after)``: scale the words before / from
    ``position`` when the two parts pull against each other) go to
    :meth:`hkbt.sentiment.vader_engine.VaderEngine.compound`, with ``clause_start`` (per word, where its clause
    starts: a negation does not reach across a comma) when the text has a negation and a comma.
    """

    raw: list[str]
    words: list[str]
    lower: list[str]
    base: list[float | None]
    source: list[str]
    spans: dict[int, str] = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)
    factor: list[float] | None = None
    clause: tuple[int, float, float] | None = None
    clause_start: list[int] | None = None

    def __post_init__(self) -> None:
        self.n = len(self.lower)
        self.present = set(self.lower)
        self.joined = " ".join(self.raw)
        # A clause ends after ";", ":", "!", "?", or a full stop after a lower-case word ("fell. Shares"), not
        # after an abbreviation ("U.S.", "Corp.")
        ends = _CLAUSE_END
        self.boundary = [
            t[-1] in ends and (t[-1] != "." or (len(t) > 4 and t[:-1].isalpha() and (t[:-1].islower() or len(t) > 6)))
            for t in self.raw
        ]
        self.skip: set[int] = set()  # words the later rules must leave alone (names, genres, finished prices)
        self.bound_quantity: set[int] = set()
        self.bound_change: dict[int, int] = {}  # change index -> quantity index
        self.acted: set[int] = set()  # stop verbs that turned round what follows them
        self.has: set[str] = set()  # the word classes in the text (RuleWords.classes_in), set by apply_rules

    def clause_ends_before(self, m: int, relative: bool = False) -> bool:
        """Whether word ``m`` starts a new clause after ``m - 1`` (a full stop, a comma, a clause word).

        With ``relative``, "that" / "which" do not end it: a relative clause still describes its noun.
        """
        if self.boundary[m - 1] or self.raw[m - 1].endswith(","):
            return True
        word = self.lower[m]
        return word in _CLAUSE_WORDS and not (relative and word in ("that", "which"))

    def set(self, k: int, value: float | None, rule: str, span: str) -> None:
        self.base[k] = value
        self.source[k] = rule
        self.spans[k] = span

    def own_valence_off(self, k: int, result: float) -> None:
        """Drop the lexicon valence of the verb at ``k`` when the rule's result pulls the other way."""
        value = self.base[k]
        if self.source[k] in ("lexicon", "vader") and value is not None and value * result < 0:
            self.base[k] = None


def apply_rules(
    rules: RuleWords, raw: list[str], words: list[str], lower: list[str], base: list[float | None], source: list[str]
) -> RuledText:
    """Run every rule over one text (``base`` and ``source`` are changed in place) and return its state."""
    t = RuledText(raw, words, lower, base, source)
    t.has = rules.classes_in(t.present)
    if rules.enabled:
        _period_levels(t, rules)
    _names_and_genres(t, rules)
    if rules.enabled:
        _names_fields_and_sayings(t, rules)
    _relief_compounds(t, rules)
    _finished_prices(t, rules)
    _transition(t, rules)
    has = t.has
    if "contest" in has:  # the rules of round 4 test their word class here: one call less for most texts
        _contest(t, rules)
    if "record_verb" in has:
        _records(t, rules)
    _direction(t, rules)
    _comparison(t, rules)
    _rating(t, rules)
    _milestone(t, rules)
    _stop(t, rules)
    _stop_after(t, rules)
    _verdict_after(t, rules)
    _fail(t, rules)
    _long_negation(t)
    _wishes(t, rules)
    _carrier(t, rules)
    _quoted(t)
    _hedges_and_status(t, rules)
    t.clause = _clause(t, rules)
    if rules.enabled and not (NEGATIONS.isdisjoint(t.present) and "n't" not in t.joined):
        t.clause_start = _negation_fences(t)  # a negation stops at a clause's end
    return t


# --- words that are not opinions here -------------------------------------------------------


def _names_and_genres(t: RuledText, rules: RuleWords) -> None:
    """genre: an emotion word that names a genre or kind ("horror game", "killer app") is not an opinion;
    a word that is news only as a verb ("rivals", "tops") is none after "its", "the", "to" ("lags its rivals"), nor
    a change word at the start, after a colon or a number ("Top 10 stocks to watch");
    a hashtag ("#investing", "#markets") files the text under a topic and says nothing of it."""
    if rules.hashtags_are_tags and "#" in t.joined:
        for k, token in enumerate(t.raw):
            if token.startswith("#") and t.base[k] is not None and t.source[k] in ("lexicon", "vader"):
                t.base[k] = None
                t.skip.add(k)
                t.notes.append(("genre", f"{token} (a tag, not the news)"))
    if "verb_only" in t.has:
        for k, w in enumerate(t.lower):
            if w not in rules.verb_only:
                continue
            if k and t.lower[k - 1] in _NOUN_MARKERS and t.base[k] is not None:
                t.base[k] = None
                t.skip.add(k)
                t.notes.append(("genre", f"{t.words[k - 1]} {t.words[k]} (a noun here)"))
            elif k == 0 or t.raw[k - 1].endswith(":") or t.lower[k - 1].isdigit():
                t.skip.add(k)  # "Top 6 stocks to watch", "3 top small-cap stocks": no subject, an adjective
    if "genre" not in t.has:
        return
    for k, w in enumerate(t.lower[:-1]):
        if w in rules.genre and t.lower[k + 1] in rules.media and t.base[k] is not None and not t.raw[k].endswith(","):
            t.base[k] = None
            t.skip.add(k)
            t.notes.append(("genre", f"{t.words[k]} {t.words[k + 1]} (a kind of {t.words[k + 1]}, not a feeling)"))


def _names_fields_and_sayings(t: RuledText, rules: RuleWords) -> None:
    """genre: a capitalised everyday word in a name ("Great Wall Motor"), the field of a race ("lags rivals in user
    growth") and a quantity before "it" or "that", which is a verb ("claims it tops rival models", "fines it": no
    quantity there, its own valence stays)."""
    if not _RANKING.isdisjoint(t.present):
        _ranked_field(t, rules)
    if "vader" in t.source:
        _names_in_capitals(t)
    if "it" in t.present or "that" in t.present:
        for k, w in enumerate(t.lower[:-1]):
            if k and w in rules.quantity and t.lower[k + 1] in ("it", "that") and not t.clause_ends_before(k + 1):
                t.skip.add(k)
    if not _PRICED.keys().isdisjoint(t.present):
        _priced_against_market(t)
    if "off" in t.present:
        _off_a_list(t)
    if not SEPARABLE_VERBS.isdisjoint(t.present):
        _separated_particles(t)


# A verb and its particle with the object between them ("rolls its network out to 40 cities", "pushes the phone
# back to 2027"): the pair means what the joined phrase would ("rolls out" is a launch, "pushes back" a delay).
_REVIEWS = frozenset("review reviews filing inspection inspections test tests audit assessment vetting checks".split())
_SEPARABLE = {
    **dict.fromkeys("roll rolls rolled rolling".split(), (frozenset({"out"}), 1.3)),
    **dict.fromkeys("push pushes pushed pushing".split(), (frozenset({"back"}), -1.2)),
    **dict.fromkeys("call calls called calling put puts putting".split(), (frozenset({"off"}), -1.2)),
    **dict.fromkeys("shut shuts shutting".split(), (frozenset({"down"}), -1.5)),
    **dict.fromkeys("ships shipped".split(), (frozenset({"to"}), 1.0)),
    **dict.fromkeys("make makes made".split(), (frozenset({"available", "available_to"}), 1.3)),
    **dict.fromkeys("pass passes passed".split(), (_REVIEWS, 1.3)),  # "passes the regulator's generative-AI filing"
    **dict.fromkeys("take takes took taking".split(), (frozenset({"private"}), 1.4)),  # round 6: a buyout
    **dict.fromkeys("put puts putting".split(), (frozenset({"on_hold"}), -1.2)),
}
SEPARABLE_VERBS = frozenset(_SEPARABLE)
"""Verbs that may stand apart from their particle; a text with one goes through the rules."""
_SEPARATION = 5  # at most this many words between the verb and its particle


def _separated_particles(t: RuledText) -> None:
    """lexicon: a phrasal verb split by its object reads as the phrase: "NIO rolls its battery-swap network out to 40
    more cities" is a launch, "Apple pushes its first foldable back to 2027" a delay, "calls the merger off" a
    cancellation, "makes DeepSeek R1 available to Azure customers" a launch, "passes the regulator's filing" an
    approval. Joined ("rolls out"), the lexicon has the phrase already."""
    for k, w in enumerate(t.lower):
        entry = _SEPARABLE.get(w)
        if entry is None or t.base[k] is not None and t.source[k] not in ("lexicon", "vader"):
            continue
        particles, value = entry
        for m in range(k + 2, min(t.n, k + 2 + _SEPARATION)):
            if t.clause_ends_before(m):
                break
            if t.lower[m] in particles:
                if value < 0 and any(t.base[x] is not None and t.base[x] < 0 for x in range(k + 1, m)):
                    value = -value  # "puts tariff hikes on hold", "puts the probe off": a bad thing paused (round 6)
                _mute(t, k + 1, m)  # the words between name what was rolled out or pushed back
                t.set(k, value, "lexicon", f"{t.words[k]} … {t.words[m]}")
                t.skip.add(m)
                break


_PRICED = {"premium": 1.5, "discount": -1.5}


def _priced_against_market(t: RuledText) -> None:
    """lexicon: a percentage before 'premium' or 'discount' prices a deal against the market: "offers HK$13 a share,
    a 35% premium" is good news for the target, "places new shares at a 7% discount" bad for holders."""
    for k in range(1, t.n):
        value = _PRICED.get(t.lower[k])
        if value is not None and t.raw[k - 1].rstrip(",").endswith("%"):
            t.set(k, value, "lexicon", f"{t.raw[k - 1]} {t.words[k]}")


_LISTS = frozenset("list lists blacklist entity_list".split())


def _off_a_list(t: RuledText) -> None:
    """stop: 'off' before a list within five words takes a name off it: "court orders the Pentagon to take Xiaomi off
    its military company list" is good news; the words naming the list are no news of their own."""
    for k, w in enumerate(t.lower):
        if w != "off":
            continue
        for m in range(k + 1, min(t.n, k + 6)):
            if t.clause_ends_before(m):
                break
            if t.lower[m] in _LISTS:
                _mute(t, k + 1, m + 1)
                t.set(k, 0.75 * RULE_VALENCE, "stop", f"off … {t.words[m]}")
                t.skip.add(k)
                break


def _names_in_capitals(t: RuledText) -> None:
    """genre: in a sentence-case headline, a capitalised word that only VADER's everyday lexicon knows, followed by
    another capitalised word, is part of a name: "Great Wall Motor suspends its dividend", "Bright Scholar",
    "Dead by Daylight" (a title-case headline capitalises every word, and is left alone)."""
    raw = t.raw
    candidates = [
        k for k, source in enumerate(t.source[: t.n - 1])
        if source == "vader" and t.base[k] and raw[k][:1].isupper() and not raw[k].isupper()
    ]
    if not candidates:
        return
    words = [w for w in raw[1:] if w[:1].isalpha() and len(w) > 3]
    if not words or sum(w[0].isupper() for w in words) > 0.5 * len(words):
        return
    for k in candidates:
        following = raw[k + 1] if k + 1 < len(raw) else ""
        after = raw[k + 2] if k + 2 < len(raw) else ""
        if k == 0 and not after[:1].isupper():
            continue  # "Struggling British carmaker ...": the first word of a headline is capitalised anyway
        if following[:1].isupper() or (following == "by" and after[:1].isupper()):
            t.base[k] = None
            t.skip.add(k)
            t.notes.append(("genre", f"{t.words[k]} {following} (part of a name)"))


def _ranked_field(t: RuledText, rules: RuleWords) -> None:
    """genre: after a verb of ranking, 'in' or 'on' names the field of the race, not a change: in "Ernie lags rivals in
    user growth", "beats rivals on margins" the verb is the news and the quantity says where."""
    for k, w in enumerate(t.lower):
        if w not in _RANKING:
            continue
        for m in range(k + 1, min(t.n, k + 4)):
            if t.clause_ends_before(m):
                break
            if t.lower[m] in ("in", "on"):
                for x in range(m + 1, min(t.n, m + 4)):
                    if t.clause_ends_before(x):
                        break
                    if t.lower[x] in rules.quantity and t.source[x] in ("lexicon", "vader"):
                        t.base[x] = None
                        t.skip.add(x)
                        t.notes.append(("genre", f"{t.words[k]} … in {t.words[x]} (the field of the race)"))
                        break
                break


PERIOD_LEVELS = {"high": 1.8, "highs": 1.8, "peak": 1.8, "low": -1.8, "lows": -1.8, "trough": -1.8}
"""A level after a period ("a three-year high", "its 5-month low"): the price is where it has not been for that long."""
_LEVEL_WORDS = frozenset(PERIOD_LEVELS)


def _period_levels(t: RuledText, rules: RuleWords) -> None:
    """lexicon: "closes at three-year high" is good news, "an eight-month low" bad, as "multi-year high" is (the
    lexicon's phrases cannot hold every number of years); of a bad quantity the other way round ("yields above
    15-month lows")."""
    if _LEVEL_WORDS.isdisjoint(t.present):
        return
    for k, w in enumerate(t.lower[:-1]):
        value = PERIOD_LEVELS.get(t.lower[k + 1])
        if value is not None and _PERIOD_RE.match(w) and w != "record" and not t.raw[k].endswith(","):
            subject = _find_left(t, rules, k, 6)
            if subject is not None and rules.quantity[t.lower[subject]][0] < 0:
                value = -value
            t.set(k + 1, value, "lexicon", f"{t.words[k]} {t.words[k + 1]}")


def _relief_compounds(t: RuledText, rules: RuleWords) -> None:  # noqa: C901 - two kinds of head, one loop each
    """relief: in "tariff truce", "sanctions relief" the head noun is the news; the bad word only names what is eased.
    A head that ends what it names ("licence withdrawals", "subsidy cuts", "tariff removal") turns it round."""
    if "end_head" in t.has:
        for k, w in enumerate(t.lower[:-1]):
            if t.lower[k + 1] not in rules.end_head or t.raw[k].endswith(",") or k in t.skip:
                continue
            entry = rules.quantity.get(w)
            verb_like = w in rules.change or w in rules.stop or w in rules.fail or w in rules.carrier
            if (entry is None and ("_" in w or verb_like)) or (k + 2 < t.n and t.lower[k + 2] in _OBJECT_FILLERS):
                continue  # "fail to halt the slide", "Tencent cuts its dividend": a verb, not a compound noun
            if t.lower[k + 1] in rules.change and _find_right(t, rules, k + 1, 4) is not None:
                continue  # "memory costs cut Xiaomi's smartphone profit": a verb with an object, not "subsidy cuts"
            value = t.base[k]
            polarity = (value > 0) - (value < 0) if value else (entry[0] if entry else 0)
            if polarity:
                t.base[k] = None
                t.skip.update((k, k + 1))
                t.set(k + 1, -polarity * 0.75 * RULE_VALENCE, "relief", f"{t.words[k]} {t.words[k + 1]} (ended)")
    if "relief_head" not in t.has:
        return
    for k, w in enumerate(t.lower[:-1]):
        if t.lower[k + 1] not in rules.relief_head or t.raw[k].endswith(",") or k in t.skip:
            continue
        value = t.base[k]
        restriction = w in rules.quantity and rules.quantity[w][0] < 0
        if (value is not None and value < 0) or restriction:
            t.base[k] = None
            t.skip.add(k)
            head = t.base[k + 1]
            if head is None or head <= 0:  # "tariff cuts": the head eases, whatever "cuts" says alone
                t.set(k + 1, 0.75 * RULE_VALENCE, "relief", f"{t.words[k]} {t.words[k + 1]}")
            else:
                t.notes.append(("relief", f"{t.words[k]} {t.words[k + 1]} (the {t.words[k + 1]} is the news)"))
            t.skip.add(k + 1)


def _finished_prices(t: RuledText, rules: RuleWords) -> None:
    """'ends at its highest', 'closes the week flat': a verb saying where a price finished is no stop; after 'the'
    ('at the end of the period', 'the close of trading') the word is a noun, a point in time."""
    if "finish" not in t.has:
        return
    for k, w in enumerate(t.lower[:-1]):
        following = t.lower[k + 1]
        if w in rules.finish and k and t.lower[k - 1] in ("the", "its", "their") and following == "of":
            t.skip.add(k)
            if t.source[k] in ("lexicon", "vader"):
                t.base[k] = None
            continue
        period = following == "the" and k + 2 < t.n and t.lower[k + 2] in _PERIODS  # "ends the week flat"
        figure = _number(t.raw[k + 1].rstrip(",;."), None) is not None  # "ends 1.2% higher"
        if w in rules.finish and (following in _FINISH_NEXT or period or figure):
            t.skip.add(k)
            if t.source[k] in ("lexicon", "vader"):
                t.base[k] = None
            side = _SIDES.get(following)
            if side and k + 2 < t.n and _number(t.raw[k + 2].rstrip(",;."), None) is not None:
                # "Hang Seng closes above 23,000": a level passed, as the milestone rule reads "passes 23,000"
                t.set(k, side * RULE_VALENCE * 0.8, "milestone", f"{t.words[k]} {following} {t.raw[k + 2]}")


# --- quantities and their direction ----------------------------------------------------------


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
    """The value of a number token like ``9.4``, ``EUR9.4``, ``1,200``, ``5bn``, times a unit word after it.

    >>> _number("5bn", None), _number("1,200", "million"), _number("2024", None), _number("16-year", None)
    (5000000000.0, 1200000000.0, None, None)
    """
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


def _percent_after(t: RuledText, i: int) -> float | None:
    """The percentage right after a change word ("adds 1.3%", "rose by 5 %", "up 0.1 pct"), else None; a move
    in index points counts as 1 %."""
    k = i + 1 + (i + 1 < t.n and t.lower[i + 1] == "by")
    if k >= t.n:
        return None
    token = t.raw[k].rstrip(",;.")
    following = t.lower[k + 1] if k + 1 < t.n else ""
    if token.lower().endswith(("pc", "pct")) and token[:1].isdigit():
        token = token.rstrip("pctPCT") + "%"  # "adds 1pc"
    if following in ("points", "pts", "point") and _number(token, None) is not None:
        return 1.0  # "Hang Seng loses 300 points": an index move, large enough to count
    if token.endswith("%") or following in ("%", "pct", "percent", "per_cent", "pc"):
        match = _NUMBER_RE.match(token)
        if match:
            try:
                return float(match.group(1).replace(",", ""))
            except ValueError:
                return None
    return None


def _transition(t: RuledText, rules: RuleWords) -> None:
    """transition: "swung to a loss", "returned to profit"; and a state reached for the first time ("first quarterly profit")."""
    if "transition" not in t.has and _FIRSTS.isdisjoint(t.present):
        return
    lower, n = t.lower, t.n
    for i, w in enumerate(lower):
        if w in rules.transition and i + 2 < n and lower[i + 1] in ("to", "into", "back"):
            start = i + 2
        elif w in _FIRSTS and i + 1 < n:
            start = i + 1
        else:
            continue
        for k in range(start, min(n, i + 10)):
            state = rules.state.get(lower[k])
            if state is not None:
                t.set(i, state, "transition", " ".join(t.words[i : k + 1]))
                t.base[k] = None
                t.skip.update((i, k))
                t.bound_quantity.add(k)
                break
            if not _is_filler(t.raw, lower, k):
                break


def _find_left(t: RuledText, rules: RuleWords, i: int, reach: int = 12, cross_commas: bool = False) -> int | None:
    """The quantity a change word at ``i`` says changed, before it: "costs rose", "sales were down 5 %".

    An infinitive has no subject there ("tighten rules to cool speculation"), unless it follows a verb like
    "expected" or "set" ("profit is expected to rise").
    """
    if i > 1 and t.lower[i - 1] == "to" and t.lower[i - 2] not in _RAISING:
        return None
    for k in range(i - 1, max(-1, i - 1 - reach), -1):
        if t.boundary[k] or t.lower[k] in _CLAUSE_WORDS or (t.raw[k].endswith(",") and not cross_commas):
            return None  # "loss widened, cuts jobs": a comma ends the subject's clause
        if t.lower[k] in rules.quantity and k not in t.skip:
            return _restriction_over(t, rules, k)
        if t.lower[k] in rules.change and k in t.bound_change:
            # "stocks jump ... on easing": the nearer change word has the subject; across a comma a record
            # judges that change: "GDP rises 6.5 %, slowest since 2009"
            return t.bound_change[k] if cross_commas and t.bound_change[k] != k else None
    return None


def _restriction_over(t: RuledText, rules: RuleWords, k: int) -> int:
    """The subject's head when the quantity at ``k`` only names the scope of a restriction or a tax before it: "stamp
    duty on home purchases halved", "tariffs on EVs raised" change the duty and the tariffs (round 6). Other "on"
    phrases may give a cause ("loss on a price slump"), so only these heads reach over them."""
    for x in range(k - 1, max(-1, k - 5), -1):
        if t.boundary[x] or t.raw[x].endswith(","):
            break
        if t.lower[x] == "on":
            for q in range(x - 1, max(-1, x - 3), -1):
                if (t.lower[q] in rules.restrictions or t.lower[q] in _TAXES) and q not in t.skip:
                    return q
            break
    return k


def _find_right(t: RuledText, rules: RuleWords, i: int, reach: int, stop_verb: bool = False) -> int | None:
    """The quantity a change word at ``i`` acts on, after it: "cut costs", "raised its forecast".

    An object comes before any preposition ("raises HK$40 billion in a share placement" has none). Of a
    compound, the last quantity is the head ("margin lending rules" -> rules). For a verb that stops things
    (``stop_verb``), a word with a valence after the quantity is the head, not a quantity: "halt the stock
    rout" stops a rout (the stop rule's), it does not lower stocks.
    """
    lower, n = t.lower, t.n
    counted = 0
    for k in range(i + 1, n):
        if lower[k] in rules.quantity and k not in t.skip:
            if lower[k] == "number" and k + 1 < n and lower[k + 1] == "of":
                continue
            while k + 1 < n and lower[k + 1] in rules.quantity and k + 1 not in t.skip and not t.clause_ends_before(k + 1):
                k += 1
            if stop_verb and k + 1 < n and not t.clause_ends_before(k + 1) and (t.base[k + 1] or lower[k + 1] in rules.change):
                return None
            return k
        if t.boundary[k] or lower[k] in _CLAUSE_WORDS or lower[k] in rules.change or t.raw[k].endswith(","):
            return None  # an object follows its verb directly: no comma, no new clause
        if lower[k] in _PREPOSITIONS and k > i + 1:
            return None
        if not (lower[k] in _OBJECT_FILLERS or _is_filler(t.raw, lower, k)):
            counted += 1  # "bought nearly $200 million of Alibaba stock": the amount does not count
            if counted >= reach:
                return None
    return None


def _direction(t: RuledText, rules: RuleWords) -> None:  # noqa: C901 - one branch per way a change word finds its quantity
    """direction: a change word and the quantity it changes, signed by both ("costs rose", "cut costs")."""
    lower, n, boundary = t.lower, t.n, t.boundary
    change, quantity = rules.change, rules.quantity
    wished = "wish" in t.has
    for i, w in enumerate(lower):
        entry = change.get(w)
        if entry is None or i in t.skip:
            continue
        if wished and _wished(t, rules, i):  # "urges the US to cancel tariffs": asked for, not done
            if t.source[i] in ("lexicon", "vader"):
                t.base[i] = None  # "urges the Fed to lower rates": nothing is lowered yet
            continue
        direction, strength, fixed, before_noun = entry
        if w in ("up", "down") and not _is_direction_particle(lower, i):
            continue
        if before_noun and i + 1 < n and lower[i + 1] in change and lower[i + 1] not in quantity:
            continue  # "its biggest drop": the superlative sizes the change noun after it
        if before_noun and w.endswith("est") and _sizes_other_noun(t, rules, i):
            continue  # "stocks making the biggest moves": it sizes the moves, not the stocks
        j = None
        if i + 1 < n and lower[i + 1] in ("in", "of") and not boundary[i]:
            j = _find_right(t, rules, i + 1, 4)  # "increase in costs", "decline of sales"
        if w in rules.noun:
            if j is None and i > 0 and lower[i - 1] in quantity and i - 1 not in t.skip:
                j = i - 1  # "sales growth", "cost reduction"
            if j is None:
                continue
        stop_verb = w in rules.stop
        if j is None and before_noun and not boundary[i]:
            j = _find_right(t, rules, i, 3)  # "higher costs", "a narrower loss"
        if j is None and w not in rules.object_only:
            # "costs rose"; "sales totalled EUR 5 mn in 2009 , down 5 %" and "GDP rises 6.5 %, slowest since 2009"
            # reach back across the comma
            after_comma = i > 0 and (lower[i - 1] == "," or t.raw[i - 1].endswith(",")) and (w in ("up", "down") or before_noun)
            j = _find_left(t, rules, i, 20 if after_comma else 12, cross_commas=after_comma)
            verb_ends_clause = i + 1 >= n or t.clause_ends_before(i + 1)
            if j is not None and not before_noun and w not in rules.intransitive and not verb_ends_clause and lower[i + 1] not in _PREPOSITIONS:
                # "stocks extend losses", "memory costs cut Xiaomi's smartphone profit": a quantity after the verb (not
                # after a preposition: "shares slip over security concerns") is what changed; the subject is the cause
                j = _find_right(t, rules, i, 4, stop_verb) or j
        if j is None and not boundary[i] and w not in rules.intransitive:
            j = _find_right(t, rules, i, 5, stop_verb)  # "cut costs", "raised its forecast", "reduce a maximum of ten jobs"
        percent = _percent_after(t, i) if not fixed else None
        if j is None:
            if percent is not None and w not in rules.noun:
                # "Shanghai Composite adds 1.3%": a move by a percentage, of a price the text names
                value = direction * RULE_VALENCE * strength * (0.25 if percent < 0.5 else 1.0)
                t.set(i, value, "direction", f"{t.words[i]} {t.raw[i + 1]}")
                t.bound_change[i] = i
            continue
        polarity, weight, is_restriction = quantity[lower[j]]
        if lower[j] in _SALES and j + 2 < t.n and lower[j + 1] == "of" and not _SHARES.isdisjoint(lower[j + 2 : j + 5]):
            polarity = -1  # "steps up sales of Tencent shares": a holder selling, an overhang, not the firm's revenue
        lifted = is_restriction and w in rules.lift_words and not _raised_to(lower, t.raw, max(i, j))
        if lifted:
            direction = -1  # "lifts sanctions" takes them away; "lifting tariffs to 125 %" raises them
        if lower[j] in rules.ceilings and w in rules.resize and not lifted:
            direction = -direction  # "raises the cap on foreign ownership": a higher ceiling restricts less
        if is_restriction and j < i and direction < 0 and _acts_on_object(t, rules, i):
            direction = 1  # "Dutch curbs bar ASML from servicing": the restriction is the subject that bars, it bites
        sign = fixed or direction * polarity
        small = percent is not None and percent < 0.5  # "home prices edge up 0.1%": no move worth trading
        small = small or _slight(t, i)  # "stocks up slightly", "open marginally down"
        value = sign * RULE_VALENCE * strength * weight * (0.25 if small else 1.0)
        span = f"{t.words[j]} … {t.words[i]}" if j < i else f"{t.words[i]} … {t.words[j]}"
        t.set(i, value, "direction_fixed" if fixed else ("restriction_lifted" if lifted else "direction"), span)
        t.bound_change[i] = j
        t.bound_quantity.add(j)
        for x in range(i + 1, j):  # "dashing rate-cut hopes": words between a verb and its object describe the object
            if t.source[x] in ("lexicon", "vader"):
                t.base[x] = None
        _record_level(t, i, j)
        _purpose(t, j, polarity)
        if lifted and j > i:
            _named_scope(t, j, value)
    _imposed(t, rules)
    for j in t.bound_change.values():
        if j in t.bound_change and t.bound_change.get(j) != j:  # "sales growth slowed": the outer change decides
            t.base[j] = None
    for j in t.bound_quantity:
        if j not in t.bound_change:
            t.base[j] = None  # the quantity noun itself is not an opinion


def _imposed(t: RuledText, rules: RuleWords) -> None:
    """direction: "new US rules", "fresh export curbs": before a restriction no change word has taken, these words
    say it was imposed (more of a bad thing)."""
    if "imposed" not in t.has or rules.restrictions.isdisjoint(t.present):
        return
    for k, w in enumerate(t.lower):
        strength = rules.imposed.get(w)
        if strength is None or k in t.skip or k in t.bound_change:
            continue
        if any(x.startswith("compl") for x in t.lower[max(0, k - 3) : k]):
            continue  # "to comply with new listing rules": rules followed, not imposed
        j = _find_right(t, rules, k, 3)
        if j is None or j in t.bound_quantity or j - k > 3 or not rules.quantity[t.lower[j]][2]:
            continue
        polarity, weight, _ = rules.quantity[t.lower[j]]
        t.set(k, polarity * RULE_VALENCE * strength * weight, "direction", f"{t.words[k]} … {t.words[j]}")
        t.bound_change[k] = j
        t.bound_quantity.add(j)


def _acts_on_object(t: RuledText, rules: RuleWords, i: int) -> bool:
    """Whether the change word at ``i`` is an active verb with an object after it: a name or a determiner follows
    in its clause ("curbs bar ASML", "sanctions cut off the firm"), not a preposition, a figure or the clause's end
    ("tariffs drop to 10 %", "curbs ease for US firms"), and it is no participle ("tariffs cut last year")."""
    w = t.lower[i]
    if i + 1 >= t.n or t.clause_ends_before(i + 1) or w in rules.intransitive or w.endswith(("ed", "en")):
        return False
    following = t.raw[i + 1]
    return following[:1].isupper() or t.lower[i + 1] in _OBJECT_FILLERS


_SLIGHT = frozenset("slightly marginally fractionally".split())


def _slight(t: RuledText, i: int) -> bool:
    """Whether 'slightly', 'marginally' or 'fractionally' stands right before or after the change word at ``i``."""
    return (i > 0 and t.lower[i - 1] in _SLIGHT) or (i + 1 < t.n and t.lower[i + 1] in _SLIGHT)


def _purpose(t: RuledText, j: int, polarity: int) -> None:
    """"withholds approval for the chatbot launch", "cuts funding for new stores": a "for" phrase after a changed
    quantity names what the quantity was for; its words of the same sign describe it and are not news of their own."""
    if j + 2 >= t.n or t.lower[j + 1] != "for" or t.clause_ends_before(j + 1):
        return
    for x in range(j + 2, t.n):
        if t.clause_ends_before(x):
            break
        value = t.base[x]
        if value and value * polarity > 0 and t.source[x] in ("lexicon", "vader"):
            t.base[x] = None


def _named_scope(t: RuledText, j: int, value: float) -> None:
    """restriction_lifted: after a lifted restriction, the rest of its clause names what it covered ("lifts its ban
    on Micron chips in critical infrastructure", "lifts sanctions on a troubled lender"): words there that pull
    against the lifting are no news of their own."""
    for x in range(j + 1, t.n):
        if t.clause_ends_before(x):
            break
        other = t.base[x]
        if other and other * value < 0 and t.source[x] in ("lexicon", "vader"):
            t.base[x] = None


def _sizes_other_noun(t: RuledText, rules: RuleWords, i: int) -> bool:
    """Whether the superlative at ``i`` describes a noun phrase after it that is neither a quantity nor a change:
    "the biggest moves", "Africa's biggest wind park" (but not "the slowest economic growth", "biggest since 2009").

    >>> from hkbt.sentiment.fin_lexicon import read_lexicon_file
    >>> rules = RuleWords(read_lexicon_file("vader_fin_rules.txt"))
    >>> def sizes(text):
    ...     lower = text.lower().split()
    ...     return _sizes_other_noun(RuledText(lower, lower, lower, [None] * len(lower), ["lexicon"] * len(lower)), rules, 1)
    >>> sizes("the biggest moves today"), sizes("the slowest economic growth"), sizes("the biggest since 2009")
    (True, False, False)
    """
    m = i + 1
    while m < t.n and not t.clause_ends_before(m):
        word = t.lower[m]
        if word in rules.quantity or word in rules.change or t.base[m] is not None:
            return False  # the phrase is the superlative's own: "slowest economic growth", "biggest gain"
        if not word.isalpha() or word in _FUNCTION_WORDS or word in _CLAUSE_WORDS:
            break
        m += 1
    return m > i + 1


def _record_level(t: RuledText, i: int, j: int) -> None:
    """"trims its loan prime rate to a record low", "vacancies drop to a 6-year low": the level reached belongs
    to the change."""
    lower, n = t.lower, t.n
    for m in range(max(i, j) + 1, min(n - 1, max(i, j) + 5)):
        if lower[m] == "to":
            level = m + 1
            while level < n - 1 and (lower[level] in ("a", "an", "its", "their", "the") or _PERIOD_RE.match(lower[level])):
                level += 1
            value = t.base[level]
            if (lower[level] in _LEVELS or lower[level] in _PLAIN_LEVELS) and value is not None and value * (t.base[i] or 0) < 0:
                t.base[level] = None  # it says how far the change went, not a second piece of news
                t.skip.add(level)
            break


def _comparison(t: RuledText, rules: RuleWords) -> None:
    """comparison: a quantity with no change word, reported against an earlier figure."""
    compared = not COMPARE_CUES.isdisjoint(t.present) or ("(" in t.joined and any(x.startswith("(") for x in t.raw))
    if not compared:
        return
    lower, raw = t.lower, t.raw
    # "from a loss", "compared with a profit of ...": the earlier state is not news
    for k, w in enumerate(lower):
        if (w in _RESULT_WORDS or w == "negative") and k not in t.bound_change and k not in t.skip:
            m = k - 1
            while m >= 0 and k - m <= 8 and _is_filler(raw, lower, m):
                m -= 1
            if m >= 0 and lower[m] in COMPARE_CUES:
                t.base[k] = None
                t.skip.add(k)
    for j, w in enumerate(lower):
        if w not in rules.quantity or j in t.bound_quantity or j in t.skip:
            continue
        value = _compare(t, rules, j)
        if value is None:
            continue
        polarity, weight, _ = rules.quantity[w]
        now, before = value
        direction = (now > before) - (now < before)
        if not direction:
            continue
        sign = direction if w in _RESULT_WORDS else direction * polarity
        small = before and abs(now - before) < 0.01 * abs(before)  # "EUR 12.1 mn, up from EUR 12.0 mn": no news
        t.set(j, sign * RULE_VALENCE * weight * (0.25 if small else 1.0), "comparison", f"{t.words[j]} (now vs before)")
        t.bound_quantity.add(j)


def _compare(t: RuledText, rules: RuleWords, j: int) -> tuple[float, float] | None:  # noqa: C901 - a small figure parser
    """``(now, before)`` for a quantity at ``j`` reported against an earlier figure, else None.

    Losses count as negative amounts: "profit of 2 compared with a loss of 1" is (2, -1).
    """
    raw, lower, boundary, n = t.raw, t.lower, t.boundary, t.n
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
            if lower[k] in rules.quantity and lower[k] != lower[j]:
                return None  # another quantity comes first; its figure is not ours
            value = _number(token, raw[k + 1] if k + 1 < n else None)
            if value is not None:
                now = sign_now * value
                now_currency = _currency(raw, k)
                percent = token.endswith("%") or (k + 1 < n and lower[k + 1] in ("%", "pct", "percent"))
            continue
        bracket = token.startswith("(")
        cue = lower[k] in COMPARE_CUES or bracket
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
            value = _number(raw[m].lstrip("(").rstrip(".,;"), raw[m + 1] if m + 1 < n else None)  # "(EUR 0.19)."
            if value is not None:
                before_percent = raw[m].endswith("%") or (m + 1 < n and lower[m + 1] in ("%", "pct", "percent"))
                if before_percent != percent:
                    return None  # a share against an amount: not the same measure
                return now, sign_before * value
        return None
    return None


# --- broker ratings and milestones ------------------------------------------------------------


def _rating(t: RuledText, rules: RuleWords) -> None:  # noqa: C901 - the three ways a rating is named
    """rating: 'raises Meituan to buy' (the move decides), 'turns overweight on', 'starts at sell' (the rating
    does), 'to stable from negative' (the two ratings do)."""
    if "rating" not in t.has:
        return
    lower, change, n = t.lower, rules.change, t.n
    for p, w in enumerate(lower):
        sign = rules.rating.get(w)
        if sign is None or p == 0 or p in t.bound_change:
            continue
        if not (lower[p - 1] in ("to", "at", "with") or lower[p - 1] in rules.rating_move):
            continue
        if p + 1 < n and lower[p + 1] in _OBJECT_FILLERS and not t.clause_ends_before(p + 1):
            continue  # "to sell its browser": a verb with an object, not a rating
        earlier = _rating_from(t, rules, p)
        if earlier is not None:
            move = (sign > rules.rating[lower[earlier]]) - (sign < rules.rating[lower[earlier]])
            if move:
                t.set(p, move * RULE_VALENCE, "rating", f"to {t.words[p]} from {t.words[earlier]}")
                t.base[earlier] = None
                continue
        for k in range(p - 1, max(-1, p - 8), -1):
            if t.boundary[k] or (lower[k] in _CLAUSE_WORDS and k < p - 1):
                break
            entry = change.get(lower[k])
            if lower[p - 1] == "to" and entry is not None and not entry[2] and k < p - 1:
                t.set(p, entry[0] * RULE_VALENCE, "rating", f"{t.words[k]} … to {t.words[p]}")
                t.base[k] = None
                break
            if lower[k] in rules.rating_move and sign:
                t.set(p, sign * RULE_VALENCE, "rating", f"{t.words[k]} … {t.words[p]}")
                if t.source[k] in ("lexicon", "vader"):
                    t.base[k] = None
                break


def _rating_from(t: RuledText, rules: RuleWords, p: int) -> int | None:
    """The earlier rating in "to <rating> from <earlier rating>", or None."""
    if t.lower[p - 1] != "to":
        return None
    for m in range(p + 1, min(t.n - 1, p + 3)):
        if t.lower[m] == "from" and t.lower[m + 1] in rules.rating:
            return m + 1
    return None


_RECORDS = frozenset("record records chart charts leaderboard leaderboards".split())  # "tops the download charts" too


_APPEALS = frozenset("appeal appeals bid_to_overturn attempt_to_overturn effort_to_overturn".split())
_REFUSED = frozenset("rejected dismissed denied refused overruled".split())


def _contest(t: RuledText, rules: RuleWords) -> None:
    """contest: 'wins its appeal against a tax assessment' is good news, 'loses appeal against record fine' bad: the
    verb says who won; what follows the contest noun in its clause only names what was contested. An appeal is the
    subject's own: 'Xiaomi's appeal against the ban rejected' is bad news."""
    if "contest" not in t.has:
        return
    for k, w in enumerate(t.lower):
        if w not in _APPEALS or k in t.skip:
            continue
        end = _clause_span(t, k)[1]
        refused = next((m for m in range(k + 1, end) if t.lower[m] in _REFUSED), None)
        if refused is not None:
            _mute(t, k, end)
            t.set(refused, -RULE_VALENCE, "contest", f"{t.words[k]} … {t.words[refused]}")
    for k, w in enumerate(t.lower):
        sign = 1 if w in rules.won else (-1 if w in rules.lost else 0)
        if sign and k not in t.skip:
            _contest_won_or_lost(t, rules, k, sign)


def _contest_won_or_lost(t: RuledText, rules: RuleWords, k: int, sign: int) -> None:
    """The verb at ``k`` (won: +1, lost: -1) and the contest noun a few words on: the verb is the news."""
    for m in range(k + 1, min(t.n, k + 6)):
        if t.clause_ends_before(m):
            return
        if t.lower[m] in rules.contest:
            t.set(k, sign * RULE_VALENCE, "contest", f"{t.words[k]} … {t.words[m]}")
            t.skip.add(k)
            _mute(t, k + 1, _clause_span(t, k)[1])
            return
        if t.base[m] and t.source[m] in ("lexicon", "vader"):
            return  # "wins a lukewarm welcome": another object


def _mute(t: RuledText, start: int, end: int) -> None:
    """Words ``start``..``end - 1`` only name what a rule has already read: their own valences go, no rule reads them."""
    for x in range(start, end):
        if t.source[x] in ("lexicon", "vader"):
            t.base[x] = None
        t.skip.add(x)


def _records(t: RuledText, rules: RuleWords) -> None:
    """record: 'crushes download records', 'sets a sales record' are good news; 'losses break the record' bad."""
    if "record_verb" not in t.has or _RECORDS.isdisjoint(t.present):
        return
    for k, w in enumerate(t.lower):
        if w not in rules.record_verb or k in t.skip:
            continue
        for m in range(k + 1, min(t.n, k + 5)):
            if t.clause_ends_before(m):
                break
            if t.lower[m] in _RECORDS:
                if m + 1 < t.n and t.lower[m + 1] in rules.quantity and not t.clause_ends_before(m + 1):
                    break  # "beats record sales": the direction rule's
                subject = _find_left(t, rules, k, 6)
                sign = -1 if subject is not None and rules.quantity[t.lower[subject]][0] < 0 else 1
                _mute(t, k + 1, m + 1)
                t.set(k, sign * RULE_VALENCE * 0.9, "record", f"{t.words[k]} … {t.words[m]}")
                t.skip.add(k)
                break


def _milestone(t: RuledText, rules: RuleWords) -> None:
    """milestone: passing a figure ('passes 10 million users', 'tops $1 trillion') is good news, unless the
    thing counted is bad ('losses top $1 billion' is the direction rule's)."""
    if "milestone" not in t.has:
        return
    for k, w in enumerate(t.lower):
        if w not in rules.milestone or k in t.bound_change or k in t.skip:
            continue
        figure = None
        for m in range(k + 1, min(t.n, k + 4)):
            if _number(t.raw[m].rstrip(",;."), None) is not None:
                figure = m
                break
            if t.lower[m] not in ("the", "a", "an", "its", "their", "over", "above", "past"):
                break
        if figure is None or t.raw[figure].rstrip(",;.").endswith("%"):
            continue
        subject = _find_left(t, rules, k, 6)
        if subject is not None and rules.quantity[t.lower[subject]][0] < 0:
            continue
        t.set(k, RULE_VALENCE * 0.8, "milestone", f"{t.words[k]} {t.raw[figure]}")


# --- verbs that stop, end, fail or negate what is around them -----------------------------------


def _stop(t: RuledText, rules: RuleWords) -> None:  # noqa: C901 - one loop, the object search and its two outcomes
    """stop: a word that stops something takes the sign off what follows it in its clause.

    Words of ``@stop`` turn a bad thing into good news ("stems the rout", "blocks the ban"); words of
    ``@end`` also turn a good thing into bad news ("scraps its buyback", "delays the launch", "skips
    approvals"). The object is the first noun phrase with a valence within seven words, up to a
    preposition that starts an adjunct ("blocks DeepSeek over data concerns": the concerns are the
    reason, not the object); a relative clause still belongs to it ("drops a rule that would have
    capped exports"). The phrase's head, its last word with a valence, decides: "no longer faces a
    licence freeze" ends a freeze.
    """
    if "stop" not in t.has:
        return
    lower, base, n = t.lower, t.base, t.n
    change_of = {q: c for c, q in t.bound_change.items() if c != q}  # a bound quantity's valence is on its change word
    for k, w in enumerate(lower):
        scale = rules.stop.get(w)
        if scale is None or k in t.skip or _wished(t, rules, k):
            continue
        if k and lower[k - 1] in _PREPOSITIONS and base[k] is None:
            continue  # "falls on weather disruptions": after a preposition the word is a noun, no verb (round 6)
        if k in t.bound_change:  # "halts production", "scraps its dividend": the direction rule has the object
            q = t.bound_change[k]
            if w in rules.end and q > k and any(x in ("that", "which") for x in lower[q + 1 : q + 3]):
                # "scraps the subsidy scheme that would have boosted EV sales": what the scheme would have done is
                # part of what was scrapped
                _stopped_rest(t, q, rules.quantity[lower[q]][0])
            continue
        ends_good = w in rules.end
        reach = k + 8
        for m in range(k + 1, n):
            if m >= reach or t.clause_ends_before(m, relative=True) or lower[m] in _ADJUNCTS:
                break
            if lower[m] in ("that", "which", "to"):
                reach = m + 8  # "drops the rule that would have capped chip exports", "drops its plan to put drone
                # makers on the entity list": a relative clause or an infinitive belongs to the object
            if (
                not base[m] and m > k + 1 and lower[m].endswith("ed") and lower[m] not in rules.quantity
                and lower[m - 1] not in _DETERMINERS
            ):  # "dismisses traders linked to a loss": the object ended before the participle; after a determiner a
                break  # participle describes the object ("postpones a planned tariff", round 6)
            if m in change_of:
                head = change_of[m]  # "stop stocks from sliding": the change word carries the object's valence
            elif base[m] or (lower[m] in rules.quantity and m not in t.skip):
                head = _phrase_head(t, rules, m)
            else:
                continue
            if head is None:  # a good quantity named alone: "no longer expects any sales", "delays its IPO"
                last = _phrase_end(t, rules, m) - 1
                entry = rules.quantity.get(lower[last])
                if not ends_good or entry is None or entry[0] < 0 or last in t.bound_quantity:
                    break
                head = last
                base[head] = RULE_VALENCE * entry[1] * 0.75
            value = base[head]
            if value < 0 or ends_good:
                for x in range(m, head):
                    if base[x] and x not in t.bound_change:
                        base[x] = None  # a modifier of the head: "licence" in "licence freeze"
                t.set(head, _turned(value, scale), "stop", f"{t.words[k]} … {t.words[head]}")
                t.acted.add(k)
                t.own_valence_off(k, -value)
                if any(x in ("to", "that", "which") for x in lower[k + 1 : head + 1]):
                    _stopped_rest(t, head, value)
            break


def _stopped_rest(t: RuledText, head: int, value: float) -> None:
    """stop: the rest of a stopped plan (an infinitive or a relative clause after the stop verb), up to an adjunct or
    the clause's end, is part of what was stopped: in "scraps its plan to add drone makers to the entity list" the
    entity list is the plan's, not a new listing; its words of the stopped thing's sign count for nothing."""
    for x in range(head + 1, min(t.n, head + 9)):
        if t.clause_ends_before(x, relative=True) or t.lower[x] in _ADJUNCTS:
            break
        other = t.base[x]
        if other and other * value > 0 and t.source[x] in ("lexicon", "vader", "direction"):
            t.base[x] = None
            t.notes.append(("stop", f"{t.words[head]} … {t.words[x]} (part of what was stopped)"))


def _wished(t: RuledText, rules: RuleWords, k: int) -> bool:
    """Whether a wish word ('urges', 'calls for', 'demands') comes before ``k`` in its clause: then what follows
    is asked for, not done ("China urges the US to cancel new tariffs": the tariffs stand)."""
    for m in range(k - 1, max(-1, k - 8), -1):
        if t.lower[m] in rules.wish:
            return True
        if t.clause_ends_before(m + 1) and t.lower[m + 1] != "to":
            return False
    return False


def _phrase_end(t: RuledText, rules: RuleWords, m: int) -> int:
    """One past the last word of the noun phrase starting at ``m``: words with a valence or quantities, adjacent."""
    e = m + 1
    while e < t.n and not t.clause_ends_before(e) and t.lower[e] not in _ADJUNCTS and (
        t.base[e] or t.lower[e] in rules.quantity
    ):
        e += 1
    return e


def _phrase_head(t: RuledText, rules: RuleWords, m: int) -> int | None:
    """The last word with a valence in the noun phrase starting at ``m`` ("antitrust probe" -> probe), or None."""
    heads = [x for x in range(m, _phrase_end(t, rules, m)) if t.base[x]]
    return heads[-1] if heads else None


def _turned(value: float, scale: float) -> float:
    """A valence turned round by a stop verb: at least as strong as a rule's (stopping a fear is real news).

    >>> _turned(-0.56, 1.0), _turned(-2.3, 1.0), _turned(1.3, 1.0)
    (1.5, 2.3, -1.5)
    """
    magnitude = max(abs(value), _STOP_FLOOR) * scale
    return magnitude if value < 0 else -magnitude


def _stop_after(t: RuledText, rules: RuleWords) -> None:
    """stop_after: a verb after the thing it ends ('the crackdown is over', 'the rally fades', 'talks stall')."""
    if "stop_after" not in t.has:
        return
    lower, base = t.lower, t.base
    for k, w in enumerate(lower):
        if w not in rules.stop_after or k in t.bound_change or k in t.skip or k in t.acted:
            continue
        if w.endswith("ing") or (k and lower[k - 1] in _NOT_FINITE):
            continue  # "fading game momentum", "pledge to end": not a verb after its subject
        following = lower[k + 1] if k + 1 < t.n else ""
        if following and not t.clause_ends_before(k + 1) and following not in _FUNCTION_WORDS and (
            t.raw[k + 1][:1].isupper() or following in _OBJECT_FILLERS
        ):
            continue  # "a shortage of chips stalls Baidu's build-out": a verb with an object, what it stops follows
        for m in range(k - 1, max(-1, k - _STOP_AFTER_REACH), -1):
            if t.clause_ends_before(m + 1):
                break
            value = base[m]
            if value and m not in t.bound_quantity and t.source[m] in ("lexicon", "vader"):
                t.set(m, _turned(value, 1.0), "stop", f"{t.words[m]} … {t.words[k]}")
                t.own_valence_off(k, -value)
                break


def _verdict_after(t: RuledText, rules: RuleWords) -> None:
    """verdict: 'falls short', 'disappoints' after a good thing say it did not deliver: the good word counts for nothing."""
    if "verdict_after" not in t.has:
        return
    for k, w in enumerate(t.lower):
        if w not in rules.verdict_after:
            continue
        for m in range(k - 1, max(-1, k - 6), -1):
            if t.clause_ends_before(m + 1):
                break
            if t.base[m] and t.base[m] > 0 and t.source[m] in ("lexicon", "vader"):
                t.base[m] = None
                t.notes.append(("verdict", f"{t.words[m]} … {t.words[k]} (did not deliver)"))


def _fail(t: RuledText, rules: RuleWords) -> None:
    """fail: 'fails to', 'unable to', 'declines to', 'rules out' turn round everything after them in their clause."""
    if "fail" not in t.has:
        return
    for k, w in enumerate(t.lower):
        scale = rules.fail.get(w)
        if scale is None:
            continue
        figure = k + 2 if k + 2 < t.n and _CURRENCY_WORDS.get(t.lower[k + 1]) else k + 1  # "declined to EUR 5 mn"
        if w.startswith("decline") and figure < t.n and _number(t.raw[figure].rstrip(",;."), None) is not None:
            _declined_to_figure(t, rules, k)  # "the operating margin declined to 3.8 %": a fall, no refusal
            continue
        for m in range(k - 1, -1, -1):  # "stimulus package fails to stop the slide": the good subject did not deliver
            if t.clause_ends_before(m + 1):
                break
            if t.base[m] and t.base[m] > 0 and t.source[m] in ("lexicon", "vader"):
                t.base[m] = None
                t.notes.append(("fail", f"{t.words[m]} … {t.words[k]} (did not deliver)"))
        turned = 0.0
        for m in range(k + 1, t.n):
            if t.clause_ends_before(m, relative=True):
                break
            if t.base[m]:
                t.set(m, t.base[m] * scale, "fail", f"{t.words[k]} … {t.words[m]}")
                turned += t.base[m]
        if turned and t.source[k] in ("lexicon", "vader"):
            t.base[k] = None  # the turned words carry the news; alone, 'fails to' keeps its own sign


def _declined_to_figure(t: RuledText, rules: RuleWords, k: int) -> None:
    """direction: "declined to" before a figure is a fall to it, not a refusal ("the margin declined to 3.8 %")."""
    q = _find_left(t, rules, k, 8)
    if q is None:
        return
    polarity, weight, _ = rules.quantity[t.lower[q]]
    t.set(k, -polarity * RULE_VALENCE * weight, "direction", f"{t.words[q]} … {t.words[k]}")
    t.bound_change[k] = q
    t.bound_quantity.add(q)
    t.base[q] = None


def _long_negation(t: RuledText) -> None:
    """negation: 'won't be added to the entity list': a negation reaches past VADER's three words to the first
    valence in its clause (up to six words)."""
    if LONG_NEGATIONS.isdisjoint(t.present):
        return
    for k, w in enumerate(t.lower):
        if w not in LONG_NEGATIONS:
            continue
        for m in range(k + 1, min(t.n, k + 1 + _LONG_NEGATION_REACH)):
            if t.clause_ends_before(m):
                break
            if t.base[m]:
                if m - k > 3:  # within three words VADER negates it itself
                    t.set(m, t.base[m] * N_SCALAR, "negation", f"{t.words[k]} … {t.words[m]}")
                break


def _negation_fences(t: RuledText) -> list[int] | None:
    """negation: VADER's negation looks three words back whatever stands between; here it stops at a comma or a
    full stop ("session ends without new stimulus, disappointing investors": the disappointment is not negated).
    Per word, the first word of its clause, or None when no negation could cross one."""
    if NEGATIONS.isdisjoint(t.present) and "n't" not in t.joined:
        return None
    starts, start = [], 0
    for k, token in enumerate(t.raw):
        starts.append(start)
        if t.boundary[k] or token.endswith(","):
            start = k + 1
    return starts if start else None


def _wishes(t: RuledText, rules: RuleWords) -> None:
    """wish: after 'urges', 'calls for', 'seeks', a good thing in the clause is asked for, not done: it counts by
    the @wish weight ("Trump urges the Fed to lower rates"); a bad thing named there stands ("urges the US to
    cancel new tariffs": the tariffs are real)."""
    if "wish" not in t.has:
        return
    for k, w in enumerate(t.lower):
        if w not in rules.wish or w in rules.quantity:
            continue  # "demand for HK property is strong": the quantity, not the verb
        for m in range(k + 1, t.n):
            if t.clause_ends_before(m, relative=True) and t.lower[m] != "to":
                break
            value = t.base[m]
            if value and value > 0:
                t.set(m, value * rules.wish_factor, "wish", f"{t.words[k]} … {t.words[m]} (asked for, not done)")


def _carrier(t: RuledText, rules: RuleWords) -> None:
    """carrier: 'launches a probe': the object is the news; the verb's own sign counts only when they agree, and
    not at all when the object is a publication ('releases April trade data', 'unveils its annual report')."""
    if "carrier" not in t.has:
        return
    for k, w in enumerate(t.lower):
        value = t.base[k]
        if w not in rules.carrier or value is None or t.source[k] not in ("lexicon", "vader"):
            continue
        before = t.base[k - 1] if k else None
        if w.endswith("ed") and before and before * value < 0 and not t.clause_ends_before(k):
            t.base[k] = None  # "probe launched into dairy imports": the passive's subject is the news
            t.notes.append(("carrier", f"{t.words[k - 1]} ← {t.words[k]} (the subject carries the news)"))
            continue
        for m in range(k + 1, min(t.n, k + 5)):
            if t.clause_ends_before(m):
                break
            if t.lower[m] in rules.publication and not t.base[m]:
                t.base[k] = None  # "China releases April trade data": a publication is no launch
                t.notes.append(("carrier", f"{t.words[k]} → {t.words[m]} (a publication, not a launch)"))
                break
            if t.base[m]:
                if t.base[m] * value < 0:
                    t.base[k] = None
                    t.notes.append(("carrier", f"{t.words[k]} → {t.words[m]} (the object carries the news)"))
                break


def _quoted(t: RuledText) -> None:
    """quoted: a quoted name in capitals ("'Doom Fighters'") is a name; a word or two in quotes before a noun
    ("its 'great' game pipeline") is someone else's word, not the news. Neither is an opinion."""
    raw, n, joined = t.raw, t.n, t.joined
    if not (joined[:1] in _OPENING or " '" in joined or ' "' in joined or " ‘" in joined or " “" in joined):
        return  # OPENING_QUOTE over words joined by single spaces, as plain look-ups (most texts have no quote)
    for k, token in enumerate(raw):
        if token[:1] not in _QUOTES or k >= n:
            continue
        end = next((e for e in range(k, min(n, k + 6)) if raw[e][-1:] in _QUOTES and (e > k or len(token) > 1)), None)
        if end is None:
            continue
        title = all(x.strip(_QUOTES)[:1].isupper() for x in raw[k : end + 1])
        before_noun = (
            end + 1 < n and end - k < _SCARE_QUOTE_WORDS and raw[end][-1:] in _QUOTES and t.lower[end + 1].isalpha()
            and t.lower[end + 1] not in _FUNCTION_WORDS  # "'not ready' for a deal" is a quoted verdict, not a label
        )
        if not (title or before_noun):
            continue
        for e in range(k, end + 1):
            if t.source[e] in ("vader", "lexicon"):
                t.base[e] = None
        t.notes.append(("quoted", f"{' '.join(t.words[k : end + 1])} ({'a name' if title else 'someone else’s word'})"))


# --- hedges, nothing moved, clauses ---------------------------------------------------------------


def _hedges_and_status(t: RuledText, rules: RuleWords) -> None:
    """hedge: 'may', 'reportedly' scale what follows in their clause; status_quo: 'previously announced', an AGM
    scale all; unchanged: 'in line', 'unchanged' their own clause; no_market: a story of another kind scales all."""
    factor = _hedges(t, rules)
    if "unchanged" in t.has:
        factor = factor or [1.0] * t.n
        for k, w in enumerate(t.lower):
            scale = rules.unchanged.get(w)
            if scale is not None:  # "leaves its dividend policy unchanged": that clause moved nothing
                start, end = _clause_span(t, k)
                if (start and k - start <= 1) or (start == 0 and end == k + 1 and t.raw[k].endswith(":")):
                    start, end = 0, t.n  # "sets its target at 5%, unchanged from last year", "stocks mixed: …": the whole
                for x in range(start, end):
                    factor[x] *= scale
    if "holds" in t.has:
        factor = _ranks_kept(t, rules, factor)
    if rules.question_factor is not None and "?" in t.joined:
        factor = _questions(t, rules.question_factor, factor)
    quiet = _quiet(t, rules)
    if quiet:
        factor = [f * min(quiet) for f in (factor or [1.0] * t.n)]
    t.factor = factor


_RANK_PARTS = frozenset(
    "top most highest best largest biggest leading leader first no number second third strongest fastest richest "
    "cheapest dominant forecast forecasts outlook outlooks guidance target targets".split()
)  # a ranking word, or a forecast kept ("keeps its full-year forecast")


def _ranks_kept(t: RuledText, rules: RuleWords, factor: list[float] | None) -> list[float] | None:
    """status_quo: a verb of staying before a ranking word or a forecast in its clause ('remains the top-selling car
    brand', 'stays the highest-grossing game for a 20th month', 'keeps its full-year forecast') says a rank or a
    forecast was kept: that clause counts by the weight."""
    for k, w in enumerate(t.lower):
        scale = rules.holds.get(w)
        if scale is None or (k + 1 < t.n and t.lower[k + 1].endswith("ing")):
            continue  # "expects volumes to keep growing": a change that goes on, no status quo
        start, end = _clause_span(t, k)
        ranked = any(
            part in _RANK_PARTS for x in t.lower[k + 1 : min(end, k + 7)] for part in re.split(r"[_\-]", x)
        )
        if ranked:
            factor = factor or [1.0] * t.n
            for x in range(start, end):
                factor[x] *= scale
            t.notes.append(("status_quo", f"{t.words[k]} … (a rank kept: x{scale:g})"))
    return factor


def _questions(t: RuledText, scale: float, factor: list[float] | None) -> list[float] | None:
    """question: a sentence that ends in '?' asks, it does not report ('Is Shopify stock a buy?', 'Should you
    add these funds?', 'Why is gold lower?'): its words count by ``scale`` (``question`` in ``@marks``); a sentence
    after it that reports keeps its weight."""
    start = 0
    for k, token in enumerate(t.raw):
        if token.endswith("?"):
            factor = factor or [1.0] * t.n
            for x in range(start, k + 1):
                factor[x] *= scale
            t.notes.append(("question", f"{' '.join(t.words[start : k + 1])} (asked, not reported: x{scale:g})"))
        if t.boundary[k]:
            start = k + 1
    return factor


def _hedges(t: RuledText, rules: RuleWords) -> list[float] | None:
    """Per-word factors of the hedges: each scales the rest of its clause."""
    if "hedge" not in t.has:
        return None
    lower, n = t.lower, t.n
    factor = [1.0] * n
    for h, w in enumerate(lower):
        scale = rules.hedge.get(w)
        if scale is None:
            continue
        for k in range(h + 1, n):
            if t.boundary[k - 1] or lower[k] in ("but", "while", "whereas", "although"):
                break
            factor[k] *= scale
    return factor


def _quiet(t: RuledText, rules: RuleWords) -> list[float]:
    """Factors for the whole text: nothing moved (status quo, as expected), or no market reading at all."""
    quiet = [rules.status_quo[w] for w in t.present & rules.status_quo.keys()] if "status_quo" in t.has else []
    if "meets" in t.has:
        for k, w in enumerate(t.lower):
            if w in rules.meets and any(x in rules.expectation for x in t.lower[k + 1 : k + 4]):
                quiet.append(rules.meets_factor)
                t.notes.append(("status_quo", f"{t.words[k]} … (as expected: nothing moved)"))
                break
    if "official" in t.has and _remark(t, rules):
        quiet.append(rules.remark_factor)
        t.notes.append(("remark", f"an official's remark, no event (x{rules.remark_factor:g})"))
    if "no_market" in t.has and "market" not in t.has and not _market_phrase(t, rules) and any(
        w in rules.no_market and k not in t.skip for k, w in enumerate(t.lower)
    ):  # a word read as part of a name ("Dead by Daylight") tells no story of another kind
        quiet.append(_NO_MARKET_FACTOR)  # "16 dead in shopping mall fire": no market reading at all
        t.notes.append(("no_market", f"no market word, but a story of another kind (x{_NO_MARKET_FACTOR:g})"))
    return quiet


def _market_phrase(t: RuledText, rules: RuleWords) -> bool:
    """Whether a joined phrase holds a word of business ("app_crashes": the app makes it market news)."""
    return any(
        part in rules.market for w in t.present if "_" in w and w not in rules.no_market for part in w.split("_")
    )  # "gold_medal" is sport, whatever "gold" is


SAY = frozenset("say says said".split())
"""Words that attribute what follows or goes before them to a speaker ("Officials say ...")."""


def _remark(t: RuledText, rules: RuleWords) -> bool:
    """remark: the text is attributed to an official ("...: FS", "..., says the minister", "Officials say ...") and
    no rule found an event in it: every valence is a plain opinion word's."""
    lower, n = t.lower, t.n
    attributed = False
    for k, w in enumerate(lower):
        if w not in rules.official:
            continue
        tail = next((c for c in range(k - 1, max(-1, k - 6), -1) if t.raw[c].endswith(":")), None)
        head = next((c for c in range(k, min(n, k + 3)) if t.raw[c].endswith(":")), None)
        if tail is not None and n - tail <= 6:
            attributed = True  # "Trade wars leave no winners: Xi"
        elif head is not None and head <= 3:
            attributed = True  # "Premier Li: the economy has the resilience to withstand shocks"
        elif k + 1 < n and lower[k + 1] in SAY:
            attributed = True  # "Officials say ..."
        elif any(lower[c] in SAY and t.raw[c - 1].endswith(",") for c in range(max(1, k - 3), k)):
            attributed = True  # "..., says commerce minister"
        if attributed:
            break
    if not attributed:
        return False
    return all(v is None or s in ("lexicon", "vader") for v, s in zip(t.base, t.source))


def _clause_span(t: RuledText, k: int) -> tuple[int, int]:
    """The clause around word ``k``: from after the previous comma or full stop to the next."""
    start = k
    while start > 0 and not (t.boundary[start - 1] or t.raw[start - 1].endswith(",")):
        start -= 1
    end = k + 1
    while end < t.n and not (t.boundary[end - 1] or t.raw[end - 1].endswith(",")):
        end += 1
    return start, end


def _clause(t: RuledText, rules: RuleWords) -> tuple[int, float, float] | None:
    """The clause structure: ``(position, before, after)`` factors when two parts pull against each other.

    consequence: after a comma, 'weighing on', 'sending', 'lifting' start the verdict: the part before counts
    half. subordinate: 'as', 'amid', 'after' start the context of a main clause: the part after counts half;
    so does 'on' after a change word ('operating profit jumps on weak yen').
    At least two words must come first. "as" counts only as a conjunction: not in "such as", "as well as".
    """
    lower, raw, present = t.lower, t.raw, t.present
    if "consequence" in t.has:
        for h in range(2, t.n):
            scale = rules.consequence.get(lower[h])
            if scale is not None and raw[h - 1].endswith(","):
                return h, scale, 1.0
    if "subordinate" not in t.has and "on" not in present:
        return None
    for h in range(2, t.n):
        scale = rules.subordinate.get(lower[h])
        if lower[h] == "on" and lower[h - 1] in rules.change:  # "profit jumps on weak yen": the cause
            scale = rules.subordinate.get("as")
        if scale is None:
            continue
        following = lower[h + 1] if h + 1 < t.n else ""
        if lower[h] == "as" and (lower[h - 1] in _AS_COMPOUND_BEFORE or following in _AS_COMPOUND_AFTER):
            continue
        return h, 1.0, scale
    return None
