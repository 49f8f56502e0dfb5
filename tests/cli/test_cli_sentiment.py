"""Tests for hkbt.cli.sentiment: `hkbt sentiment eval` and `hkbt sentiment score`."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from conftest import HELDOUT, REPO_ROOT


# --- hkbt sentiment eval / score ----------------------------------------------------------------------------------


def _strip(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def _run(args: list[str]):
    from click.testing import CliRunner

    from hkbt.cli.main import cli

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
        from hkbt.sentiment.stack import StackScorer

        stack_cut = "{:+.2f} / {:+.2f}".format(*StackScorer().class_thresholds)  # the shipped model's, from its file
        for word in ("accuracy", "macro-F1", "positive precision", "negative recall", "vader", "vader_fin",
                     "vader_fin_stack", "confusion", "-0.20 / +0.30", "-0.05 / +0.05", stack_cut):
            assert word in out, word

    def test_eval_says_when_the_stack_was_trained_on_the_file(self, tmp_path):
        result = _run(["sentiment", "eval", "--data", str(HELDOUT), "--scorer", "vader_fin_stack"])
        assert result.exit_code == 0, result.output
        assert ("vader_fin_stack learned from this very file (its training set heldout_headlines.csv): its figures here are "
                "in-sample") in _strip(result.stderr)
        fresh = tmp_path / "fresh.csv"
        fresh.write_bytes(HELDOUT.read_bytes() + b"Tencent shares rise,positive\n")  # one byte off: not a training file
        result = _run(["sentiment", "eval", "--data", str(fresh), "--scorer", "vader_fin_stack"])
        assert result.exit_code == 0 and "in-sample" not in result.stderr

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
        result = _run(["sentiment", "score", "--config", str(REPO_ROOT / "config.yaml"), "--scorer", "vader_fin",
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
