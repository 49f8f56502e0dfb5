"""Time and size of the HTML report for a big run: 10 tickers x 5 years, 2,000 news items.

Builds the run with the real pipeline on synthetic prices and synthetic news
(random times, tickers and wording, so scores vary), writes the run folder,
then renders ``report.html`` from that folder several times.

    .venv/bin/python benchmarks/bench_report.py            # prints the figures
    .venv/bin/python benchmarks/bench_report.py --keep DIR # keep the run folder

Targets (issue 3): render <= 3 s, file <= 8 MB. Exit status 1 if either is missed.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hkbt.config import load_config  # noqa: E402
from hkbt.pipeline import run_pipeline  # noqa: E402
from hkbt.reports.run_report import render_report  # noqa: E402
from hkbt.backtest.results import write_run  # noqa: E402

TICKERS = ["9988.HK", "0700.HK", "1810.HK", "9888.HK", "9999.HK", "9618.HK", "1211.HK", "0175.HK", "3690.HK", "1024.HK"]
NAMES = ["Alibaba", "Tencent", "Xiaomi", "Baidu", "NetEase", "JD.com", "BYD", "Geely", "Meituan", "Kuaishou"]
GOOD = ["surges on strong AI model release", "beats estimates as stimulus lifts demand", "rallies after Beijing pledges policy support",
        "jumps on record profit and upbeat guidance", "gains as regulators back private firms"]
BAD = ["slumps after weak quarterly results", "falls as regulators probe pricing", "drops on tariff fears",
       "tumbles after profit warning", "sinks as sales disappoint"]
MIXED = ["unveils new chatbot", "holds annual meeting", "announces board changes", "opens new AI data centre"]
NEWS_ITEMS, START, END = 2000, "2020-01-02", "2024-12-31"
TARGET_SECONDS, TARGET_BYTES = 3.0, 8 * 1024 * 1024


def write_news(path: Path, seed: int = 3) -> None:
    """2,000 items at random times (any hour, weekends included), 1-2 tickers or none (market-wide)."""
    rng = random.Random(seed)
    start = time.mktime(time.strptime(START, "%Y-%m-%d"))
    span = time.mktime(time.strptime(END, "%Y-%m-%d")) - start
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["published_at", "headline", "body", "source", "url", "tickers"])
        for i in range(NEWS_ITEMS):
            stamp = time.strftime("%Y-%m-%dT%H:%M:00+08:00", time.gmtime(start + rng.random() * span))
            picks = rng.sample(range(len(TICKERS)), rng.choice([0, 1, 1, 1, 2]))
            phrase = rng.choice(rng.choice([GOOD, GOOD, BAD, MIXED]))
            subject = " and ".join(NAMES[p] for p in picks) or "Hang Seng tech"
            headline = f"{subject} {phrase} (item {i})"
            writer.writerow([stamp, headline, "", rng.choice(["wire", "rthk", "filing"]), f"https://example.com/news/{i}",
                             ";".join(TICKERS[p] for p in picks)])


def build_run(root: Path) -> Path:
    write_news(root / "news.csv")
    (root / "config.yaml").write_text("run:\n  name: bench\n", encoding="utf-8")
    overrides = [
        f"run.start={START}", f"run.end={END}", f"run.output_dir={root / 'out'}", "prices.source=synthetic",
        f"news.path={root / 'news.csv'}", "sentiment.cache_dir=null", "strategy.params.entry_threshold=0.3",
        f"universe.tickers=[{', '.join(TICKERS)}]", "universe.lot_sizes.1024.HK=100", "universe.aliases.1024.HK=[Kuaishou]",
    ]
    config = load_config(root / "config.yaml", overrides)
    artifacts = run_pipeline(config, root)
    return write_run(artifacts, root / "out" / "bench", "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", type=Path, help="build the run in this folder and keep it")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="hkbt-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    folder = build_run(root)
    built = time.perf_counter() - started
    timings, html = [], ""
    for _ in range(args.repeat):
        tick = time.perf_counter()
        html = render_report(folder)
        timings.append(time.perf_counter() - tick)
    (folder / "report.html").write_text(html, encoding="utf-8")
    size = (folder / "report.html").stat().st_size
    news = sum(1 for _ in open(folder / "news.csv", encoding="utf-8")) - 1
    trades = sum(1 for _ in open(folder / "trades.csv", encoding="utf-8")) - 1
    best, median = min(timings), statistics.median(timings)
    print(f"run: {len(TICKERS)} tickers, {START} -> {END}, {news} news items, {trades} trades (built in {built:.1f} s)")
    print(f"render: median {median:.2f} s, best {best:.2f} s over {args.repeat} (target <= {TARGET_SECONDS:.0f} s)")
    print(f"size: {size / 1024 / 1024:.2f} MB (target <= {TARGET_BYTES / 1024 / 1024:.0f} MB)  {folder / 'report.html'}")
    ok = median <= TARGET_SECONDS and size <= TARGET_BYTES
    print("OK" if ok else "MISSED A TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
