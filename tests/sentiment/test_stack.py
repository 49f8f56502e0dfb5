"""vader_fin_stack: the shipped file, NumPy scoring equal to scikit-learn's, its recorded cross-validation
reproduced from the data, floors on the labelled sets, and an explanation that names the model's part."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import REPO_ROOT, require_shared
from hkbt.sentiment.evaluation import compute_class_metrics, to_classes
from hkbt.sentiment.linear_model import preprocess, word_ngrams
from hkbt.sentiment.stack import MODEL_FILE, RULE_FEATURES, StackScorer, rule_features

MODEL = REPO_ROOT / "hkbt" / "sentiment" / "models" / MODEL_FILE
DATA = REPO_ROOT / "tests" / "data"


@pytest.fixture(scope="module")
def stack() -> StackScorer:
    return StackScorer()


@pytest.fixture(scope="module")
def corpus():
    """Every text the training reads, featurised once (needs scikit-learn and the shared data)."""
    pytest.importorskip("sklearn")
    require_shared("sentiment", "tfns_train.csv")
    from hkbt.sentiment import train_stack

    return train_stack.load_corpus()


def test_model_file_is_small_plain_arrays_and_documents_its_data():
    assert MODEL.stat().st_size <= 5_000_000
    with np.load(MODEL, allow_pickle=False) as data:  # no pickled objects inside
        meta = json.loads(str(data["meta"]))
        assert data["coef"].shape == (3, len(data["word_terms"]) + len(RULE_FEATURES))
    assert meta["classes"] == ["negative", "neutral", "positive"]
    from hkbt.sentiment.train_stack import EVAL_ONLY

    trained = set(meta["data_sha256"]) - {"tfns_valid", *EVAL_ONLY}
    assert trained == {"tfns_train", *meta["folds"]}
    assert not any("phrasebank" in name.lower() for name in meta["data_sha256"])  # FPB: evaluation only, never read
    assert set(meta["not_trained_on"]) == {"tfns_valid", *EVAL_ONLY}
    neg, pos = meta["class_thresholds"]
    assert -1 < neg < 0 < pos < 1


def test_scores_equal_scikit_learn_on_real_text(stack):
    """The batched NumPy scoring equals scikit-learn's TfidfVectorizer + a softmax over the same arrays."""
    sklearn_text = pytest.importorskip("sklearn.feature_extraction.text")
    texts = pd.read_csv(require_shared("sentiment", "tfns_valid.csv"))["text"].astype(str).tolist()[:300]
    texts += pd.read_csv(DATA / "events_en_heldout3.csv")["headline"].tolist()[:100] + ["", "x", "rates rates rates"]
    with np.load(MODEL, allow_pickle=False) as data:
        terms, idf = data["word_terms"].tolist(), data["word_idf"].astype(np.float64)
        coef, intercept = data["coef"].astype(np.float64), data["intercept"].astype(np.float64)
    vectorizer = sklearn_text.TfidfVectorizer(analyzer=lambda t: word_ngrams(preprocess(t)), vocabulary=terms)
    vectorizer.fit(["a"])
    vectorizer.idf_ = idf
    x = np.hstack([vectorizer.transform(texts).toarray(), rule_features(stack._rules.score(texts))])
    logits = x @ coef.T + intercept
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    expected = p[:, 2] - p[:, 0]
    expected[[not t.strip() for t in texts]] = 0.0
    np.testing.assert_allclose(stack.score(texts), expected, atol=1e-9)


def test_blank_and_wrong_types(stack):
    assert stack.score(["  ", ""]).tolist() == [0.0, 0.0]
    assert stack.score([]).shape == (0,)
    with pytest.raises(TypeError):
        stack.score([None])


def test_version_keys_the_cache_with_the_rules_and_the_model(stack):
    from hkbt.sentiment.vader_fin import VaderFinScorer

    assert stack.version.endswith(VaderFinScorer().version)  # new rules -> new stack scores, never stale ones
    other = StackScorer(str(MODEL))
    assert other.version == stack.version


def test_recorded_cross_validation_is_reproduced(corpus):
    """The blind-written last fold (events_en_heldout3) scored by a model fitted on everything else: the recorded figures
    exactly while the data and vader_fin's rules are those the model was trained with. The stack reads the rules' score,
    so when the rules change the figure moves; it may rise, but a fall of more than 0.03 says re-run ``make model``."""
    from hkbt.sentiment import train_stack

    corpus, folds, digests = corpus
    meta = StackScorer().meta
    fold = "events_en_heldout3.csv"
    assert fold in meta["folds"] and meta["setting"] == train_stack.SETTING
    left_out = set(corpus.parts[fold][0])
    train, weights = train_stack.training_rows(corpus, [f for f in folds if f != fold], meta["setting"], exclude=left_out)
    model, _, _ = train_stack.fit(corpus, train, weights, meta["setting"]["c"])
    rows = corpus.offsets[fold]
    figures = train_stack.class_figures(corpus.labels[rows], train_stack.stack_scores(corpus, model, train, rows),
                                        tuple(meta["class_thresholds"]))
    recorded = meta["leave_one_set_out"][fold]["stack"]
    if meta["vader_fin_version"] == corpus.rules.version and digests == meta["data_sha256"]:  # same inputs: same figures
        assert figures == recorded
    else:  # the rules (or the sets) moved since `make model`: better is fine, a fall beyond 0.03 means re-train and look
        assert figures["accuracy"] >= recorded["accuracy"] - 0.03 and figures["macro_f1"] >= recorded["macro_f1"] - 0.03, (
            figures, recorded)


def test_refit_reproduces_the_shipped_model(corpus, stack):
    """``make model``'s final fit from the same data and seed gives the same arrays. When the development sets or
    vader_fin's rules have changed since (the stack reads the rules' score), the shipped model must still class
    the development texts as a re-fit does, 19 times in 20; beyond that, re-run ``make model``."""
    from hkbt.sentiment import train_stack

    corpus, folds, digests = corpus
    meta = stack.meta
    rows, weights = train_stack.training_rows(corpus, folds, meta["setting"])
    model, keep, idf = train_stack.fit(corpus, rows, weights, meta["setting"]["c"])
    if digests == meta["data_sha256"] and meta["vader_fin_version"] == corpus.rules.version:
        with np.load(MODEL, allow_pickle=False) as data:
            assert data["word_terms"].tolist() == corpus.terms[keep].tolist()
            np.testing.assert_array_equal(data["word_idf"], idf.astype(np.float32))
            np.testing.assert_array_equal(data["coef"], model.coef_.astype(np.float32))
            np.testing.assert_array_equal(data["intercept"], model.intercept_.astype(np.float32))
    dev = np.concatenate([corpus.offsets[f] for f in folds])
    cut = stack.class_thresholds
    refit = to_classes(train_stack.stack_scores(corpus, model, rows, dev), *cut)
    shipped = to_classes(stack.score([corpus.texts[i] for i in dev]), *cut)
    assert (refit == shipped).mean() >= 0.95


# (file, text column) -> (accuracy floor, macro-F1 floor) for vader_fin_stack, below what was measured (1.000 on each)
# to leave room for vader_fin's rules moving under it. The development sets trained the shipped model, so these
# are in-sample figures, not evidence of skill: that is the leave-one-set-out table (the model's meta, the README).
FLOORS = {
    ("events_en_tune.csv", "headline"): (0.95, 0.95),
    ("events_en_heldout3.csv", "headline"): (0.95, 0.95),
    ("statements_en_dev2.csv", "sentence"): (0.95, 0.95),
    # round 6's blind sets, measured once at d3b1328 (0.876 / 0.877 and 0.953 / 0.945); the round-7 model trains on
    # them (1.000 in-sample)
    ("events_en_heldout5.csv", "headline"): (0.95, 0.95),
    ("statements_en_heldout3.csv", "sentence"): (0.95, 0.95),
    # round 7's blind sets (README_round7.md), never trained on, measured once on the round-7 model: 0.890 / 0.890 and
    # 0.965 / 0.960 (the round-6 model 0.887 / 0.887 and 0.960 / 0.954)
    ("events_en_heldout6.csv", "headline"): (0.88, 0.88),
    ("statements_en_heldout4.csv", "sentence"): (0.96, 0.95),
    # round 8's blind sets (README_round8.md), never trained on, measured once: 0.880 / 0.880 and 0.920 / 0.911
    ("events_en_heldout7.csv", "headline"): (0.87, 0.87),
    ("statements_en_heldout5.csv", "sentence"): (0.92, 0.91),
}


@pytest.mark.parametrize(("name", "column"), sorted(FLOORS))
def test_floors_on_the_labelled_sets(stack, name, column):
    frame = pd.read_csv(DATA / name)
    result = compute_class_metrics(np.array(frame.label.tolist(), dtype=object),
                                   to_classes(stack.score(frame[column].tolist()), *stack.class_thresholds))
    accuracy_floor, f1_floor = FLOORS[(name, column)]
    assert result["accuracy"] >= accuracy_floor and result["macro_f1"] >= f1_floor, (name, result["accuracy"], result["macro_f1"])


# Real wire headlines never trained the stack (their licences, ../shared/data/SOURCES.md). Round-7 model: 0.725 / 0.721
# (dev) and 0.764 / 0.762 (held out), against vader_fin's 0.775 / 0.775 and 0.723 / 0.724. On 400 fresh real headlines
# labelled blind (round 6b), measured once with the round-6 model: 0.642 / 0.633 (vader_fin 0.627 / 0.620); the
# round-7 model 0.667 / 0.658. On 400 more (round 7), measured once: 0.715 / 0.688 (round-6 model 0.690 / 0.663,
# vader_fin 0.618 / 0.606). On 400 more (round 8), measured once: 0.695 / 0.686 (vader_fin 0.665 / 0.662).
REAL_FLOORS = {"real_headlines_dev.csv": (0.72, 0.71), "real_headlines_heldout.csv": (0.75, 0.75),
               "real_headlines_heldout3.csv": (0.66, 0.65), "real_headlines_heldout4.csv": (0.71, 0.68),
               "real_headlines_heldout5.csv": (0.69, 0.68)}


@pytest.mark.parametrize("name", sorted(REAL_FLOORS))
def test_floors_on_real_headlines_it_never_saw(stack, name):
    from hkbt.sentiment.train_stack import read_real_headlines

    require_shared("news")
    texts, labels = read_real_headlines(DATA / name)
    result = compute_class_metrics(np.array(labels, dtype=object), to_classes(stack.score(texts), *stack.class_thresholds))
    accuracy_floor, f1_floor = REAL_FLOORS[name]
    assert result["accuracy"] >= accuracy_floor and result["macro_f1"] >= f1_floor, (name, result["accuracy"], result["macro_f1"])


def test_explanation_names_the_rules_and_the_model(stack):
    e = stack.explain("US adds Tencent to Pentagon list of Chinese military companies")
    assert e.score == pytest.approx(float(stack.score([e.text])[0]))
    rules = [rule for rule, words, valence in e.fired]
    assert rules[-2:] == ["model", "model"] and len(rules) > 2  # vader_fin's rules first, then the model's part
    assert "vader_fin -0." in e.fired[-2][1] and "n-grams '" in e.fired[-2][1]
    assert "stack P(pos) - P(neg)" in e.fired[-1][1]


def test_cli_scores_and_explains_with_the_stack():
    from click.testing import CliRunner

    from hkbt.cli.main import cli

    result = CliRunner().invoke(cli, ["sentiment", "score", "--scorer", "vader_fin_stack", "Beijing cuts the reserve requirement ratio"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())  # rich may wrap the table
    assert "vader_fin_stack" in out and "positive" in out and "stack P(pos) - P(neg)" in out
