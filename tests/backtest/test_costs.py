"""Tests for hkbt.backtest.costs: fees worked out by hand, and the Backtrader adapter end to end."""

from __future__ import annotations

import doctest

import backtrader as bt
import pandas as pd
import pytest

import hkbt.backtest.costs
from hkbt.backtest.costs import FeeBreakdown, FeeSchedule, HKCommInfo, compute_fees
from hkbt.errors import ConfigError


class TestComputeFees:
    def test_small_trade_pays_minimum_brokerage(self):
        # 100 Tencent shares at HKD 400.00 = HKD 40,000.
        fees = compute_fees(100 * 400.00)
        assert fees == FeeBreakdown(
            stamp_duty=40.0,  # 40,000 * 0.1 % = 40 exactly
            sfc_levy=1.08,  # 40,000 * 0.0027 %
            afrc_levy=0.06,  # 40,000 * 0.00015 %
            trading_fee=2.26,  # 40,000 * 0.00565 %
            brokerage=50.0,  # max(40,000 * 0.03 % = 12, 50)
        )
        assert fees.total == 93.40

    def test_stamp_duty_rounds_up_to_whole_dollar(self):
        fees = compute_fees(12_345.6)
        assert fees.stamp_duty == 13.0  # 12.3456 -> 13
        assert fees.sfc_levy == 0.33  # 0.3333312
        assert fees.afrc_levy == 0.02  # 0.0185184
        assert fees.trading_fee == 0.70  # 0.6975264
        assert fees.brokerage == 50.0  # 3.70 < 50
        assert fees.total == 64.05

    def test_stamp_duty_exact_dollar_is_not_bumped_by_float_noise(self):
        # 3 * 0.1 * 10,000 is 3000.0000000000005 in floating point, and times 0.001
        # that is 3.0000000000000004: a bare ceil would charge 4 instead of 3.
        noisy = 3 * 0.1 * 10_000
        assert noisy > 3000
        assert compute_fees(noisy).stamp_duty == 3.0
        assert compute_fees(40_000.0).stamp_duty == 40.0
        assert compute_fees(40_000.01).stamp_duty == 41.0  # a real cent over still rounds up

    def test_large_trade_brokerage_rate_exceeds_minimum(self):
        # 20,000 HSBC-like shares at HKD 62.50 = HKD 1,250,000.
        fees = compute_fees(20_000 * 62.50)
        assert fees == FeeBreakdown(
            stamp_duty=1250.0,
            sfc_levy=33.75,
            afrc_levy=1.88,  # 1.875 rounds half up
            trading_fee=70.63,  # 70.625 rounds half up
            brokerage=375.0,  # 1,250,000 * 0.03 % > 50
        )
        assert fees.total == 1731.26

    def test_buy_and_sell_cost_the_same(self):
        # The function takes a value, not a signed size: a sell of 300 @ 88.15
        # is passed as abs(-300) * 88.15, the same as the buy.
        assert compute_fees(abs(-300) * 88.15) == compute_fees(300 * 88.15)

    def test_zero_value_costs_nothing(self):
        fees = compute_fees(0.0)
        assert fees == FeeBreakdown(0.0, 0.0, 0.0, 0.0, 0.0)
        assert fees.total == 0.0

    @pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
    def test_rejects_negative_or_non_finite_value(self, bad):
        with pytest.raises(ValueError, match="trade_value_hkd"):
            compute_fees(bad)

    def test_custom_schedule(self):
        schedule = FeeSchedule(brokerage_rate=0.0008, brokerage_min=100.0)
        assert compute_fees(40_000.0, schedule).brokerage == 100.0
        assert compute_fees(200_000.0, schedule).brokerage == 160.0

    def test_negative_rate_is_a_config_error_naming_the_key(self):
        with pytest.raises(ConfigError) as info:
            FeeSchedule(brokerage_min=-5.0)
        assert info.value.where == "costs.brokerage_min"
        assert "-5.0" in info.value.what

    def test_docstring_examples(self):
        result = doctest.testmod(hkbt.backtest.costs, verbose=False)
        assert result.attempted > 0 and result.failed == 0


class _BuyThenSell(bt.Strategy):
    """Buy ``size`` shares on the first bar, sell them all on the third; record fills."""

    params = (("size", 100),)

    def __init__(self):
        self.fills = []  # (is_buy, size, price, comm, value)

    def next(self):
        bar = len(self)
        if bar == 1:
            self.buy(size=self.p.size)
        elif bar == 3:
            self.sell(size=self.p.size)

    def notify_order(self, order):
        if order.status == order.Completed:
            ex = order.executed
            self.fills.append((order.isbuy(), ex.size, ex.price, ex.comm))


def _run_cerebro(opens, cash, size, schedule=None):
    index = pd.date_range("2024-03-04", periods=len(opens), freq="B")
    frame = pd.DataFrame(
        {"open": opens, "high": opens, "low": opens, "close": opens, "volume": 1_000_000},
        index=index,
    )
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(bt.feeds.PandasData(dataname=frame))
    cerebro.addstrategy(_BuyThenSell, size=size)
    cerebro.broker.setcash(cash)
    cerebro.broker.addcommissioninfo(HKCommInfo(schedule=schedule or FeeSchedule()))
    strategy = cerebro.run()[0]
    return strategy, cerebro.broker.getcash()


class TestHKCommInfo:
    def test_commission_on_both_sides_and_final_cash(self):
        # Orders fill at the next bar's open: buy at 400.00, sell at 412.40.
        cash0, size = 1_000_000.0, 2_000
        strategy, cash_end = _run_cerebro([398.0, 400.0, 405.0, 412.4, 410.0], cash0, size)

        (buy, buy_size, buy_px, buy_comm), (sell, sell_size, sell_px, sell_comm) = strategy.fills
        assert (buy, sell) == (True, False)
        assert (buy_size, buy_px) == (size, 400.0)
        assert (sell_size, sell_px) == (-size, 412.4)

        buy_value, sell_value = size * 400.0, size * 412.4
        buy_fees, sell_fees = compute_fees(buy_value).total, compute_fees(sell_value).total
        assert buy_comm == pytest.approx(buy_fees, abs=1e-9)
        assert sell_comm == pytest.approx(sell_fees, abs=1e-9)
        # Hand check of the buy: 800,000 -> 800 + 21.60 + 1.20 + 45.20 + 240 = 1,108.00
        assert buy_fees == 1108.00

        expected = cash0 - buy_value - buy_fees + sell_value - sell_fees
        assert cash_end == pytest.approx(expected, abs=1e-6)

    def test_small_order_pays_minimum_on_each_side(self):
        strategy, cash_end = _run_cerebro([50.0, 50.0, 50.0, 50.0], 100_000.0, 100)
        comms = [fill[3] for fill in strategy.fills]
        # 5,000 HKD: stamp 5 + SFC 0.14 (0.135 half up) + AFRC 0.01 + fee 0.28 + min 50
        assert comms == [pytest.approx(55.43), pytest.approx(55.43)]
        assert cash_end == pytest.approx(100_000.0 - 2 * 55.43)

    def test_base_class_does_not_rescale(self):
        info = HKCommInfo()
        assert info.stocklike
        assert info.getcommission(100, 400.0) == compute_fees(40_000.0).total
        assert info.getcommission(-100, 400.0) == compute_fees(40_000.0).total
        assert info.getoperationcost(100, 400.0) == 40_000.0
