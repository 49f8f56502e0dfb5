"""Overfitting guards: how much of the best backtest of a sweep is luck?

Trying many parameter combinations and keeping the best one inflates its Sharpe ratio:
even if no combination has any edge, the best of N noisy backtests looks good. Two
published corrections, both pure functions of the sweep's daily returns:

**Deflated Sharpe ratio** (Bailey & López de Prado, "The Deflated Sharpe Ratio", Journal
of Portfolio Management 40(5), 2014). The probability that the chosen combination's true
Sharpe ratio is above what the best of N *skill-less* trials would show by chance:

* the expected maximum Sharpe ratio of N trials with no skill, given the variance ``V`` of
  the trials' Sharpe ratios (γ is the Euler–Mascheroni constant, Φ⁻¹ the standard normal
  quantile)::

      SR0 = sqrt(V) * ((1 - γ) * Φ⁻¹(1 - 1/N) + γ * Φ⁻¹(1 - 1/(N e)))

* the probabilistic Sharpe ratio of the observed ``SR`` against that benchmark, over ``T``
  returns with skewness ``g3`` and kurtosis ``g4`` (non-excess: 3 for normal returns)::

      DSR = Φ( (SR - SR0) * sqrt(T - 1) / sqrt(1 - g3 * SR + (g4 - 1) / 4 * SR²) )

  All Sharpe ratios here are per period (daily, not annualised). A DSR of 0.95 or more is
  the usual bar for "not explained by the number of trials".

**Probability of backtest overfitting** (Bailey, Borwein, López de Prado & Zhu, "The
Probability of Backtest Overfitting", Journal of Computational Finance 20(4), 2017), by
combinatorially symmetric cross-validation (CSCV): cut the T x N matrix of daily returns
(one column per combination) into S equal blocks of consecutive rows; for every way of
choosing S/2 blocks as the in-sample half (the rest is out-of-sample), pick the best
combination in-sample and see where it ranks out-of-sample. Its relative rank
``w = rank / (N + 1)`` gives the logit ``λ = ln(w / (1 - w))``; PBO is the share of splits
with ``λ <= 0``, i.e. where the in-sample winner lands in the bottom half out-of-sample.
A PBO near 0.5 or above means picking the in-sample best is no better than picking at random.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from statistics import NormalDist

import numpy as np

from hkbt.backtest import return_stats as rs

EULER_GAMMA = 0.5772156649015329
_NORMAL = NormalDist()


def expected_max_sharpe(trials: int, variance: float) -> float:
    """Expected maximum of ``trials`` skill-less Sharpe ratios whose variance across trials is ``variance``.

    One trial (no selection) gives 0.

    >>> round(expected_max_sharpe(100, 1.0), 4)
    2.5306
    """
    if trials < 1:
        raise ValueError(f"need at least one trial (got {trials})")
    if trials == 1:
        return 0.0
    quantile = _NORMAL.inv_cdf
    spread = (1 - EULER_GAMMA) * quantile(1 - 1 / trials) + EULER_GAMMA * quantile(1 - 1 / (trials * math.e))
    return math.sqrt(variance) * spread


def probabilistic_sharpe_ratio(sharpe: float, benchmark: float, observations: int, skewness: float, kurtosis: float) -> float:
    """P(true Sharpe > ``benchmark``) given an observed per-period ``sharpe`` over ``observations`` returns.

    ``kurtosis`` is non-excess (3 for a normal distribution). NaN when the inputs leave no
    standard error (fewer than two observations, or a negative variance term).
    """
    variance = 1 - skewness * sharpe + (kurtosis - 1) / 4 * sharpe**2
    if observations < 2 or not variance > 0:
        return math.nan
    return _NORMAL.cdf((sharpe - benchmark) * math.sqrt(observations - 1) / math.sqrt(variance))


@dataclass(frozen=True)
class DeflatedSharpe:
    """The deflated Sharpe ratio of one chosen combination and what went into it (per-period Sharpe ratios)."""

    dsr: float
    sharpe: float
    expected_max_sharpe: float
    trials: int
    trials_sharpe_variance: float
    observations: int
    skewness: float
    kurtosis: float


def deflated_sharpe_ratio(returns: np.ndarray, trial_sharpes: np.ndarray) -> DeflatedSharpe:
    """DSR of the chosen combination's daily ``returns``, given the per-period Sharpe ratio of every trial.

    Args:
        returns: the chosen combination's daily returns (NaN removed).
        trial_sharpes: per-period Sharpe ratio of each combination tried, the chosen one
            included; combinations without one (a flat curve) are still trials and count in
            N, but not in the variance.
    """
    returns = np.asarray(returns, dtype=np.float64)
    returns = returns[~np.isnan(returns)]
    trial_sharpes = np.asarray(trial_sharpes, dtype=np.float64)
    finite = trial_sharpes[np.isfinite(trial_sharpes)]
    trials = len(trial_sharpes)
    variance = float(np.var(finite, ddof=1)) if len(finite) > 1 else 0.0
    sharpe = rs.sharpe(returns, periods=1)
    skewness, kurtosis = rs.skewness(returns), rs.kurtosis(returns)
    benchmark = expected_max_sharpe(trials, variance)
    dsr = probabilistic_sharpe_ratio(sharpe, benchmark, len(returns), skewness, kurtosis)
    return DeflatedSharpe(dsr, sharpe, benchmark, trials, variance, len(returns), skewness, kurtosis)


@dataclass(frozen=True)
class BacktestOverfitting:
    """CSCV result: PBO and, per split, the logit and the in-/out-of-sample Sharpe of the in-sample winner."""

    pbo: float
    splits: int
    blocks: int
    logits: np.ndarray
    in_sample: np.ndarray
    out_of_sample: np.ndarray

    @property
    def out_of_sample_loss_rate(self) -> float:
        """Share of splits where the in-sample winner lost money out-of-sample (Sharpe below 0)."""
        return float(np.mean(self.out_of_sample < 0)) if len(self.out_of_sample) else math.nan


def _split_sharpes(sums: np.ndarray, squares: np.ndarray, size: int, masks: np.ndarray) -> np.ndarray:
    """Per-period Sharpe ratio of every column over the blocks each mask row selects.

    ``sums``/``squares``: per block and column, the sum of returns and of squared returns
    (blocks of ``size`` rows). Means and sample variances of a union of blocks follow from
    those sums, so a split costs one small matrix product instead of a pass over the data.
    A column without variance (flat) gets NaN, which ranks below every real value.
    """
    n = size * masks.sum(axis=1, keepdims=True)
    total, total_sq = masks @ sums, masks @ squares
    mean = total / n
    variance = (total_sq - total * mean) / (n - 1)
    flat = variance <= 1e-12 * np.maximum(total_sq / n, 1e-300)  # zero up to rounding
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(flat, np.nan, mean / np.sqrt(np.where(flat, 1.0, variance)))


def _relative_ranks(values: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Per row, rank of ``values[row, chosen[row]]`` in its row (1 = lowest, ties averaged, NaN lowest) over N + 1."""
    filled = np.where(np.isnan(values), -np.inf, values)
    mine = filled[np.arange(len(filled)), chosen][:, None]
    below, equal = np.sum(filled < mine, axis=1), np.sum(filled == mine, axis=1)
    return (below + (equal + 1) / 2) / (values.shape[1] + 1)


def probability_of_backtest_overfitting(returns: np.ndarray, blocks: int = 16, chunk: int = 512) -> BacktestOverfitting:
    """PBO of choosing the best column of ``returns`` (T periods x N combinations) by Sharpe ratio, by CSCV.

    Args:
        returns: daily returns, one column per combination (at least two columns).
        blocks: S, an even number of blocks of consecutive rows (rows beyond the last whole
            block are dropped); all C(S, S/2) splits are evaluated (12,870 for S = 16).
        chunk: splits evaluated at once (bounds memory at about ``chunk x N`` floats).

    The in-sample winner is the first column with the highest in-sample Sharpe ratio.
    """
    returns = np.asarray(returns, dtype=np.float64)
    if returns.ndim != 2 or returns.shape[1] < 2:
        raise ValueError("need a T x N matrix with at least two combinations")
    if blocks < 2 or blocks % 2:
        raise ValueError(f"blocks must be an even number of at least 2 (got {blocks})")
    size = returns.shape[0] // blocks
    if size < 2:
        raise ValueError(f"{returns.shape[0]} periods cannot be cut into {blocks} blocks of at least 2")
    parts = np.nan_to_num(returns[: size * blocks]).reshape(blocks, size, returns.shape[1])
    sums, squares = parts.sum(axis=1), (parts**2).sum(axis=1)
    splits = list(combinations(range(blocks), blocks // 2))
    logits, inside, outside = [], [], []
    for start in range(0, len(splits), chunk):
        masks = np.zeros((len(splits[start : start + chunk]), blocks))
        for row, chosen_blocks in enumerate(splits[start : start + chunk]):
            masks[row, list(chosen_blocks)] = 1.0
        train = _split_sharpes(sums, squares, size, masks)
        test = _split_sharpes(sums, squares, size, 1.0 - masks)
        best = np.argmax(np.where(np.isnan(train), -np.inf, train), axis=1)
        rank = _relative_ranks(test, best)
        rows = np.arange(len(masks))
        logits.append(np.log(rank / (1 - rank)))
        inside.append(train[rows, best])
        outside.append(test[rows, best])
    logits_array = np.concatenate(logits)
    return BacktestOverfitting(
        pbo=float(np.mean(logits_array <= 0)), splits=len(logits_array), blocks=blocks, logits=logits_array,
        in_sample=np.concatenate(inside), out_of_sample=np.concatenate(outside),
    )
