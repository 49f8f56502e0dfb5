"""hkbt.sentiment.vader_engine gives exactly the vaderSentiment package's compound score.

The engine is a speed rewrite; nothing about a score may change. Checked three ways: on real text
(20,000 Reuters headlines, Financial PhraseBank), on seeded random texts built from the words that
drive every branch of VADER's heuristics, and inside vader_fin, where every call the scorer makes
(with its rule valences, hedges and clauses) is compared with the package fed the same valences
through a subclass of its analyzer.
"""

from __future__ import annotations

import random

import pandas as pd
import pytest
from vaderSentiment.vaderSentiment import NEGATE, SentimentIntensityAnalyzer

from conftest import require_shared
from hkbt.sentiment.vader_engine import VaderEngine, vader_tokens
from hkbt.sentiment.vader_fin import VaderFinScorer

_ABSENT = object()


class PackageWithValences(SentimentIntensityAnalyzer):
    """The package's analyzer, told a valence for some positions (the engine's ``valued``, ``factor``, ``clause``),
    and where each word's clause starts (``clause_start``: a negation before it is hidden from the package)."""

    def __init__(self, lexicon: dict[str, float]) -> None:
        super().__init__()
        self.lexicon = lexicon
        self.valued: dict = {}
        self.factor = None
        self.clause = None
        self.clause_start = None

    def sentiment_valence(self, valence, sentitext, item, i, sentiments):
        words = sentitext.words_and_emoticons
        if self.clause_start is not None:
            saved_words = list(words)
            for j in range(max(0, i - 3), self.clause_start[i]):
                if words[j].lower() in NEGATE or "n't" in words[j].lower():
                    words[j] = "_"  # a negation in an earlier clause: not seen from word i
            try:
                return self._valence(valence, sentitext, item, i, sentiments)
            finally:
                words[:] = saved_words
        return self._valence(valence, sentitext, item, i, sentiments)

    def _valence(self, valence, sentitext, item, i, sentiments):
        value = self.valued.get(i, _ABSENT)
        if value is _ABSENT:
            sentiments = super().sentiment_valence(valence, sentitext, item, i, sentiments)
        else:
            word = item.lower()
            saved = self.lexicon.pop(word, _ABSENT)
            if value is not None:
                self.lexicon[word] = value
            try:
                sentiments = super().sentiment_valence(valence, sentitext, item, i, sentiments)
            finally:
                self.lexicon.pop(word, None)
                if saved is not _ABSENT:
                    self.lexicon[word] = saved
        if self.factor is not None:
            sentiments[-1] *= self.factor[i]
        return sentiments

    def score_valence(self, sentiments, text):
        if self.clause is not None:
            at, before, after = self.clause
            main, rest = sum(sentiments[:at]), sum(sentiments[at:])
            if main * rest < 0:
                sentiments = [s * before for s in sentiments[:at]] + [s * after for s in sentiments[at:]]
        return super().score_valence(sentiments, text)


def reuters_headlines() -> list[str]:
    path = require_shared("news", "reuters_headlines_2018-03_2020-07.csv")
    return list(dict.fromkeys(pd.read_csv(path)["Headlines"].dropna().astype(str).str.strip()))[:20_000]


def package_and_engine(texts: list[str]) -> tuple[list[float], list[float]]:
    vader = SentimentIntensityAnalyzer()
    engine = VaderEngine(vader.lexicon)
    expected = [vader.polarity_scores(t)["compound"] for t in texts]
    got = []
    for text in texts:
        words = vader_tokens(text)
        got.append(engine.compound(text, words, [w.lower() for w in words]))
    return expected, got


def test_equal_to_the_package_on_20000_reuters_headlines():
    texts = reuters_headlines()
    assert len(texts) == 20_000
    expected, got = package_and_engine(texts)
    assert got == expected


def test_equal_to_the_package_on_financial_phrasebank():
    path = require_shared("sentiment", "financial_phrasebank_all.csv")
    texts = pd.read_csv(path, encoding="latin-1")["news"].astype(str).str.strip().tolist()
    expected, got = package_and_engine(texts)
    assert got == expected


def test_equal_to_the_package_on_every_heuristic():
    """Boosters, dampeners, capitals, 'no', negations, 'never so', 'without doubt', 'least', idioms, 'kind of', 'but', !/?."""
    vocabulary = (
        "good bad great GOOD BAD no not never so this without doubt least at very kind of sort just enough but BUT "
        "the bomb kiss death die for to bus stop yeah right isn't don't nor or sux :) :( ! ? , . really VERY slightly "
        "barely hardly bad ass badass beating heart stock rose fell win WIN"
    ).split()
    rng = random.Random(9)
    texts = [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 9))) for _ in range(20_000)]
    texts += ["VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!", "At least it isn't a horrible book.", ""]
    expected, got = package_and_engine(texts)
    mismatches = [(t, e, g) for t, e, g in zip(texts, expected, got) if e != g]
    assert not mismatches, mismatches[:5]


class CheckedEngine(VaderEngine):
    """Every compound the scorer asks for, also computed by the package with the same valences."""

    def __init__(self, lexicon: dict[str, float]) -> None:
        super().__init__(lexicon)
        self.package = PackageWithValences(dict(lexicon))
        self.calls = self.with_rules = self.fenced = 0
        self.mismatches: list[tuple[str, float, float]] = []

    def compound(self, text, words, lower, valued=None, factor=None, clause=None, clause_start=None):
        got = super().compound(text, words, lower, valued, factor, clause, clause_start)
        package = self.package
        package.valued, package.factor, package.clause, package.clause_start = valued or {}, factor, clause, clause_start
        expected = package.polarity_scores(text)["compound"]
        self.calls += 1
        self.with_rules += bool(valued or factor or clause or clause_start)
        self.fenced += clause_start is not None
        if got != expected:
            self.mismatches.append((text, expected, got))
        return got


@pytest.mark.parametrize("source", ["reuters", "events"])
def test_vader_fin_through_the_engine_equals_the_package(source):
    if source == "reuters":
        texts = reuters_headlines()
    else:
        from conftest import REPO_ROOT

        data = REPO_ROOT / "tests" / "data"
        texts = [h for name in ("events_en_tune", "events_en_heldout", "heldout_headlines") for h in pd.read_csv(data / f"{name}.csv").headline]
    scorer = VaderFinScorer()
    checked = CheckedEngine(scorer.lexicon)
    scorer._engine = checked
    scorer.score(texts)
    assert checked.calls == len(texts) and checked.with_rules > len(texts) // 5 and checked.fenced
    assert not checked.mismatches, checked.mismatches[:5]


@pytest.mark.parametrize("text", ["Stocks rise :) , 'strongly'!", "  a  b ", "x -- y", "'quoted' words"])
def test_tokens_are_vaders(text):
    from vaderSentiment.vaderSentiment import SentiText

    assert vader_tokens(text) == SentiText(text).words_and_emoticons
