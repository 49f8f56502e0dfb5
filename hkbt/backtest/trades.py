"""Round trips from fills, each traced to the news that caused it.

``build_trades`` pairs every buy with the sell that closed it (the strategy
never scales in or out); each trade lists the ``news_ids`` its entry order
cited and when they were published, and the ids its exit order cited.
A position still open on the last session is reported with
``exit_reason="open_at_end"``, valued at the last close, with no exit costs
(nothing was sold).
"""

from __future__ import annotations

import pandas as pd

TRADE_COLUMNS = [
    "trade_id", "ticker", "entry_session", "entry_price", "exit_session", "exit_price", "size",
    "entry_costs_hkd", "exit_costs_hkd", "costs_hkd", "pnl_hkd", "return_pct", "holding_days",
    "exit_reason", "entry_score", "news_ids", "news_published_at", "exit_news_ids",
]


def build_trades(
    fills: pd.DataFrame,
    news: pd.DataFrame,
    sessions: pd.DatetimeIndex,
    last_close: dict[str, float],
) -> pd.DataFrame:
    """Pure: fills -> one row per round trip (:data:`TRADE_COLUMNS`).

    Args:
        fills: ``BacktestResult.fills`` (ticker, side, session, price, size,
            costs_hkd, reason, news_ids, signal_score).
        news: the news frame (for ``published_at`` of each cited id).
        sessions: the run's sessions (holding days are counted on them).
        last_close: ticker -> last close, to value positions still open.

    ``pnl_hkd`` is net of both sides' costs; ``return_pct`` is that P&L over
    the entry value (shares x entry price), in percent.
    """
    published = _published(news, fills.news_ids[fills.side == "buy"])
    rows = []
    open_buys: dict[str, pd.Series] = {}
    for fill in fills.sort_values(["session"], kind="stable").itertuples(index=False):
        if fill.side == "buy":
            open_buys[fill.ticker] = fill
            continue
        entry = open_buys.pop(fill.ticker)
        rows.append(_trade(entry, fill.session, fill.price, fill.costs_hkd, fill.reason, fill.news_ids, published))
    for ticker, entry in sorted(open_buys.items()):
        rows.append(_trade(entry, sessions[-1], last_close[ticker], 0.0, "open_at_end", "", published))
    trades = pd.DataFrame(rows, columns=TRADE_COLUMNS[1:]).round(
        {"entry_costs_hkd": 2, "exit_costs_hkd": 2, "costs_hkd": 2, "pnl_hkd": 2, "return_pct": 4}
    )
    if len(trades):  # sessions between entry and exit, counted on the run's calendar
        trades["holding_days"] = (sessions.searchsorted(pd.DatetimeIndex(trades.exit_session))
                                  - sessions.searchsorted(pd.DatetimeIndex(trades.entry_session)))
    trades = trades.sort_values(["entry_session", "ticker"], kind="stable").reset_index(drop=True)
    trades.insert(0, "trade_id", range(1, len(trades) + 1))
    return trades


def _published(news: pd.DataFrame, cited: pd.Series) -> dict[str, pd.Timestamp]:
    """news_id -> published_at of the ids in ``cited`` (``;``-joined lists); only those rows are read."""
    ids = {i for joined in cited if isinstance(joined, str) and joined for i in joined.split(";")}
    picked = news[news.news_id.isin(ids)]
    return dict(zip(picked.news_id, picked.published_at))


def _trade(entry, exit_session, exit_price, exit_costs, reason, exit_news_ids, published) -> dict:
    ids = entry.news_ids.split(";") if isinstance(entry.news_ids, str) and entry.news_ids else []
    entry_value = entry.size * entry.price
    pnl = entry.size * (exit_price - entry.price) - entry.costs_hkd - exit_costs
    return {
        "ticker": entry.ticker,
        "entry_session": entry.session,
        "entry_price": entry.price,
        "exit_session": exit_session,
        "exit_price": exit_price,
        "size": entry.size,
        "entry_costs_hkd": entry.costs_hkd,
        "exit_costs_hkd": exit_costs,
        "costs_hkd": entry.costs_hkd + exit_costs,
        "pnl_hkd": pnl,
        "return_pct": 100.0 * pnl / entry_value,
        "exit_reason": reason,
        "entry_score": entry.signal_score,
        "news_ids": ";".join(ids),
        "news_published_at": ";".join(published[i].isoformat() for i in ids),
        "exit_news_ids": exit_news_ids if isinstance(exit_news_ids, str) else "",
    }
