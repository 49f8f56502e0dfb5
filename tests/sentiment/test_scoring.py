"""Tests for hkbt.sentiment.scoring: the scorer registry, the score cache and the pipeline stage."""

from __future__ import annotations

import doctest
import sqlite3
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import hkbt.sentiment.scoring
import hkbt.news.language
import hkbt.sentiment.vader_fin
import hkbt.sentiment.zh_fin
from conftest import HAVE_LM, REPO_ROOT, one
from hkbt.errors import ConfigError, DataError
from hkbt.sentiment.scoring import (
    CACHE_FILE,
    SCORERS,
    Scorer,
    VaderScorer,
    compute_sentiment,
    get_scorer,
    score_texts,
    scorers_for,
)
from hkbt.sentiment.vader_fin import VaderFinScorer


class CountingScorer:
    """Fake scorer: score = len(text) / 1000, and it records every text it is asked to score."""

    name = "counting"

    def __init__(self, version: str = "1") -> None:
        self.version = version
        self.seen: list[str] = []

    def score(self, texts):
        self.seen.extend(texts)
        return np.array([min(len(t), 1000) / 1000 for t in texts], dtype=np.float64)


# --- registry ----------------------------------------------------------------------------


class TestRegistry:
    def test_known_names(self):
        assert set(SCORERS) == {"vader", "vader_fin", "lm", "tfns_linear", "blend", "vader_fin_stack", "zh_fin"}
        for name in SCORERS:
            if name == "lm" and not HAVE_LM:
                continue
            scorer = get_scorer(name)
            assert isinstance(scorer, Scorer)
            assert scorer.name == name and scorer.version
            assert scorer.language == ("zh" if name == "zh_fin" else "en")

    def test_unknown_name_is_config_error(self):
        with pytest.raises(ConfigError) as info:
            get_scorer("finbert")
        err = info.value
        assert err.where == "sentiment.scorer"
        assert err.what == "unknown scorer 'finbert'"
        assert err.fix == "choose one of: vader, vader_fin, lm, tfns_linear, blend, vader_fin_stack, zh_fin"
        assert str(err) == (
            "sentiment.scorer: unknown scorer 'finbert' -> choose one of: vader, vader_fin, lm, tfns_linear, blend, vader_fin_stack, zh_fin"
        )

    @pytest.mark.parametrize("module", [hkbt.sentiment.scoring, hkbt.sentiment.vader_fin, hkbt.sentiment.zh_fin,
                                        hkbt.news.language], ids=lambda m: m.__name__)
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

    def test_a_negative_zero_is_the_same_zero_scored_or_cached(self, tmp_path):
        """SQLite stores -0.0 as 0.0: a fresh score must not differ from the cached one in its sign."""
        class NegativeZero(CountingScorer):
            def score(self, texts):
                return -np.zeros(len(texts))
        fresh = score_texts(["flat"], NegativeZero(), cache_dir=tmp_path)
        cached = score_texts(["flat"], NegativeZero(), cache_dir=tmp_path)
        uncached = score_texts(["flat"], NegativeZero())
        assert not np.signbit(fresh).any() and not np.signbit(cached).any() and not np.signbit(uncached).any()

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
            from hkbt.sentiment.scoring import score_texts

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


class TestScoreByLanguage:
    """A mapping of scorers scores each item with the scorer of its language, each with its own cache key."""

    @pytest.fixture
    def news(self) -> pd.DataFrame:
        return pd.DataFrame({"headline": ["Tencent shares rally", "腾讯股价大涨", "Meituan results due", "比亚迪销量下滑"],
                             "language": ["en", "zh", "en", "zh"]})

    def test_each_language_its_scorer(self, news, fin):
        zh = get_scorer("zh_fin")
        out = compute_sentiment(news, {"en": fin, "zh": zh})
        np.testing.assert_array_equal(out.score.to_numpy()[[0, 2]], fin.score(["Tencent shares rally", "Meituan results due"]))
        np.testing.assert_array_equal(out.score.to_numpy()[[1, 3]], zh.score(["腾讯股价大涨", "比亚迪销量下滑"]))
        assert out.score[1] > 0.3 and out.score[3] < -0.2

    def test_cache_per_scorer(self, news, tmp_path):
        en, zh = CountingScorer(), CountingScorer()
        zh.name = "counting_zh"
        compute_sentiment(news, {"en": en, "zh": zh}, cache_dir=tmp_path)
        assert en.seen == ["Tencent shares rally", "Meituan results due"] and zh.seen == ["腾讯股价大涨", "比亚迪销量下滑"]
        en2, zh2 = CountingScorer(), CountingScorer()
        zh2.name = "counting_zh"
        compute_sentiment(news, {"en": en2, "zh": zh2}, cache_dir=tmp_path)
        assert en2.seen == [] and zh2.seen == []

    def test_language_without_scorer_is_an_error_not_zero(self, news, fin):
        with pytest.raises(DataError, match="no scorer for language.*zh"):
            compute_sentiment(news, {"en": fin})
        with pytest.raises(DataError, match="no language column"):
            compute_sentiment(news.drop(columns="language"), {"en": fin})

    def test_scorers_for_config(self):
        from hkbt.config import Config

        scorers = scorers_for(Config())
        assert {k: v.name for k, v in scorers.items()} == {"en": "vader_fin_stack", "zh": "zh_fin"}
        only_en = Config.model_validate({"news": {"languages": ["en"]}, "sentiment": {"scorer": "vader"}})
        assert {k: v.name for k, v in scorers_for(only_en).items()} == {"en": "vader"}
