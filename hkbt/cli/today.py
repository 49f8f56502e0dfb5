"""``hkbt today``: the orders the configured strategy would place at the next XHKG open (a thin layer over
:mod:`hkbt.today` and :mod:`hkbt.reports.today_page`)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hkbt.cli.common import experiment_options, load_experiment, progress_bars, show_simulated_banner, show_warnings
from hkbt.errors import ConfigError


@click.command()
@experiment_options(name_help="Run name: today.csv and today.html go to backtests/<name>/; same as --set run.name=NAME.")
@click.option("--as-of", "as_of", metavar="TIME",
              help="Plan as of this moment (ISO 8601, e.g. 2025-02-17T20:00+08:00; without an offset: news.timezone). "
                   "Default: now.")
def today(config_path: Path, overrides: tuple[str, ...], name: str | None, as_of: str | None) -> None:
    """Orders for the next XHKG open: what the strategy would buy and sell, with the news behind each.

    Replays the configured strategy from run.start on the news available now
    (or --as-of) and the prices of the sessions closed by then, and lists the
    orders it places for the next session's open, plus the positions it holds
    and which of them it would close. Order values are at the last close.
    A signal report, not a broker: nothing is sent anywhere. Writes
    backtests/<name>/today.csv and today.html (other files there are kept).

    \b
    Examples:
      hkbt today --set news.store=data/news.db --set prices.source=csv
      hkbt today --as-of 2025-02-17T20:00+08:00 --set prices.source=csv
    """
    from hkbt.backtest.results import add_files
    from hkbt.reports.today_page import describe_plan, render_orders_csv, render_today_page
    from hkbt.today import plan_next_open

    config, base_dir, folder = load_experiment(config_path, overrides, name)
    moment = parse_as_of(as_of, config.news.timezone)
    with progress_bars() as bars:
        plan = plan_next_open(config, base_dir, moment, bars)
    show_warnings(plan.warnings)

    def write(staging: Path) -> None:
        (staging / "today.csv").write_text(render_orders_csv(plan), encoding="utf-8")
        (staging / "today.html").write_text(render_today_page(plan), encoding="utf-8")

    written = add_files(folder, write)
    show_plan(plan, describe_plan(plan))
    if config.prices.source == "synthetic":
        show_simulated_banner()
    Console(highlight=False, soft_wrap=True).print("wrote " + ", ".join(escape(str(p)) for p in written))


def parse_as_of(value: str | None, zone: str):
    """``--as-of`` as a tz-aware timestamp (a value without an offset is read in ``zone``); ``None`` = now."""
    import pandas as pd

    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise ConfigError(f"--as-of {value}", "not a time", "use ISO 8601, e.g. 2025-02-17T20:00+08:00")
    return stamp.tz_localize(zone) if stamp.tzinfo is None else stamp


def show_plan(plan, facts: dict) -> None:
    """Print the orders with their news, the positions held and what they become."""
    import pandas as pd

    from hkbt.reports.today_page import hkt

    out = Console(highlight=False, soft_wrap=True)
    out.print(f"[bold]Orders for the XHKG open of {facts['session']}[/] ({facts['opens']} HKT; place them before the "
              f"{facts['cutoff']} HKT cutoff) · strategy {escape(facts['strategy'])}")
    out.print(f"News available by {facts['as_of']} HKT; prices as of the close of {facts['last_close']} "
              f"({escape(facts['price_source'])}); values are at that close, the fill is at the open.")
    out.print("A signal report, not a broker connection: nothing was sent anywhere.")
    news = plan.news.set_index("news_id")
    if plan.orders.empty:
        out.print("\nNo orders for this open.")
    else:
        table = Table(title=f"{len(plan.orders)} order(s)")
        for column, justify in (("side", "left"), ("ticker", "left"), ("shares", "right"), ("≈ HKD", "right"),
                                ("reason", "left"), ("score", "right")):
            table.add_column(column, justify=justify)
        for order in plan.orders.itertuples(index=False):
            table.add_row(order.side.upper(), order.ticker, f"{order.shares:,}", f"{order.value_hkd:,.0f}", order.reason,
                          "—" if pd.isna(order.signal_score) else f"{order.signal_score:+.2f}")
        out.print(table)
        out.print("The news behind them (available at, HKT):")
        for order in plan.orders.itertuples(index=False):
            cited = [news.loc[i] for i in order.news_ids.split(";") if i and i in news.index]
            out.print(f"  {order.side.upper()} {order.ticker}" + ("" if cited else f": no news ({escape(order.reason)})"))
            for item in cited:
                out.print(f"    {hkt(item.available_at)}  {escape(item.source)}: {escape(item.headline)}")
    if plan.holdings.empty:
        out.print("Positions held after the last close: none.")
    else:
        held = ", ".join(f"{h.ticker} {h.shares:,} sh ({h.change_pct:+.1f} %{', closing' if h.closing else ''})"
                         for h in plan.holdings.itertuples(index=False))
        out.print(f"Positions held after the last close: {held}.")
    if len(plan.skipped):
        reasons = plan.skipped.reason.value_counts()
        out.print("Signals for this open without an order: " + ", ".join(f"{n} {escape(r)}" for r, n in reasons.items()) + ".")
