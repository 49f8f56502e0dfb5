"""Score news text from -1 (very negative) to +1 (very positive), with an on-disk cache.

Two scorers share one small interface, :class:`Scorer`, and are chosen by name
in the config (``sentiment.scorer``):

``vader``
    VADER's compound score, unchanged. The baseline.
``vader_fin``
    VADER plus hkbt's own finance, policy and AI lexicon
    (``hkbt/lexicons/vader_fin.txt``), so that words like "tariffs", "surge" or
    "rate cut" count the way a market reader takes them.

:func:`compute_sentiment` is the pipeline stage (news frame in, news frame with
a ``score`` column out); :func:`score_texts` does the work and keeps the cache.

Example::

    >>> scorer = get_scorer("vader_fin")
    >>> float(scorer.score(["US slaps new tariffs on Chinese tech"])[0]) < 0
    True

Warning: the score only looks at the text. When the text became *tradable* is
decided later by :mod:`hkbt.sessions`; don't join scores to prices by the news
timestamp alone.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import re
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from hkbt.errors import ConfigError, DataError

__all__ = [
    "Scorer",
    "VaderScorer",
    "VaderFinScorer",
    "SCORERS",
    "TEXT_FIELDS",
    "CACHE_FILE",
    "get_scorer",
    "score_texts",
    "compose_text",
    "compute_sentiment",
]

CACHE_FILE = "sentiment.sqlite"
"""Name of the score cache inside ``cache_dir``."""

TEXT_FIELDS = ("headline", "headline_body")
"""Allowed values of ``compute_sentiment(text=...)`` (config key ``sentiment.text``)."""

_BATCH = 256  # texts scored between two progress() calls
_SQL_CHUNK = 500  # hashes per SELECT ... IN (...), well under SQLite's variable limit


@runtime_checkable
class Scorer(Protocol):
    """What every sentiment scorer provides.

    Attributes:
        name: the registry name used in YAML, e.g. ``"vader_fin"``.
        version: changes whenever the scorer's output could change; it is part
            of the cache key, so a new version never reuses old scores.
    """

    name: str
    version: str

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Return one float64 in [-1, 1] per text (0 for an empty text)."""
        ...


def _vader_version() -> str:
    try:
        return importlib.metadata.version("vaderSentiment")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - vendored copy
        return "unknown"


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

    def __init__(self) -> None:
        self.version = f"1+vader{_vader_version()}"
        self._analyzer = SentimentIntensityAnalyzer()  # reads VADER's files once

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Return VADER's compound score for each text, float64 in [-1, 1]."""
        return _compound(self._analyzer, texts)


# --- the vader_fin lexicon --------------------------------------------------------------


def _phrase_token(words: Sequence[str]) -> str:
    return "_".join(words)


def _parse_lexicon(text: str, source: str = "vader_fin.txt") -> tuple[dict[str, float], dict[str, str]]:
    """Parse the lexicon file format (see the header of ``vader_fin.txt``).

    Returns:
        ``(entries, phrases)``: ``entries`` maps each single token VADER will see
        to its valence; ``phrases`` maps each multi-word phrase (words joined by
        one space, lower case) to the token it is rewritten to.

    Raises:
        ValueError: a malformed line, a weight outside [-4, 4] or a duplicate term;
            the message gives ``source:line``.
    """
    entries: dict[str, float] = {}
    phrases: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source}:{number}"
        columns = raw.rstrip("\n").split("\t")
        if len(columns) != 3:
            raise ValueError(f"{where}: expected 3 tab-separated columns (terms, weight, why), got {len(columns)}")
        terms, weight_text, why = (column.strip() for column in columns)
        try:
            weight = float(weight_text)
        except ValueError:
            raise ValueError(f"{where}: weight {weight_text!r} is not a number") from None
        if not -4.0 <= weight <= 4.0:
            raise ValueError(f"{where}: weight {weight} is outside VADER's range -4..4")
        if not why:
            raise ValueError(f"{where}: the 'why' column is empty")
        for term in (t.strip() for t in terms.split(",")):
            if not term or term != term.lower():
                raise ValueError(f"{where}: term {term!r} must be non-empty lower case")
            words = re.split(r"[\s-]+", term)
            token = _phrase_token(words) if len(words) > 1 else term
            if token in entries:
                raise ValueError(f"{where}: term {term!r} is listed twice")
            entries[token] = weight
            if len(words) > 1:
                phrases[" ".join(words)] = token
    return entries, phrases


def _compile_phrases(phrases: dict[str, str]) -> re.Pattern[str] | None:
    """One regex matching any phrase, longest first, words joined by spaces or hyphens."""
    if not phrases:
        return None
    ordered = sorted(phrases, key=lambda p: (-p.count(" "), -len(p), p))
    alternatives = (r"[\s\-]+".join(re.escape(word) for word in phrase.split(" ")) for phrase in ordered)
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])", re.IGNORECASE)


def _read_lexicon_file() -> str:
    return (importlib.resources.files("hkbt") / "lexicons" / "vader_fin.txt").read_text(encoding="utf-8")


class VaderFinScorer:
    """VADER with hkbt's finance/policy/AI lexicon laid over its own.

    Before scoring, multi-word phrases from the lexicon ("record high",
    "export controls", "sell-off") are rewritten to single tokens
    ("record_high", ...) because VADER only looks up one word at a time.

    ``version`` includes a hash of the lexicon file and the VADER version, so
    editing a weight invalidates cached scores without a manual bump.

    Args:
        lexicon_text: the lexicon in ``vader_fin.txt`` format; by default the
            file shipped in ``hkbt/lexicons/``. Meant for experiments and tests.
    """

    name = "vader_fin"

    def __init__(self, lexicon_text: str | None = None) -> None:
        text = _read_lexicon_file() if lexicon_text is None else lexicon_text
        entries, phrases = _parse_lexicon(text)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        self.version = f"1+vader{_vader_version()}+lex{digest}"
        self.entries = entries
        self.phrases = phrases
        self._phrase_re = _compile_phrases(phrases)
        self._analyzer = SentimentIntensityAnalyzer()  # reads VADER's files once
        # Each analyzer has its own lexicon dict, so this touches no other scorer.
        # Weight 0 means "not an opinion word here": drop it rather than keep a 0,
        # so that boosters like "very" next to it add nothing either.
        for token, weight in entries.items():
            if weight == 0:
                self._analyzer.lexicon.pop(token, None)
            else:
                self._analyzer.lexicon[token] = weight

    def join_phrases(self, text: str) -> str:
        """Rewrite lexicon phrases in ``text`` to their single tokens.

        >>> VaderFinScorer().join_phrases("Stocks hit a Record-High after the rate cut")
        'Stocks hit a record_high after the rate_cut'
        """
        if self._phrase_re is None:
            return text
        return self._phrase_re.sub(lambda m: self._token_for(m.group(0)), text)

    def _token_for(self, matched: str) -> str:
        return self.phrases[" ".join(re.split(r"[\s\-]+", matched.lower()))]

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Return the compound score of each text after phrase joining, float64 in [-1, 1]."""
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"scorers take str texts, got {type(text).__name__}: {text!r}")
        return _compound(self._analyzer, [self.join_phrases(text) for text in texts])


SCORERS: dict[str, Callable[[], Scorer]] = {
    VaderScorer.name: VaderScorer,
    VaderFinScorer.name: VaderFinScorer,
}
"""Registry: YAML name -> factory. Each call builds a fresh scorer."""


def get_scorer(name: str) -> Scorer:
    """Build the scorer registered as ``name``.

    Raises:
        ConfigError: ``name`` is not in :data:`SCORERS`.
    """
    try:
        factory = SCORERS[name]
    except (KeyError, TypeError):
        raise ConfigError(
            "sentiment.scorer", f"unknown scorer {name!r}", "choose one of: " + ", ".join(SCORERS)
        ) from None
    return factory()


# --- the score cache --------------------------------------------------------------------


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _open_cache(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(str(path.parent), f"cannot create the sentiment cache folder ({exc.strerror})",
                        "set sentiment.cache_dir to a writable folder, or null for no cache") from None
    try:
        conn = sqlite3.connect(path, timeout=30.0)
        conn.execute(
            "CREATE TABLE IF NOT EXISTS scores ("
            " scorer TEXT NOT NULL, version TEXT NOT NULL, text_hash TEXT NOT NULL,"
            " score REAL NOT NULL, PRIMARY KEY (scorer, version, text_hash))"
        )
    except sqlite3.DatabaseError as exc:
        raise DataError(
            str(path), f"cannot open the sentiment score cache ({exc})", "delete the file; it is rebuilt on the next run"
        ) from None
    return conn


def _cached_scores(conn: sqlite3.Connection, scorer: Scorer, hashes: list[str]) -> dict[str, float]:
    found: dict[str, float] = {}
    for start in range(0, len(hashes), _SQL_CHUNK):
        chunk = hashes[start : start + _SQL_CHUNK]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT text_hash, score FROM scores WHERE scorer = ? AND version = ? AND text_hash IN ({marks})",
            [scorer.name, scorer.version, *chunk],
        )
        found.update(rows)
    return found


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
    ``(scorer.name, scorer.version, sha256(text))``. Only texts missing from the
    cache are scored (each distinct text once, in batches), and the new scores
    are written in one transaction at the end.

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
    texts = list(texts)
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"texts must be str, got {type(text).__name__}: {text!r}")
    hashes = [_text_hash(text) for text in texts]
    unique: dict[str, str] = dict(zip(hashes, texts))  # hash -> text, first occurrence order

    if cache_dir is None:
        todo = list(unique)
        new = _score_batches([unique[h] for h in todo], scorer, progress)
        known = dict(zip(todo, new.tolist()))
        return np.array([known[h] for h in hashes], dtype=np.float64)

    path = Path(cache_dir) / CACHE_FILE
    conn = _open_cache(path)
    try:
        try:
            known = _cached_scores(conn, scorer, list(unique))
        except sqlite3.DatabaseError as exc:
            raise DataError(
                str(path), f"cannot read the sentiment score cache ({exc})", "delete the file; it is rebuilt on the next run"
            ) from None
        todo = [h for h in unique if h not in known]
        if todo:
            new = _score_batches([unique[h] for h in todo], scorer, progress)
            rows = [(scorer.name, scorer.version, h, s) for h, s in zip(todo, new.tolist())]
            with conn:  # one transaction; rolled back if anything fails
                conn.executemany("INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?)", rows)
            known.update(zip(todo, new.tolist()))
    finally:
        conn.close()
    return np.array([known[h] for h in hashes], dtype=np.float64)


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
    scorer: Scorer,
    *,
    text: str = "headline",
    cache_dir: Path | str | None = None,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Return a copy of ``news`` with a float64 column ``score`` in [-1, 1].

    Pure apart from the optional cache (see :func:`score_texts`).

    Args:
        news: one row per news item; needs ``headline``, and ``body`` when
            ``text="headline_body"`` (the body may be NaN or empty).
        scorer: e.g. ``get_scorer("vader_fin")``.
        text: ``"headline"`` scores the headline; ``"headline_body"`` scores
            ``headline + ". " + body`` (just the headline when the body is blank).
        cache_dir, progress: passed to :func:`score_texts`.

    Raises:
        ConfigError: ``text`` is not one of :data:`TEXT_FIELDS`.
        DataError: a needed column is missing.

    Example::

        >>> news = pd.DataFrame({"headline": ["Shares surge to record high", ""]})
        >>> compute_sentiment(news, get_scorer("vader_fin"))["score"].round(2).tolist()
        [0.78, 0.0]
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
    out["score"] = score_texts(compose_text(news, text), scorer, cache_dir=cache_dir, progress=progress)
    return out


def compose_text(news: pd.DataFrame, text: str = "headline") -> list[str]:
    """The text each item is judged by: scored here, and searched for companies and topics.

    ``"headline"`` -> the headline; ``"headline_body"`` -> headline and body
    joined as one passage (just the headline when the body is blank).

    >>> compose_text(pd.DataFrame({"headline": ["A", "B!"], "body": ["x", "y"]}), "headline_body")
    ['A. x', 'B! y']
    """
    headlines = ["" if _is_blank(h) else str(h) for h in news["headline"]]
    if text == "headline_body":
        return [_join_headline_body(h, b) for h, b in zip(headlines, news["body"])]
    return headlines
