"""Train the ``tfns_linear`` scorer: ``make model`` (or ``python -m hkbt.sentiment.train_tfns``).

Data: Twitter Financial News Sentiment (``tfns_train.csv`` to fit, ``tfns_valid.csv`` to
choose the regularisation and the 3-class cut), read in place from ``../shared/data/sentiment``;
MIT licence, credited in the README. Nothing else is read: Financial PhraseBank and hkbt's
own labelled sets only ever *evaluate* the model.

Model: scikit-learn ``TfidfVectorizer`` word 1-2-grams (min_df 2) and ``char_wb`` 2-5-grams
(min_df 3), each block l2-normalised, into a multinomial ``LogisticRegression``
(class_weight "balanced", lbfgs). Deterministic: the same data and package versions give
the same file (the solver has no randomness; ``SEED`` is passed anyway).

Output: ``hkbt/sentiment/models/tfns_linear.npz``: vocabularies, idf weights, coefficients,
intercepts and a JSON ``meta`` string (data hashes, settings, validation figures). Plain
arrays only, loaded with ``allow_pickle=False`` by :class:`hkbt.sentiment.linear_model.LinearScorer`,
which applies the model with NumPy alone. scikit-learn is needed only here (the ``train`` extra, which
``make model`` installs; ``dev`` has it too so the tests compare against it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from hkbt.sentiment.linear_model import MODEL_FILE, char_wb_ngrams, preprocess, word_ngrams

SEED = 20250217
LABELS = {0: "negative", 1: "positive", 2: "neutral"}  # the data set's 0 bearish, 1 bullish, 2 neutral
C_GRID = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data" / "sentiment"
OUT = Path(__file__).resolve().parent / "models" / MODEL_FILE


def read_split(path: Path) -> tuple[list[str], list[str]]:
    frame = pd.read_csv(path)
    return [preprocess(str(t)) for t in frame["text"]], [LABELS[int(v)] for v in frame["label"]]


def vectorizers():
    from sklearn.feature_extraction.text import TfidfVectorizer

    word = TfidfVectorizer(analyzer=lambda t: word_ngrams(t), min_df=2, dtype=np.float64)
    char = TfidfVectorizer(analyzer=lambda t: char_wb_ngrams(t), min_df=3, dtype=np.float64)
    return word, char


def fit(train_texts, train_labels, c: float):
    from scipy.sparse import hstack
    from sklearn.linear_model import LogisticRegression

    word, char = vectorizers()
    x = hstack([word.fit_transform(train_texts), char.fit_transform(train_texts)]).tocsr()
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, random_state=SEED)
    model.fit(x, train_labels)
    return word, char, model


def predict_scores(word, char, model, texts) -> np.ndarray:
    from scipy.sparse import hstack

    x = hstack([word.transform(texts), char.transform(texts)]).tocsr()
    proba = model.predict_proba(x)
    classes = list(model.classes_)
    return proba[:, classes.index("positive")] - proba[:, classes.index("negative")]


def macro_f1(truth: list[str], scores: np.ndarray, cut: tuple[float, float]) -> float:
    from hkbt.sentiment.evaluation import macro_f1 as f1, to_classes

    return f1(truth, to_classes(scores, *cut))


def best_cut(truth: list[str], scores: np.ndarray) -> tuple[tuple[float, float], float]:
    """The (negative, positive) cut with the best macro-F1 on validation, on a 0.05 grid."""
    grid = np.round(np.arange(-0.6, 0.61, 0.05), 2)
    best = ((-0.05, 0.05), -1.0)
    for neg in grid[grid < 0]:
        for pos in grid[grid > 0]:
            value = macro_f1(truth, scores, (float(neg), float(pos)))
            if value > best[1] + 1e-12:
                best = ((float(neg), float(pos)), value)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder with tfns_train.csv and tfns_valid.csv")
    parser.add_argument("--out", type=Path, default=OUT, help="model file to write")
    parser.add_argument("--c", type=float, default=None, help="use this C instead of choosing it on validation")
    args = parser.parse_args(argv)
    train_path, valid_path = args.data / "tfns_train.csv", args.data / "tfns_valid.csv"
    for path in (train_path, valid_path):
        if not path.is_file():
            print(f"error: {path}: not found -> pass --data FOLDER with tfns_train.csv and tfns_valid.csv", file=sys.stderr)
            return 2
    train_texts, train_labels = read_split(train_path)
    valid_texts, valid_labels = read_split(valid_path)

    from sklearn.metrics import accuracy_score

    results = []
    for c in C_GRID if args.c is None else ():  # choose C by validation macro-F1 at a symmetric cut
        word, char, model = fit(train_texts, train_labels, c)
        scores = predict_scores(word, char, model, valid_texts)
        results.append((macro_f1(valid_labels, scores, (-1 / 3, 1 / 3)), c))
        print(f"C={c:g}: validation macro-F1 {results[-1][0]:.4f}")
    c = max(results)[1] if args.c is None else args.c
    word, char, model = fit(train_texts, train_labels, c)
    scores = predict_scores(word, char, model, valid_texts)
    cut, f1 = best_cut(valid_labels, scores)
    valid_pred = model.predict(
        __import__("scipy.sparse", fromlist=["hstack"]).hstack([word.transform(valid_texts), char.transform(valid_texts)]).tocsr()
    )
    meta = {
        "name": "tfns_linear",
        "trained_on": "Twitter Financial News Sentiment (zeroshot/twitter-financial-news-sentiment), MIT licence",
        "train_sha256": hashlib.sha256(train_path.read_bytes()).hexdigest(),
        "valid_sha256": hashlib.sha256(valid_path.read_bytes()).hexdigest(),
        "features": "tf-idf word 1-2-grams (min_df 2) + char_wb 2-5-grams (min_df 3), each l2-normalised",
        "model": f"LogisticRegression(C={c:g}, class_weight='balanced', lbfgs, multinomial)",
        "seed": SEED,
        "classes": [str(k) for k in model.classes_],
        "class_thresholds": list(cut),
        "valid_macro_f1_at_cut": round(f1, 4),
        "valid_accuracy_argmax": round(float(accuracy_score(valid_labels, valid_pred)), 4),
        "sklearn": __import__("sklearn").__version__,
    }
    word_terms = sorted(word.vocabulary_, key=word.vocabulary_.get)
    char_terms = sorted(char.vocabulary_, key=char.vocabulary_.get)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp.npz")
    np.savez_compressed(
        tmp,
        meta=np.array(json.dumps(meta, sort_keys=True)),
        word_terms=np.array(word_terms),
        char_terms=np.array(char_terms),
        word_idf=word.idf_.astype(np.float32),
        char_idf=char.idf_.astype(np.float32),
        coef=model.coef_.astype(np.float32),
        intercept=model.intercept_.astype(np.float32),
    )
    tmp.replace(args.out)
    print(json.dumps(meta, indent=2))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB; {len(word_terms):,} word and "
          f"{len(char_terms):,} character n-grams)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
