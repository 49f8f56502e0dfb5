"""The sweep grid of bench_sweep.py in vectorbt, for a speed comparison (run with a Python that has vectorbt).

    /path/to/venv/bin/python benchmarks/vectorbt_grid.py FOLDER

FOLDER holds ``close.parquet`` and ``open.parquet`` (sessions x tickers), ``signals.parquet``
(hkbt's per-session signals, built by hkbt) and ``grid.json``. Prints one JSON line: the number
of combinations, seconds of the first call (numba compiling) and of the second, vectorbt's version
and the best total return.

What it models, in vectorbt's vectorised way (one ``Portfolio.from_signals`` call for every
combination, columns = combination x ticker, cash shared within a combination): buy at the open
of a session whose signal scores >= entry_threshold and has a policy or AI item; sell at the open
``hold_days`` sessions later, or on a later signal <= -0.3; a stop-loss on the stop price; each
buy uses 1 / max_positions of the cash left; a flat 0.13 % fee. It does not model what hkbt's
strategy does beyond that (whole board lots, at most max_positions names held, best scores first,
the HK fee schedule, sizing on the previous close), so its returns differ from hkbt's: this is a
comparison of speed, not of results.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import vectorbt as vbt


def simulate(close: pd.DataFrame, opens: pd.DataFrame, signals: pd.DataFrame, grid: dict) -> pd.Series:
    score = signals.pivot(index="session", columns="ticker", values="score_mean").reindex(index=close.index, columns=close.columns)
    tagged = signals.assign(hit=signals.topics.fillna("").str.contains(r"\b(?:policy|ai)\b"))
    topic = tagged.pivot(index="session", columns="ticker", values="hit").reindex(index=close.index, columns=close.columns)
    topic = topic.fillna(False).astype(bool)
    combos = list(itertools.product(*grid.values()))
    entries, exits, sizes, stops, keys = [], [], [], [], []
    for number, (threshold, hold, positions, stop) in enumerate(combos):
        entry = (score >= threshold) & topic
        exit_ = entry.shift(hold, fill_value=False) | (score <= -0.3)
        entries.append(entry.to_numpy())
        exits.append(exit_.to_numpy())
        sizes += [1.0 / positions] * close.shape[1]
        stops += [np.nan if stop is None else stop] * close.shape[1]
        keys += [(number, ticker) for ticker in close.columns]
    columns = pd.MultiIndex.from_tuples(keys, names=["combo", "ticker"])
    tile = len(combos)
    portfolio = vbt.Portfolio.from_signals(
        close=pd.DataFrame(np.tile(close.to_numpy(), tile), index=close.index, columns=columns),
        entries=pd.DataFrame(np.hstack(entries), index=close.index, columns=columns),
        exits=pd.DataFrame(np.hstack(exits), index=close.index, columns=columns),
        price=pd.DataFrame(np.tile(opens.to_numpy(), tile), index=close.index, columns=columns),
        size=np.array(sizes)[None, :], size_type="percent", sl_stop=np.array(stops)[None, :],
        fees=0.0013, init_cash=1_000_000.0, cash_sharing=True, group_by="combo", freq="1D",
    )
    return portfolio.total_return()


def main(folder: str) -> None:
    root = Path(folder)
    close = pd.read_parquet(root / "close.parquet").ffill().bfill()
    opens = pd.read_parquet(root / "open.parquet").ffill().bfill()
    signals = pd.read_parquet(root / "signals.parquet")
    grid = json.loads((root / "grid.json").read_text())
    started = time.perf_counter()
    simulate(close, opens, signals, grid)
    first = time.perf_counter() - started
    started = time.perf_counter()
    returns = simulate(close, opens, signals, grid)
    second = time.perf_counter() - started
    print(json.dumps({"version": vbt.__version__, "combinations": int(len(returns)), "first_seconds": first, "seconds": second,
                      "best_total_return_pct": float(100 * returns.max())}))


if __name__ == "__main__":
    main(sys.argv[1])
