"""``today.csv`` and ``today.html``: the orders for the next XHKG open, each with the news behind it.

Built from a :class:`hkbt.today.NextOpen` (nothing is recomputed here). Every
text that came from news or config is escaped (Jinja2 autoescape,
``StrictUndefined``); only ``http(s)`` URLs become links; the page makes no
network request.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from hkbt.news.sessions import HKT
from hkbt.today import ORDER_COLUMNS, NextOpen

_ENV = Environment(
    loader=PackageLoader("hkbt.reports", "templates"),
    autoescape=select_autoescape(["html", "j2"], default=True),
    undefined=StrictUndefined,
)


def hkt(stamp, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC time shown in Hong Kong time (no zone suffix); an em dash for a missing one."""
    from hkbt.reports.run_report import _hkt

    return _hkt(stamp, pattern)


def render_orders_csv(plan: NextOpen) -> str:
    """``today.csv``: one row per order (:data:`hkbt.today.ORDER_COLUMNS`), session as a date."""
    orders = plan.orders.assign(session=[pd.Timestamp(s).strftime("%Y-%m-%d") for s in plan.orders.session])[ORDER_COLUMNS]
    return orders.round({"last_close_hkd": 4, "value_hkd": 2, "signal_score": 4}).to_csv(index=False)


def describe_plan(plan: NextOpen) -> dict[str, object]:
    """The facts every view states: which session, when, from what."""
    return {
        "session": hkt(plan.session.tz_localize(HKT), "%a %Y-%m-%d"),
        "opens": hkt(plan.opens_at, "%H:%M"),
        "cutoff": hkt(plan.cutoff_at, "%H:%M"),
        "as_of": hkt(plan.as_of),
        "last_close": hkt(plan.last_close.tz_localize(HKT), "%a %Y-%m-%d"),
        "strategy": plan.config.strategy.name,
        "price_source": plan.config.prices.source,
    }


def render_today_page(plan: NextOpen, generated_at: datetime | None = None) -> str:
    """``today.html`` for a plan."""
    from hkbt.prices import SIMULATED_BANNER
    from hkbt.reports.run_report import safe_url

    news = plan.news.set_index("news_id")
    orders = []
    for order in plan.orders.itertuples(index=False):
        items = []
        for news_id in [i for i in order.news_ids.split(";") if i]:
            if news_id not in news.index:
                continue
            item = news.loc[news_id]
            items.append({"headline": item.headline, "url": safe_url(item.url), "source": item.source,
                          "published": hkt(item.published_at), "first_seen": hkt(item.first_seen_at),
                          "available": hkt(item.available_at), "score": f"{item.score:+.3f}",
                          "topics": ", ".join(item.topics)})
        orders.append({"ticker": order.ticker, "side": order.side, "shares": f"{order.shares:,}",
                       "close": f"{order.last_close_hkd:,.2f}", "value": f"{order.value_hkd:,.0f}", "reason": order.reason,
                       "score": "—" if pd.isna(order.signal_score) else f"{order.signal_score:+.3f}", "news": items})
    holdings = [{"ticker": h.ticker, "shares": f"{h.shares:,}", "entry": h.entry_session.strftime("%Y-%m-%d"),
                 "entry_price": f"{h.entry_price_hkd:,.2f}", "close": f"{h.last_close_hkd:,.2f}",
                 "change": f"{h.change_pct:+.2f} %", "closing": h.closing} for h in plan.holdings.itertuples(index=False)]
    skipped = [{"ticker": s.ticker, "reason": s.reason, "detail": s.detail,
                "score": "—" if pd.isna(s.score) else f"{s.score:+.3f}"} for s in plan.skipped.itertuples(index=False)]
    generated = (generated_at or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return _ENV.get_template("today.html.j2").render(
        page_title=f"hkbt today · {plan.config.run.name} · {plan.session.date()}", facts=describe_plan(plan),
        name=plan.config.run.name, orders=orders, holdings=holdings, skipped=skipped, warnings=plan.warnings,
        simulated=plan.config.prices.source == "synthetic", banner=SIMULATED_BANNER, generated_at=generated,
        plotly_js=None,
    )
