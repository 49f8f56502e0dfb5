"""Hong Kong stock transaction costs: one pure fee function and a thin Backtrader adapter.

Every buy or sell of a Hong Kong listed stock pays the same five charges, each
a fraction of the trade value in HKD (``|shares| * price``):

==================  ==========  ==================================================
charge              default     rounding
==================  ==========  ==================================================
stamp duty          0.1 %       rounded **up** to the next whole HKD
SFC levy            0.0027 %    to the cent
AFRC levy           0.00015 %   to the cent
HKEX trading fee    0.00565 %   to the cent
brokerage           0.03 %      to the cent, but never less than ``brokerage_min``
==================  ==========  ==================================================

The government charges are the rules in force for stocks in 2024-25 (stamp
duty has been 0.1 % per side since 17 Nov 2023). Brokerage differs from broker
to broker, so its rate and minimum are the values to set in the config.

Buys and sells cost the same, so the fee depends only on the trade value::

    >>> compute_fees(40_000.0).total        # 100 shares at HKD 400.00
    93.4
    >>> compute_fees(40_000.0)
    FeeBreakdown(stamp_duty=40.0, sfc_levy=1.08, afrc_levy=0.06, trading_fee=2.26, brokerage=50.0)

Not modelled: the CCASS settlement fee, the HKEX system fee per trade, and
stamp-duty waivers (ETFs, some market makers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal

import backtrader as bt

from hkbt.errors import ConfigError

__all__ = ["FeeSchedule", "FeeBreakdown", "compute_fees", "HKCommInfo"]

# Digits kept before rounding, so that float noise such as
# 12_345.6 * 0.001 == 12.345600000000001 cannot push a charge over a boundary.
_NOISE_DIGITS = 6


@dataclass(frozen=True)
class FeeSchedule:
    """Fee rates as fractions of the trade value in HKD (``0.001`` = 0.1 %).

    The defaults are the Hong Kong charges on stocks in 2024-25, plus a typical
    online-broker commission of 0.03 % with a HKD 50 minimum per order.

    Example: a broker charging 0.08 % with a HKD 100 minimum::

        FeeSchedule(brokerage_rate=0.0008, brokerage_min=100.0)

    Raises:
        ConfigError: a rate or the minimum is negative or not a finite number.
    """

    stamp_duty_rate: float = 0.001
    """Stamp duty, 0.1 % on each side (buyer and seller); rounded up to whole HKD."""
    sfc_levy_rate: float = 0.000027
    """Securities and Futures Commission levy, 0.0027 %."""
    afrc_levy_rate: float = 0.0000015
    """Accounting and Financial Reporting Council levy, 0.00015 %."""
    trading_fee_rate: float = 0.0000565
    """HKEX trading fee, 0.00565 %."""
    brokerage_rate: float = 0.0003
    """Broker commission as a fraction of trade value (0.03 %); set it to your broker's."""
    brokerage_min: float = 50.0
    """Smallest commission the broker charges per order, in HKD."""

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ConfigError(
                    f"costs.{field.name}",
                    f"must be a number >= 0 (got {value!r})",
                    "rates are fractions of trade value, e.g. 0.001 for 0.1 %",
                )


@dataclass(frozen=True)
class FeeBreakdown:
    """The charges on one trade, each in HKD."""

    stamp_duty: float
    sfc_levy: float
    afrc_levy: float
    trading_fee: float
    brokerage: float

    @property
    def total(self) -> float:
        """Sum of all charges in HKD, to the cent."""
        return _round_cents(
            self.stamp_duty + self.sfc_levy + self.afrc_levy + self.trading_fee + self.brokerage
        )


def _round_cents(amount: float) -> float:
    """Round half up to 0.01 (Python's ``round`` would round 0.125 down to 0.12)."""
    exact = Decimal(repr(round(amount, _NOISE_DIGITS)))
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _ceil_dollars(amount: float) -> float:
    """Round up to the whole HKD, ignoring float noise below 1e-6."""
    return float(math.ceil(round(amount, _NOISE_DIGITS)))


def compute_fees(trade_value_hkd: float, schedule: FeeSchedule = FeeSchedule()) -> FeeBreakdown:
    """Return the charges on one buy or one sell of ``trade_value_hkd``.

    Pure: no state, and buys and sells cost the same.

    Args:
        trade_value_hkd: ``abs(shares) * price`` in HKD; must be ``>= 0``.
            A value of 0 costs nothing at all (no minimum brokerage).
        schedule: the rates to apply; the default is the 2024-25 HK schedule.

    Returns:
        A :class:`FeeBreakdown`; ``.total`` is what the trade costs in HKD.

    Raises:
        ValueError: the trade value is negative, NaN or infinite (a caller bug;
            pass ``abs(size) * price``).

    Example: stamp duty on HKD 12,345.60 is 12.3456, rounded up to 13::

        >>> compute_fees(12_345.6).stamp_duty
        13.0
    """
    value = float(trade_value_hkd)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"trade_value_hkd must be a finite number >= 0, got {trade_value_hkd!r}")
    if value == 0:
        return FeeBreakdown(0.0, 0.0, 0.0, 0.0, 0.0)
    s = schedule
    return FeeBreakdown(
        stamp_duty=_ceil_dollars(value * s.stamp_duty_rate),
        sfc_levy=_round_cents(value * s.sfc_levy_rate),
        afrc_levy=_round_cents(value * s.afrc_levy_rate),
        trading_fee=_round_cents(value * s.trading_fee_rate),
        brokerage=_round_cents(max(value * s.brokerage_rate, s.brokerage_min)),
    )


class HKCommInfo(bt.CommInfoBase):
    """Backtrader commission scheme that charges :func:`compute_fees` on every fill.

    Stock-like (cash pays the full trade value, no margin, no leverage). Use::

        cerebro.broker.addcommissioninfo(HKCommInfo(schedule=FeeSchedule()))

    Params:
        schedule (FeeSchedule): the rates; defaults to the 2024-25 HK schedule.

    Warnings:
        Backtrader asks for the commission once per fill. A partial fill, or an
        order that closes a position and opens the opposite one, is therefore
        charged the brokerage minimum more than once. With hkbt's long-only,
        fill-at-next-open orders every order is one fill.
    """

    params = (
        ("schedule", FeeSchedule()),
        # Fixed values that keep CommInfoBase's own machinery out of the way:
        # stock-like cash accounting, and a COMM_FIXED type with commission 0
        # so the base __init__ never rescales anything (it divides
        # ``commission`` by 100 for COMM_PERC with percabs=False).
        ("stocklike", True),
        ("commtype", bt.CommInfoBase.COMM_FIXED),
        ("percabs", True),
        ("commission", 0.0),
        ("leverage", 1.0),
    )

    def _getcommission(self, size: float, price: float, pseudoexec: bool) -> float:
        """HKD charged for ``size`` shares at ``price``; ``size`` is negative on sells."""
        return compute_fees(abs(size) * price, self.p.schedule).total
