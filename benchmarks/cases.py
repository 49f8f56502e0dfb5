"""The benchmark cases, built from the real data beside the repository (``../shared/data``).

Shared by ``bench_run.py`` and ``bench_sweep.py``. Nothing is copied into the repository:
each case is written into a scratch folder the caller owns.

**real** (the issue's "9 tickers x 5 years, 20,000 headlines"): the nine HK tech names from
2020-01-02 to 2024-12-31 (``prices/*.HK.csv``; Baidu, NetEase and JD.com start at their HK
listings in 2020-21) against ^HSI, and 20,000 real headlines: the 2,096 RTHK items
(2024-03 .. 2025-04, with times) plus the 17,904 most recent Reuters headlines
(2019 .. 2020-07, date only). ``prices/HSI.csv`` starts in June 2021, so the index file of
the case is the long ``alt/`` history up to the day before that, then ``HSI.csv`` (the two
agree on the 766 days they share, see SOURCES.md).

**big** (100,000 items): every real headline (Reuters 32,770 + RTHK 2,096) several times
over, each copy moved by whole years into 2020-2024 and given a copy number, so every
item is a distinct text with a distinct id (a score cache or the duplicate filter cannot
shortcut it).
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
NEWS = SHARED / "news"
PRICES = SHARED / "prices"
REUTERS = NEWS / "reuters_headlines_2018-03_2020-07.csv"
RTHK = NEWS / "rthk_en_finance_greaterchina_2024-03_2025-04.csv"
TICKERS = ["9988.HK", "0700.HK", "1810.HK", "9888.HK", "9999.HK", "9618.HK", "1211.HK", "0175.HK", "3690.HK"]
START, END = "2020-01-02", "2024-12-31"
NEWS_COLUMNS = ["published_at", "headline", "body", "source", "url"]


def require_data() -> None:
    """Stop with a plain message when the shared data is not there."""
    if not (REUTERS.is_file() and RTHK.is_file() and (PRICES / "HSI.csv").is_file()):
        raise SystemExit(f"the benchmarks need the real data in {SHARED} (see README: tests and benchmarks)")


def real_headlines() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reuters, rthk) in the columns of :data:`NEWS_COLUMNS`; Reuters sorted by date."""
    reuters = pd.read_csv(REUTERS, dtype=str, keep_default_na=False)
    reuters = reuters.assign(day=pd.to_datetime(reuters.Time, format="%b %d %Y")).sort_values("day", kind="stable")
    reuters = pd.DataFrame({"published_at": reuters.Time, "headline": reuters.Headlines, "body": "", "source": "reuters",
                            "url": "", "day": reuters.day})
    rthk = pd.read_csv(RTHK, dtype=str, keep_default_na=False)
    rthk = pd.DataFrame({"published_at": rthk.published, "headline": rthk.title, "body": rthk.description,
                         "source": "rthk", "url": rthk.link})
    return reuters.reset_index(drop=True), rthk


def write_prices(folder: Path) -> Path:
    """The nine ticker files (symlinked) and the joined ^HSI history, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for ticker in TICKERS:
        link = folder / f"{ticker}.csv"
        if not link.exists():
            link.symlink_to(PRICES / f"{ticker}.csv")
    recent = pd.read_csv(PRICES / "HSI.csv", skiprows=3, header=None, names=["Date", "Close", "High", "Low", "Open", "Volume"])
    old = pd.read_csv(PRICES / "alt" / "HSI_1986-12-31_2024-08-05.csv")
    old = old[(old.Date >= "2019-06-01") & (old.Date < recent.Date.iloc[0])]
    joined = pd.concat([old[["Date", "Open", "High", "Low", "Close", "Volume"]], recent[["Date", "Open", "High", "Low", "Close", "Volume"]]])
    joined.to_csv(folder / "HSI.csv", index=False)
    return folder


def write_news(path: Path, items: int = 20_000) -> Path:
    """The real case's news: all RTHK items plus the most recent Reuters headlines, ``items`` in all."""
    reuters, rthk = real_headlines()
    news = pd.concat([reuters.tail(items - len(rthk))[NEWS_COLUMNS], rthk[NEWS_COLUMNS]], ignore_index=True)
    news.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)
    return path


def write_big_news(path: Path, items: int = 100_000) -> Path:
    """``items`` distinct news rows made of shifted, numbered copies of every real headline (see the module docstring)."""
    reuters, rthk = real_headlines()
    rthk_days = pd.to_datetime(rthk.published_at.str[:10])
    copies, copy = [], 0
    while sum(len(c) for c in copies) < items:
        # Reuters 2018-03..2020-07 moved by 0, 2, 4 years; RTHK 2024-03..2025-04 moved back 1, 2, 3 ... years
        years = 2 * (copy % 3)
        shifted = reuters.day + pd.DateOffset(years=years)
        copies.append(pd.DataFrame({"published_at": shifted.dt.strftime("%Y-%m-%d"), "headline": reuters.headline + f" ({copy + 1})",
                                    "body": "", "source": "reuters", "url": ""}))
        back = (copy % 4) + 1
        moved = (rthk_days - pd.DateOffset(years=back)).dt.strftime("%Y-%m-%d") + rthk.published_at.str[10:]
        copies.append(pd.DataFrame({"published_at": moved, "headline": rthk.headline + f" ({copy + 1})", "body": rthk.body,
                                    "source": "rthk", "url": rthk.url + f"#copy{copy + 1}"}))
        copy += 1
    news = pd.concat(copies, ignore_index=True).head(items)
    news.to_csv(path, index=False)
    return path


def write_config(folder: Path, news: Path, prices: Path, name: str = "bench", cache: bool = True) -> Path:
    """An experiment file for the case (everything else at its default)."""
    text = (
        f"run: {{name: {name}, start: {START}, end: {END}, output_dir: out}}\n"
        f"news: {{path: {news}, columns: {{published_at: published_at, headline: headline, body: body, source: source, url: url}}}}\n"
        f"prices: {{source: csv, csv_dir: {prices}}}\n"
        f"sentiment: {{cache_dir: {'cache' if cache else 'null'}}}\n"
    )
    path = folder / ("config.yaml" if cache else "config_nocache.yaml")
    path.write_text(text, encoding="utf-8")
    return path


def build_case(folder: Path, items: int = 20_000) -> dict[str, Path]:
    """Write a whole case into ``folder``: prices, news, configs (with and without a score cache)."""
    require_data()
    folder.mkdir(parents=True, exist_ok=True)
    prices = write_prices(folder / "prices")
    news = write_news(folder / "news.csv", items) if items <= 20_000 else write_big_news(folder / "news.csv", items)
    return {"folder": folder, "news": news, "prices": prices,
            "config": write_config(folder, news, prices), "config_nocache": write_config(folder, news, prices, cache=False)}


def finish(report: dict, path: Path | None) -> int:
    """Write every figure to ``path`` (when given) and say how loaded the shared machine was."""
    if path:
        path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    print("machine shared with other jobs; load average now: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    return 0
