"""The yardstick: Backtrader alone replaying a finished run's trades, with no hkbt code at all.

    python benchmarks/bare_replay.py PRICES_DIR TRADES_CSV START END TICKER,TICKER,...

Reads the same price files as the run (pandas ``read_csv``), puts each ticker on a plain
``bt.feeds.PandasData`` feed from two weeks before START (as hkbt does), and replays the
run's round trips: each buy is placed in ``next_open`` on its entry session and fills at
that open (cheat-on-open, as in hkbt), each sell likewise on its exit session. A flat
0.13 % commission stands in for the HK fee schedule. It prints the number of fills and the
final value, so a benchmark can check the replay really traded.

This is what "a bare Backtrader replay of the same trades" means in bench_run.py: the
least a run of this size can cost in Backtrader.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from datetime import timedelta

import backtrader as bt
import pandas as pd


def read_prices(folder: str, ticker: str, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    frame = pd.read_csv(f"{folder}/{ticker}.csv")
    frame.index = pd.to_datetime(frame.Date.str[:10])
    frame = frame.rename(columns=str.lower)[["open", "high", "low", "close", "volume"]]
    return frame.loc[first:last]


class Replay(bt.Strategy):
    params = (("orders", {}),)

    def __init__(self) -> None:
        self.fills = 0

    def prenext_open(self) -> None:  # some names list later (Baidu 2021): trade before every feed has a bar
        self.next_open()

    def next_open(self) -> None:
        today = max(d.datetime.date(0) for d in self.datas if len(d))
        for ticker, size in self.p.orders.get(today, ()):
            data = self.getdatabyname(ticker)
            if len(data) and data.datetime.date(0) == today:
                self.buy(data=data, size=size) if size > 0 else self.close(data=data)

    def notify_order(self, order: bt.Order) -> None:
        if order.status == order.Completed:
            self.fills += 1


def main(folder: str, trades_csv: str, start: str, end: str, tickers: str) -> None:
    trades = pd.read_csv(trades_csv, parse_dates=["entry_session", "exit_session"])
    orders: dict = defaultdict(list)
    for t in trades.itertuples(index=False):
        orders[t.entry_session.date()].append((t.ticker, int(t.size)))
        if t.exit_reason != "open_at_end":
            orders[t.exit_session.date()].append((t.ticker, 0))
    first, last = pd.Timestamp(start) - timedelta(days=14), pd.Timestamp(end)
    cerebro = bt.Cerebro(cheat_on_open=True, stdstats=False)
    cerebro.broker.setcash(1_000_000.0)
    cerebro.broker.setcommission(commission=0.0013)
    for ticker in sorted(tickers.split(",")):
        cerebro.adddata(bt.feeds.PandasData(dataname=read_prices(folder, ticker, first, last)), name=ticker)
    cerebro.addstrategy(Replay, orders=dict(orders))
    strategy = cerebro.run(runonce=True)[0]  # as hkbt runs it (same fills here; CPU 1.11-1.12 s vs 1.09-1.15 s bar by bar)
    print(f"fills {strategy.fills} final {cerebro.broker.getvalue():.2f}")


if __name__ == "__main__":
    main(*sys.argv[1:6])
