"""Tests for hkbt.sentiment.fin_lexicon: malformed lexicon and rules files are refused with the line named."""

from __future__ import annotations

import doctest

import pytest

import hkbt.sentiment.fin_lexicon
from hkbt.sentiment.fin_lexicon import parse_lexicon
from hkbt.sentiment.vader_fin import VaderFinScorer


class TestLexiconFile:
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
            parse_lexicon("# comment\n\n" + text, source="x.txt")
        assert "x.txt:" in str(info.value)


class TestRulesFile:
    def test_rules_file_errors_name_the_line(self):
        with pytest.raises(ValueError, match="before the first @section"):
            VaderFinScorer(rules_text="rise\t1.0\twhy\n")
        with pytest.raises(ValueError, match="unknown section"):
            VaderFinScorer(rules_text="@sideways\nrise\t1.0\twhy\n")
        with pytest.raises(ValueError, match="@noun words must also be change words"):
            VaderFinScorer(rules_text="@noun\nwidget\t1.0\twhy\n")


def test_docstring_examples():
    result = doctest.testmod(hkbt.sentiment.fin_lexicon, verbose=False)
    assert result.attempted > 0 and result.failed == 0
