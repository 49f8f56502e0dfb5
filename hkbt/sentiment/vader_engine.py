"""VADER's scoring algorithm, reimplemented once for speed and tested equal to the vaderSentiment package.

vader_fin (:mod:`hkbt.sentiment.vader_fin`) is VADER with a finance lexicon and rules. The package's
``SentimentIntensityAnalyzer.polarity_scores`` re-splits the text, lower-cases every neighbour of
every sentiment word again for each of its look-backs and walks the whole text character by
character for emojis; in a headline most words carry no sentiment, so most of that work is spent
on words that add 0. :class:`VaderEngine` computes the same compound score from tokens the caller
has already split and lower-cased, and does VADER's per-word work only for words with a valence:

* tokens: ``text.split()``, each stripped of leading/trailing punctuation unless that leaves two
  characters or fewer (emoticons like ``:)`` survive) -- :func:`vader_tokens`;
* per sentiment word, in VADER's order: "no" before it (up to three words), ALL-CAPS emphasis when
  only some words are capitals, boosters and dampeners up to three words before (x1, x0.95, x0.9),
  negation up to three words before (x-0.74; "never so/this" x1.25, "without doubt" kept), the
  special idioms ("kiss of death", "kind of" ...), and "least";
* booster words themselves and "kind" in "kind of" score 0; "but" halves what precedes it and
  multiplies what follows by 1.5, with the package's exact list handling;
* "!" (up to 4) and "?" (2-3, or 4+) add emphasis; the sum ``s`` is normalised to
  ``s / sqrt(s^2 + 15)`` and rounded to 4 decimals.

Quirks are kept on purpose (a word's look-backs are skipped when the word before it is itself in
the lexicon; "so"/"this" one word before a sentiment word counts x1.25 when a third word back is
checked), because the point is to give exactly the package's number. tests/sentiment/test_vader_engine.py
compares the two on 20,000 real Reuters headlines, on Financial PhraseBank and on texts built to hit
every branch.

hkbt's rules talk to the engine through three optional inputs to :meth:`VaderEngine.compound`:
``valued`` (position -> valence, or None for "not an opinion here") replaces the lexicon's valence
of a word at one position, exactly as if the lexicon held that valence while VADER valued that
word; ``factor`` scales each word's valence (hedges) before "but"; ``clause`` scales the two parts
of a text split at one word when they pull against each other.

Example::

    >>> from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    >>> vader = SentimentIntensityAnalyzer()
    >>> engine = VaderEngine(vader.lexicon)
    >>> text = "Profits are NOT good, but the outlook is very bright!"
    >>> words = vader_tokens(text)
    >>> engine.compound(text, words, [w.lower() for w in words]) == vader.polarity_scores(text)["compound"]
    True
"""

from __future__ import annotations

import math
import string

from vaderSentiment.vaderSentiment import BOOSTER_DICT, C_INCR, N_SCALAR, NEGATE, SPECIAL_CASES

__all__ = ["VaderEngine", "vader_tokens"]

_PUNCT = string.punctuation
_NEGATE = frozenset(NEGATE)
_DAMPING = (1.0, 0.95, 0.9)  # booster weight by distance (1, 2, 3 words before)
_SO_THIS = ("so", "this")
_BOOSTER_NGRAMS = {k: v for k, v in BOOSTER_DICT.items() if " " in k}
# The longest word of each of VADER's idioms and multi-word boosters ("death" of "kiss of death"): a text with
# none of them has no idiom, and skips the idiom check.
_IDIOM_WORDS = frozenset(max(phrase.split(), key=len) for phrase in (*SPECIAL_CASES, *_BOOSTER_NGRAMS))


def vader_tokens(text: str) -> list[str]:
    """VADER's tokens of ``text``: split on whitespace, punctuation stripped from each end of a word.

    >>> vader_tokens("Stocks rise :) , 'strongly'!")
    ['Stocks', 'rise', ':)', ',', 'strongly']
    """
    out = []
    for token in text.split():
        stripped = token.strip(_PUNCT)
        out.append(token if len(stripped) <= 2 else stripped)
    return out


def _negated(word: str) -> bool:
    return word in _NEGATE or "n't" in word


def _cap_differential(words: list[str]) -> bool:
    """Some, but not all, words are ALL CAPS."""
    caps = sum(1 for w in words if w.isupper())
    return 0 < len(words) - caps < len(words)


class VaderEngine:
    """VADER's compound score over a given lexicon (a dict the caller may swap or edit).

    Args:
        lexicon: token -> valence, as VADER's ``SentimentIntensityAnalyzer.lexicon``.
    """

    def __init__(self, lexicon: dict[str, float]) -> None:
        self.lexicon = lexicon
        self.sentiments: list[float] = []
        """The per-word valences summed for the last text (after hedges and "but"), for explanations."""
        self.clause_applied: tuple[int, float, float] | None = None
        """The ``clause`` of the last text when it was applied (it pulled against the main clause)."""

    def compound(  # noqa: C901 - VADER's per-word heuristics, kept in the package's order
        self,
        text: str,
        words: list[str],
        lower: list[str],
        valued: dict[int, float | None] | None = None,
        factor: list[float] | None = None,
        clause: tuple[int, float, float] | None = None,
        clause_start: list[int] | None = None,
    ) -> float:
        """VADER's compound score of ``text`` (already stripped, emojis already described).

        Args:
            text: the text; only its "!" and "?" are read here.
            words, lower: its VADER tokens (:func:`vader_tokens`) and their lower-case forms.
            valued: position -> valence replacing the lexicon's at that position (None: no valence).
            factor: per-position multipliers applied to each word's valence before "but".
            clause: ``(position, before, after)``: when the words from ``position`` on pull against
                those before it, the two parts are scaled by these factors (hkbt's clause rules).
            clause_start: per position, the first position of its clause: a negation before it does not
                reach the word (hkbt's rule that a negation stops at a comma; VADER's own reaches across).
        """
        lexicon = self.lexicon
        n = len(lower)
        sentiments: list[float] = [0] * n
        cap_diff: bool | None = None
        idioms = not _IDIOM_WORDS.isdisjoint(lower)
        for i, item in enumerate(lower):
            if valued is not None and i in valued:
                override = valued[i]
                if override is None:
                    continue  # not in the lexicon at this position: 0
                value = override
            else:
                value = lexicon.get(item)
                if value is None:
                    continue
            if item in BOOSTER_DICT or (item == "kind" and i < n - 1 and lower[i + 1] == "of"):
                continue
            # While VADER values a word, the lexicon holds a valence for it (an override is put in for
            # that moment): a look-back at the same word elsewhere in the text finds it in the lexicon.
            # "member" below is that test: lower[j] == item or lower[j] in lexicon.
            valence = value
            lo = clause_start[i] if clause_start is not None else 0
            if item == "no" and i != n - 1 and (lower[i + 1] == item or lower[i + 1] in lexicon):
                valence = 0.0
            if (
                (i > lo and lower[i - 1] == "no")
                or (i > lo + 1 and lower[i - 2] == "no")
                or (i > lo + 2 and lower[i - 3] == "no" and lower[i - 1] in ("or", "nor"))
            ):
                valence = value * N_SCALAR
            if words[i].isupper():
                if cap_diff is None:
                    cap_diff = _cap_differential(words)
                if cap_diff:
                    valence = valence + C_INCR if valence > 0 else valence - C_INCR
            for start_i in range(3):
                j = i - (start_i + 1)
                if i > start_i and not ((before := lower[j]) == item or before in lexicon):
                    scalar = BOOSTER_DICT.get(before)
                    if scalar is not None:
                        if valence < 0:
                            scalar = -scalar
                        if words[j].isupper():
                            if cap_diff is None:
                                cap_diff = _cap_differential(words)
                            if cap_diff:
                                scalar = scalar + C_INCR if valence > 0 else scalar - C_INCR
                        if start_i and scalar != 0:
                            scalar = scalar * _DAMPING[start_i]
                        valence = valence + scalar
                    else:
                        valence = valence + 0.0
                    valence = self._negation(valence, lower, start_i, i, lo)
                    if start_i == 2 and idioms:
                        valence = self._idioms(valence, lower, i)
            if i > 0 and lower[i - 1] == "least" and item != "least" and "least" not in lexicon:
                if i == 1 or (lower[i - 2] != "at" and lower[i - 2] != "very"):
                    valence = valence * N_SCALAR
            sentiments[i] = valence
        if factor is not None:
            sentiments = [s * f for s, f in zip(sentiments, factor)]
        if "but" in lower:
            sentiments = self._but(lower.index("but"), sentiments)
        self.clause_applied = None
        if clause is not None:
            at, before, after = clause
            main, rest = sum(sentiments[:at]), sum(sentiments[at:])
            if main * rest < 0:
                sentiments = [s * before for s in sentiments[:at]] + [s * after for s in sentiments[at:]]
                self.clause_applied = clause
        self.sentiments = sentiments
        return self._normalised(sentiments, text)

    @staticmethod
    def _negation(valence: float, lower: list[str], start_i: int, i: int, lo: int = 0) -> float:
        """VADER's ``_negation_check``, on lower-case tokens; a negation before position ``lo`` does not count."""
        if start_i == 0:
            if _negated(lower[i - 1]) and i - 1 >= lo:
                valence = valence * N_SCALAR
        elif start_i == 1:
            if lower[i - 2] == "never" and lower[i - 1] in _SO_THIS:
                valence = valence * 1.25
            elif lower[i - 2] == "without" and lower[i - 1] == "doubt":
                pass
            elif _negated(lower[i - 2]) and i - 2 >= lo:
                valence = valence * N_SCALAR
        else:
            if (lower[i - 3] == "never" and lower[i - 2] in _SO_THIS) or lower[i - 1] in _SO_THIS:
                valence = valence * 1.25
            elif lower[i - 3] == "without" and (lower[i - 2] == "doubt" or lower[i - 1] == "doubt"):
                pass
            elif _negated(lower[i - 3]) and i - 3 >= lo:
                valence = valence * N_SCALAR
        return valence

    @staticmethod
    def _idioms(valence: float, lower: list[str], i: int) -> float:
        """VADER's ``_special_idioms_check`` (only reached with three words before ``i``)."""
        w3, w2, w1, w0 = lower[i - 3], lower[i - 2], lower[i - 1], lower[i]
        onezero, twoonezero, twoone = f"{w1} {w0}", f"{w2} {w1} {w0}", f"{w2} {w1}"
        threetwoone, threetwo = f"{w3} {w2} {w1}", f"{w3} {w2}"
        for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
            if seq in SPECIAL_CASES:
                valence = SPECIAL_CASES[seq]
                break
        n = len(lower)
        if n - 1 > i:
            zeroone = f"{w0} {lower[i + 1]}"
            if zeroone in SPECIAL_CASES:
                valence = SPECIAL_CASES[zeroone]
        if n - 1 > i + 1:
            zeroonetwo = f"{w0} {lower[i + 1]} {lower[i + 2]}"
            if zeroonetwo in SPECIAL_CASES:
                valence = SPECIAL_CASES[zeroonetwo]
        for n_gram in (threetwoone, threetwo, twoone):
            if n_gram in _BOOSTER_NGRAMS:
                valence = valence + _BOOSTER_NGRAMS[n_gram]
        return valence

    @staticmethod
    def _but(at: int, sentiments: list[float]) -> list[float]:
        """VADER's ``_but_check``, list handling included (it finds each value by ``index``)."""
        sentiments = list(sentiments)
        for sentiment in sentiments:
            si = sentiments.index(sentiment)
            if si < at:
                sentiments.pop(si)
                sentiments.insert(si, sentiment * 0.5)
            elif si > at:
                sentiments.pop(si)
                sentiments.insert(si, sentiment * 1.5)
        return sentiments

    @staticmethod
    def _normalised(sentiments: list[float], text: str) -> float:
        """VADER's ``score_valence``, compound part: punctuation emphasis, normalisation, rounding."""
        if not sentiments:
            return 0.0
        total = float(sum(sentiments))
        if total:
            emphasis = min(text.count("!"), 4) * 0.292
            questions = text.count("?")
            if questions > 1:
                emphasis += questions * 0.18 if questions <= 3 else 0.96
            total = total + emphasis if total > 0 else total - emphasis
        compound = total / math.sqrt(total * total + 15)
        return round(max(-1.0, min(1.0, compound)), 4)

