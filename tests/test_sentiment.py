"""Tests for hkbt.sentiment: scorer direction, the vader_fin lexicon, the score cache, the stage."""

from __future__ import annotations

import doctest
import sqlite3
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import hkbt.sentiment
from conftest import REPO_ROOT, require_shared
from hkbt.errors import ConfigError, DataError
from hkbt.sentiment import (
    CACHE_FILE,
    SCORERS,
    Scorer,
    VaderFinScorer,
    VaderScorer,
    _parse_lexicon,
    compute_sentiment,
    get_scorer,
    score_texts,
)


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
            ("Gross margin widens", 0),  # VADER reads "gross" as disgust
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
        assert "shares" not in fin._analyzer.lexicon
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
        assert set(SCORERS) == {"vader", "vader_fin"}
        for name in SCORERS:
            scorer = get_scorer(name)
            assert isinstance(scorer, Scorer)
            assert scorer.name == name and scorer.version

    def test_unknown_name_is_config_error(self):
        with pytest.raises(ConfigError) as info:
            get_scorer("finbert")
        err = info.value
        assert err.where == "sentiment.scorer"
        assert err.what == "unknown scorer 'finbert'"
        assert err.fix == "choose one of: vader, vader_fin"
        assert str(err) == "sentiment.scorer: unknown scorer 'finbert' -> choose one of: vader, vader_fin"

    def test_docstring_examples(self):
        result = doctest.testmod(hkbt.sentiment, verbose=False)
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


# --- evaluation smoke test on real data -----------------------------------------------------


def _three_class_accuracy(scores: np.ndarray, labels: pd.Series) -> float:
    predicted = np.where(scores > 0.05, "positive", np.where(scores < -0.05, "negative", "neutral"))
    return float((predicted == labels.to_numpy()).mean())


def test_financial_phrasebank_vader_fin_not_worse_than_vader():
    """Financial PhraseBank (eval only, read in place): vader_fin must not lose to plain VADER.

    The file is Latin-1 encoded. The lexicon was not fitted to these sentences.
    """
    path = require_shared("sentiment", "financial_phrasebank_all.csv")
    fpb = pd.read_csv(path, encoding="latin-1")
    assert len(fpb) == 4846 and set(fpb["label"]) == {"positive", "neutral", "negative"}
    texts = fpb["news"].tolist()
    plain = _three_class_accuracy(VaderScorer().score(texts), fpb["label"])
    tuned = _three_class_accuracy(VaderFinScorer().score(texts), fpb["label"])
    print(f"FPB 3-class accuracy: vader={plain:.4f} vader_fin={tuned:.4f}")
    assert plain == pytest.approx(0.543, abs=0.005)  # the published VADER baseline on this file
    assert tuned >= plain
