"""hkbt.sentiment.evaluation against numbers worked out by hand in the comments."""

from __future__ import annotations

import doctest
import math
from pathlib import Path

import pandas as pd
import pytest

import hkbt.sentiment.evaluation
from hkbt.errors import DataError
from hkbt.sentiment.evaluation import (
    accuracy,
    compute_class_metrics,
    compute_continuous_metrics,
    confusion_matrix,
    cosine,
    is_continuous,
    macro_f1,
    normalise_labels,
    pearson,
    per_class,
    to_classes,
    worst_misses,
)

# Ten items. Confusion (rows true, columns predicted):
#              positive  neutral  negative
#   positive       2        1        0
#   neutral        1        2        0
#   negative       0        1        3
TRUTH = ["positive", "positive", "positive", "neutral", "neutral", "negative", "negative", "negative", "negative", "neutral"]
GUESS = ["positive", "neutral", "positive", "neutral", "positive", "negative", "negative", "neutral", "negative", "neutral"]


class TestClasses:
    def test_accuracy(self):
        assert accuracy(TRUTH, GUESS) == pytest.approx(7 / 10)  # 2 + 2 + 3 right

    def test_confusion_matrix(self):
        matrix = confusion_matrix(TRUTH, GUESS)
        assert list(matrix.index) == list(matrix.columns) == ["positive", "neutral", "negative"]
        assert matrix.to_numpy().tolist() == [[2, 1, 0], [1, 2, 0], [0, 1, 3]]
        assert matrix.to_numpy().sum() == 10

    def test_per_class(self):
        table = per_class(TRUTH, GUESS)
        # positive: 2 of 3 predicted positives right; 2 of 3 true positives found
        assert table.loc["positive", "precision"] == pytest.approx(2 / 3)
        assert table.loc["positive", "recall"] == pytest.approx(2 / 3)
        # neutral: predicted 4 times (1 + 2 + 1), right twice; 2 of 3 true neutrals found
        assert table.loc["neutral", "precision"] == pytest.approx(2 / 4)
        assert table.loc["neutral", "recall"] == pytest.approx(2 / 3)
        assert table.loc["neutral", "f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))  # 4/7
        # negative: every negative prediction right; 3 of 4 found
        assert table.loc["negative", "precision"] == pytest.approx(1.0)
        assert table.loc["negative", "recall"] == pytest.approx(3 / 4)
        assert table.loc["negative", "f1"] == pytest.approx(6 / 7)
        assert table["support"].tolist() == [3, 3, 4]

    def test_macro_f1(self):
        # mean of 2/3, 4/7 and 6/7
        assert macro_f1(TRUTH, GUESS) == pytest.approx((2 / 3 + 4 / 7 + 6 / 7) / 3)
        assert macro_f1(TRUTH, GUESS) == pytest.approx(0.698413, abs=1e-6)

    def test_perfect_and_hopeless(self):
        assert accuracy(TRUTH, TRUTH) == 1.0 and macro_f1(TRUTH, TRUTH) == 1.0
        everything_neutral = ["neutral"] * len(TRUTH)
        # neutral: precision 3/10, recall 1 -> F1 6/13; the other two classes score 0
        assert macro_f1(TRUTH, everything_neutral) == pytest.approx((6 / 13) / 3)

    def test_a_class_never_predicted_has_zero_precision(self):
        table = per_class(["positive", "negative"], ["positive", "positive"])
        assert table.loc["negative", "precision"] == 0.0 and table.loc["negative", "recall"] == 0.0
        assert table.loc["positive", "precision"] == 0.5 and table.loc["positive", "recall"] == 1.0

    def test_compute_class_metrics_bundles_the_same_numbers(self):
        result = compute_class_metrics(TRUTH, GUESS)
        assert result["rows"] == 10
        assert result["accuracy"] == accuracy(TRUTH, GUESS)
        assert result["macro_f1"] == macro_f1(TRUTH, GUESS)
        pd.testing.assert_frame_equal(result["confusion"], confusion_matrix(TRUTH, GUESS))

    def test_length_mismatch_and_empty(self):
        with pytest.raises(ValueError, match="3 labels but 2"):
            accuracy(["positive"] * 3, ["positive"] * 2)
        with pytest.raises(ValueError, match="no labelled rows"):
            accuracy([], [])


class TestThresholdsAndLabels:
    def test_to_classes_edges_belong_to_the_outer_class(self):
        out = to_classes([0.3, 0.2999, -0.2, -0.1999, 0.0, 1.0, -1.0], negative_threshold=-0.2, positive_threshold=0.3)
        assert out.tolist() == ["positive", "neutral", "negative", "neutral", "neutral", "positive", "negative"]

    def test_to_classes_rejects_crossed_thresholds(self):
        with pytest.raises(ValueError, match="below"):
            to_classes([0.0], negative_threshold=0.3, positive_threshold=0.3)

    def test_labels_are_case_and_space_insensitive(self):
        assert normalise_labels([" Positive ", "NEUTRAL", "negative"]).tolist() == ["positive", "neutral", "negative"]

    def test_unknown_or_missing_labels_are_data_errors(self):
        with pytest.raises(DataError) as info:
            normalise_labels(["positive", "bullish", None], where="x.csv: label")
        assert info.value.where == "x.csv: label"
        assert "'bullish'" in info.value.what and "'None'" in info.value.what

    def test_is_continuous(self):
        assert is_continuous(pd.Series([0.5, -1.0, 0.0, 1]))
        assert is_continuous(pd.Series(["0.5", "-0.25"]))  # numbers written as text
        assert not is_continuous(pd.Series([0.5, 1.5]))  # outside [-1, 1]
        assert not is_continuous(pd.Series(["positive", "0.5"]))
        assert not is_continuous(pd.Series([], dtype=float))


class TestContinuous:
    def test_pearson(self):
        # x = 1, 2, 3; y = 1, 2, 5: deviations (-1, 0, 1) and (-5/3, -2/3, 7/3);
        # covariance sum 5/3 + 7/3 = 4; r = 4 / sqrt(2 * 78/9) = 12 / sqrt(156)
        assert pearson([1, 2, 3], [1, 2, 5]) == pytest.approx(12 / math.sqrt(156))
        assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
        assert math.isnan(pearson([1, 1, 1], [1, 2, 3]))

    def test_cosine(self):
        # (1, 0, -1) . (0.5, 0.5, -0.5) = 1; norms sqrt(2) and sqrt(0.75) -> sqrt(2/3)
        assert cosine([1, 0, -1], [0.5, 0.5, -0.5]) == pytest.approx(math.sqrt(2 / 3))
        assert cosine([1, 2], [2, 4]) == pytest.approx(1.0)
        assert math.isnan(cosine([0, 0], [1, 1]))

    def test_compute_continuous_metrics(self):
        result = compute_continuous_metrics([1, 2, 3], [1, 2, 5])
        assert result == {"rows": 3, "pearson": pytest.approx(12 / math.sqrt(156)), "cosine": pytest.approx(
            (1 + 4 + 15) / math.sqrt(14 * 30))}


class TestWorstMisses:
    def test_classes_ranked_by_distance_to_a_right_score(self):
        texts = ["a", "b", "c", "d", "e"]
        labels = ["positive", "positive", "neutral", "negative", "neutral"]
        scores = [-0.9, 0.1, 0.8, 0.5, 0.0]
        # a: positive scored -0.9, 1.2 below the positive cut 0.3; b: 0.2 below it;
        # c: neutral scored 0.8, 0.5 above the cut; d: negative scored 0.5, 0.7 above -0.2; e: right
        out = worst_misses(texts, labels, scores, 10, negative_threshold=-0.2, positive_threshold=0.3)
        assert out["text"].tolist() == ["a", "d", "c", "b"]
        assert out["miss"].tolist() == pytest.approx([1.2, 0.7, 0.5, 0.2])
        assert worst_misses(texts, labels, scores, 2, negative_threshold=-0.2, positive_threshold=0.3)["text"].tolist() == ["a", "d"]

    def test_continuous_ranked_by_absolute_error(self):
        out = worst_misses(["a", "b", "c"], [1.0, 0.0, -0.5], [0.0, 0.1, -0.5], 5)
        assert out["text"].tolist() == ["a", "b"]  # c is exact
        assert out["miss"].tolist() == pytest.approx([1.0, 0.1])


def test_docstring_examples():
    result = doctest.testmod(hkbt.sentiment.evaluation, verbose=False)
    assert result.attempted > 0 and result.failed == 0


def test_pure_module_reads_and_prints_nothing():
    text = Path(hkbt.sentiment.evaluation.__file__).read_text(encoding="utf-8")
    for forbidden in ("open(", "read_csv", "print(", "Console"):
        assert forbidden not in text, forbidden
