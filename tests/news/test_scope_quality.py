"""Scope, company and theme rules measured on the labelled sets (tests/data/README_scopes.md).

``scopes_tune.csv`` (240 items) was written before any scope rule and the rules in
config.yaml were written against it; ``scopes_heldout.csv`` (121 items, a third)
was not read while writing them and was measured once, after they were frozen.
The assertions hold the figures reached, minus a small margin, so a rule change
that costs accuracy fails here. Run with ``-s`` to print the tables.
"""

from __future__ import annotations

import pandas as pd
import pytest

from hkbt.config import Config
from hkbt.news.entities import link_entities
from hkbt.news.scopes import SCOPES, assign_scope, mask_false_friends, scope_rules_from_config

from conftest import REPO_ROOT

DATA = REPO_ROOT / "tests" / "data"


def classify(path) -> pd.DataFrame:
    """The labelled set with the pipeline's scope, tickers and themes beside the labels."""
    labelled = pd.read_csv(path, keep_default_na=False)
    config = Config()
    rules = scope_rules_from_config(config)
    text = mask_false_friends(list(labelled.text), rules.false_friends)
    news = pd.DataFrame({"tickers": [[] for _ in range(len(labelled))]})
    news = assign_scope(link_entities(news, config.universe.tickers, config.universe.aliases, text), rules, text)
    return labelled.assign(
        predicted=news.scope.to_numpy(),
        gold_tickers=[set(t.split(";")) - {""} for t in labelled.tickers],
        found_tickers=[set(t) for t in news.tickers],
        gold_themes=[set(t.split(";")) - {""} for t in labelled.themes],
        found_themes=[set(t) for t in news.themes],
    )


def precision_recall(gold: pd.Series, found: pd.Series, label: str) -> tuple[float, float]:
    hits = ((gold == label) & (found == label)).sum()
    return hits / max((found == label).sum(), 1), hits / max((gold == label).sum(), 1)


def set_precision_recall(gold, found) -> tuple[float, float]:
    hits = sum(len(g & f) for g, f in zip(gold, found))
    return hits / max(sum(map(len, found)), 1), hits / max(sum(map(len, gold)), 1)


def report(frame: pd.DataFrame, name: str) -> dict[str, tuple[float, float]]:
    scores = {scope: precision_recall(frame.scope, frame.predicted, scope) for scope in SCOPES}
    scores["tickers"] = set_precision_recall(frame.gold_tickers, frame.found_tickers)
    for theme in ("china_ai", "china_ev", "hk_tech"):
        scores[theme] = precision_recall(frame.gold_themes.map(lambda t, th=theme: th in t),
                                         frame.found_themes.map(lambda t, th=theme: th in t), True)
    print(f"\n{name}: accuracy {(frame.scope == frame.predicted).mean():.3f}")
    print(pd.crosstab(frame.scope, frame.predicted, rownames=["label"], colnames=["rules"]))
    for key, (p, r) in scores.items():
        print(f"  {key:9s} precision {p:.2f} recall {r:.2f}")
    for miss in frame[frame.scope != frame.predicted].itertuples():
        print(f"  miss {miss.id}: {miss.scope} -> {miss.predicted}: {miss.text[:100]}")
    return scores


@pytest.fixture(scope="module")
def tune() -> dict[str, tuple[float, float]]:
    return report(classify(DATA / "scopes_tune.csv"), "tune")


@pytest.mark.parametrize("key", [*SCOPES, "tickers", "china_ai", "china_ev", "hk_tech"])
def test_tune_set(tune, key):
    # written against this set: it is the floor any change must keep, not evidence of quality
    floors = {"china_ev": (0.95, 0.75), "hk_tech": (0.85, 0.85)}
    low_p, low_r = floors.get(key, (0.95, 0.95))
    precision, recall = tune[key]
    assert precision >= low_p and recall >= low_r, f"{key}: precision {precision:.2f}, recall {recall:.2f}"


@pytest.fixture(scope="module")
def heldout() -> dict[str, tuple[float, float]]:
    return report(classify(DATA / "scopes_heldout.csv"), "held-out")


# Measured once, after the rules were frozen (accuracy 0.917, 111 of 121): precision / recall
# company 0.97 / 0.91, theme 1.00 / 0.96, market 0.93 / 0.87, other 0.77 / 0.96; tickers 0.98 / 0.90.
# The floors sit about 0.05 below, so a change that loses more than a couple of items fails.
HELDOUT_FLOORS = {
    "company": (0.92, 0.86), "theme": (0.95, 0.91), "market": (0.88, 0.82), "other": (0.72, 0.91),
    "tickers": (0.93, 0.85),
}


@pytest.mark.parametrize("key", list(HELDOUT_FLOORS))
def test_heldout_set(heldout, key):
    low_p, low_r = HELDOUT_FLOORS[key]
    precision, recall = heldout[key]
    assert precision >= low_p and recall >= low_r, f"{key}: precision {precision:.2f}, recall {recall:.2f}"
