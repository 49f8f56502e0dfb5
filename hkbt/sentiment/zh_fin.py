"""zh_fin: hkbt's Chinese finance scorer (simplified and traditional Chinese).

A Hong Kong news feed is half Chinese; an English scorer reads every Chinese
headline as 0. :class:`ZhFinScorer` (registered as ``zh_fin`` in
:data:`hkbt.sentiment.scoring.SCORERS`) reads them with the same ideas as
:mod:`hkbt.sentiment.vader_fin`, on Chinese words:

1. **normalise**: full-width letters and digits to ASCII (NFKC), lower case, and
   traditional characters to simplified with OpenCC (:func:`hkbt.news.language.to_simplified`),
   Taiwan and Hong Kong words included (``騰訊股價上漲`` -> ``腾讯股价上涨``, ``晶片`` -> ``芯片``), so one lexicon
   serves both scripts;
2. **segment** into words with jieba (Chinese has no spaces), taught every term of
   the lexicon so that "创新高" or "立案调查" stay one word;
3. **score** with the project's lexicon and rules, ``hkbt/sentiment/lexicons/zh_fin.txt``:
   word valences, then the rules in :data:`ZH_RULES` (direction, negation, degree,
   hedge, contrast); the sum is normalised as VADER does, ``s / sqrt(s^2 + 15)``,
   so scores sit on vader_fin's scale and share its 3-class cut.

jieba and OpenCC are imported, and jieba's dictionary loaded (about 0.6 s, cached by
jieba in the temp folder), on the first text scored, never when the scorer is built:
a run without Chinese news never pays for them.

Example::

    >>> scorer = ZhFinScorer()
    >>> [round(float(s), 2) for s in scorer.score(["净利润同比增长40%", "亏损收窄", "成本上涨"])]
    [0.46, 0.46, -0.46]
    >>> e = scorer.explain("央行宣佈降準")  # traditional characters are read as simplified
    >>> [(rule, words) for rule, words, valence in e.fired]
    [('lexicon', '降准')]
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import math
import re
import unicodedata
from collections.abc import Sequence

import numpy as np

from hkbt.news.language import to_simplified
from hkbt.sentiment.fin_lexicon import parse_sections, read_lexicon_file
from hkbt.sentiment.vader_fin import RULE_VALENCE, Explanation

__all__ = ["ZhFinScorer", "ZH_RULES", "ENGINE_VERSION", "NORMALISE_ALPHA"]

ENGINE_VERSION = "2"
"""Bumped whenever the code below changes what a text scores (part of the cache key with the
lexicon's hash and the jieba and OpenCC versions)."""

NORMALISE_ALPHA = 15.0
"""VADER's normalisation constant: a summed valence ``s`` scores ``s / sqrt(s^2 + 15)``."""

ZH_RULES: dict[str, str] = {
    "lexicon": "a word of the zh_fin lexicon carries its valence: 利好 +2.5, 利空 -2.5, 降准 +2.0, "
    "制裁 -2.0, 立案调查 -2.5, 创新高 +2.5; a word before a restriction is part of its name (投资限制), "
    "and a verb that adds to a list counts only when the list has no sign of its own (纳入指数 +, 纳入黑名单 -)",
    "direction": "a change word applied to a financial quantity in the same clause takes its sign "
    "from both: more of a good quantity or less of a bad one is positive (净利润增长, 亏损收窄, "
    "取消关税, 下调lpr, 最高股息), less of a good one or more of a bad one is negative (营收下滑, "
    "成本上涨, 加征关税, 取消派息, 失业率创新高); the quantity word itself then counts for nothing. "
    "A quantity right after the change word (two words) is its object (加大资本开支); otherwise the "
    "quantity is looked for up to four words to the left, then four to the right; a quantity inside a "
    "cause (因补贴战暂停回购) is not the one that changed. A stock price or index that moved less than 0.5 % "
    "counts a quarter (恒指微跌0.2%); where a move started from is not news (从高位回落)",
    "negation": "a negation before a sentiment word in the same clause flips it: 不 / 未 / 无 x0.74 up "
    "to three words before (x-1 for a bad thing: 不会加征关税 is as good as 加征关税 is bad), "
    "没有 / 不会 / 无意 / 未能 (negations of a verb phrase) up to five "
    "(不会将小米列入实体清单). A word that stops a thing (遏制, 扭转, 暂停, 取消, 推迟, 限制, 禁止) "
    "x-1, up to seven words before (取消对中国电动车的额外关税): 遏制楼市下滑 and 限制做空 are good "
    "news, 推迟发布 and 限制投资 bad; its own valence then counts once, through what it stopped, and "
    "at least at its own weight (交付推迟). A negation before a stopping word flips again "
    "(未能扭转销售下滑 is bad news). After its object: a word that ends a bad thing "
    "(整改完成, 故障已修复, 就调查达成和解; before it too: 完成整改, 放宽限制) or any thing (从黑名单中剔除, 发布推迟, "
    "审查结束, 刺激措施没有出台) turns it round, unless the thing is the cause (因事故暂停运营, 罢工导致配送延误). "
    "被 before an overtaking word turns it round: 销量被问界反超 is bad news",
    "status_quo": "持平 / 不变 / 维持 / 符合预期 / 将于 / 任命 / 登记日 say nothing moved, or only "
    "housekeeping: the whole text counts x0.25, unless the word is negated (没有如期降息)",
    "degree": "a degree word up to two words before a sentiment word scales it: 大幅 / 强调 x1.5, "
    "遭 x1.3 (bad things only), 小幅 x0.5. The size of a change against expectations (幅度 / 力度 超预期) takes the sign of "
    "the change before it: 降息幅度超预期 is good news, 亏损扩大，幅度超出预期 bad",
    "hedge": "可能 / 或将 / 传 make the rest of their clause count x0.6, 有望 x0.8: not yet a fact",
    "contrast": "after 但 / 但是 / 然而 / 不过 / 却 the sentiment counts 1.5 times, before it half "
    "(VADER's 'but'); so after 后 / 之后, where what came first is backstory (连跌三日后反弹)",
}
"""Every zh_fin rule by name, with an example; ``ZhFinScorer.explain`` names these."""

_SECTIONS = frozenset(
    "words negation stop_after end_after cause result suffer passive overtake magnitude carrier degree hedge contrast status_quo".split()
    + "more_is_better more_is_worse market_price restriction up down".split()
)
# Clause ends. The enumeration comma 、 is not one ("营收、利润双双下降"), nor "." (decimals: 0.5).
_BOUNDARIES = frozenset("，。；！？：,;!?:|\n")
_LEFT_REACH = 4
_RIGHT_REACH = 4
_OBJECT_REACH = 2  # a quantity this close after a change word is its object, whatever stands before it
_NEGATION_REACH = 3  # 不, 未, 无: a one-character negation
_PHRASE_NEGATION_REACH = 5  # 不会, 没有, 无意: they scope over a verb phrase, 不会将小米列入实体清单
_STOP_REACH = 7  # a stopping word (factor -1: 暂停, 取消) reaches over 对…的: 取消对中国电动车的额外关税
_DEGREE_REACH = 2
_EXPECTATION_HOLDER = re.compile(r"(?<=[于过及出超合胜逊])(?:市场|分析师|华尔街|外界)(?:普遍|此前|的)?(?=预期)")
_SMALL_MOVE = 0.25
_CONTRAST_BEFORE, _CONTRAST_AFTER = 0.5, 1.5


def _small_move_clauses(words: list[str], clause: list[int]) -> set[int]:
    """The clauses that give a percentage under 0.5 % (jieba cuts "0.2%" into 0 . 2 %).

    >>> _small_move_clauses(["恒指", "跌", "0", ".", "2", "%", ",", "股价", "涨", "3", "%"], [0] * 6 + [1] * 5)
    {0}
    """
    small = set()
    for p, w in enumerate(words):
        if w != "%":
            continue
        k = p
        while k > 0 and (words[k - 1].isdigit() or words[k - 1] == "."):
            k -= 1
        try:
            if float("".join(words[k:p])) < 0.5:
                small.add(clause[p])
        except ValueError:
            continue
    return small


def _reach(word: str, factor: float) -> int:
    """How many words after it a negation acts: stopping words furthest, one-character words least."""
    if factor <= -1.0:
        return _STOP_REACH
    return _NEGATION_REACH if len(word) == 1 else _PHRASE_NEGATION_REACH


def _version_of(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - not installed
        return "missing"


class ZhFinScorer:
    """Chinese finance / policy / AI headlines -> a score in [-1, 1] (simplified or traditional).

    See the module docstring for the steps and :data:`ZH_RULES` for the rules;
    :meth:`explain` says which fired for a text.

    Args:
        lexicon_text: the lexicon in ``zh_fin.txt`` format; by default the file shipped
            in ``hkbt/sentiment/lexicons/``. Meant for experiments and tests.

    Raises:
        ValueError: a malformed lexicon line or an unknown ``@section`` (naming ``zh_fin.txt:line``).
    """

    name = "zh_fin"
    language = "zh"
    class_thresholds = (-0.2, 0.3)
    """3-class cut (negative, positive): vader_fin's, since the scores share VADER's normalisation."""

    def __init__(self, lexicon_text: str | None = None) -> None:
        text = read_lexicon_file("zh_fin.txt") if lexicon_text is None else lexicon_text
        sections = parse_sections(text, "zh_fin.txt")
        unknown = set(sections) - _SECTIONS
        if unknown:
            raise ValueError(f"zh_fin.txt: unknown section(s) {', '.join(sorted(unknown))}")
        get = lambda name: sections.get(name, ({}, {}))[0]  # noqa: E731
        self.words = {w: v for w, v in get("words").items() if v}
        self.negation = dict(get("negation"))
        self.stop_after = dict(get("stop_after"))
        self.end_after = dict(get("end_after"))
        self.cause = frozenset(get("cause"))
        self.result = frozenset(get("result"))
        self.passive = frozenset(get("passive"))
        self.magnitude = frozenset(get("magnitude"))
        self.carrier = frozenset(get("carrier"))
        self.overtake = frozenset(get("overtake"))
        self.status_quo = dict(get("status_quo"))
        self.degree = dict(get("degree"))
        self.suffer = dict(get("suffer"))
        self.hedge = dict(get("hedge"))
        self.contrast = frozenset(get("contrast"))
        # quantity -> (+1 more is better / -1 more is worse, weight); restrictions are "more is worse"
        self.quantity: dict[str, tuple[int, float]] = {}
        self.market_price = frozenset(get("market_price"))
        self.restriction = frozenset(get("restriction"))
        for name, polarity in (("more_is_better", 1), ("market_price", 1), ("more_is_worse", -1), ("restriction", -1)):
            for word, weight in get(name).items():
                self.quantity[word] = (polarity, weight)
        self.change: dict[str, tuple[int, float]] = {}
        for name, direction in (("up", 1), ("down", -1)):
            for word, strength in get(name).items():
                self.change[word] = (direction, strength)
        self.terms = sorted({term for entries, _ in sections.values() for term in entries})
        self._term_set = frozenset(self.terms)
        self._compound_terms = frozenset(t for t in self.terms if len(t) > 1)
        self._longest_term = max(map(len, self.terms), default=1)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        self.version = f"{ENGINE_VERSION}+jieba{_version_of('jieba')}+opencc{_version_of('opencc')}+lex{digest}"
        self._cut = None

    # -- text to words -----------------------------------------------------------------------

    def _load(self) -> None:
        """Import jieba, load its dictionary and teach it the lexicon (once)."""
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)  # it logs its dictionary loading at DEBUG to stderr
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        for term in self.terms:
            tokenizer.add_word(term)
        self._cut = tokenizer.lcut

    def normalise(self, text: str) -> str:
        """Full-width to ASCII, lower case, traditional to simplified; whose expectations is dropped.

        "优于市场预期" and "低于分析师预期" read as "优于预期" and "低于预期", so one lexicon entry
        covers every holder of the expectation.

        >>> ZhFinScorer().normalise("騰訊股價上漲５％，ＡＩ業務強勁")
        '腾讯股价上涨5%,ai业务强劲'
        >>> ZhFinScorer().normalise("業績優於市場預期")
        '业绩优于预期'
        """
        return _EXPECTATION_HOLDER.sub("", to_simplified(unicodedata.normalize("NFKC", text).lower()))

    def segment(self, text: str) -> list[str]:
        """The words of ``text`` after :meth:`normalise` (jieba, without its HMM guesser; spaces dropped).

        jieba's dictionary also holds compounds made of lexicon words ("利空消息", "降低成本");
        those are split into the lexicon words they contain (:meth:`_split_compound`).

        >>> ZhFinScorer().segment("阿里巴巴股价创新高，降低成本")
        ['阿里巴巴', '股价', '创新高', ',', '降低', '成本']
        """
        if self._cut is None:
            self._load()
        normal = self.normalise(text)
        terms = self._term_set
        words: list[str] = []
        for w in self._cut(normal, HMM=False):
            if w.isspace():
                continue
            if len(w) > 2 and w not in terms:
                words.extend(self._split_compound(w))
            else:
                words.append(w)
        return words

    def _split_compound(self, word: str) -> list[str]:
        """Split a word at the lexicon terms of two or more characters it contains, longest first.

        Single-character terms (不, 涨, 无) do not split a word: "无人驾驶" is not "no" + "piloting".

        >>> ZhFinScorer()._split_compound("利空消息")
        ['利空', '消息']
        """
        pieces: list[str] = []
        start = i = 0
        n = len(word)
        while i < n:
            for length in range(min(self._longest_term, n - i), 1, -1):
                if word[i : i + length] in self._compound_terms:
                    if start < i:
                        pieces.append(word[start:i])
                    pieces.append(word[i : i + length])
                    i += length
                    start = i
                    break
            else:
                i += 1
        if start < n:
            pieces.append(word[start:])
        return pieces

    # -- scoring -----------------------------------------------------------------------------

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Return the zh_fin score of each text, float64 in [-1, 1] (0 for an empty text)."""
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"scorers take str texts, got {type(text).__name__}: {text!r}")
        return np.fromiter((self._analyse(text, None) for text in texts), dtype=np.float64, count=len(texts))

    def explain(self, text: str) -> Explanation:
        """Score one text and say which rules fired, word by word.

        >>> e = ZhFinScorer().explain("遏制楼市下滑")
        >>> e.score > 0, [rule for rule, words, valence in e.fired]
        (True, ['direction', 'negation'])
        """
        if not isinstance(text, str):
            raise TypeError(f"scorers take str texts, got {type(text).__name__}: {text!r}")
        fired: list[tuple[str, str, float]] = []
        score = self._analyse(text, fired)
        return Explanation(" ".join(self.segment(text)) if text.strip() else "", score, fired)

    def _analyse(self, text: str, fired: list[tuple[str, str, float]] | None) -> float:  # noqa: C901 - zh_fin's rule engine (issue 9); one branch per rule
        if not text.strip():
            return 0.0
        words = self.segment(text)
        n = len(words)
        clause = [0] * n
        current = 0
        for i, w in enumerate(words):
            if w in _BOUNDARIES:
                current += 1
            clause[i] = current
        valence: list[float | None] = [self.words.get(w) for w in words]
        source = ["lexicon" if v is not None else "" for v in valence]
        spans: dict[int, str] = {}
        self._direction(words, clause, valence, source, spans)
        for i in range(n - 1):
            if valence[i] and source[i] == "lexicon" and words[i + 1] in self.restriction:
                valence[i] = None  # 投资限制: a compound's head is its last noun, restrictions on investment
            elif words[i] in self.carrier and any(valence[k] for k in range(i + 1, min(n, i + 5)) if clause[k] == clause[i]):
                valence[i] = None  # 纳入黑名单: the list decides

        notes: list[tuple[int, str, str, float]] = []  # (position, rule, words, factor) for explain
        contrast_at = max((i for i, w in enumerate(words) if w in self.contrast), default=None)
        hedge_from = {clause[i]: (i, self.hedge[w]) for i, w in reversed(list(enumerate(words))) if w in self.hedge}
        counted: dict[int, float] = {}  # position -> final valence of each sentiment word
        spent: set[int] = set()  # stopping words whose own valence went into the thing they stopped
        failed: dict[int, int] = {}  # clause -> where a stop in it is said to fail (未能遏制)
        for i, value in enumerate(valence):
            if not value or i in spent:
                continue
            if "预期" in words[i] and counted and any(words[k] in self.magnitude for k in range(max(0, i - 2), i)):
                changed = max(counted)  # 亏损扩大，幅度超出预期: the loss grew more than expected; the gap is the news
                value *= math.copysign(1.0, counted.pop(changed))
                notes.append((i, "degree", f"{words[changed]} … {words[i]} (a size against expectations)", 0.0))
            k = i - 1
            while k >= max(0, i - _STOP_REACH):  # "未能扭转销售下滑": a negation of a stopping word counts too
                if clause[k] != clause[i]:
                    break
                factor = self.negation.get(words[k])
                if factor is None and value < 0 and words[k] in self.stop_after:
                    factor = -1.0  # 完成整改: a word that ends a bad thing, before it too
                elif factor is None and words[i] in self.overtake and words[k] in self.passive:
                    factor = -1.0  # 销量被问界反超: overtaken
                if factor is not None and i - k <= _reach(words[k], factor):
                    if value < 0:
                        factor = min(factor, -1.0)  # 不会加征关税: no bad thing is good news at full weight
                    value *= factor
                    notes.append((i, "negation", f"{words[k]} → {words[i]}", factor))
                    if factor <= -1.0 and source[k] == "lexicon":  # 推迟发布: the delay counts once, through
                        spent.add(k)  # what it delays, and at least at its own weight (交付推迟)
                        value = math.copysign(max(abs(value), abs(valence[k] or 0.0)), value)
                    reach, i_from = 2, k
                    k -= 1
                    while k >= max(0, i_from - reach) and clause[k] == clause[i] and words[k] not in self.negation:
                        k -= 1
                    if k >= max(0, i_from - reach) and clause[k] == clause[i]:
                        value *= self.negation[words[k]]
                        notes.append((i, "negation", f"{words[k]} → {words[i_from]}", self.negation[words[k]]))
                        if factor <= -1.0 < self.negation[words[k]]:
                            failed.setdefault(clause[i], k)  # 救市措施未能遏制下跌: the rescue failed
                    break
                k -= 1
            for k in range(i + 1, min(len(words), i + 5)):  # "从黑名单中剔除", "连升告终": a stopping word after its object
                if clause[k] != clause[i] or words[k] in self.result:
                    break  # 罢工导致配送延误: the strike led to the delay, it was not put off
                if source[k] == "direction":
                    break  # 牌照因事故被暂停: 暂停 already has its object (牌照)
                if self._after_cause(words, i):
                    break  # 因事故暂停运营: the accident is why it stopped, not what stopped
                if words[k] in self.end_after or (value < 0 and words[k] in self.stop_after):
                    value = -math.copysign(max(abs(value), abs(valence[k] or 0.0)), value)
                    notes.append((i, "negation", f"{words[i]} ← {words[k]}", -1.0))
                    spent.add(k)
                    break
            for k in range(i - 1, max(-1, i - 1 - _DEGREE_REACH), -1):
                if clause[k] != clause[i]:
                    break
                factor = self.degree.get(words[k]) or (self.suffer.get(words[k]) if value < 0 else None)
                if factor is not None:
                    value *= factor
                    notes.append((i, "degree", f"{words[k]} → {words[i]} (x{factor:g})", factor))
                    break
            hedge = hedge_from.get(clause[i])
            if hedge is not None and hedge[0] < i:
                value *= hedge[1]
            if contrast_at is not None:
                value *= _CONTRAST_AFTER if i > contrast_at else _CONTRAST_BEFORE
            counted[i] = value
        for k in spent:
            counted.pop(k, None)
        for i, value in counted.items():
            if value > 0 and i < failed.get(clause[i], -1):
                counted[i] = -value  # the attempt that failed is bad news too
                notes.append((i, "negation", f"{words[i]} … {words[failed[clause[i]]]}", -1.0))
        quiet = 1.0  # the strongest status-quo factor in the text
        for i, w in enumerate(words):
            if w in self.status_quo and not (i > 0 and words[i - 1] in self.negation):  # 没有如期降息 moved
                quiet = min(quiet, self.status_quo[w])
                notes.append((i, "status_quo", f"{w} (x{self.status_quo[w]:g}: nothing moved)", 0.0))
        counted = {i: value * quiet for i, value in counted.items()}
        total = sum(counted.values())
        shown = [(i, source[i], spans.get(i, words[i]), value) for i, value in counted.items()]
        score = total / math.sqrt(total * total + NORMALISE_ALPHA)
        score = max(-1.0, min(1.0, score))
        if fired is not None:
            entries = shown + notes
            for start, factor in hedge_from.values():
                entries.append((start, "hedge", f"{words[start]} (x{factor:g} after it)", 0.0))
            if contrast_at is not None:
                entries.append((contrast_at, "contrast", f"{words[contrast_at]} (x0.5 before, x1.5 after)", 0.0))
            for _, rule, span, value in sorted(entries, key=lambda e: e[0]):
                fired.append((rule, span, round(value, 3) if rule in ("lexicon", "direction") else 0.0))
        return score

    def _after_cause(self, words: list[str], i: int) -> bool:
        """Is word ``i`` part of a cause (因 / 由于 up to three words before it)? 美团因补贴战暂停回购."""
        return any(words[k] in self.cause for k in range(max(0, i - 3), i))

    def _direction(  # noqa: C901 - zh_fin's rule engine (issue 9); one branch per rule
        self, words: list[str], clause: list[int], valence: list[float | None], source: list[str], spans: dict[int, str]
    ) -> None:
        """The direction rule, in place: a change word bound to a quantity gets a signed valence."""
        n = len(words)
        bound: dict[int, int] = {}  # change position -> quantity position
        small_moves = _small_move_clauses(words, clause)
        for i, w in enumerate(words):
            change = self.change.get(w)
            if change is not None and i > 0 and words[i - 1] == "从":
                valence[i] = None  # 从高位回落: where it started from is not news
                continue
            if change is None:
                continue
            j = None
            for k in range(i + 1, min(n, i + 1 + _OBJECT_REACH)):  # verb then object: 降低成本, 下调一年期lpr
                if clause[k] != clause[i] or words[k] in self.change:
                    break
                if words[k] in self.quantity:
                    j = k
                    while j + 1 < n and words[j + 1] in self.quantity and clause[j + 1] == clause[i]:
                        j += 1  # the head of a compound is its last noun: 撤销楼市辣招 lifts curbs
                    break
            for k in range(i - 1, max(-1, i - 1 - _LEFT_REACH), -1):
                if j is not None:
                    break
                if clause[k] != clause[i]:
                    break
                if words[k] in self.quantity and not self._after_cause(words, k):
                    j = k
                    break
                if k in bound:
                    break  # "销量增长带动股价上涨": the nearer change word has the subject
            if j is None:
                for k in range(i + 1, min(n, i + 1 + _RIGHT_REACH)):
                    if clause[k] != clause[i]:
                        break
                    if words[k] in self.quantity:  # "下调增长预期": 增长 is the quantity lowered
                        j = k
                        break
                    if words[k] in self.change:
                        break
            if j is None:
                continue
            direction, strength = change
            polarity, weight = self.quantity[words[j]]
            if words[j] in self.market_price and clause[i] in small_moves:
                weight *= _SMALL_MOVE  # 恒指微跌0.2%: a move a trader would call flat
            valence[i] = direction * polarity * RULE_VALENCE * strength * weight
            source[i] = "direction"
            spans[i] = f"{words[j]} … {w}" if j < i else f"{w} … {words[j]}"
            bound[i] = j
        for j in bound.values():
            valence[j] = None  # the quantity word itself is not an opinion
            if j in bound:  # "利润增长放缓": the outer change decides
                source[j] = ""
