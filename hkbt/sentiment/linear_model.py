"""tfns_linear: a trained scorer, logistic regression on word and character n-grams.

Trained by :mod:`hkbt.sentiment.train_tfns` (``make model``) on the Twitter Financial
News Sentiment data set (tfns_train.csv, 9,543 finance-news tweets, MIT licence; see
the README's credits), validated on tfns_valid.csv. Financial PhraseBank and hkbt's
labelled headline sets play no part in training or in choosing any setting.

The fitted model ships as one NumPy file, ``hkbt/sentiment/models/tfns_linear.npz``
(plain arrays: vocabularies, idf weights, coefficients; read with
``allow_pickle=False``), and is applied here with NumPy alone, so scoring needs
neither scikit-learn nor pickle. The features are those of scikit-learn's
``TfidfVectorizer`` (word 1-2-grams and ``char_wb`` 2-5-grams, each block
l2-normalised), re-implemented in :func:`word_ngrams` and :func:`char_wb_ngrams`; a
test checks they match scikit-learn's on real text.

The score of a text is ``P(positive) - P(negative)`` from the model's three-class
probabilities, in [-1, 1]. Its 3-class cut (:attr:`LinearScorer.class_thresholds`)
was chosen on tfns_valid.

Example::

    >>> scorer = LinearScorer()
    >>> s = scorer.score(["Shares soar after record profit", "Company files annual report", "Stock plunges on fraud probe"])
    >>> bool(s[0] > 0.3), bool(abs(s[1]) < 0.3), bool(s[2] < -0.3)
    (True, True, True)
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import re
from collections.abc import Sequence

import numpy as np

__all__ = ["LinearScorer", "MODEL_FILE", "preprocess", "word_ngrams", "char_wb_ngrams"]

MODEL_FILE = "tfns_linear.npz"
"""The fitted model's file name in ``hkbt/sentiment/models/``."""

_URL = re.compile(r"https?://\S+|www\.\S+")
_CASHTAG = re.compile(r"\$[A-Za-z][A-Za-z.]{0,6}\b")
_SPACES = re.compile(r"\s\s+")
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern


def preprocess(text: str) -> str:
    """Lower case, links and cashtags ("$BABA") removed, runs of spaces collapsed: the same for training and scoring.

    >>> preprocess("$BABA - Alibaba  jumps https://t.co/xyz")
    '- alibaba jumps'
    """
    text = _CASHTAG.sub(" ", _URL.sub(" ", text))
    return _SPACES.sub(" ", text).strip().lower()


def word_ngrams(text: str, n_max: int = 2) -> list[str]:
    """Word 1..n_max-grams of a preprocessed text, as scikit-learn's word analyzer makes them.

    >>> word_ngrams("profit rose 5 %")
    ['profit', 'rose', 'profit rose']
    """
    tokens = _TOKEN.findall(text)
    grams = list(tokens)
    for n in range(2, n_max + 1):
        grams.extend(map(" ".join, zip(*(tokens[i:] for i in range(n)))))
    return grams


def char_wb_ngrams(text: str, n_min: int = 2, n_max: int = 5) -> list[str]:
    """Character n-grams inside word boundaries, as scikit-learn's ``analyzer="char_wb"`` makes them.

    Each whitespace-separated word is padded with one space on each side; a word
    shorter than ``n`` yields itself once.

    >>> char_wb_ngrams("up", 2, 3)
    [' u', 'up', 'p ', ' up', 'up ']
    """
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        size = len(padded)
        for n in range(n_min, n_max + 1):
            if size <= n:
                grams.append(padded)
                break
            grams.extend(padded[i : i + n] for i in range(size - n + 1))
    return grams


class LinearScorer:
    """The shipped logistic-regression model as a :class:`~hkbt.sentiment.scoring.Scorer` (``tfns_linear``).

    Args:
        path: a model file written by :mod:`hkbt.sentiment.train_tfns`; by default the
            shipped ``hkbt/sentiment/models/tfns_linear.npz``.
    """

    name = "tfns_linear"
    language = "en"

    def __init__(self, path: str | None = None) -> None:
        if path is None:
            resource = importlib.resources.files("hkbt.sentiment") / "models" / MODEL_FILE
            raw = resource.read_bytes()
        else:
            with open(path, "rb") as handle:
                raw = handle.read()
        import io

        with np.load(io.BytesIO(raw), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            self._word = {term: i for i, term in enumerate(data["word_terms"].tolist())}
            self._char = {term: i for i, term in enumerate(data["char_terms"].tolist())}
            self._word_idf = data["word_idf"].astype(np.float64)
            self._char_idf = data["char_idf"].astype(np.float64)
            coef = data["coef"].astype(np.float64)
            self._intercept = data["intercept"].astype(np.float64)
        classes = meta["classes"]
        order = [classes.index(c) for c in ("negative", "neutral", "positive")]
        n_word = len(self._word)
        self._coef_word = coef[order, :n_word]
        self._coef_char = coef[order, n_word:]
        self._intercept = self._intercept[order]
        self.meta = meta
        self.class_thresholds = tuple(meta["class_thresholds"])
        """3-class cut (negative, positive), chosen on tfns_valid when the model was trained."""
        self.version = f"1+{hashlib.sha256(raw).hexdigest()[:12]}"

    def _block(self, grams: list[str], vocab: dict[str, int], idf: np.ndarray, coef: np.ndarray) -> np.ndarray:
        """``coef @ x`` for one l2-normalised tf-idf block, from the n-grams present."""
        counts: dict[int, int] = {}
        for gram in grams:
            index = vocab.get(gram)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        if not counts:
            return np.zeros(coef.shape[0])
        index = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        weight = np.fromiter(counts.values(), dtype=np.float64, count=len(counts)) * idf[index]
        weight /= np.sqrt(weight @ weight)
        return coef[:, index] @ weight

    def probabilities(self, text: str) -> np.ndarray:
        """``[P(negative), P(neutral), P(positive)]`` for one text."""
        clean = preprocess(text)
        logits = (
            self._intercept
            + self._block(word_ngrams(clean), self._word, self._word_idf, self._coef_word)
            + self._block(char_wb_ngrams(clean), self._char, self._char_idf, self._coef_char)
        )
        logits -= logits.max()
        exp = np.exp(logits)
        return exp / exp.sum()

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """``P(positive) - P(negative)`` for each text, float64 in [-1, 1] (0 for an empty text)."""
        out = np.zeros(len(texts), dtype=np.float64)
        for k, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"scorers take str texts, got {type(text).__name__}: {text!r}")
            if text.strip():
                p = self.probabilities(text)
                out[k] = p[2] - p[0]
        return np.clip(out, -1.0, 1.0)
