"""Event sentiment on the labelled event sets (tests/data/events_*.csv, see tests/data/README_events.md).

The sets were written and labelled before any event rule; the rules were written against the
``*_tune`` files only. The ``*_heldout`` files were measured once, at the end (issue 9). The
floors below are the figures reached then, rounded down; the issue's targets (held-out accuracy
and macro-F1 >= 0.85 in English, >= 0.80 in Chinese) were NOT reached, and the floors say so
rather than pretend otherwise.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hkbt.sentiment.evaluation import compute_class_metrics, to_classes
from hkbt.sentiment.scoring import get_scorer

DATA = Path(__file__).parents[1] / "data"

# (file, scorer) -> (accuracy floor, macro-F1 floor): what was measured, rounded down
FLOORS = {
    ("events_en_tune.csv", "vader_fin"): (0.94, 0.94),  # before this issue: 0.595 / 0.595; round 3: 0.941 / 0.942
    # round 1, measured once: 0.652 / 0.652 (target 0.85 not reached); development data since, so round 3's
    # 0.923 / 0.925 is not blind: events_en_heldout2.csv is the blind set (measured once by the lead)
    ("events_en_heldout.csv", "vader_fin"): (0.92, 0.92),
    ("events_zh_tune.csv", "zh_fin"): (0.95, 0.95),  # round 1: 0.914 / 0.916; round 2: 0.983 / 0.983
    # round 1, measured once: 0.710 / 0.710 (target 0.80 not reached); development data since, so round 2's
    # 0.972 / 0.972 is not blind: events_zh_heldout2.csv is the blind set (measured once by the lead)
    ("events_zh_heldout.csv", "zh_fin"): (0.95, 0.95),
    # round 2's blind sets, measured once by the lead at 9f6d571 (tests/data/README_round2.md): 0.821 / 0.822
    # (target 0.85 not reached) and 0.856 / 0.855 (target 0.80 reached); development data since, so round 4's
    # English 0.900 / 0.905 is not blind
    ("events_en_heldout2.csv", "vader_fin"): (0.94, 0.94),  # round 5: 0.942 / 0.945
    ("events_zh_heldout2.csv", "zh_fin"): (0.85, 0.85),
    # round 3's blind English set (tests/data/README_round3.md), measured once by the lead at 58fcb05 with
    # round 4's rules: 0.797 / 0.799 (0.800 / 0.802 on the rules before round 4): the target 0.85 NOT reached
    # round 5 (development data, not blind): 0.906 / 0.906
    ("events_en_heldout3.csv", "vader_fin"): (0.91, 0.91),  # round 6: 0.915 / 0.916
    # round 5's own batches, written and labelled before each was scored (tests/data/README_selfcheck.md): 197 of
    # 256 right unseen; development data since
    # round 6 with its six batches (450 rows, README_selfcheck.md): 0.896 / 0.900
    ("events_en_selfcheck.csv", "vader_fin"): (0.89, 0.89),
    # round 5's blind English set (tests/data/README_round4.md), measured once by the lead at 6553ef4 with round 5's
    # rules: 0.809 / 0.811 (0.785 / 0.787 on the rules before round 5): the target 0.85 NOT reached; the stack
    # (named scorer, not the default: its positive precision fell 0.94 -> 0.88) 0.845 / 0.846
    # round 6 (development data, not blind): 0.852 / 0.853
    ("events_en_heldout4.csv", "vader_fin"): (0.85, 0.85),
    ("events_en_heldout4.csv", "vader_fin_stack"): (0.84, 0.84),
    # round 6's blind English set (tests/data/README_round6.md), measured once by the lead at d3b1328: vader_fin
    # 0.770 / 0.774 (0.755 / 0.758 on round 5's rules), the re-trained stack 0.876 / 0.877 (target 0.85 reached by
    # the stack, the default from round 6b on); development data since
    ("events_en_heldout5.csv", "vader_fin"): (0.76, 0.77),
    ("events_en_heldout5.csv", "vader_fin_stack"): (0.95, 0.95),  # the round-7 stack trains on it: 1.000 in-sample
    # round 7's blind English set (tests/data/README_round7.md), measured once on the round-7 candidate: vader_fin
    # 0.813 / 0.815, the stack 0.890 / 0.890 (the round-6 stack 0.887 / 0.887); development data since
    ("events_en_heldout6.csv", "vader_fin"): (0.81, 0.81),
    ("events_en_heldout6.csv", "vader_fin_stack"): (0.88, 0.88),
    # round 8's blind English set (tests/data/README_round8.md), measured once: vader_fin 0.823 / 0.825, the shipped
    # (round-7) stack 0.880 / 0.880; development data since
    ("events_en_heldout7.csv", "vader_fin"): (0.82, 0.82),
    ("events_en_heldout7.csv", "vader_fin_stack"): (0.87, 0.87),
}


def load(name: str) -> pd.DataFrame:
    frame = pd.read_csv(DATA / name)
    assert list(frame.columns) == ["id", "headline", "label", "event_type", "subject", "why"], name
    assert set(frame.label) == {"positive", "neutral", "negative"}, name
    assert frame.headline.is_unique and frame.id.is_unique, name
    return frame


def metrics(name: str, scorer_name: str) -> dict:
    frame = load(name)
    scorer = get_scorer(scorer_name)
    predicted = to_classes(scorer.score(frame.headline.tolist()), *scorer.class_thresholds)
    return compute_class_metrics(np.array(frame.label.tolist(), dtype=object), predicted)


def test_sets_are_big_mixed_and_disjoint():
    for language, least in (("en", 400), ("zh", 250)):
        tune, heldout = load(f"events_{language}_tune.csv"), load(f"events_{language}_heldout.csv")
        assert len(tune) + len(heldout) >= least
        assert 0.30 <= len(heldout) / (len(tune) + len(heldout)) <= 0.36  # one third held out
        assert not set(tune.headline) & set(heldout.headline) and not set(tune.id) & set(heldout.id)
        assert (pd.concat([tune, heldout]).label == "neutral").mean() >= 0.30
        assert set(heldout.event_type) == set(tune.event_type)


@pytest.mark.parametrize(("name", "scorer_name"), sorted(FLOORS))
def test_event_accuracy_reached(name, scorer_name):
    result = metrics(name, scorer_name)
    accuracy_floor, f1_floor = FLOORS[(name, scorer_name)]
    assert result["accuracy"] >= accuracy_floor and result["macro_f1"] >= f1_floor, (
        f"{name} {scorer_name}: accuracy {result['accuracy']:.3f}, macro-F1 {result['macro_f1']:.3f}\n{result['per_class']}"
    )


def test_rules_beat_plain_vader_and_the_trained_model_on_held_out_events():
    """The rules alone beat VADER, the tweets-only trained model and the blend on the held-out events."""
    accuracy = {name: metrics("events_en_heldout.csv", name)["accuracy"] for name in ("vader", "vader_fin", "tfns_linear", "blend")}
    assert accuracy["vader_fin"] > max(accuracy["vader"], accuracy["tfns_linear"], accuracy["blend"]), accuracy


# tests/data/README_statements.md: FPB-like company statements in our own words. The development part: before
# round 4 0.807 / 0.791, round 4 0.897 / 0.890 (not blind). The held-out third, measured once by the lead at
# 58fcb05: 0.853 / 0.844 (0.847 / 0.833 before round 4); development data since.
# statements_en_dev2.csv (README_statements2.md), written blind by another helper, landed during round 5: 0.853 / 0.840
# on round 4's rules; read by family in round 5 (development data): dev 0.903 / 0.898, held-out third 0.887 / 0.878,
# dev2 0.910 / 0.907
STATEMENT_FLOORS = {
    "statements_en_dev.csv": (0.90, 0.90), "statements_en_heldout.csv": (0.89, 0.88), "statements_en_dev2.csv": (0.91, 0.90),
    # the held-out third of dev2's batch, measured once by the lead at 6553ef4: 0.860 / 0.847 (0.853 / 0.840 before round 5)
    "statements_en_heldout2.csv": (0.87, 0.85),  # round 6: 0.873 / 0.860
    # round 6's blind third statements set (README_round6.md), measured once at d3b1328: 0.920 / 0.911 (stack 0.953 / 0.945)
    "statements_en_heldout3.csv": (0.92, 0.91),
    # round 7's blind statements set (README_round7.md), measured once: 0.910 / 0.901 (stack 0.965 / 0.960)
    "statements_en_heldout4.csv": (0.91, 0.90),
    # round 8's blind statements set (README_round8.md), measured once: 0.855 / 0.838 (stack 0.920 / 0.911)
    "statements_en_heldout5.csv": (0.85, 0.83),
}


@pytest.mark.parametrize("name", sorted(STATEMENT_FLOORS))
def test_company_statements_reached(name):
    frame = pd.read_csv(DATA / name)
    assert list(frame.columns) == ["id", "sentence", "label", "kind", "why"] and frame.sentence.is_unique
    scorer = get_scorer("vader_fin")
    predicted = to_classes(scorer.score(frame.sentence.tolist()), *scorer.class_thresholds)
    result = compute_class_metrics(np.array(frame.label.tolist(), dtype=object), predicted)
    accuracy_floor, f1_floor = STATEMENT_FLOORS[name]
    assert result["accuracy"] >= accuracy_floor and result["macro_f1"] >= f1_floor, (result["accuracy"], result["macro_f1"])


@pytest.mark.parametrize(("dev_name", "heldout_name"), [("statements_en_dev.csv", "statements_en_heldout.csv"),
                                                     ("statements_en_dev2.csv", "statements_en_heldout2.csv")])
def test_statement_parts_are_disjoint(dev_name, heldout_name):
    dev, heldout = (pd.read_csv(DATA / name) for name in (dev_name, heldout_name))
    assert not set(dev.sentence) & set(heldout.sentence) and not set(dev.id) & set(heldout.id)
    assert 0.30 <= len(heldout) / (len(dev) + len(heldout)) <= 0.36


@functools.cache
def shared_headlines_by_key() -> dict[str, dict[str, str]]:
    """source -> key -> headline, read once in place from ../shared/data/news (keys: tests/data/README_round2.md)."""
    from conftest import require_shared

    rthk = pd.read_csv(require_shared("news", "rthk_en_finance_greaterchina_2024-03_2025-04.csv"))
    reuters = pd.read_csv(require_shared("news", "reuters_headlines_2018-03_2020-07.csv"))
    return {"rthk": dict(zip(rthk["link"], rthk["title"].astype(str).str.strip())),
            "reuters": {hashlib.sha1(h.strip().encode()).hexdigest(): h.strip() for h in reuters["Headlines"].astype(str)}}


# real headlines -> (accuracy floor, macro-F1 floor) for vader_fin: dev 0.727 / 0.730 (not blind);
# held-out measured once by the lead at 9f6d571: 0.664 / 0.667; round 4 (development data, not blind):
# dev 0.752 / 0.754, held-out 0.700 / 0.701
# round 6: dev 0.775 / 0.775, held-out 0.723 / 0.724
# 400 fresh real headlines labelled blind (README_real_headlines3.md), measured once at d3b1328: 0.627 / 0.620
# (the stack 0.642 / 0.633, which made it the default)
# 400 more (round 7, README_real_headlines4.md), measured once: 0.618 / 0.606 (the round-7 stack 0.715 / 0.688)
# 400 more (round 8, README_real_headlines5.md), measured once: 0.665 / 0.662 (the shipped stack 0.695 / 0.686)
REAL_FLOORS = {"real_headlines_dev.csv": (0.77, 0.77), "real_headlines_heldout.csv": (0.72, 0.72),
               "real_headlines_heldout3.csv": (0.62, 0.61), "real_headlines_heldout4.csv": (0.61, 0.60),
               "real_headlines_heldout5.csv": (0.66, 0.66)}


@pytest.mark.parametrize("name", sorted(REAL_FLOORS))
def test_real_headlines_reached(name):
    labels = pd.read_csv(DATA / name)
    assert set(labels.label) == {"positive", "neutral", "negative"} and labels.key.is_unique
    scorer = get_scorer("vader_fin")
    by_key = shared_headlines_by_key()
    texts = [by_key[source][key] for source, key in zip(labels.source, labels.key)]
    predicted = to_classes(scorer.score(texts), *scorer.class_thresholds)
    result = compute_class_metrics(np.array(labels.label.tolist(), dtype=object), predicted)
    accuracy_floor, f1_floor = REAL_FLOORS[name]
    assert result["accuracy"] >= accuracy_floor and result["macro_f1"] >= f1_floor, (name, result["accuracy"], result["macro_f1"])
