"""sentiment_long's choice among more candidates than free slots: an explicit order, ties shared or skipped."""

from __future__ import annotations

import pytest

from hkbt.backtest.selection import DEFAULT_RANK_BY, allocate_slots

from hand_made import bars, reasons, run_strategy, signal

NAMES = ["AAA.HK", "BBB.HK", "CCC.HK", "DDD.HK", "EEE.HK"]


class Candidate:
    def __init__(self, ticker: str, scope: str, score: float, count: int = 1) -> None:
        self.ticker, self.scope, self.score, self.count = ticker, scope, score, count


def picked(allocations) -> list[tuple[str, float, str]]:
    return [(a.candidate.ticker, round(a.units, 4), a.reason) for a in allocations]


def test_company_evidence_then_score_then_news_count():
    candidates = [Candidate("M1", "market", 0.9, 5), Candidate("T1", "theme", 0.8), Candidate("C1", "company", 0.55),
                  Candidate("C2", "company", 0.7), Candidate("C3", "company", 0.7, 3)]
    assert picked(allocate_slots(candidates, 3, DEFAULT_RANK_BY)) == [
        ("C3", 1.0, ""), ("C2", 1.0, ""), ("C1", 1.0, ""), ("T1", 0.0, "max_positions"), ("M1", 0.0, "max_positions")]
    # by score alone the market item is first
    assert [t for t, units, _ in picked(allocate_slots(candidates, 2, ["score"])) if units] == ["M1", "T1"]


def test_a_tie_that_does_not_fit_shares_the_free_slots_or_is_skipped_whole():
    tied = [Candidate(t, "market", 0.6) for t in ("B", "A", "C")]  # given out of ticker order on purpose
    assert picked(allocate_slots(tied, 2, DEFAULT_RANK_BY)) == [("B", 0.6667, ""), ("A", 0.6667, ""), ("C", 0.6667, "")]
    skipped = picked(allocate_slots(tied + [Candidate("D", "other", 0.9)], 2, DEFAULT_RANK_BY, ties="skip"))
    assert skipped == [("B", 0.0, "tie"), ("A", 0.0, "tie"), ("C", 0.0, "tie"), ("D", 0.0, "max_positions")]
    # a tie that fits is bought whole; fractional free slots (left by an earlier shared tie) are shared too
    assert picked(allocate_slots(tied, 3, DEFAULT_RANK_BY)) == [("B", 1.0, ""), ("A", 1.0, ""), ("C", 1.0, "")]
    assert picked(allocate_slots(tied[:1], 0.5, DEFAULT_RANK_BY)) == [("B", 0.5, "")]
    assert picked(allocate_slots(tied, 0, DEFAULT_RANK_BY))[0][2] == "max_positions"


def test_market_news_tying_every_name_buys_them_all_with_the_slots_shared():
    # Before this rule the ticker code chose: the first max_positions codes were bought, the rest never.
    prices = {t: bars(start=20.0 + i) for i, t in enumerate(NAMES)}
    sigs = [signal("2025-03-10", t, 0.7, "policy", market_wide=True) for t in NAMES]
    result = run_strategy("sentiment_long", prices, sigs, max_positions=2, lots={t: 1 for t in NAMES})
    buys = result.fills[result.fills.side == "buy"]
    assert sorted(buys.ticker) == NAMES
    # each gets 2/5 of a slot: 2/5 x 1/2 = a fifth of equity, within one share (lots of 1)
    for fill in buys.itertuples():
        target = 1_000_000 / 5 / (prices[fill.ticker].close.loc["2025-03-07"] * 1.02)
        assert target - 1 < fill.size <= target
    # the slots are full now: a later candidate has to wait
    later = run_strategy("sentiment_long", prices, sigs + [signal("2025-03-11", "AAA.HK", 0.9)], max_positions=2,
                         lots={t: 1 for t in NAMES})
    assert reasons(later)[("2025-03-11", "AAA.HK")] == "already_held"


def test_ties_skip_buys_none_of_them_and_says_why():
    prices = {t: bars() for t in NAMES}
    # four names tie on market news; EEE has its own, weaker company news
    sigs = [signal("2025-03-10", t, 0.7, "policy", market_wide=True) for t in NAMES[:4]] + [signal("2025-03-10", "EEE.HK", 0.55)]
    result = run_strategy("sentiment_long", prices, sigs, max_positions=3, ties="skip")
    buys = result.fills[result.fills.side == "buy"]
    assert list(buys.ticker) == ["EEE.HK"]  # the company item first, though its score is lower
    why = reasons(result)
    assert {why[("2025-03-10", t)] for t in NAMES[:4]} == {"tie"}
    detail = result.skipped.set_index("ticker").detail["AAA.HK"]
    assert "4 names tie on scope, score, news_count for 2 free slot(s)" in detail


@pytest.mark.parametrize("bad", [{"rank_by": ["ticker"]}, {"ties": "random"}, {"rank_by": []}])
def test_the_rule_is_checked(bad):
    from hkbt.backtest.discovery import find_strategy, validate_params
    from hkbt.errors import StrategyError

    with pytest.raises((StrategyError, ValueError)):
        validate_params(find_strategy("sentiment_long").cls, bad, {"policy": [], "ai": []})


def test_threshold_skips_say_the_score_was_weighted():
    prices = {t: bars() for t in NAMES[:1]}
    row = signal("2025-03-10", "AAA.HK", 0.36, "policy", market_wide=True) | {"score_mean": 0.9}
    result = run_strategy("sentiment_long", prices, [row])
    detail = result.skipped.detail.iloc[0]
    assert result.skipped.reason.iloc[0] == "threshold"
    assert detail == "+0.360 (after scope weights and memory; today's raw mean +0.900) < +0.500"
    assert result.fills.empty
