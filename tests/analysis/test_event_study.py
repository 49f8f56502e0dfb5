"""The event study: hand-computed returns, no look-ahead, the CLI and real data.

Hand-made bars live on the real XHKG sessions of 3-21 March 2025 (15 sessions,
no holidays); every expected number below is worked out in the comments.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from hkbt.cli.main import cli
from hkbt.config import StudyConfig, load_config
from pydantic import ValidationError
from hkbt.errors import ConfigError
from hkbt.pipeline import prepare_news
from hkbt.backtest.results import MARKER_FILE, add_files
from hkbt.news.sessions import assign_tradable_session, run_sessions
from hkbt.news.signals import SignalRules, build_signals
from hkbt.analysis.event_study import (
    STUDY_FILES, assign_bucket, bucket_labels, build_events, compute_betas, compute_car, compute_forward_returns,
    compute_study,
)

from conftest import REPO_ROOT

SESSIONS = run_sessions(pd.Timestamp("2025-03-03").date(), pd.Timestamp("2025-03-21").date())
UNIVERSE = ["9988.HK", "0700.HK"]
TOPICS = ["policy", "ai"]
RULES = SignalRules(universe=tuple(UNIVERSE))  # every scope weight 1, no novelty: the plain rule

# opens on the 15 sessions 3..7, 10..14, 17..21 March 2025
HSI_OPENS = [1000, 1010, 1005, 1020, 1015, 1030, 1025, 1000, 995, 1000, 1010, 1000, 1005, 990, 995]
BABA_OPENS = [100, 102, 99, 104, 103, 105, 110, 108, 107, 112, 111, 115, 114, 113, 116]
# Tencent is suspended on Tue 18 March: no bar that day (never forward-filled)
TENCENT_OPENS = {"2025-03-14": 400, "2025-03-17": 396, "2025-03-19": 404, "2025-03-20": 410, "2025-03-21": 408}


def bars(opens, index) -> pd.DataFrame:
    opens = np.asarray(opens, dtype=float)
    return pd.DataFrame({"open": opens, "high": opens * 1.01, "low": opens * 0.99, "close": opens * 1.002,
                         "volume": 1_000_000}, index=pd.DatetimeIndex(index))


def hand_prices() -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    early = [s for s in SESSIONS if s < pd.Timestamp("2025-03-14")]
    tencent = bars([400.0] * len(early) + list(TENCENT_OPENS.values()), early + [pd.Timestamp(d) for d in TENCENT_OPENS])
    return {"9988.HK": bars(BABA_OPENS, SESSIONS), "0700.HK": tencent}, bars(HSI_OPENS, SESSIONS)


def news_frame(rows: list[dict]) -> pd.DataFrame:
    """Scored, tagged news as prepare_news returns it (published in HKT, stored in UTC)."""
    frame = pd.DataFrame(rows)
    frame["published_at"] = pd.to_datetime(frame.published_hkt).dt.tz_localize("Asia/Hong_Kong").dt.tz_convert("UTC")
    frame["outside_universe"] = False
    frame["themes"] = [[] for _ in range(len(frame))]
    frame["scope"] = ["company" if t else "market" for t in frame.tickers]
    return assign_tradable_session(frame.drop(columns="published_hkt"))


TWO_EVENTS = [
    # A: Sunday evening -> tradable Mon 3 March (session 0)
    {"news_id": "a", "published_hkt": "2025-03-02 20:00", "headline": "Alibaba releases a strong AI model",
     "score": 0.6, "topics": ["ai"], "tickers": ["9988.HK"]},
    # B: Thursday 13 March after the close -> tradable Fri 14 March (session 9), near the end of the data
    {"news_id": "b", "published_hkt": "2025-03-13 17:00", "headline": "Tencent weighs policy and AI risks",
     "score": -0.2, "topics": ["policy", "ai"], "tickers": ["0700.HK"]},
]


@pytest.fixture
def two_events():
    events = build_events(news_frame(TWO_EVENTS), SESSIONS, RULES)
    prices, hsi = hand_prices()
    returns = compute_forward_returns(events, prices, hsi, 10)
    return events, returns


def at(returns: pd.DataFrame, event: int, k: int) -> pd.Series:
    return returns[(returns.event == event) & (returns.horizon_sessions == k)].iloc[0]


# ------------------------------------------------------------------------------ hand-computed


def test_two_events_abnormal_returns_by_hand(two_events):
    events, returns = two_events
    assert events.news_id.tolist() == ["a", "b"]
    assert events.tradable_session.dt.strftime("%Y-%m-%d").tolist() == ["2025-03-03", "2025-03-14"]
    # A: 9988 from the open of 3 March (100); HSI from 1000
    #   +1: 102/100-1 = 2 %, HSI 1010 -> 1 %, AR 1 %;  +3: 4 % - 2 % = 2 %
    #   +5: 5 % - 3 % = 2 %;  +10 (17 March): 111/100-1 = 11 % - (1010/1000-1 = 1 %) = 10 %
    for k, ar, exit_day in [(1, 1.0, "2025-03-04"), (3, 2.0, "2025-03-06"), (5, 2.0, "2025-03-10"), (10, 10.0, "2025-03-17")]:
        row = at(returns, 0, k)
        assert row.status == "ok" and row.ar_pct == pytest.approx(ar, abs=1e-9)
        assert row.exit_session == pd.Timestamp(exit_day) and row.entry_open == 100.0
    # B: 0700 from the open of 14 March (400), HSI 1000; suspended on 18 March, so its own bars are 17, 19, 20, 21
    #   +1 (17th): 396/400-1 = -1 %, HSI 1010 -> +1 %, AR -2 %
    #   +3 (20th, not the 19th): 410/400-1 = 2.5 %, HSI 990 -> -1 %, AR 3.5 %
    #   +5, +10: only 4 bars follow -> excluded
    assert at(returns, 1, 1).ar_pct == pytest.approx(-2.0, abs=1e-9)
    assert at(returns, 1, 3).exit_session == pd.Timestamp("2025-03-20")
    assert at(returns, 1, 3).ar_pct == pytest.approx(3.5, abs=1e-9)
    assert at(returns, 1, 4).exit_session == pd.Timestamp("2025-03-21")
    for k in (5, 10):
        assert at(returns, 1, k).status == "past_end_of_data" and math.isnan(at(returns, 1, k).ar_pct)


def test_two_events_statistics_by_hand(two_events):
    events, returns = two_events
    study = compute_study(events, returns, [1, 3, 5, 10], TOPICS).set_index(["group_by", "group", "horizon_sessions"]).sort_index()
    every = study.loc[("all", "all")]
    # +1: ARs [1, -2]: mean -0.5, std sqrt(2 * 1.5^2) = 2.1213, t = -0.5 / (2.1213 / sqrt 2) = -1/3; one of two positive
    assert every.loc[1, "count"] == 2 and every.loc[1, "mean_ar_pct"] == pytest.approx(-0.5)
    assert every.loc[1, "std_ar_pct"] == pytest.approx(math.sqrt(4.5))
    assert every.loc[1, "t_stat"] == pytest.approx(-1 / 3)
    assert every.loc[1, "positive_pct"] == pytest.approx(50.0)
    # +3: ARs [2, 3.5]: mean 2.75, std 1.06066, t = 2.75 / 0.75
    assert every.loc[3, "mean_ar_pct"] == pytest.approx(2.75) and every.loc[3, "t_stat"] == pytest.approx(2.75 / 0.75)
    # +5, +10: B is excluded near the end of the data; one AR has no std or t
    assert (every.loc[5, "count"], every.loc[5, "excluded"], every.loc[5, "mean_ar_pct"]) == (1, 1, pytest.approx(2.0))
    assert math.isnan(every.loc[5, "t_stat"]) and every.loc[10, "mean_ar_pct"] == pytest.approx(10.0)
    # buckets: A (0.6) is >=0.5, B (-0.2) is (-0.5, 0); the other two are empty but present
    assert study.loc[("bucket", ">=0.5", 1), "mean_ar_pct"] == pytest.approx(1.0)
    assert study.loc[("bucket", "(-0.5, 0)", 3), "mean_ar_pct"] == pytest.approx(3.5)
    assert study.loc[("bucket", "<=-0.5", 1), "events"] == 0 and study.loc[("bucket", "[0, 0.5)", 1), "count"] == 0
    # topics: B has policy and ai, so it counts in both; nothing is untagged
    assert study.loc[("topic", "ai", 1), "count"] == 2 and study.loc[("topic", "policy", 1), "count"] == 1
    assert study.loc[("topic", "policy", 3), "mean_ar_pct"] == pytest.approx(3.5)
    assert study.loc[("topic", "none", 1), "events"] == 0
    # signed: A (score +0.6) AR +1 and B (score -0.2) AR -2 at +1 were both called right: +1 and +2, mean 1.5,
    # one per session, std 0.7071, t = 1.5 / (0.7071 / sqrt 2) = 3
    assert every.loc[1, "signed_count"] == 2 and every.loc[1, "mean_signed_ar_pct"] == pytest.approx(1.5)
    assert every.loc[1, "t_signed_sessions"] == pytest.approx(3.0)
    # scopes: A and B name their companies
    assert study.loc[("scope", "company", 1), "count"] == 2 and study.loc[("scope", "market", 1), "events"] == 0
    assert len(study) == (1 + 3 + 4 + 4) * 4  # (all + policy/ai/none + 4 buckets + 4 scopes) x 4 horizons


def test_car_uses_the_events_with_every_horizon(two_events):
    events, returns = two_events
    car = compute_car(events, returns, 10, TOPICS)
    every = car[car.group_by == "all"].set_index("horizon_sessions")
    assert (every["count"] == 1).all()  # B lacks +5..+10, so the curve is A's alone
    assert every.car_pct.loc[[1, 3, 5, 10]].tolist() == pytest.approx([1.0, 2.0, 2.0, 10.0])
    assert car[(car.group == "(-0.5, 0)")]["count"].eq(0).all()


def test_bucket_edges_rule():
    assert bucket_labels((-0.5, 0, 0.5)) == ["<=-0.5", "(-0.5, 0)", "[0, 0.5)", ">=0.5"]
    scores = pd.Series([-1.0, -0.5, -0.49, -0.01, 0.0, 0.49, 0.5, 1.0])
    assert assign_bucket(scores, (-0.5, 0, 0.5)).tolist() == [
        "<=-0.5", "<=-0.5", "(-0.5, 0)", "(-0.5, 0)", "[0, 0.5)", "[0, 0.5)", ">=0.5", ">=0.5"]
    # a neutral bucket of its own
    assert assign_bucket(pd.Series([0.0, 0.05, -0.05]), (-0.5, -0.05, 0.05, 0.5)).tolist() == [
        "[-0.05, 0.05)", "[0.05, 0.5)", "[-0.05, 0.05)"]
    assert StudyConfig(buckets=[-0.5, 0, 0.5], horizons=[10, 1, 5, 3]).horizons == [1, 3, 5, 10]
    for bad in ([0.5, 0], [-2, 0], [], ["x"]):
        with pytest.raises(ValidationError, match="buckets"):
            StudyConfig(buckets=bad)
    for bad in ([0, 1], [1.5], [], [5, 5]):
        with pytest.raises(ValidationError, match="horizons"):
            StudyConfig(horizons=bad)


def test_events_are_the_strategys_signals():
    """Same items, same market-wide explosion as build_signals (one shared helper)."""
    news = news_frame(TWO_EVENTS + [
        {"news_id": "c", "published_hkt": "2025-03-05 07:00", "headline": "Beijing unveils stimulus",
         "score": 0.7, "topics": ["policy"], "tickers": []},
        {"news_id": "d", "published_hkt": "2025-03-05 07:30", "headline": "A chip maker rallies",
         "score": 0.7, "topics": ["ai"], "tickers": []},  # names no company, not policy: no event
        {"news_id": "e", "published_hkt": "2025-03-25 07:30", "headline": "After the window",
         "score": 0.7, "topics": ["ai"], "tickers": ["9988.HK"]},
    ])
    for market_wide in (True, False):
        rules = SignalRules(universe=tuple(UNIVERSE), market_wide_policy=market_wide)
        events = build_events(news, SESSIONS, rules)
        signals = build_signals(news, SESSIONS, rules)
        pairs = {(s, t, i) for s, t, ids in zip(signals.session, signals.ticker, signals.news_ids) for i in ids.split(";")}
        assert set(zip(events.tradable_session, events.ticker, events.news_id)) == pairs
    events = build_events(news, SESSIONS, RULES)
    assert sorted(events[events.news_id == "c"].ticker) == sorted(UNIVERSE)
    assert events[events.news_id == "c"].market_wide.all() and not events[events.news_id == "a"].market_wide.any()


# ---------------------------------------------------------------------------------- look-ahead


def test_after_close_news_starts_at_the_next_open():
    """Published after the close of Mon 3 March: the event starts at Tue 4 March's open, never on the 3rd."""
    news = news_frame([{"news_id": "late", "published_hkt": "2025-03-03 16:10", "headline": "After the close",
                        "score": 0.9, "topics": ["ai"], "tickers": ["9988.HK"]}])
    events = build_events(news, SESSIONS, RULES)
    assert events.tradable_session.tolist() == [pd.Timestamp("2025-03-04")]
    prices, hsi = hand_prices()
    returns = compute_forward_returns(events, prices, hsi, 3)
    assert at(returns, 0, 1).entry_open == 102.0  # 4 March's open, not 3 March's 100 or its close
    assert at(returns, 0, 1).ar_pct == pytest.approx((99 / 102 - 1) * 100 - (1005 / 1010 - 1) * 100)
    # anything on or before the publication day cannot change the result
    moved = {t: b.copy() for t, b in prices.items()}
    moved["9988.HK"].loc[:"2025-03-03", ["open", "close"]] *= 1.5
    hsi_moved = hsi.copy()
    hsi_moved.loc[:"2025-03-03", ["open", "close"]] *= 0.7
    pd.testing.assert_frame_equal(compute_forward_returns(events, moved, hsi_moved, 3), returns)


def test_beta_window_ends_before_the_event_session():
    rng = np.random.default_rng(3)
    days = run_sessions(pd.Timestamp("2024-06-03").date(), pd.Timestamp("2025-03-21").date())
    market = 1000 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))
    stock = 50 * np.exp(np.cumsum(1.3 * np.diff(np.log(market), prepend=np.log(market[0])) + rng.normal(0, 0.004, len(days))))
    prices, hsi = {"9988.HK": bars(stock, days)}, bars(market, days)
    prices["9988.HK"]["close"], hsi["close"] = stock, market
    session = pd.Timestamp("2025-03-14")
    events = pd.DataFrame({"ticker": ["9988.HK"], "tradable_session": [session]})
    beta = compute_betas(events, prices, hsi, window=60).iloc[0]
    # by hand: OLS slope over the 60 close-to-close returns dated before the 14th
    r = pd.DataFrame({"s": stock, "m": market}, index=days).pct_change().loc[: session - pd.Timedelta(days=1)].tail(60)
    assert beta == pytest.approx(np.cov(r.s, r.m)[0, 1] / r.m.var())
    assert 1.1 < beta < 1.5
    # the event session's own close and everything after it are not used
    later = {"9988.HK": prices["9988.HK"].copy()}
    later["9988.HK"].loc[session:, "close"] *= 3.0
    assert compute_betas(events, later, hsi, window=60).iloc[0] == beta
    assert math.isnan(compute_betas(events, prices, hsi, window=500).iloc[0])  # not enough history


# ------------------------------------------------------------------------------------------ CLI

NEWS_CSV = """\
published_at,headline,body,source,url,tickers
2025-01-27T07:30:00+08:00,Alibaba surges on strong AI model release,,rthk,https://example.com/1,9988.HK
2025-02-03T08:00:00+08:00,Tencent beats estimates as AI chatbot booms,,rthk,https://example.com/2,0700.HK
2025-02-10T07:00:00+08:00,Beijing unveils stimulus to support private sector,,rthk,https://example.com/3,
2025-02-17T07:00:00+08:00,<script>alert(1)</script> Xiaomi slumps after regulators probe,,rthk,https://example.com/4,1810.HK
2025-03-27T18:00:00+08:00,Alibaba rallies on a late AI deal,,rthk,https://example.com/5,9988.HK
"""

CONFIG_YAML = """\
run:
  name: good
  start: 2025-01-02
  end: 2025-03-31
  output_dir: out
universe:
  tickers: [9988.HK, 0700.HK, 1810.HK]
  benchmark: ^HSI
  lot_sizes: {9988.HK: 100, 0700.HK: 100, 1810.HK: 200}
  aliases: {9988.HK: [Alibaba], 0700.HK: [Tencent], 1810.HK: [Xiaomi]}
news:
  path: news.csv
sentiment:
  cache_dir: null
prices:
  source: synthetic
strategy:
  params: {entry_threshold: 0.2}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "news.csv").write_text(NEWS_CSV, encoding="utf-8")
    (tmp_path / "config.yaml").write_text(CONFIG_YAML, encoding="utf-8")
    return tmp_path


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=True)


def test_study_cli_writes_its_files(project: Path):
    result = invoke("study", "--config", str(project / "config.yaml"), "--name", "syn", "--beta-window", "20")
    assert result.exit_code == 0, f"{result.exception!r}\n{result.stderr}"
    folder = project / "out" / "syn"
    assert sorted(p.name for p in folder.iterdir() if p.name != MARKER_FILE) == sorted(STUDY_FILES)
    assert not [p for p in (project / "out").iterdir() if p.name.startswith(".")], "staging folder left"
    study = pd.read_csv(folder / "study.csv")
    assert sorted(study.horizon_sessions.unique()) == [1, 3, 5, 10]
    assert study[study.group == "all"]["events"].tolist() == [7] * 4  # 4 linked items + 1 policy item x 3 tickers
    events = pd.read_csv(folder / "study_events.csv")
    assert len(events) == 7 and events.published_at.str.contains("T").all()
    # 27 March 18:00 -> 28 March open; only 1 session (31 March) follows inside the run window
    late = events[events.headline.str.contains("late AI deal")].iloc[0]
    assert late.tradable_session == "2025-03-28" and late.h1_exit_session == "2025-03-31" and np.isnan(late.h3_ar_pct)
    assert study.loc[(study.group == "all") & (study.horizon_sessions == 3), "excluded"].item() == 1
    car = pd.read_csv(folder / "study_car.csv")
    assert car.horizon_sessions.max() == 10
    html = (folder / "study.html").read_text(encoding="utf-8")
    assert "SIMULATED PRICES" in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html and not re.search(r"<script[^>]+src=", html)
    assert "SIMULATED PRICES" in result.stderr and "event study syn" in result.stdout


def test_study_adds_to_a_run_folder_without_touching_it(project: Path):
    config = str(project / "config.yaml")
    assert invoke("run", "--config", config, "--name", "both").exit_code == 0
    folder = project / "out" / "both"
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.name != MARKER_FILE}
    result = invoke("study", "--config", config, "--name", "both")
    assert result.exit_code == 0, result.stderr
    after = {p.name: p.read_bytes() for p in folder.iterdir() if p.name != MARKER_FILE}
    assert set(after) == set(before) | set(STUDY_FILES)
    assert all(after[name] == content for name, content in before.items())
    assert "another config" not in result.stderr
    # a study with another config says so, and still leaves the run's files alone
    result = invoke("study", "--config", config, "--name", "both", "--set", "signals.market_wide_policy=false")
    assert result.exit_code == 0 and "holds a run made with another config" in result.stderr
    assert all((folder / name).read_bytes() == content for name, content in before.items())


def test_add_files_keeps_the_other_files_and_leaves_nothing_on_failure(tmp_path: Path):
    folder = tmp_path / "run"

    def first(staging: Path) -> None:
        (staging / "metrics.json").write_text("{}")
        (staging / "study.csv").write_text("old")

    def write(staging: Path) -> None:
        (staging / "study.csv").write_text("new")
        (staging / "study.html").write_text("<p>")

    add_files(folder, first)
    assert add_files(folder, write) == [folder / "study.csv", folder / "study.html"]
    files = {p.name: p.read_text() for p in folder.iterdir() if p.name != MARKER_FILE}
    assert files == {"metrics.json": "{}", "study.csv": "new", "study.html": "<p>"}

    def broken(staging: Path) -> None:
        (staging / "study.csv").write_text("half")
        raise ConfigError("--horizons", "boom")

    with pytest.raises(ConfigError):
        add_files(folder, broken)
    assert (folder / "study.csv").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no staging folder left
    with pytest.raises(ConfigError):
        add_files(tmp_path / "fresh", broken)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # a failed first study creates no folder


@pytest.mark.parametrize(("args", "fragment"), [
    (["--horizons", "0,5"], "study.horizons"),
    (["--buckets=0.5,0"], "study.buckets"),
    (["--set", "run.start=2030-01-01"], "run"),
])
def test_study_bad_input_is_one_error_line(project: Path, args: list[str], fragment: str):
    result = invoke("study", "--config", str(project / "config.yaml"), "--name", "bad", *args)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in result.stderr
    assert not (project / "out").exists() or not list((project / "out").iterdir())


def test_study_help_has_an_example():
    result = invoke("study", "--help")
    assert result.exit_code == 0 and "Example" in result.output and "--buckets" in result.output


# ------------------------------------------------------------------------------------ real data


def raw_opens(path: Path) -> pd.Series:
    """A price CSV read by hand: Ticker.history() layout (stocks) or download() layout (HSI)."""
    head = path.read_text().splitlines()[1]
    if head.startswith("Ticker"):
        frame = pd.read_csv(path, skiprows=3, header=None, names=["date", "close", "high", "low", "open", "volume"])
        return pd.Series(frame.open.to_numpy(), index=pd.to_datetime(frame.date))
    frame = pd.read_csv(path)
    return pd.Series(frame.Open.to_numpy(), index=pd.to_datetime(frame.Date.str[:10]))


def test_study_on_real_prices_and_bundled_news(tmp_path: Path, shared_prices: Path):
    result = CliRunner().invoke(cli, [
        "study", "--config", str(REPO_ROOT / "config.yaml"), "--name", "real",
        "--set", f"run.output_dir={tmp_path}", "--set", f"sentiment.cache_dir={tmp_path / 'cache'}",
        "--set", "prices.source=csv", "--set", f"prices.csv_dir={shared_prices}",
    ], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    folder = tmp_path / "real"
    study = pd.read_csv(folder / "study.csv")
    events = pd.read_csv(folder / "study_events.csv")
    # the event count, re-derived from the scored news by the plain rule (topics, scopes and scorer keep being
    # tuned, so the count is derived, not frozen): a company item reaches its linked universe tickers, a theme
    # item its themes' tickers, a market or other item tagged policy the whole universe (other at weight 0)
    config = load_config(REPO_ROOT / "config.yaml", [f"sentiment.cache_dir={tmp_path / 'cache'}"])
    news, _ = prepare_news(config, REPO_ROOT)
    sessions = run_sessions(config.run.start, config.run.end)
    universe = set(config.universe.tickers)
    theme_tickers = {n: universe if t.tickers == "universe" else set(t.tickers) & universe for n, t in config.themes.items()}
    inside = news[news.tradable_session.isin(sessions)]

    def reached(item) -> int:
        if item.scope == "company":
            return len(set(item.tickers) & universe)
        if item.scope == "theme":
            return len(set().union(*(theme_tickers[t] for t in item.themes)))
        return len(universe) if "policy" in item.topics and not item.outside_universe else 0

    per_item = [reached(item) for item in inside.itertuples()]
    assert len(events) == sum(per_item) > 200
    assert events.news_id.nunique() == sum(n > 0 for n in per_item)
    assert events.market_wide.sum() == sum(n for s, n in zip(inside.scope, per_item) if s in ("market", "other"))
    assert (events[events.scope == "other"].weight == 0).all() and (events[events.scope == "company"].weight == 1).all()
    assert sorted(study.horizon_sessions.unique()) == [1, 3, 5, 10]
    assert set(study.group) == {"all", "policy", "ai", "none", "<=-0.5", "(-0.5, 0)", "[0, 0.5)", ">=0.5",
                                "company", "theme", "market", "other", "china_ai", "china_ev", "hk_tech"}
    every = study[study.group == "all"].set_index("horizon_sessions")
    # every ticker trades on every session of this window, so only events within k sessions of the end drop out;
    # "all" holds the events the signals use (weight above 0)
    used = events[events.weight > 0]
    position = sessions.get_indexer(pd.to_datetime(used.tradable_session))
    for k in (1, 3, 5, 10):
        assert every.loc[k, "count"] == (position + k < len(sessions)).sum()
    assert every.loc[1, "mean_ar_pct"] == pytest.approx(used.h1_ar_pct.mean())

    # one event by hand from the raw CSV opens: Xiaomi's car launch, published Thu 28 March 2024 22:40 HKT,
    # tradable Tue 2 April (Good Friday, Easter Monday); +5 sessions skips Ching Ming (4 April) -> 10 April
    event = events[(events.ticker == "1810.HK") & events.headline.str.startswith("Xiaomi's debut electric car")].iloc[0]
    assert (event.tradable_session, event.h5_exit_session) == ("2024-04-02", "2024-04-10")
    stock, hsi = raw_opens(shared_prices / "1810.HK.csv"), raw_opens(shared_prices / "HSI.csv")
    s, e = pd.Timestamp("2024-04-02"), pd.Timestamp("2024-04-10")
    by_hand = (stock[e] / stock[s] - 1) * 100 - (hsi[e] / hsi[s] - 1) * 100
    assert event.h5_ar_pct == pytest.approx(by_hand, abs=1e-9)
    assert event.entry_open == pytest.approx(stock[s], rel=1e-12)
    html = (folder / "study.html").read_text(encoding="utf-8")
    assert "SIMULATED" not in html and "Xiaomi" in html
    assert json.dumps("CAR by score bucket")[1:-1] in html
