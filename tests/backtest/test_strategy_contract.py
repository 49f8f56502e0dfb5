"""The strategy contract (hkbt.backtest.strategy): clock, accessor, sizing, citations, skipped signals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import BaseModel

from hkbt.backtest.costs import FeeSchedule
from hkbt.backtest.runner import run_backtest
from hkbt.backtest.strategy import SKIPPED_COLUMNS, Strategy
from hkbt.backtest.trades import build_trades
from hkbt.news.sessions import run_sessions
from hkbt.news.signals import SIGNAL_COLUMNS

SESSIONS = run_sessions(pd.Timestamp("2025-03-03").date(), pd.Timestamp("2025-03-31").date())
WARMUP = run_sessions(pd.Timestamp("2025-02-24").date(), pd.Timestamp("2025-03-31").date())


def bars(start: float = 100.0, step: float = 1.0, sessions=WARMUP) -> pd.DataFrame:
    opens = start + step * np.arange(len(sessions))
    return pd.DataFrame({"open": opens, "high": opens + 1, "low": opens - 1, "close": opens + 0.5, "volume": 1e6},
                        index=sessions.rename("date"))


def signal(session: str, ticker: str, score: float, topics: str = "ai", **extra) -> dict:
    return {"session": pd.Timestamp(session), "ticker": ticker, "score": score, "score_mean": score, "score_max": score,
            "score_min": score, "scope": "company",
            "news_count": 1, "topics": topics, "market_wide": False, "news_ids": f"{ticker}@{session}",
            "first_published_at": pd.Timestamp(session, tz="UTC"), "last_published_at": pd.Timestamp(session, tz="UTC")} | extra


def run(strategy, prices, signals, cash=1_000_000.0, lots=None, settings=None, columns=SIGNAL_COLUMNS):
    frame = pd.DataFrame(signals, columns=columns)
    return run_backtest(prices, frame, strategy=strategy, settings=settings or {}, lot_sizes=lots or {t: 100 for t in prices},
                        initial_cash=cash, fees=FeeSchedule(), sessions=SESSIONS)


class Recorder(Strategy):
    """Writes down what the accessors return each session; never trades."""

    interface_version = 1
    seen: list = []

    def on_open(self) -> None:
        Recorder.seen.append((self.today, [(s.ticker, s.score, dict(s)) for s in self.signals()],
                              {n: self.has_bar(n) for n in self.names}, {n: self.last_close(n) for n in self.names}))


def test_the_accessor_serves_each_session_its_own_signals_and_every_column():
    Recorder.seen = []
    sigs = [signal("2025-03-05", "AAA.HK", 0.7, scope="company", themes="ev;ai"), signal("2025-03-12", "AAA.HK", -0.4, scope="market", themes="")]
    run(Recorder, {"AAA.HK": bars()}, sigs, columns=SIGNAL_COLUMNS)
    days = [day for day, *_ in Recorder.seen]
    assert days == list(SESSIONS)  # every session, none of the warm-up bars
    by_day = {day: got for day, got, *_ in Recorder.seen}
    assert [t for t, *_ in by_day[pd.Timestamp("2025-03-05")]] == ["AAA.HK"]
    assert by_day[pd.Timestamp("2025-03-05")][0][2]["scope"] == "company"  # a column the base class has never heard of
    assert by_day[pd.Timestamp("2025-03-12")][0][1] == -0.4
    assert sum(1 for got in by_day.values() if got) == 2  # nothing on other sessions, in particular not the day before


def test_last_close_is_yesterdays_before_the_open_and_the_clock_runs_over_unequal_feeds():
    Recorder.seen = []
    late = bars(start=50, sessions=WARMUP[WARMUP >= "2025-03-10"])  # a listing in the middle of the run
    gappy = bars(start=200).drop(index=pd.to_datetime(["2025-03-13"]))  # suspended one day
    run(Recorder, {"AAA.HK": bars(), "NEW.HK": late, "SUS.HK": gappy}, [])
    records = {day: (live, closes) for day, _, live, closes in Recorder.seen}
    assert list(records) == list(SESSIONS)
    live, closes = records[pd.Timestamp("2025-03-06")]
    assert live == {"AAA.HK": True, "NEW.HK": False, "SUS.HK": True}
    assert closes["AAA.HK"] == bars().close.loc["2025-03-05"] and closes["NEW.HK"] is None
    live, closes = records[pd.Timestamp("2025-03-10")]
    assert live["NEW.HK"] and closes["NEW.HK"] is None  # its first bar: no previous close yet
    live, closes = records[pd.Timestamp("2025-03-13")]
    assert live["SUS.HK"] is False and closes["SUS.HK"] == gappy.close.loc["2025-03-12"]


class BuyEverything(Strategy):
    """Buys each signalled name with a fixed weight; records a reason for weak signals."""

    interface_version = 1

    class Params(BaseModel):
        weight: float = 0.5

    def on_open(self) -> None:
        for s in self.signals():
            if s.score < 0:
                self.skip(s, "threshold", "negative")
            else:  # the base class itself refuses held names, names without a bar and lots it cannot pay
                self.buy_weight(s.ticker, self.settings.weight, cite=s)


def test_sizing_rounds_down_to_lots_caps_by_free_cash_and_records_why_not():
    prices = {t: bars(start=100) for t in ("AAA.HK", "BBB.HK", "CCC.HK", "DDD.HK")}
    prices["SUS.HK"] = bars(start=100).drop(index=pd.to_datetime(["2025-03-05"]))
    lots = {"AAA.HK": 100, "BBB.HK": 100, "CCC.HK": 1000, "DDD.HK": 100_000, "SUS.HK": 100}
    sigs = [signal("2025-03-05", t, 0.9) for t in ("AAA.HK", "BBB.HK", "CCC.HK", "DDD.HK", "SUS.HK")]
    sigs += [signal("2025-03-06", "AAA.HK", 0.9), signal("2025-03-07", "BBB.HK", -0.5), signal("2025-03-10", "CCC.HK", 0.1, topics="")]
    result = run(BuyEverything, prices, sigs, lots=lots, settings={"weight": 0.46})
    buys = result.fills[result.fills.side == "buy"]
    # 46 % + 46 %: CCC's lot (1,000 x ~105) fits its target but not the ~9 % of cash still free
    assert list(buys.ticker) == ["AAA.HK", "BBB.HK"]
    previous_close = prices["AAA.HK"].close.loc["2025-03-04"]
    assert buys["size"].iloc[0] == np.floor(460_000 / (previous_close * 1.02) / 100) * 100
    assert list(buys.news_ids) == ["AAA.HK@2025-03-05", "BBB.HK@2025-03-05"]
    skipped = result.skipped.set_index(["session", "ticker"]).reason
    assert list(result.skipped.columns) == SKIPPED_COLUMNS
    assert skipped[(pd.Timestamp("2025-03-05"), "CCC.HK")] == "no_cash"
    assert skipped[(pd.Timestamp("2025-03-05"), "DDD.HK")] == "lot_too_expensive"
    assert skipped[(pd.Timestamp("2025-03-05"), "SUS.HK")] == "no_bar"
    assert skipped[(pd.Timestamp("2025-03-06"), "AAA.HK")] == "already_held"
    assert skipped[(pd.Timestamp("2025-03-07"), "BBB.HK")] == "threshold"
    assert len(skipped) == len(sigs) - 2  # every signal is either cited by an order or explained


class Cites(Strategy):
    """Buys AAA on its second signal, citing both; sells on hold, citing nothing."""

    interface_version = 1

    def on_open(self) -> None:
        s = self.signal("AAA.HK")
        if s is not None and s.session == pd.Timestamp("2025-03-10"):
            self.buy_weight("AAA.HK", 0.5, cite=[self.first, s])
        elif s is not None:
            self.first = s
        if self.bars_held("AAA.HK") >= 3:
            self.sell_all("AAA.HK", "hold_days")


def test_an_order_cites_every_signal_it_was_given_and_trades_csv_keeps_them():
    sigs = [signal("2025-03-05", "AAA.HK", 0.4), signal("2025-03-10", "AAA.HK", 0.8)]
    result = run(Cites, {"AAA.HK": bars()}, sigs)
    assert list(result.fills.reason) == ["entry_signal", "hold_days"]
    assert result.fills.news_ids.iloc[0] == "AAA.HK@2025-03-05;AAA.HK@2025-03-10"
    assert result.fills.signal_score.iloc[0] == 0.4  # the first cited signal's score
    news = pd.DataFrame({"news_id": ["AAA.HK@2025-03-05", "AAA.HK@2025-03-10"], "published_at": pd.to_datetime(["2025-03-04", "2025-03-09"], utc=True)})
    trade = build_trades(result.fills, news, SESSIONS, {}).iloc[0]
    assert (trade.news_ids, trade.exit_news_ids, trade.holding_days) == ("AAA.HK@2025-03-05;AAA.HK@2025-03-10", "", 3)
    assert result.skipped.empty  # both signals were cited


def test_signals_no_order_used_are_not_used_by_default():
    result = run(Recorder, {"AAA.HK": bars()}, [signal("2025-03-05", "AAA.HK", 0.4)])
    assert list(result.skipped.reason) == ["not_used"]


def test_a_strategy_without_the_context_says_how_to_run_it():
    import backtrader as bt

    cerebro = bt.Cerebro()
    cerebro.adddata(bt.feeds.PandasData(dataname=bars()), name="AAA.HK")
    cerebro.addstrategy(Recorder)
    with pytest.raises(TypeError, match="run_backtest"):
        cerebro.run()
