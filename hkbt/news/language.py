"""Stage 1b: which language is each news item written in?

A Hong Kong feed is half Chinese, and a scorer built for English reads a Chinese
headline as 0: neutral news, silently diluting every session it touches. So every
item gets a ``language`` (ISO 639-1 code: ``en``, ``zh``, ``ja`` ...) before it is
scored, and :func:`filter_languages` keeps only the languages the run has a scorer
for (``news.languages``, default ``[en, zh]``), counting the rest in one warning.

:func:`detect_languages` is the entry point (pure: texts in, codes out). It uses
the lingua language detector (offline; its models ship in the wheel) in two
passes, because asking about many languages at once is both slow and, on short
English headlines, wrong about 1 % of the time ("Lufthansa bailout talks hit snag,
drag on - Handelsblatt" reads as German):

1. **By script**, among languages whose writing systems differ: English (standing
   for any Latin-script text), Chinese (simplified and traditional), Japanese,
   Korean, Russian, Arabic, Thai. Fast (about 30,000 headlines/s on one core) and
   practically never wrong.
2. **Latin-script text that may not be English**, i.e. that has a letter with a
   diacritic ("schließt", "dévoile") or none of a few very common English function
   words ("the", "to", "of", "says" ...), is asked again among Latin-script
   languages (:data:`LATIN_LANGUAGES`); it is called non-English only when lingua is
   at least :data:`FOREIGN_CONFIDENCE` sure. On 7,096 real English headlines
   (Reuters, RTHK) this calls none foreign, while "Las acciones de Alibaba suben
   tras resultados" is Spanish.

Mixed text: an English headline that quotes a Chinese name ("Alibaba (阿里巴巴)
shares jump") is English when its Latin words outnumber its Chinese characters.
Text with no letters at all ("12345", "") is ``"und"`` (undetermined).

Example::

    >>> detect_languages(["Alibaba shares jump", "阿里巴巴股价大涨", "騰訊發布新模型", "12345"])
    ['en', 'zh', 'zh', 'und']
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import pandas as pd

from hkbt.sentiment.text_cache import Slot, cached_per_text

__all__ = [
    "UNDETERMINED",
    "SCRIPT_LANGUAGES",
    "LATIN_LANGUAGES",
    "FOREIGN_CONFIDENCE",
    "detect_languages",
    "detector_version",
    "filter_languages",
    "to_simplified",
]

UNDETERMINED = "und"
"""The code of a text with no letters (ISO 639-2's "undetermined")."""

SCRIPT_LANGUAGES = ("en", "zh", "ja", "ko", "ru", "ar", "th")
"""Pass 1: languages told apart by their writing system (``en`` stands for any Latin-script text)."""

LATIN_LANGUAGES = ("en", "fr", "de", "es", "pt", "it", "nl", "id", "vi")
"""Pass 2: Latin-script languages a finance feed from Asia or Europe may carry."""

FOREIGN_CONFIDENCE = 0.95
"""How sure lingua must be before a Latin-script text is called something other than English."""

# Common English function words and headline words that no other Latin-script language
# spells the same way ("s" and "u" are what is left of "Tesla's" and "U.S."); a text with one of them and no diacritic is English without asking
# pass 2, which is ten times slower. ("a", "in", "on", "as", "no" are left out: French,
# German, Portuguese, Spanish or Italian have them too.)
_ENGLISH_WORDS = frozenset(
    "the to of and for with from after says said its is are will amid over by at than be has have was "
    "were how what why new into about could would should this that up down out off while more first "
    "shares stocks market markets profit sales deal bank sees plans talks year hits cuts rises falls record "
    "biggest s u trade billion wall street against sources growth but economy business prices former quarter "
    "despite rise not firms chief court investors higher lower fears banks forecast wins names report board "
    "gains raises hopes faces launches extends back company companies jobs workers stake through weak ends "
    "oil".split()
)
_WORD_RE = re.compile(r"[a-z]+")
_NON_ASCII_LATIN = re.compile(r"[À-ɏ]")
_HAN_OR_KANA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_HAS_LETTER = re.compile(r"[A-Za-z]")
_NON_ASCII_LETTER = re.compile(r"[^\W\d_A-Za-z]")  # a letter (or CJK character) outside A-Z
_KNOWN_CODES = frozenset((*SCRIPT_LANGUAGES, *LATIN_LANGUAGES, UNDETERMINED))  # every answer _detect can give


@lru_cache(maxsize=None)
def _detector(codes: tuple[str, ...]):
    """A lingua detector for ``codes`` (built once per set; lingua loads each model on first use)."""
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in codes]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def _code(language) -> str:
    return UNDETERMINED if language is None else language.iso_code_639_1.name.lower()


def _maybe_not_english(text: str) -> bool:
    """Whether a Latin-script text needs pass 2: a diacritic, or no common English function word."""
    if _NON_ASCII_LATIN.search(text):
        return True
    return _ENGLISH_WORDS.isdisjoint(_WORD_RE.findall(text.lower()))


def _latin_language(text: str) -> str:
    """Pass 2 for one text: a Latin-script language other than English only when lingua is sure."""
    detector = _detector(LATIN_LANGUAGES)
    values = detector.compute_language_confidence_values(text)
    english = next(v.value for v in values if _code(v.language) == "en")
    return _code(values[0].language) if english <= 1.0 - FOREIGN_CONFIDENCE else "en"


def detect_languages(texts: Sequence[str], cache_dir: Path | str | None = None) -> list[str]:
    """The language of each text, as an ISO 639-1 code (``"und"`` when it has no letters).

    Pure and deterministic; the detector is built on the first text that needs it
    (lingua, imported lazily). Blank texts are ``"und"``. With ``cache_dir`` (the
    run's ``sentiment.cache_dir``) each text's answer is kept in the score cache
    (:mod:`hkbt.sentiment.text_cache`, under :func:`detector_version`), so a run
    over news seen before never loads the detector's models.

    Args:
        texts: headlines or short passages, as ``str``.
        cache_dir: folder of the cache file, or ``None`` for no cache.

    Returns:
        One code per text, in order, e.g. ``["en", "zh"]``.
    """
    slot = Slot("languages", (("version", detector_version()),), "language", _KNOWN_CODES.__contains__)
    return cached_per_text(texts, cache_dir, slot, _detect)


def _detect(texts: Sequence[str]) -> list[str]:
    """:func:`detect_languages` without a cache."""
    out: list[str] = []
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"texts must be str, got {type(text).__name__}: {text!r}")
        if not _NON_ASCII_LETTER.search(text):  # of the pass-1 languages, only English has ASCII letters
            code = "en" if _HAS_LETTER.search(text) else UNDETERMINED
        else:
            code = _code(_detector(SCRIPT_LANGUAGES).detect_language_of(text))
        if code in ("zh", "ja") and len(_LATIN_WORD.findall(text)) > len(_HAN_OR_KANA.findall(text)) / 2:
            code = "en"  # an English headline quoting a Chinese name
        if code == "en" and _maybe_not_english(text):
            code = _latin_language(text)
        out.append(code)
    return out


@lru_cache(maxsize=1)
def detector_version() -> str:
    """What the cached languages were worked out with: lingua's version and this module's source.

    Any edit to this file (its word lists, thresholds, rules) or another lingua
    release makes a new version, so no stale answer is ever reused.
    """
    try:
        lingua = importlib.metadata.version("lingua-language-detector")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a vendored copy
        lingua = "unknown"
    source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    return f"lingua {lingua}; language.py {source}"


@lru_cache(maxsize=1)
def _simplifiers():
    import opencc

    return opencc.OpenCC("t2s").convert, opencc.OpenCC("tw2sp").convert


def to_simplified(text: str) -> str:
    """Chinese text in simplified characters, Taiwan and Hong Kong words included (OpenCC ``tw2sp``).

    Other text, and text already in simplified characters, comes back unchanged: ``tw2sp`` also
    rewrites words it takes for Taiwan usage, and in mainland text those are plain words
    ("新增贷款" would become "添加贷款", "显著" "显着"), so it is applied only to text that has a
    traditional character (one that plain ``t2s`` changes). Lexicons and topic patterns are
    written in simplified Chinese; this makes them read traditional text too.

    >>> to_simplified("騰訊晶片業務強勁"), to_simplified("Tencent"), to_simplified("新增贷款显著增长")
    ('腾讯芯片业务强劲', 'Tencent', '新增贷款显著增长')
    """
    if not _HAN_OR_KANA.search(text):
        return text
    characters, words = _simplifiers()
    return text if characters(text) == text else words(text)


def filter_languages(news: pd.DataFrame, languages: Sequence[str]) -> tuple[pd.DataFrame, dict[str, int]]:
    """Pure: keep the items whose ``language`` is in ``languages``; count the rest by language.

    Args:
        news: items with a ``language`` column (see :func:`detect_languages`).
        languages: the codes to keep (``news.languages``).

    Returns:
        ``(kept, excluded)``: ``kept`` has the index reset; ``excluded`` maps each
        dropped language to its count, most frequent first.

    >>> news = pd.DataFrame({"headline": ["a", "b", "c"], "language": ["en", "ja", "ja"]})
    >>> kept, excluded = filter_languages(news, ["en", "zh"])
    >>> kept.headline.tolist(), excluded
    (['a'], {'ja': 2})
    """
    keep = news["language"].isin(list(languages))
    excluded = news.loc[~keep, "language"].value_counts()
    counts = {str(code): int(n) for code, n in sorted(excluded.items(), key=lambda kv: (-kv[1], kv[0]))}
    return news[keep].reset_index(drop=True), counts
