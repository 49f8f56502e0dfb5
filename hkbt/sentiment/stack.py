"""vader_fin_stack: a trained model stacked on vader_fin's rules.

vader_fin's rules are precise but miss events they have no rule for: a headline they read as
neutral (often exactly 0) may still be news. The stack is a multinomial logistic regression
that reads both what the rules made of a text and the words themselves:

* **rule features** (:func:`rule_features`, :data:`RULE_FEATURES`): vader_fin's score, its
  positive and negative parts, its class at vader_fin's cut and whether it is exactly 0, so
  the model can learn when the rules' "neutral" should be a sign, and how far to trust a sign;
* **word features**: tf-idf word 1-2-grams of the text (:func:`~hkbt.sentiment.linear_model.word_ngrams`,
  l2-normalised, scikit-learn's ``TfidfVectorizer`` arithmetic), so "cuts rates" and "rates
  cut" are different evidence.

The score is ``P(positive) - P(negative)`` in [-1, 1], cut into classes at
:attr:`StackScorer.class_thresholds` (chosen with every other setting by leave-one-set-out
cross-validation, :mod:`hkbt.sentiment.train_stack`, which ``make model`` runs).

The fitted model ships as ``hkbt/sentiment/models/vader_fin_stack.npz`` (plain arrays read with
``allow_pickle=False``) and is applied here with NumPy alone, a whole batch at once: the n-grams
of every text are looked up in one pass and the tf-idf rows, their norms and the three class
logits are computed with array operations, so the stack adds little to vader_fin's own cost.

Example::

    >>> stack = StackScorer()
    >>> s = stack.score(["Tencent shares soar to a record high", "Company to hold annual general meeting", "US adds Tencent to military blacklist"])
    >>> bool(s[0] >= stack.class_thresholds[1]), bool(stack.class_thresholds[0] < s[1] < stack.class_thresholds[1]), bool(s[2] <= stack.class_thresholds[0])
    (True, True, True)
"""

from __future__ import annotations

import hashlib
import importlib.resources
import io
import json
from collections.abc import Sequence

import numpy as np

from hkbt.sentiment.linear_model import preprocess, word_ngrams
from hkbt.sentiment.vader_fin import Explanation, VaderFinScorer

__all__ = ["StackScorer", "MODEL_FILE", "RULE_FEATURES", "rule_features"]

MODEL_FILE = "vader_fin_stack.npz"
"""The fitted model's file name in ``hkbt/sentiment/models/``."""

RULE_FEATURES = ("score", "positive part", "negative part", "positive class", "negative class", "exactly 0")
"""What the stack reads of vader_fin's output (:func:`rule_features`), in column order."""

_CLASSES = ("negative", "neutral", "positive")


def rule_features(scores: np.ndarray) -> np.ndarray:
    """vader_fin's scores as the stack's rule features, one row per text (columns :data:`RULE_FEATURES`).

    >>> rule_features(np.array([0.5, 0.0])).tolist()
    [[0.5, 0.5, 0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 1.0]]
    """
    s = np.asarray(scores, dtype=np.float64)
    neg, pos = VaderFinScorer.class_thresholds
    return np.column_stack([s, np.maximum(s, 0), np.minimum(s, 0), s >= pos, s <= neg, s == 0]).astype(np.float64)


class StackScorer:
    """vader_fin's rules and a logistic regression on their output and the text's word n-grams (``vader_fin_stack``).

    Args:
        path: a model file written by :mod:`hkbt.sentiment.train_stack`; by default the shipped one.
    """

    name = "vader_fin_stack"
    language = "en"

    def __init__(self, path: str | None = None) -> None:
        if path is None:
            raw = (importlib.resources.files("hkbt.sentiment") / "models" / MODEL_FILE).read_bytes()
        else:
            with open(path, "rb") as handle:
                raw = handle.read()
        with np.load(io.BytesIO(raw), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            terms = data["word_terms"].tolist()
            idf = data["word_idf"].astype(np.float64)
            coef = data["coef"].astype(np.float64)
            intercept = data["intercept"].astype(np.float64)
        order = [meta["classes"].index(c) for c in _CLASSES]
        self._vocab = {term: i for i, term in enumerate(terms)}
        self._terms = terms
        self._idf = idf
        n_words = len(terms)
        self._coef_words = coef[order, :n_words]  # (3, n_words)
        self._coef_rules = coef[order, n_words:]  # (3, len(RULE_FEATURES))
        self._intercept = intercept[order]
        self.meta = meta
        self.class_thresholds = tuple(meta["class_thresholds"])
        """3-class cut (negative, positive), chosen by leave-one-set-out cross-validation."""
        self._rules = VaderFinScorer()
        self.version = f"1+{hashlib.sha256(raw).hexdigest()[:12]}+{self._rules.version}"

    def trained_on(self, data: bytes) -> list[str]:
        """The training sets of this model whose recorded SHA-256 equals ``data``'s: scores of those texts are
        in-sample (the model learned them), so a figure measured on them is no evidence of skill.

        >>> StackScorer().trained_on(b"not a training file")
        []
        """
        digest = hashlib.sha256(data).hexdigest()
        unseen = set(self.meta.get("not_trained_on", ()))
        return sorted(name for name, recorded in self.meta.get("data_sha256", {}).items()
                      if recorded == digest and name not in unseen)

    def _word_logits(self, texts: Sequence[str]) -> np.ndarray:
        """The word block's contribution to the three class logits, ``(len(texts), 3)``, for a batch at once."""
        vocab = self._vocab
        rows: list[int] = []
        terms: list[int] = []
        for k, text in enumerate(texts):
            found = [i for i in map(vocab.get, word_ngrams(preprocess(text))) if i is not None]
            rows.extend([k] * len(found))
            terms.extend(found)
        out = np.zeros((len(texts), 3))
        if not terms:
            return out
        key = np.asarray(rows, dtype=np.int64) * len(vocab) + np.asarray(terms, dtype=np.int64)
        key, count = np.unique(key, return_counts=True)  # one entry per (text, n-gram), with its count
        row, term = np.divmod(key, len(vocab))
        weight = count * self._idf[term]
        norm = np.sqrt(np.bincount(row, weight * weight, minlength=len(texts)))
        weight /= norm[row]
        for c in range(3):
            out[:, c] = np.bincount(row, self._coef_words[c, term] * weight, minlength=len(texts))
        return out

    def _scores(self, texts: Sequence[str], rules: np.ndarray) -> np.ndarray:
        logits = self._intercept + rule_features(rules) @ self._coef_rules.T + self._word_logits(texts)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        return np.clip(p[:, 2] - p[:, 0], -1.0, 1.0)

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """``P(positive) - P(negative)`` for each text, float64 in [-1, 1] (0 for an empty text)."""
        rules = self._rules.score(texts)  # also checks every text is a str
        out = self._scores(texts, rules)
        blank = np.fromiter((not t.strip() for t in texts), dtype=bool, count=len(texts))
        out[blank] = 0.0
        return out

    def explain(self, text: str, top: int = 4) -> Explanation:
        """vader_fin's rules for ``text``, then the model: its score and the n-grams that pushed it most.

        An n-gram's push is its part of ``logit(positive) - logit(negative)``.

        >>> e = StackScorer().explain("Beijing cuts the reserve requirement ratio")
        >>> [rule for rule, words, valence in e.fired][-2:]
        ['model', 'model']
        """
        trace = self._rules.explain(text)
        score = float(self.score([text])[0])
        grams = [g for g in dict.fromkeys(word_ngrams(preprocess(text))) if g in self._vocab]
        pushes = []
        if grams:
            index = np.array([self._vocab[g] for g in grams])
            counts = np.array([word_ngrams(preprocess(text)).count(g) for g in grams], dtype=np.float64)
            weight = counts * self._idf[index]
            weight /= np.sqrt(weight @ weight)
            push = (self._coef_words[2, index] - self._coef_words[0, index]) * weight
            pushes = sorted(zip(grams, push), key=lambda gp: -abs(gp[1]))[:top]
        rule_push = float((self._coef_rules[2] - self._coef_rules[0]) @ rule_features(np.array([trace.score]))[0])
        words = ", ".join(f"'{g}' {p:+.2f}" for g, p in pushes) or "none known"
        fired = [
            *trace.fired,
            ("model", f"vader_fin {trace.score:+.3f} read as {rule_push:+.2f}; n-grams {words}", 0.0),
            ("model", f"stack P(pos) - P(neg) = {score:+.3f} (cut {self.class_thresholds[0]:g} / {self.class_thresholds[1]:g})", 0.0),
        ]
        return Explanation(trace.text, score, fired)
