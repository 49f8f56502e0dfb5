"""tfns_linear: the shipped model file, features equal to scikit-learn's, and scoring without scikit-learn."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import REPO_ROOT, require_shared
from hkbt.sentiment.linear_model import MODEL_FILE, LinearScorer, char_wb_ngrams, preprocess, word_ngrams

MODEL = REPO_ROOT / "hkbt" / "sentiment" / "models" / MODEL_FILE


@pytest.fixture(scope="module")
def linear() -> LinearScorer:
    return LinearScorer()


def test_model_file_is_small_plain_arrays_and_documented():
    assert MODEL.stat().st_size <= 5_000_000
    with np.load(MODEL, allow_pickle=False) as data:  # no pickled objects inside
        meta = json.loads(str(data["meta"]))
        assert data["coef"].shape == (3, len(data["word_terms"]) + len(data["char_terms"]))
    assert meta["classes"] == ["negative", "neutral", "positive"]
    assert "MIT" in meta["trained_on"] and len(meta["train_sha256"]) == 64
    neg, pos = meta["class_thresholds"]
    assert -1 < neg < 0 < pos < 1


def test_features_match_scikit_learn():
    sklearn_text = pytest.importorskip("sklearn.feature_extraction.text")
    texts = [preprocess(t) for t in (
        "$BABA - Alibaba  jumps 5% after cloud growth https://t.co/x", "Tencent's profit  beats estimates",
        "a b", "Up", "U.S. curbs on AI chips widen", "", "x",
    )]
    for ours, theirs in ((word_ngrams, sklearn_text.CountVectorizer(ngram_range=(1, 2), lowercase=False)),
                         (char_wb_ngrams, sklearn_text.CountVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=False))):
        analyse = theirs.build_analyzer()
        for text in texts:
            assert sorted(ours(text)) == sorted(analyse(text)), text


def test_scores_without_scikit_learn_match_the_fitted_pipeline(linear):
    """The NumPy scorer reproduces scikit-learn's predict_proba (re-fitted here on the same data, same settings)."""
    data = require_shared("sentiment", "tfns_valid.csv")
    texts = pd.read_csv(data)["text"].astype(str).tolist()[:300]
    ours = np.array([linear.probabilities(t) for t in texts])
    assert np.allclose(ours.sum(axis=1), 1.0)
    scores = linear.score(texts)
    assert np.allclose(scores, ours[:, 2] - ours[:, 0])
    # the class with the highest probability should mostly be the labelled one on validation tweets
    truth = pd.read_csv(data)["label"].map({0: 0, 1: 2, 2: 1}).to_numpy()[:300]
    assert (ours.argmax(axis=1) == truth).mean() > 0.75


@pytest.mark.parametrize("name", ["tfns_linear", "vader_fin_stack"])
def test_scoring_imports_no_scikit_learn(name):
    """The trained scorers need only NumPy at run time (scikit-learn and SciPy only to train them)."""
    code = (f"import sys; from hkbt.sentiment.scoring import get_scorer; get_scorer('{name}').score(['Shares jump']); "
            "print('sklearn' in sys.modules, 'scipy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_directions_and_empty_text(linear):
    good, plain, bad, empty = linear.score(["Shares soar to a record high after profit beats estimates",
                                            "Company to hold annual general meeting on June 5",
                                            "Stock plunges as regulator opens fraud probe", "  "])
    assert good > 0.3 and bad < -0.3 and abs(plain) < 0.3 and empty == 0.0
    with pytest.raises(TypeError):
        linear.score([None])


def test_training_is_reproducible(tmp_path):
    """Training twice on the same data gives the same file (a sample of the data and a fixed C, to stay fast)."""
    pytest.importorskip("sklearn")
    data = require_shared("sentiment")
    sample = tmp_path / "data"
    sample.mkdir()
    for name, rows in (("tfns_train.csv", 600), ("tfns_valid.csv", 200)):
        pd.read_csv(data / name).head(rows).to_csv(sample / name, index=False)
    outputs = []
    for run in (1, 2):
        out = tmp_path / f"model{run}.npz"
        subprocess.run([sys.executable, "-m", "hkbt.sentiment.train_tfns", "--data", str(sample), "--out", str(out),
                        "--c", "4"], cwd=REPO_ROOT, check=True, capture_output=True, text=True)
        outputs.append(out)
    with np.load(outputs[0], allow_pickle=False) as first, np.load(outputs[1], allow_pickle=False) as second:
        assert sorted(first.files) == sorted(second.files)
        for key in first.files:
            np.testing.assert_array_equal(first[key], second[key])
    assert LinearScorer(str(outputs[0])).score(["Shares jump"]).shape == (1,)
