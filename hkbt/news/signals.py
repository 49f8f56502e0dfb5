"""Stage 6: signals. Aligned, scored, tagged news -> one row per (session, ticker).

The strategy never sees single news items: it sees, for each session a name
could trade at, the aggregate of the items that became tradable at that
session (see :mod:`hkbt.news.sessions` for the cutoff rule). Every row keeps
the ids of the items behind it, so each order can cite its news.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

SIGNAL_COLUMNS = [
    "session", "ticker", "score_mean", "score_max", "score_min", "news_count",
    "topics", "market_wide", "news_ids", "first_published_at", "last_published_at",
]


def explode_to_universe(
    news: pd.DataFrame, universe: Sequence[str], sessions: pd.DatetimeIndex, market_wide_policy: bool = True
) -> pd.DataFrame:
    """Pure: one row per (news item, universe ticker) it applies to, tradable inside ``sessions``.

    An item applies to the universe tickers in its ``tickers`` list; an item naming
    no company but tagged ``policy`` applies to every universe ticker when
    ``market_wide_policy`` is true (those rows get ``market_wide=True``). Items
    tradable outside ``sessions`` and items linked only to companies outside the
    universe (``outside_universe``: an HSBC filing is not market news) are dropped.
    The news columns are kept, plus ``ticker`` and ``market_wide``; the index is
    the item's original index (repeated once per ticker). Shared by
    :func:`build_signals` and the event study, so both see the same events.
    """
    items = news[news.tradable_session.isin(sessions)]
    targets = [
        (list(tickers), False) if tickers
        else ((list(universe), True) if market_wide_policy and "policy" in topics and not outside else ([], False))
        for tickers, topics, outside in zip(items.tickers, items.topics, items.outside_universe)
    ]
    exploded = items.assign(ticker=[t for t, _ in targets], market_wide=[m for _, m in targets]).explode("ticker")
    return exploded[exploded.ticker.isin(list(universe))]


def build_signals(
    news: pd.DataFrame, universe: Sequence[str], sessions: pd.DatetimeIndex, market_wide_policy: bool = True
) -> pd.DataFrame:
    """Pure: aggregate scored, tagged, aligned news into one row per (session, ticker).

    Args:
        news: items with ``score``, ``topics``, ``tickers``, ``tradable_session``.
        universe: tradable tickers; news about other tickers is ignored.
        sessions: the run's sessions; items tradable outside them are dropped.
        market_wide_policy: items naming no company but tagged ``policy`` apply
            to every ticker in the universe (``market_wide`` is True on rows
            that include such an item).

    Returns:
        :data:`SIGNAL_COLUMNS`, sorted by session then ticker. ``topics`` and
        ``news_ids`` are ";"-joined (sorted topics; ids in publication order).
    """
    exploded = explode_to_universe(news, universe, sessions, market_wide_policy)
    if exploded.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SIGNAL_COLUMNS})
    exploded = exploded.sort_values(["tradable_session", "ticker", "published_at", "news_id"], kind="stable")
    grouped = exploded.groupby(["tradable_session", "ticker"], sort=True)
    signals = grouped.agg(
        score_mean=("score", "mean"),
        score_max=("score", "max"),
        score_min=("score", "min"),
        news_count=("news_id", "size"),
        market_wide=("market_wide", "any"),
        first_published_at=("published_at", "min"),
        last_published_at=("published_at", "max"),
    )
    signals["topics"] = grouped.topics.agg(lambda lists: ";".join(sorted({t for topics in lists for t in topics})))
    signals["news_ids"] = grouped.news_id.agg(";".join)
    signals = signals.reset_index().rename(columns={"tradable_session": "session"})
    return signals[SIGNAL_COLUMNS]
