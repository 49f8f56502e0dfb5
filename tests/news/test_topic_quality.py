"""Precision and recall of the default topic taxonomy on labelled headlines.

``tests/data/topic_headlines.csv`` is the tuning set; ``topic_headlines_heldout.csv``
was written before the patterns were tuned and is measured, never tuned on. Each
row has a ``label``: policy, ai, both or neither; ``both`` counts as a positive
for both topics. The headlines are the project's own wording and include hard
negatives ("Shanghai", "fiscal year results", "exchange rate", "support level",
"SUV model", "potato chip", "Premier League", mobile "tariffs").
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hkbt.config import Config
from hkbt.news.topics import tag_topics

DATA = Path(__file__).parents[1] / "data"
LABELS = {"policy", "ai", "both", "neither"}
TOPICS = ("policy", "ai")
FLOORS = {"topic_headlines.csv": 0.85, "topic_headlines_heldout.csv": 0.80, "topic_headlines_zh.csv": 0.85}
"""topic_headlines_zh.csv: 112 Chinese headlines (simplified and traditional), written before any Chinese
pattern and then used to write them (a tuning set, not a held-out one)."""


def load_labelled(name: str) -> pd.DataFrame:
    """Read a labelled headline file and check its labels and uniqueness."""
    frame = pd.read_csv(DATA / name, dtype=str, keep_default_na=False)
    assert list(frame.columns) == ["headline", "label"], f"{name}: columns must be headline,label"
    bad = sorted(set(frame.label) - LABELS)
    assert not bad, f"{name}: unknown labels {bad} (use {sorted(LABELS)})"
    dupes = frame.headline[frame.headline.duplicated()].tolist()
    assert not dupes, f"{name}: duplicate headlines {dupes}"
    return frame


def compute_topic_quality(frame: pd.DataFrame, taxonomy: dict[str, list[str]]) -> dict[str, dict]:
    """Pure: per topic, precision, recall and the misclassified headlines."""
    tagged = tag_topics(frame, taxonomy, frame.headline).topics
    quality = {}
    for topic in TOPICS:
        truth = frame.label.isin([topic, "both"])
        predicted = tagged.apply(lambda tags, topic=topic: topic in tags)
        tp = int((truth & predicted).sum())
        quality[topic] = {
            "precision": tp / max(int(predicted.sum()), 1),
            "recall": tp / max(int(truth.sum()), 1),
            "false_positives": frame.headline[predicted & ~truth].tolist(),
            "false_negatives": frame.headline[truth & ~predicted].tolist(),
        }
    return quality


def confusion_summary(name: str, quality: dict[str, dict]) -> str:
    lines = [f"{name}:"]
    for topic, q in quality.items():
        lines.append(f"  {topic}: precision {q['precision']:.3f}, recall {q['recall']:.3f}")
        lines += [f"    tagged but not {topic}: {h}" for h in q["false_positives"]]
        lines += [f"    {topic} but not tagged: {h}" for h in q["false_negatives"]]
    return "\n".join(lines)


def test_labelled_sets_are_big_and_mixed() -> None:
    main, heldout = load_labelled("topic_headlines.csv"), load_labelled("topic_headlines_heldout.csv")
    assert len(main) >= 220 and len(heldout) >= 60
    assert not set(main.headline) & set(heldout.headline), "held-out headlines must not appear in the tuning set"
    for frame in (main, heldout):
        assert set(frame.label) == LABELS


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_topic_precision_and_recall(name: str) -> None:
    quality = compute_topic_quality(load_labelled(name), Config().topics)
    floor = FLOORS[name]
    ok = all(q["precision"] >= floor and q["recall"] >= floor for q in quality.values())
    assert ok, f"topic quality below {floor}\n" + confusion_summary(name, quality)


@pytest.mark.parametrize(
    "headline",
    ["多部门联手救市，A股止跌反弹", "國家隊入市護盤", "聯儲局宣佈減息", "国补扩围至手机和平板", "楼市新政出台，内房股急升"],
)
def test_chinese_rescue_rates_and_subsidies_are_policy(headline: str) -> None:
    """Rescue buying (救市, 护盘), Hong Kong names for the Fed and rate cuts (聯儲局, 減息), national subsidies (国补)."""
    frame = pd.DataFrame({"headline": [headline]})
    assert "policy" in tag_topics(frame, Config().topics, frame.headline).topics[0]
