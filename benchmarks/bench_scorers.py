"""How fast each sentiment scorer is, in texts per second on one core.

Run from the repository root::

    .venv/bin/python benchmarks/bench_scorers.py            # all installed scorers
    .venv/bin/python benchmarks/bench_scorers.py --repeat 7 vader vader_fin

Texts (each set de-duplicated, so nothing is answered from a cache):

* ``heldout``: the project's 268 labelled headlines (tests/data/heldout_headlines.csv);
* ``reuters``: up to 20,000 real Reuters business headlines and ``rthk``: 2,096 RTHK
  finance headlines, read in place from ../shared/data/news when that folder exists;
* ``fpb``: the 4,846 Financial PhraseBank sentences (longer than headlines), read in place;
* ``zh``: the project's 436 Chinese event headlines (tests/data/events_zh_*.csv), for Chinese scorers.

English scorers are timed on the English sets, Chinese ones on ``zh``. The first Chinese text
scored loads jieba's dictionary; that one-off cost is reported as ``load s`` and left out of the
rate. ``--detect`` also times language detection (hkbt.news.language.detect_languages) per set.

Each scorer is built once (building reads its lexicon files), then ``scorer.score(texts)``
is timed ``--repeat`` times and the best run is reported: the machine is shared, so the
best run is the one least disturbed by other processes. Each English scorer's run is paired
with a run of plain VADER (the vaderSentiment package) on the same texts, right before it:
``x vader`` is the median over the repeats of VADER's time / the scorer's time, a ratio that
other load on the machine disturbs much less than a rate. Targets: the default English scorer
(vader_fin) 20,000 headlines/s, the Chinese scorer (zh_fin) 10,000 headlines/s. This is a
script, not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))

from hkbt.errors import HkbtError  # noqa: E402
from hkbt.sentiment.scoring import SCORERS, get_scorer  # noqa: E402

TARGETS = {"vader_fin": 20_000, "zh_fin": 10_000}


def load_sets(limit: int) -> dict[str, list[str]]:
    """Named lists of distinct texts; sets whose file is missing are left out."""
    sets: dict[str, list[str]] = {}
    heldout = pd.read_csv(REPO / "tests" / "data" / "heldout_headlines.csv")
    sets["heldout"] = list(dict.fromkeys(heldout["headline"].astype(str)))
    reuters = SHARED / "news" / "reuters_headlines_2018-03_2020-07.csv"
    if reuters.is_file():
        sets["reuters"] = list(dict.fromkeys(pd.read_csv(reuters)["Headlines"].dropna().astype(str)))[:limit]
    rthk = SHARED / "news" / "rthk_en_finance_greaterchina_2024-03_2025-04.csv"
    if rthk.is_file():
        sets["rthk"] = list(dict.fromkeys(pd.read_csv(rthk)["title"].dropna().astype(str)))
    fpb = SHARED / "sentiment" / "financial_phrasebank_all.csv"
    if fpb.is_file():
        sets["fpb"] = list(dict.fromkeys(pd.read_csv(fpb, encoding="latin-1")["news"].astype(str)))
    zh = [pd.read_csv(REPO / "tests" / "data" / f"events_zh_{part}.csv")["headline"] for part in ("tune", "heldout")]
    sets["zh"] = list(dict.fromkeys(pd.concat(zh).astype(str)))
    return sets


def _seconds(scorer, texts: list[str]) -> float:
    started = time.perf_counter()
    scorer.score(texts)
    return time.perf_counter() - started


def time_scorer(scorer, texts: list[str], repeat: int, baseline=None) -> tuple[float, float | None]:
    """Best wall-clock seconds of ``repeat`` calls of ``scorer.score(texts)``, and the median paired
    ratio ``baseline seconds / scorer seconds`` (each scorer run right after a baseline run), or None."""
    best, ratios = float("inf"), []
    for _ in range(repeat):
        before = _seconds(baseline, texts) if baseline is not None else None
        seconds = _seconds(scorer, texts)
        best = min(best, seconds)
        if before is not None:
            ratios.append(before / seconds)
    return best, (statistics.median(ratios) if ratios else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scorers", nargs="*", default=list(SCORERS), help="scorer names (default: all)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per scorer and set; the best counts")
    parser.add_argument("--limit", type=int, default=20_000, help="at most this many Reuters headlines")
    parser.add_argument("--detect", action="store_true", help="also time language detection on every set")
    args = parser.parse_args(argv)

    sets = load_sets(args.limit)
    vader = get_scorer("vader")
    rows = []
    for name in args.scorers:
        try:
            built = time.perf_counter()
            scorer = get_scorer(name)
            build_s = time.perf_counter() - built
        except HkbtError as exc:
            print(f"skipped {name}: {exc}", file=sys.stderr)
            continue
        language = getattr(scorer, "language", "en")
        loaded = time.perf_counter()
        scorer.score(["预热" if language == "zh" else "warm up"])  # lazy loads (jieba's dictionary) happen here
        load_s = time.perf_counter() - loaded
        for set_name, texts in sets.items():
            if (set_name == "zh") != (language == "zh"):
                continue
            baseline = vader if language == "en" and name != "vader" else None
            seconds, ratio = time_scorer(scorer, texts, args.repeat, baseline)
            words = sum(len(t.split()) for t in texts) / len(texts)
            rows.append((name, set_name, len(texts), words, seconds, len(texts) / seconds, ratio, build_s, load_s))
    if args.detect:
        from hkbt.news.language import detect_languages

        class Detector:  # time detection like a scorer
            def score(self, texts):
                return detect_languages(texts)

        detect_languages(["warm up", "预热"])
        for set_name, texts in sets.items():
            seconds, _ = time_scorer(Detector(), texts, args.repeat)
            words = sum(len(t.split()) for t in texts) / len(texts)
            rows.append(("language", set_name, len(texts), words, seconds, len(texts) / seconds, None, 0.0, 0.0))

    header = f"{'scorer':<12} {'texts':<8} {'n':>6} {'words':>6} {'best s':>8} {'texts/s':>9} {'x vader':>7}  {'build s':>7}  {'load s':>6}"
    print(header)
    print("-" * len(header))
    for name, set_name, n, words, seconds, rate, ratio, build_s, load_s in rows:
        flag = ""
        if name in TARGETS and set_name != "fpb":
            flag = "  ok" if rate >= TARGETS[name] else f"  below {TARGETS[name]:,}/s"
        paired = f"{ratio:>7.2f}" if ratio is not None else f"{'':>7}"
        print(f"{name:<12} {set_name:<8} {n:>6} {words:>6.1f} {seconds:>8.3f} {rate:>9,.0f} {paired}  {build_s:>7.2f}  {load_s:>6.2f}{flag}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
