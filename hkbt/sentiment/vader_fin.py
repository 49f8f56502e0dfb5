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
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from hkbt.sentiment.fin_lexicon import RuleWords, compile_phrases, parse_lexicon, read_lexicon_file
from hkbt.sentiment.fin_rules import (
    COMPARE_CUES, SAY, SEPARABLE_VERBS,
    LONG_NEGATIONS, NEGATIONS, OPENING_QUOTE, PERIOD_LEVELS, RULE_VALENCE, RuledText, apply_rules,
)
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

ENGINE_VERSION = "17"
"""Bumped whenever the rule code below, or the file parsing in :mod:`hkbt.sentiment.fin_lexicon`, changes what a
text scores (part of the cache key)."""

EVERYDAY_WEIGHT = 0.8
"""Weight of a word that only VADER's own (social-media) lexicon knows, relative to hkbt's
finance lexicon and rules."""

FIN_RULES: dict[str, str] = {
    "lexicon": "a word or phrase from hkbt's finance/policy/AI lexicon (vader_fin.txt) replaces or "
    "adds to VADER's valence: 'tariffs' -2.0, 'stimulus' +2.0; weight 0 removes a VADER word that "
    "is not an opinion in market news ('shares', 'solutions', 'respectively'); a high or low after a period is a "
    "level ('closes at a three-year high' +, 'a 14-month low' -, of a bad quantity the other way round); a "
    "phrasal verb split by its object reads as the phrase ('rolls its network out to 40 cities' is a launch, 'pushes "
    "the phone back to 2027' a delay, 'makes R1 available to Azure customers' a launch, 'passes the regulator's "
    "filing' an approval), the words between only naming the object ('takes Toyota Industries private' is a buyout, 'puts "
    "its expansion on hold' a pause, round 6; a bad thing put on hold is good news: 'put tariff hikes on hold'); a "
    "percentage before 'premium' or 'discount' prices a deal ('a 35% premium' "
    "+, 'at a 7% discount' -)",
    "direction": "a change word applied to a financial quantity takes its sign from both: more of a "
    "good quantity or less of a bad one is positive ('profit rose', 'loss narrowed', 'cut costs', 'lowers "
    "its base rate', 'buys more shares', 'takes a stake'), less of a good one or more of a bad one is negative "
    "('revenue fell', 'costs rose', 'loss widened', 'sells its stake', 'pauses its buyback', 'slowest sales "
    "growth'); the quantity noun itself then counts for nothing. Subject and change word never pair across a "
    "comma ('loss widened, cuts jobs' is two clauses); a record level reached by the change is part of it "
    "('cuts its rate to a record low'). A change by a percentage with no quantity named is a price move "
    "('Shanghai Composite adds 1.3%'); a move under 0.5 % counts a quarter ('home prices edge up 0.1%'). A verb with a "
    "quantity before it and one after it changes the one after, and the one before is the cause ('memory costs cut "
    "Xiaomi's smartphone profit in half'); verbs of harm ('squeeze', 'eat into', 'dent', 'weigh on') only take an "
    "object ('input costs squeeze margins'); a restriction that is the subject of a blocking verb with an object "
    "bites ('Dutch curbs bar ASML from servicing its tools' is bad news, 'curbs ease' good); rates and costs whose "
    "rise hurts ('HIBOR', 'funding costs', 'memory prices', 'input costs') are bad quantities. 'new', "
    "'fresh', 'additional' before a restriction say it is imposed ('could be cut off under new US rules'), not when it is "
    "complied with; a 'for' phrase after a changed quantity names what it was for ('withholds approval for the "
    "chatbot launch': the launch is no good news of its own); 'the end of', 'the close of' are dates, not stops; "
    "'slightly', 'marginally' next to a change word make it a quarter ('stocks up slightly'); with a quantity both "
    "before a transitive verb and right after it, the one after changed ('stocks extend losses'). Round 6: signing verbs "
    "('seals', 'signs', 'inks', 'clinches') gain the deal, pact or contract they take ('seals a supply pact' is good news; "
    "'a sign of' is no signing); a ceiling named as a noun ('the cap on foreign ownership') is a restriction whose size "
    "verbs turn round ('raises the cap' is good news, 'lowers the cap' bad, 'scraps the cap' good); a platform's own "
    "subsidies are a cost ('delivery subsidies soar' is bad news, state subsidies stay good money); a rate by its name "
    "('raises Selic', 'cuts rate') and a market value ('sheds $400 billion in market value') are quantities; a holder's "
    "'sales of Tencent shares' are a sale, not revenue ('steps up sales of Tencent shares' is bad news); a tax's or "
    "restriction's 'on' phrase names its scope ('stamp duty on home purchases halved' is good news)",
    "direction_fixed": "'improved', 'recovered', 'deteriorated', 'weakened' say better or worse "
    "whatever the quantity ('the loss improved' is good news)",
    "restriction_lifted": "for restrictions (tariffs, sanctions, curbs, bans, export controls) "
    "'lift' and 'remove' mean taken away: 'US lifts sanctions' is positive; the rest of the clause names what the "
    "restriction covered ('lifts its ban on Micron chips in critical infrastructure')",
    "comparison": "a quantity reported against an earlier figure, with no change word, gets its "
    "direction from the numbers: 'operating profit was EUR 5 mn compared with EUR 7 mn' is "
    "negative; '(EUR 3 mn)' after a figure is the earlier figure; a loss counts as a negative profit; a change under 1 % "
    "counts a quarter ('EUR 50.3 mn, compared with EUR 50.1 mn' is no news)",
    "transition": "moving into a state: 'swung to a profit', 'returned to growth', 'first quarterly operating "
    "profit' (positive), 'slipped into the red', 'turned to a loss', 'first annual loss' (negative)",
    "hedge": "'may', 'could', 'reportedly', 'if' scale the sentiment that follows them in the "
    "same clause: 'tariffs could rise' is milder than 'tariffs rise'",
    "negation": "VADER's negation ('not', 'no', 'never', 'n't', 'without' up to three words "
    "before) also flips rule valences: 'profit did not rise' is negative; 'not', 'won't', 'no' reach on to "
    "the first valence in their clause up to six words on: 'won't be added to the entity list' is positive; no negation "
    "reaches across a comma ('session ends without new stimulus, disappointing investors': the disappointment stands)",
    "contest": "a win verb before a contest in court ('appeal', 'lawsuit', 'case', 'dispute', within five words) is good "
    "news whatever was contested, a losing verb bad news; the rest of the clause only names what was contested: "
    "'wins appeal against tax assessment' is positive, 'loses appeal against record fine' negative; an appeal is the "
    "subject's own, so 'appeal against the ban rejected' is negative",
    "record": "a verb that breaks a record ('crushes', 'smashes', 'sets', 'breaks', 'tops') with 'record(s)' or 'chart(s)' within four words "
    "after it is good news, and its own feeling ('crushes') says nothing: 'crushes download records'; when what is "
    "counted is bad it is bad news ('losses break the annual record')",
    "remark": "a text attributed to a government speaker ('…: FS', '…, says commerce minister', 'Officials say …') in "
    "which no rule found an event (only opinion words) is a remark: x0.1 ('Trade wars leave no winners: Xi', 'HK's "
    "wealth management sector resilient: FS'); news outlets and company speakers keep their weight",
    "but": "after 'but' the sentiment counts 1.5 times, before it half (VADER's rule)",
    "stop": "a verb that stops, reverses, blocks or ends something turns round the thing it acts on. A bad "
    "thing after a stop verb becomes good news ('vows to stem the rout', 'court blocks the investment ban', "
    "'drops its antitrust probe', 'kills range anxiety', 'drops a rule that would have capped exports'); a good "
    "thing after an end verb becomes bad news ('delays the launch', 'skips game approvals', 'pushes back its "
    "upgraded assistant'); a verb after the thing it ends works the same way ('the crackdown is over', 'price "
    "fight ends', 'winning streak ends', 'the tie-up stalls'). With nothing to act on, the verb keeps its own sign; "
    "after a wish ('urges the US to cancel new tariffs') nothing is stopped yet. A relative clause or an "
    "infinitive after the object is part of it, and so is the rest of what it names ('withdraws the rule that would "
    "have capped chip exports', 'scraps its plan to add drone makers to the entity list' are good news, 'scraps the "
    "subsidy that would have boosted EV sales' bad); phrasal retreats are end verbs ('backs away from data-centre "
    "leases' is bad news, 'backs off its crackdown' good); a verb after its subject with an object after it is "
    "transitive and stops that object, not its subject ('a shortage of chips stalls Baidu's build-out' is bad news); "
    "'off' before a list takes a name off it ('take Xiaomi off its military company list' is good news); a passive's "
    "'by' phrase names the cause, not what was stopped ('deliveries pushed back by a supplier shortage' is bad news, "
    "round 6), and a participle after a determiner describes the object ('postpones a planned tariff' is good news); "
    "right after a preposition a stop verb is a noun ('shipments fall on weather disruptions')",
    "fail": "'fails to', 'unable to', 'declines to', 'rules out' turn round everything after them in their "
    "clause: 'measures fail to halt the slide' and 'fails to lift revenue' are bad news, 'rules out new curbs' "
    "good news; alone ('fails to deliver') they are bad news; 'declined to' before a figure is a fall to it ('the "
    "margin declined to 3.8 %'), not a refusal",
    "verdict": "'falls short', 'disappoints', 'fizzles' after a good thing say it did not deliver: the good "
    "word counts for nothing ('stimulus briefing falls short' is bad news)",
    "status_quo": "'routine', 'previously announced', an AGM, a date or a meeting ('schedules', 'to meet'), and a "
    "word of matching ('matching', 'meets') followed by analysts' estimates or forecasts say nothing moved: the whole "
    "text counts x0.25 ('revenue rises 8%, matching analysts' estimates' is neutral); 'in line', 'as expected', "
    "'mixed', 'unchanged', 'flat' do so for their own clause ('suspends buybacks, leaves dividend policy unchanged' "
    "is bad news, 'EPS in-line, beats on revenue' good news), or for the whole text when they open a clause of "
    "their own ('sets its target at 5%, unchanged from last year'), or when they end the first clause before a colon "
    "('Hong Kong stocks mixed: tech gains offset property losses'); repeating or reaffirming, and re-appointing, move "
    "nothing ('Apple repeats its investment pledge'); a release's boilerplate ('forward-looking "
    "statements', 'risks and uncertainties', 'pursuant to') and flagging notices ('has been notified', 'voting "
    "rights') count x0.25 too; round 6: 'same as' an earlier figure is 'unchanged' ('approves 130 games, same as "
    "October', 'as flagged', 'matching guidance'), and a procedure's schedule ('adjourned to March', 'will conclude by "
    "year-end', a record date, a denied report) moves nothing; a verb of staying before a ranking word or a forecast "
    "('remains the top-selling brand', 'keeps its full-year forecast') says a rank or a forecast was kept: its clause "
    "counts x0.25 ('remains under pressure' and 'keep growing' are no such thing)",
    "wish": "after 'urges', 'calls for', 'seeks', 'wants' a good thing in the clause is asked for, not done: it counts "
    "x0.25 ('China urges the Philippines to honour its commitments' is no news; 'urges the Fed to lower rates' lowers "
    "nothing); a bad thing named there stands ('urges the US to cancel new tariffs' is bad news). 'hopes for', "
    "'keen to', 'wants to' scale the rest of their clause the same way, good or bad (rule 'hedge')",
    "question": "a sentence ending in '?' asks and reports nothing: its words count x0.25 ('Is Shopify stock a "
    "buy?', 'Will Alibaba's cloud sales double?' are neutral); a sentence after it keeps its weight",
    "no_market": "a text with a word of another kind of story (a disaster, a crime, sport, diplomacy) and no word "
    "of business or markets counts x0.25: '16 dead in shopping mall fire', 'Verstappen wins the Grand Prix sprint "
    "race' are no trading news; a word read as part of a name ('Dead by Daylight') tells no such story",
    "carrier": "a verb whose object is the news ('launches', 'wins') counts for nothing when what follows "
    "it in its clause pulls the other way: 'launches a cybersecurity investigation' is bad news, 'wins only a "
    "lukewarm welcome' too, and so does a passive one after its subject ('probe launched into dairy imports'), or "
    "when its object is a publication ('releases April trade data'); alone, or with a good object, 'launches a new "
    "model' is good news",
    "quoted": "quoted words are not the writer's opinion: a quoted name in capitals is a name (\"'Doom "
    "Fighters' to launch next quarter\"), and a word or two in quotes before a noun is someone else's word "
    "(\"its 'great' game pipeline fails to lift revenue\" is bad news)",
    "genre": "an emotion word naming a kind of product is not a feeling: 'horror game', 'killer whales', "
    "'crisis communications firm'; nor is a hashtag, which files a text under a topic ('#investing', '#crisis'); "
    "nor, in a sentence-case headline, a capitalised everyday word inside a name ('Great Wall Motor', 'Dead by "
    "Daylight'); after a verb of ranking ('lags', 'trails', 'beats') the rival is a noun and an 'in' phrase names "
    "the field ('lags rivals in user growth' is bad news); a quantity before 'it' or 'that' is a verb ('claims it "
    "tops rival models')",
    "relief": "in a compound whose head eases a bad thing ('tariff truce', 'sanctions relief', 'debt deal') the "
    "head is the news and the bad word only names what is eased: 'extend their tariff truce' is good news; a head "
    "that ends what it names turns it round: 'tariff removal' is good news, 'licence withdrawals' and 'subsidy "
    "cuts' bad",
    "rating": "a broker moving a stock 'to' a rating: the move decides, whatever the rating is called: "
    "'raises Meituan to buy' and 'upgrades to neutral' are positive, 'cuts JD to hold' negative; moving or "
    "starting without 'to', the rating does: 'turns overweight on', 'initiates at buy' are positive, 'goes "
    "underweight' negative",
    "milestone": "passing a figure is good news ('passes 10 million rides', 'tops $1 trillion'), unless what "
    "is counted is bad ('losses top $1 billion' is the direction rule's); so is closing above one ('Hang Seng "
    "closes above 23,000'), and closing below one bad news",
    "subordinate": "a headline's news is its main clause: when a clause opened by 'as', 'amid', 'after' or "
    "'following' after it pulls the other way, that clause counts half: 'Wall Street rallies as West "
    "hits Russia with new sanctions' is positive; when both agree ('cash shrinks as losses persist') "
    "nothing changes",
    "consequence": "a clause after a comma that says what the news did ('…, weighing on growth stocks', '…, "
    "sending shares higher') or sets a record ('…, slowest since 2009') is the verdict: when it pulls against the "
    "part before, that part counts half ('GDP rises 6.5 percent, slowest since 2009' is negative)",
}
"""Every vader_fin rule by name, with an example; ``VaderFinScorer.explain`` names these."""

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
        # The same pattern, case-sensitive, run over the lower-cased text: twice as fast as IGNORECASE. Used for
        # ASCII texts, whose lower-cased form keeps every character where it was.
        self._phrase_lower_re = re.compile(self._phrase_re.pattern) if self._phrase_re is not None else None
        # Two VADER analyzers reading one lexicon (ours): VADER as published for texts the rules
        # leave alone, and one that takes the rules' valences (it holds the current text's).
        vader = SentimentIntensityAnalyzer()  # reads VADER's files
        self._vader_lexicon = vader.lexicon  # VADER's own, kept to rebuild ours from
        self._emojis = {e: d for e, d in vader.emojis.items() if len(e) == 1}
        self._engine = VaderEngine({})
        self._emoji_re = re.compile("[" + re.escape("".join(self._emojis)) + "]") if self._emojis else None
        self._ours = frozenset(entries)
        rules = self.rules
        # A text with none of these words (and no quotation) skips the rule engine: no rule could fire.
        # A quantity alone fires no rule: a rule that reads one also needs a word of its own. Words that act only
        # with a quantity (a comparison cue, an ending head, "new" before a restriction) are checked only when one
        # is there. "unchanged", "rivals" as a noun and the words of another kind of story act without one: they
        # are rule words (a test checks that score() and explain() agree on every labelled text).
        self._rule_words = frozenset().union(
            rules.change, rules.transition, rules.hedge, rules.subordinate, rules.consequence,
            rules.stop, rules.stop_after, rules.verdict_after, rules.fail, rules.status_quo, rules.meets,
            rules.carrier, rules.rating, rules.milestone, rules.won, rules.lost, rules.finish, rules.relief_head,
            rules.genre, rules.wish, ("first", "first-ever", "maiden", "record", "records", "chart", "charts"), LONG_NEGATIONS,
            SEPARABLE_VERBS, ("premium", "discount", "off"), rules.unchanged, rules.no_market, rules.verb_only, rules.holds,
        )
        self._with_quantity = frozenset().union(
            COMPARE_CUES, rules.end_head, rules.imposed
        )
        self._quantities = frozenset(rules.quantity)
        # Words that need the rules only with a mark in the text: a negation before a comma, an official's words
        # after a colon or with "says"; a level ("high", "low") always, as a period may come before it.
        self._fence_words = NEGATIONS - LONG_NEGATIONS
        self._levels = frozenset(PERIOD_LEVELS)
        self._officials = rules.official
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
        self._vader_only = frozenset(lexicon).difference(self._ours)  # words whose valence is VADER's own

    # -- text to tokens --------------------------------------------------------------------

    def join_phrases(self, text: str) -> str:
        """Rewrite lexicon phrases in ``text`` to their single tokens.

        >>> VaderFinScorer().join_phrases("Stocks hit a Record-High after the rate cut")
        'Stocks hit a record_high after the rate_cut'
        """
        if self._phrase_re is None:
            return text
        if not text.isascii():
            return self._phrase_re.sub(self._token_for, text)
        joined, last = [], 0
        for match in self._phrase_lower_re.finditer(text.lower()):
            joined += (text[last : match.start()], self._token_for(match))
            last = match.end()
        if not joined:
            return text
        joined.append(text[last:])
        return "".join(joined)

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

    def _analyse(self, text: str, fired: list[tuple[str, str, float]] | None) -> float:
        text = text.strip()
        if not text:
            return 0.0
        if not text.isascii() and self._emoji_re is not None and not self._emojis.keys().isdisjoint(text):
            text = self._demojize(text).strip()
        text = self.join_phrases(text)
        words = vader_tokens(text)  # VADER's own tokens: rule positions are VADER's
        lower = [w.lower() for w in words]
        engine = self._engine
        if fired is None and not self._rules_could_fire(text, words, lower):
            return engine.compound(text, words, lower)
        lexicon = self.lexicon
        base: list[float | None] = [lexicon.get(w) for w in lower]
        vader_only = self._vader_only
        source = ["vader" if w in vader_only else "lexicon" for w in lower]
        before = base.copy()  # the rules change base in place
        ruled = apply_rules(self.rules, text.split(), words, lower, base, source)
        valued = {i: v for i, (v, was) in enumerate(zip(base, before)) if v != was}
        if not valued and ruled.factor is None and ruled.clause is None and ruled.clause_start is None and fired is None:
            return engine.compound(text, words, lower)  # rule words, but no rule fired
        score = engine.compound(text, words, lower, valued, ruled.factor, ruled.clause, ruled.clause_start)
        if fired is not None:
            self._explain_fired(ruled, engine, fired)
        return score

    def _rules_could_fire(self, text: str, words: list[str], lower: list[str]) -> bool:
        """Whether a rule could fire at all: a rule word, or a mark a rule reads (#, ?, a quote), or one of the
        words that need a mark next to them (a comma, a hyphen, a colon)."""
        if (
            not self._rule_words.isdisjoint(lower) or "#" in text or "?" in text or OPENING_QUOTE.search(text)
        ):
            return True
        if (not self._with_quantity.isdisjoint(lower) or "(" in text) and not self._quantities.isdisjoint(lower):
            return True
        if "," in text and not self._fence_words.isdisjoint(lower):
            return True
        if not self._levels.isdisjoint(lower):
            return True  # a level after a period: "a three-year high", "at decade low"
        if not self._vader_only.isdisjoint(lower) and any(
            w[:1].isupper() and lw in self._vader_only for w, lw in zip(words, lower)
        ):
            return True  # a capitalised everyday word may be part of a name ("Great Wall Motor")
        return not self._officials.isdisjoint(lower) and (":" in text or not SAY.isdisjoint(lower))

    def _explain_fired(self, ruled: RuledText, engine: VaderEngine, fired: list[tuple[str, str, float]]) -> None:
        """Which rule gave each word its valence, and which rules scaled or removed valences."""
        words, lower, base, spans = ruled.words, ruled.lower, ruled.base, ruled.spans
        sentiments = [float(v) for v in engine.sentiments]  # VADER leaves an int 0 for plain words
        for i, value in enumerate(sentiments):
            if not value and i not in spans:
                continue
            fired.append((ruled.source[i], spans.get(i, words[i]), round(value, 3)))
            if base[i] and value and (value > 0) != (base[i] > 0):
                fired.append(("negation", f"{' '.join(words[max(0, i - 3) : i])} → {words[i]}", round(value, 3)))
        if ruled.factor is not None:
            for h, w in enumerate(lower):
                if w in self.rules.hedge:
                    fired.append(("hedge", f"{words[h]} (x{self.rules.hedge[w]:g} after it)", 0.0))
                if w in self.rules.status_quo:
                    fired.append(("status_quo", f"{words[h]} (x{self.rules.status_quo[w]:g}: nothing moved)", 0.0))
                elif w in self.rules.unchanged:
                    fired.append(("status_quo", f"{words[h]} (x{self.rules.unchanged[w]:g}: its clause moved nothing)", 0.0))
        if "but" in lower and any(sentiments):
            fired.append(("but", "but (x0.5 before, x1.5 after)", 0.0))
        fired.extend((rule, span, 0.0) for rule, span in ruled.notes)
        if engine.clause_applied:
            at, before, after = engine.clause_applied
            if before != 1.0:
                fired.append(("consequence", f"{words[at]} … (the consequence decides: x{before:g} before it)", 0.0))
            else:
                fired.append(("subordinate", f"{words[at]} … (x{after:g}: pulls against the main clause)", 0.0))
