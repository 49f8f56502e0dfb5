"""Tomorrow's orders: what the configured strategy would do at the next XHKG open (``hkbt today``).

A signal report, not a broker: it replays the same backtest as ``hkbt run``
from ``run.start`` up to the next session and reads off the orders placed for
that session's open. Nothing is sent anywhere.

The point in time is ``as_of`` (default: now):

* **news**: only items *available* by ``as_of`` (their ``available_at``: the
  publication time of a file item, the ``news.timestamp`` rule for the store,
  so an item fetched at 20:05 does not count at 20:00);
* **prices**: bars of sessions that had closed by ``as_of``; the last of
  them is "the last close" every order is sized on;
* **the session**: the first XHKG session after that last close. Its bar is
  not known yet, so it is a placeholder that repeats the last close (open =
  high = low = close, no volume): strategies decide before the open and never
  see it, and the order values shown are at the last close, not the fill.

If ``as_of`` is already past that session's order cutoff (09:00 HKT, say at
11:00 on a trading day), the orders were due before that cutoff; a warning
says so, and news published since then counts from the following session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pandas as pd

from hkbt.backtest.costs import FeeSchedule
from hkbt.backtest.discovery import validate_params
from hkbt.backtest.runner import run_backtest
from hkbt.config import Config
from hkbt.errors import ConfigError, DataError
from hkbt.news.sessions import HKT, run_sessions, xhkg_schedule
from hkbt.news.signals import build_signals, signal_rules_from_config
from hkbt.pipeline import Progress, load_prices, prepare_news, resolve_strategy

ORDER_COLUMNS = ["session", "ticker", "side", "shares", "last_close_hkd", "value_hkd", "reason", "signal_score",
                 "news_ids", "headlines"]
HOLDING_COLUMNS = ["ticker", "shares", "entry_session", "entry_price_hkd", "last_close_hkd", "change_pct", "closing"]


@dataclass
class NextOpen:
    """The orders for one session's open, and everything needed to explain them."""

    config: Config
    as_of: pd.Timestamp
    session: pd.Timestamp
    opens_at: pd.Timestamp
    cutoff_at: pd.Timestamp
    last_close: pd.Timestamp
    orders: pd.DataFrame
    holdings: pd.DataFrame
    skipped: pd.DataFrame
    news: pd.DataFrame
    warnings: list[str] = field(default_factory=list)

    @property
    def cited_news(self) -> pd.DataFrame:
        """The news items behind the orders (headline, times, source, score), in publication order."""
        ids = {i for joined in self.orders.news_ids for i in joined.split(";") if i}
        return self.news[self.news.news_id.isin(ids)].sort_values("published_at", kind="stable")


def plan_next_open(config: Config, base_dir: Path = Path("."), as_of: pd.Timestamp | None = None,
                   progress: Progress | None = None) -> NextOpen:
    """Run the configured strategy up to the next XHKG open after ``as_of`` and return that open's orders.

    Raises:
        ConfigError: ``run.start`` is not before the last close.
        DataError: no news or prices up to ``as_of`` (see the loaders).
    """
    as_of = (pd.Timestamp.now(tz="UTC") if as_of is None else pd.Timestamp(as_of)).tz_convert("UTC")
    local_day = as_of.tz_convert(HKT).date()
    schedule = xhkg_schedule(local_day - timedelta(days=30), local_day + timedelta(days=30))
    closed = schedule.index[pd.DatetimeIndex(schedule.close) <= as_of]
    if closed.empty:
        raise DataError("--as-of", f"no XHKG session closed in the 30 days before {as_of}", "choose a later --as-of")
    last_close = closed[-1]
    session = schedule.index[schedule.index > last_close][0]
    opens_at = pd.Timestamp(schedule.loc[session, "open"])
    cutoff_at = opens_at - pd.Timedelta(minutes=config.signals.cutoff_before_open_minutes)
    if config.run.start >= last_close.date():
        raise ConfigError("run.start", f"must be before the last close {last_close.date()} (got {config.run.start})",
                          "start the replay earlier, e.g. a month or a year before")

    replay = config.model_copy(update={"run": config.run.model_copy(update={"end": session.date()})})
    closed_only = config.model_copy(update={"run": config.run.model_copy(update={"end": last_close.date()})})
    sessions = run_sessions(config.run.start, session.date())
    news, report = prepare_news(replay, base_dir, progress, as_of=as_of)
    signals = build_signals(news, sessions, signal_rules_from_config(config))
    prices, warnings = load_prices(closed_only, base_dir, sessions[:-1], progress)
    traded = {t: with_placeholder(prices[t], last_close, session) for t in config.universe.tickers}

    found = resolve_strategy(config, base_dir)
    settings = validate_params(found.cls, config.strategy.params, config.topics)
    fees = FeeSchedule(brokerage_rate=config.costs.brokerage_rate, brokerage_min=config.costs.brokerage_min)
    result = run_backtest(traded, signals, strategy=found.cls, settings=settings, lot_sizes=config.universe.lot_sizes,
                          initial_cash=config.run.initial_cash, fees=fees, sessions=sessions)

    warnings = report.warnings(config.news.timezone) + warnings
    if as_of >= cutoff_at:
        warnings.append(f"as of {as_of.tz_convert(HKT):%Y-%m-%d %H:%M} HKT the order cutoff of the {session.date()} session "
                        f"({cutoff_at.tz_convert(HKT):%H:%M} HKT) has passed: these orders were due before it; "
                        "news published since counts from the next session")
    refused = result.rejected[result.rejected.session == session]
    if len(refused):
        warnings.append(f"{len(refused)} order(s) would be refused at the open for lack of cash at the last close")
    closes = {t: float(bars.loc[:last_close].close.iloc[-1]) for t, bars in traded.items() if len(bars.loc[:last_close])}
    orders = compute_orders(result.fills, news, session, closes)
    holdings = compute_holdings(result.fills, session, closes, orders)
    skipped = result.skipped[result.skipped.session == session].reset_index(drop=True)
    return NextOpen(config, as_of, session, opens_at, cutoff_at, last_close, orders, holdings, skipped, news, warnings)


def with_placeholder(bars: pd.DataFrame, last_close: pd.Timestamp, session: pd.Timestamp) -> pd.DataFrame:
    """Pure: ``bars`` up to ``last_close`` plus a flat bar for ``session`` at the last close (volume 0).

    A name without a bar on the last close (suspended) gets no placeholder, so
    the strategy sees no bar for it, exactly as in a backtest.
    """
    bars = bars.loc[:last_close]
    if bars.empty or bars.index[-1] != last_close:
        return bars
    close = float(bars.close.iloc[-1])
    placeholder = pd.DataFrame({c: [close] for c in ("open", "high", "low", "close")} | {"volume": [0.0]},
                               index=pd.DatetimeIndex([session], name=bars.index.name))
    return pd.concat([bars, placeholder[[c for c in bars.columns if c in placeholder]]])


def compute_orders(fills: pd.DataFrame, news: pd.DataFrame, session: pd.Timestamp,
                   closes: dict[str, float]) -> pd.DataFrame:
    """Pure: the fills of the placeholder ``session`` as orders (:data:`ORDER_COLUMNS`), sells first.

    ``closes``: each ticker's last close, which the order is valued at (the fill price is not known yet).
    """
    placed = fills[fills.session == session]
    headlines = dict(zip(news.news_id, news.headline))
    rows = []
    for fill in placed.itertuples(index=False):
        close = closes[fill.ticker]
        ids = [i for i in str(fill.news_ids).split(";") if i]
        rows.append({
            "session": session, "ticker": fill.ticker, "side": fill.side, "shares": int(fill.size),
            "last_close_hkd": close, "value_hkd": round(fill.size * close, 2), "reason": fill.reason,
            "signal_score": fill.signal_score, "news_ids": ";".join(ids),
            "headlines": " | ".join(headlines.get(i, "(not in the news)") for i in ids),
        })
    orders = pd.DataFrame(rows, columns=ORDER_COLUMNS)
    return orders.sort_values(["side", "ticker"], ascending=[False, True], kind="stable").reset_index(drop=True)


def compute_holdings(fills: pd.DataFrame, session: pd.Timestamp, closes: dict[str, float],
                     orders: pd.DataFrame) -> pd.DataFrame:
    """Pure: positions held after the last close (:data:`HOLDING_COLUMNS`), marking those the orders close."""
    rows = []
    before = fills[fills.session < session].sort_values("session", kind="stable")
    for ticker, own in before.groupby("ticker", sort=True):
        shares = float(own["size"].where(own.side == "buy", -own["size"]).sum())  # fill sizes are unsigned
        if shares <= 0:
            continue
        entry = own[own.side == "buy"].iloc[-1]
        close = closes[ticker]
        rows.append({
            "ticker": ticker, "shares": int(shares), "entry_session": entry.session, "entry_price_hkd": float(entry.price),
            "last_close_hkd": close, "change_pct": round(100 * (close / float(entry.price) - 1), 2),
            "closing": bool(((orders.ticker == ticker) & (orders.side == "sell")).any()),
        })
    return pd.DataFrame(rows, columns=HOLDING_COLUMNS)
