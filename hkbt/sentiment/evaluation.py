"""Pure metrics for judging a sentiment scorer against labelled text.

Two kinds of labels are supported:

* **classes**: ``positive`` / ``neutral`` / ``negative`` (any case). Scores are cut into
  classes with two thresholds (:func:`to_classes`), then compared with
  :func:`accuracy`, :func:`macro_f1`, :func:`per_class` (precision, recall, F1,
  support) and :func:`confusion_matrix`.
* **continuous**: numbers in [-1, 1] (e.g. a human rating), compared with
  :func:`pearson` and :func:`cosine`.

Everything here is a pure function of arrays: no files, no printing. The command
``hkbt sentiment eval`` (:mod:`hkbt.cli.sentiment`) reads the data and shows the
results.

Example::

    >>> truth = ["positive", "neutral", "negative", "neutral"]
    >>> guess = to_classes([0.6, 0.1, -0.4, -0.3], negative_threshold=-0.25, positive_threshold=0.25)
    >>> guess.tolist()
    ['positive', 'neutral', 'negative', 'negative']
    >>> accuracy(truth, guess)
    0.75
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hkbt.errors import DataError

__all__ = [
    "CLASSES",
    "normalise_labels",
    "is_continuous",
    "to_classes",
    "accuracy",
    "confusion_matrix",
    "per_class",
    "macro_f1",
    "pearson",
    "cosine",
    "compute_class_metrics",
    "compute_continuous_metrics",
    "worst_misses",
]

CLASSES = ("positive", "neutral", "negative")
"""The three sentiment classes, in display order."""


def normalise_labels(labels: Sequence[object], where: str = "labels") -> np.ndarray:
    """Lower-case, stripped class labels as an object array.

    Raises:
        DataError: a label is missing or not one of :data:`CLASSES` (the message
            lists up to five of the unknown values).

    >>> normalise_labels([" Positive", "NEUTRAL", "negative"]).tolist()
    ['positive', 'neutral', 'negative']
    """
    out = np.array(["" if _missing(v) else str(v).strip().lower() for v in labels], dtype=object)
    unknown = sorted({str(v) for v, o in zip(labels, out) if o not in CLASSES})
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        raise DataError(where, f"unknown label(s) {shown}", "use positive / neutral / negative, or numbers in [-1, 1]")
    return out


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def is_continuous(labels: pd.Series) -> bool:
    """True when every label is a number in [-1, 1] (a continuous rating, not a class).

    >>> is_continuous(pd.Series([0.5, -1, 0])), is_continuous(pd.Series(["positive"]))
    (True, False)
    """
    values = pd.to_numeric(labels, errors="coerce")
    return bool(len(values)) and bool(values.notna().all()) and bool(values.between(-1, 1).all())


def to_classes(scores: Sequence[float], negative_threshold: float, positive_threshold: float) -> np.ndarray:
    """Cut scores into classes: ``>= positive_threshold`` positive, ``<= negative_threshold`` negative.

    Args:
        scores: floats in [-1, 1].
        negative_threshold, positive_threshold: e.g. -0.05 and 0.05 (the VADER authors'
            cut); ``negative_threshold < positive_threshold``.

    Raises:
        ValueError: the thresholds are in the wrong order.
    """
    if not negative_threshold < positive_threshold:
        raise ValueError(f"negative_threshold ({negative_threshold}) must be below positive_threshold ({positive_threshold})")
    x = np.asarray(scores, dtype=np.float64)
    return np.where(x >= positive_threshold, "positive", np.where(x <= negative_threshold, "negative", "neutral")).astype(object)


def _pair(truth: Sequence[object], predicted: Sequence[object]) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(truth, dtype=object)
    p = np.asarray(predicted, dtype=object)
    if t.shape != p.shape:
        raise ValueError(f"{len(t)} labels but {len(p)} predictions")
    if not len(t):
        raise ValueError("no labelled rows")
    return t, p


def _classes_seen(t: np.ndarray, p: np.ndarray) -> list[str]:
    seen = set(t.tolist()) | set(p.tolist())
    return [c for c in CLASSES if c in seen] + sorted(seen - set(CLASSES))


def accuracy(truth: Sequence[object], predicted: Sequence[object]) -> float:
    """Share of rows whose predicted class equals the label, in [0, 1]."""
    t, p = _pair(truth, predicted)
    return float(np.mean(t == p))


def confusion_matrix(truth: Sequence[object], predicted: Sequence[object]) -> pd.DataFrame:
    """Counts with one row per true class and one column per predicted class.

    Classes are those seen in either input, in :data:`CLASSES` order.

    >>> confusion_matrix(["positive", "negative", "negative"], ["positive", "positive", "negative"])  # doctest: +NORMALIZE_WHITESPACE
    predicted  positive  negative
    true
    positive          1         0
    negative          1         1
    """
    t, p = _pair(truth, predicted)
    classes = _classes_seen(t, p)
    position = {c: i for i, c in enumerate(classes)}
    counts = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(counts, ([position[a] for a in t], [position[b] for b in p]), 1)
    return pd.DataFrame(counts, index=pd.Index(classes, name="true"), columns=pd.Index(classes, name="predicted"))


def per_class(truth: Sequence[object], predicted: Sequence[object]) -> pd.DataFrame:
    """Precision, recall, F1 and support (true count) per class.

    A class never predicted has precision 0; one never true has recall 0 (and F1 0).
    """
    matrix = confusion_matrix(truth, predicted)
    rows = {}
    for c in matrix.index:
        hit = matrix.loc[c, c]
        predicted_n = matrix[c].sum()
        true_n = matrix.loc[c].sum()
        precision = hit / predicted_n if predicted_n else 0.0
        recall = hit / true_n if true_n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows[c] = {"precision": float(precision), "recall": float(recall), "f1": float(f1), "support": int(true_n)}
    return pd.DataFrame.from_dict(rows, orient="index")


def macro_f1(truth: Sequence[object], predicted: Sequence[object]) -> float:
    """Unweighted mean of the per-class F1 over every class seen in either input."""
    return float(per_class(truth, predicted)["f1"].mean())


def _vectors(labels: Sequence[float], scores: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(labels, dtype=np.float64)
    y = np.asarray(scores, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"{len(x)} labels but {len(y)} scores")
    if not len(x):
        raise ValueError("no labelled rows")
    return x, y


def pearson(labels: Sequence[float], scores: Sequence[float]) -> float:
    """Pearson correlation; NaN when either side is constant."""
    x, y = _vectors(labels, scores)
    dx, dy = x - x.mean(), y - y.mean()
    denominator = np.sqrt((dx * dx).sum() * (dy * dy).sum())
    return float((dx * dy).sum() / denominator) if denominator else float("nan")


def cosine(labels: Sequence[float], scores: Sequence[float]) -> float:
    """Cosine similarity of the two vectors (no centring); NaN when either is all zeros.

    >>> cosine([1, 0], [1, 1])  # doctest: +ELLIPSIS
    0.7071...
    """
    x, y = _vectors(labels, scores)
    denominator = np.sqrt((x * x).sum() * (y * y).sum())
    return float((x * y).sum() / denominator) if denominator else float("nan")


def compute_class_metrics(truth: Sequence[object], predicted: Sequence[object]) -> dict:
    """Accuracy, macro-F1, per-class table and confusion matrix in one dict.

    Keys: ``accuracy``, ``macro_f1``, ``per_class`` (DataFrame), ``confusion`` (DataFrame), ``rows``.
    """
    t, p = _pair(truth, predicted)
    table = per_class(t, p)
    return {
        "rows": len(t),
        "accuracy": accuracy(t, p),
        "macro_f1": float(table["f1"].mean()),
        "per_class": table,
        "confusion": confusion_matrix(t, p),
    }


def compute_continuous_metrics(labels: Sequence[float], scores: Sequence[float]) -> dict:
    """``rows``, ``pearson`` and ``cosine`` for continuous labels."""
    x, y = _vectors(labels, scores)
    return {"rows": len(x), "pearson": pearson(x, y), "cosine": cosine(x, y)}


def worst_misses(
    texts: Sequence[str],
    labels: Sequence[object],
    scores: Sequence[float],
    n: int,
    *,
    negative_threshold: float | None = None,
    positive_threshold: float | None = None,
) -> pd.DataFrame:
    """The ``n`` rows the scorer got most wrong, worst first.

    For class labels (give both thresholds), a miss is a row whose class is wrong,
    and how bad it is is the distance from the score to the nearest score that
    would have been right (a positive item scored -0.9 is worse than one scored 0).
    For continuous labels it is ``|score - label|``.

    Returns:
        DataFrame with ``text``, ``label``, ``score``, ``miss`` (the distance).
    """
    scores = np.asarray(scores, dtype=np.float64)
    if negative_threshold is None or positive_threshold is None:
        gold = np.asarray(labels, dtype=np.float64)
        miss = np.abs(scores - gold)
    else:
        gold_classes = np.asarray(labels, dtype=object)
        miss = np.zeros(len(scores))
        miss = np.where(gold_classes == "positive", np.maximum(positive_threshold - scores, 0.0), miss)
        miss = np.where(gold_classes == "negative", np.maximum(scores - negative_threshold, 0.0), miss)
        below = np.maximum(negative_threshold - scores, 0.0)  # too negative for neutral
        above = np.maximum(scores - positive_threshold, 0.0)  # too positive for neutral
        miss = np.where(gold_classes == "neutral", np.where(scores <= negative_threshold, below, 0.0)
                        + np.where(scores >= positive_threshold, above, 0.0), miss)
        wrong = to_classes(scores, negative_threshold, positive_threshold) != gold_classes
        miss = np.where(wrong, np.maximum(miss, 1e-9), 0.0)
    frame = pd.DataFrame({"text": list(texts), "label": list(labels), "score": scores, "miss": miss})
    frame = frame[frame["miss"] > 0].sort_values("miss", ascending=False, kind="stable")
    return frame.head(max(n, 0)).reset_index(drop=True)
