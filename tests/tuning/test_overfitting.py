"""Deflated Sharpe ratio and PBO (CSCV) against small cases worked out by hand."""

from __future__ import annotations

import math
from itertools import combinations
from statistics import NormalDist

import numpy as np
import pytest

from hkbt.tuning.overfitting import (
    EULER_GAMMA,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probabilistic_sharpe_ratio,
    probability_of_backtest_overfitting,
)

PHI = NormalDist()


def test_expected_max_sharpe_formula_and_simulation() -> None:
    # N = 2: (1 - g) * z(1/2) + g * z(1 - 1/(2e)); z(1/2) = 0
    assert expected_max_sharpe(2, 4.0) == pytest.approx(2.0 * EULER_GAMMA * PHI.inv_cdf(1 - 1 / (2 * math.e)))
    assert expected_max_sharpe(1, 4.0) == 0.0  # no selection, no inflation
    # it approximates the mean maximum of N standard normal draws (Bailey & Lopez de Prado's purpose)
    draws = np.random.default_rng(7).standard_normal((20_000, 100)).max(axis=1).mean()
    assert expected_max_sharpe(100, 1.0) == pytest.approx(draws, abs=0.05)
    with pytest.raises(ValueError):
        expected_max_sharpe(0, 1.0)


def test_deflated_sharpe_by_hand() -> None:
    r = np.array([0.01, -0.02, 0.03, 0.00, 0.02, -0.01])
    # mean 0.005; deviations .005 -.025 .025 -.005 .015 -.015
    # squares sum 1750e-6 -> sample variance 350e-6; population m2 = 1750e-6 / 6
    sharpe = 0.005 / math.sqrt(350e-6)
    m2 = 1750e-6 / 6
    skew = 0.0  # cubes cancel: 125 - 15625 + 15625 - 125 + 3375 - 3375 = 0 (e-9)
    kurt = (883_750e-12 / 6) / m2**2  # fourth powers: 625 + 390625 + 390625 + 625 + 50625 + 50625 (e-12)
    trials = np.array([sharpe, 0.1, -0.1])
    mean_t = (sharpe + 0.0) / 3
    variance = ((sharpe - mean_t) ** 2 + (0.1 - mean_t) ** 2 + (-0.1 - mean_t) ** 2) / 2
    sr0 = math.sqrt(variance) * ((1 - EULER_GAMMA) * PHI.inv_cdf(2 / 3) + EULER_GAMMA * PHI.inv_cdf(1 - 1 / (3 * math.e)))
    z = (sharpe - sr0) * math.sqrt(5) / math.sqrt(1 - skew * sharpe + (kurt - 1) / 4 * sharpe**2)

    result = deflated_sharpe_ratio(r, trials)
    assert result.sharpe == pytest.approx(sharpe)
    assert result.skewness == pytest.approx(skew, abs=1e-12)
    assert result.kurtosis == pytest.approx(kurt)
    assert result.trials == 3 and result.observations == 6
    assert result.trials_sharpe_variance == pytest.approx(variance)
    assert result.expected_max_sharpe == pytest.approx(sr0)
    assert result.dsr == pytest.approx(PHI.cdf(z))


def test_more_trials_deflate_more_and_one_trial_is_the_plain_psr() -> None:
    rng = np.random.default_rng(3)
    r = rng.normal(0.001, 0.01, 1000)
    sharpes = rng.normal(0.0, 0.03, 1000)
    one = deflated_sharpe_ratio(r, sharpes[:1])
    assert one.expected_max_sharpe == 0.0
    assert one.dsr == pytest.approx(probabilistic_sharpe_ratio(one.sharpe, 0.0, 1000, one.skewness, one.kurtosis))
    dsrs = [deflated_sharpe_ratio(r, sharpes[:n]).dsr for n in (2, 10, 100, 1000)]
    assert dsrs == sorted(dsrs, reverse=True) and dsrs[-1] < one.dsr


def test_flat_trials_count_as_trials_but_not_in_the_variance() -> None:
    r = np.array([0.01, -0.02, 0.03, 0.00, 0.02, -0.01])
    with_flat = deflated_sharpe_ratio(r, np.array([0.2, 0.1, np.nan]))
    assert with_flat.trials == 3
    assert with_flat.trials_sharpe_variance == pytest.approx(np.var([0.2, 0.1], ddof=1))


def test_psr_without_a_standard_error_is_nan() -> None:
    assert math.isnan(probabilistic_sharpe_ratio(0.5, 0.0, 1, 0.0, 3.0))
    assert math.isnan(probabilistic_sharpe_ratio(1.0, 0.0, 100, 5.0, 3.0))  # 1 - 5 + 0.5 < 0


def _two_block_case() -> np.ndarray:
    # rows 0-1 = block 0, rows 2-3 = block 1; per-period Sharpe by block:
    #   A: [.02 .04] -> .03 / .01414 = 2.12   [-.01 .01] -> 0
    #   B: [.00 .02] -> .01 / .01414 = 0.71   [.01 .03]  -> .02 / .01414 = 1.41
    return np.array([[0.02, 0.00], [0.04, 0.02], [-0.01, 0.01], [0.01, 0.03]])


def test_pbo_two_blocks_by_hand() -> None:
    # split 1: train block 0 -> A wins (2.12 > 0.71); test block 1: A 0 < B 1.41 -> A ranks 1 of 2 -> w = 1/3, logit < 0
    # split 2: train block 1 -> B wins (1.41 > 0);    test block 0: B 0.71 < A 2.12 -> w = 1/3, logit < 0
    result = probability_of_backtest_overfitting(_two_block_case(), blocks=2)
    assert result.splits == 2 and result.pbo == 1.0
    assert result.logits == pytest.approx([math.log(0.5), math.log(0.5)])
    assert result.in_sample == pytest.approx([0.03 / math.sqrt(2e-4), 0.02 / math.sqrt(2e-4)])
    assert result.out_of_sample == pytest.approx([0.0, 0.01 / math.sqrt(2e-4)])
    assert result.out_of_sample_loss_rate == 0.0


def test_pbo_is_zero_when_one_combination_is_best_everywhere() -> None:
    case = np.column_stack([_two_block_case(), [0.05, 0.06, 0.05, 0.06]])  # C: Sharpe 7.8 in both blocks
    result = probability_of_backtest_overfitting(case, blocks=2)
    # C wins in-sample and ranks 3 of 3 out-of-sample: w = 3/4, logit ln 3 > 0
    assert result.pbo == 0.0 and result.logits == pytest.approx([math.log(3)] * 2)


def test_pbo_matches_a_direct_computation_of_every_split() -> None:
    rng = np.random.default_rng(11)
    returns = rng.normal(0.0, 0.01, (120, 7)) + rng.normal(0.0, 0.001, 7)
    result = probability_of_backtest_overfitting(returns, blocks=6)
    parts = returns.reshape(6, 20, 7)
    logits = []
    for chosen in combinations(range(6), 3):
        train = np.concatenate([parts[i] for i in chosen])
        test = np.concatenate([parts[i] for i in range(6) if i not in chosen])
        s_train = train.mean(0) / train.std(0, ddof=1)
        s_test = test.mean(0) / test.std(0, ddof=1)
        best = int(np.argmax(s_train))
        rank = 1 + np.sum(s_test < s_test[best])
        w = rank / 8
        logits.append(math.log(w / (1 - w)))
    assert result.splits == 20
    assert result.logits == pytest.approx(logits)
    assert result.pbo == pytest.approx(np.mean(np.array(logits) <= 0))


def test_pbo_of_pure_noise_is_about_one_half_and_of_a_real_edge_is_low() -> None:
    rng = np.random.default_rng(5)
    noise = rng.normal(0.0, 0.01, (800, 40))
    assert probability_of_backtest_overfitting(noise, blocks=8).pbo == pytest.approx(0.5, abs=0.2)
    edge = noise.copy()
    edge[:, :5] += 0.004  # five combinations with a real, steady edge
    assert probability_of_backtest_overfitting(edge, blocks=8).pbo < 0.1


def test_pbo_flat_columns_rank_last_and_bad_shapes_are_refused() -> None:
    case = np.column_stack([_two_block_case(), np.zeros(4)])
    assert probability_of_backtest_overfitting(case, blocks=2).pbo == 1.0
    for bad, blocks in ((np.zeros((10, 1)), 2), (np.zeros((10, 3)), 3), (np.zeros((3, 3)), 2)):
        with pytest.raises(ValueError):
            probability_of_backtest_overfitting(bad, blocks=blocks)
