"""The one config schema behind config.yaml, ``--set`` and config.resolved.yaml.

``load_config(path, overrides)`` reads YAML with ``yaml.safe_load`` semantics,
applies ``--set a.b=value`` overrides, and validates everything with pydantic.
Any problem becomes one :class:`~hkbt.errors.ConfigError` naming the file, the
line (when the key is in the file) and the key::

    error: config.yaml:158: strategy.params.entry_threshold: must be between -1 and 1 (got 3)

Unknown keys are errors (``extra="forbid"``), with a close-match suggestion.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, Strict, ValidationError, ValidationInfo, field_validator, model_validator

from hkbt.errors import ConfigError, StrategyError
from hkbt.news.taxonomy import default_scope_words, default_taxonomy, default_themes
from hkbt.regex_risk import check_patterns
from hkbt.yaml_input import YAMLSyntaxError, load_yaml_file, parse_yaml

# matched with fullmatch: "$" would also accept a trailing newline
TICKER_RE = re.compile(r"\^?[A-Z0-9][A-Z0-9.=-]{0,19}")
RUN_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
TOPIC_NAME_RE = re.compile(r"[a-z][a-z0-9_]*")
MAX_CASH = 1e12  # HK$: any larger and share counts and fees lose precision in float arithmetic
MAX_LOT = 1_000_000  # shares per board lot (HKEX lots are 1 .. 100,000)
MAX_FEE = 1e6  # HK$ per order
MAX_SESSIONS = 2520  # ten years of sessions: the longest study horizon or beta window

DEFAULT_UNIVERSE = ["9988.HK", "0700.HK", "1810.HK", "9888.HK", "9999.HK", "9618.HK", "1211.HK", "0175.HK", "3690.HK"]
DEFAULT_LOT_SIZES = {
    "0700.HK": 100, "9988.HK": 100, "1810.HK": 200, "9888.HK": 50, "9999.HK": 100,
    "9618.HK": 50, "1211.HK": 500, "0175.HK": 1000, "3690.HK": 100,
}
DEFAULT_ALIASES = {
    # company names (English, simplified and traditional Chinese), US listings, founders and executives, products
    "9988.HK": ["Alibaba", "阿里巴巴", "BABA", "NYSE:BABA", "Ant Group", "Alibaba Cloud", "阿里云", "阿里雲",
                "阿里", "Alipay", "Jack Ma", "Ma Yun", "马云", "馬雲", "Joe Tsai", "蔡崇信", "Eddie Wu", "吴泳铭", "吳泳銘",
                "Qwen", "Tongyi", "通义千问", "通義千問", "Taobao", "淘宝", "淘寶", "Tmall", "天猫", "天貓",
                "Amap", "高德地图", "高德地圖", "Cainiao", "菜鸟", "菜鳥"],
    "0700.HK": ["Tencent", "腾讯", "騰訊", "TCEHY", "Pony Ma", "Ma Huateng", "马化腾", "馬化騰", "Martin Lau",
                "刘炽平", "劉熾平", "WeChat", "微信", "Hunyuan", "混元", "Yuanbao", "腾讯元宝", "騰訊元寶",
                "Honor of Kings", "王者荣耀", "王者榮耀", "Riot Games"],
    "1810.HK": ["Xiaomi", "小米", "XIACY", "Lei Jun", "雷军", "雷軍", "Lu Weibing", "卢伟冰", "盧偉冰",
                "SU7", "YU7", "HyperOS", "Xring", "Redmi"],
    "9888.HK": ["Baidu", "百度", "BIDU", "NASDAQ:BIDU", "Robin Li", "Li Yanhong", "李彦宏", "李彥宏",
                "Ernie", "文心一言", "Apollo Go", "萝卜快跑", "蘿蔔快跑", "Kunlunxin", "昆仑芯", "崑崙芯"],
    "9999.HK": ["NetEase", "网易", "網易", "NTES", "NASDAQ:NTES", "William Ding", "Ding Lei", "丁磊", "Youdao",
                "Marvel Rivals", "Eggy Party", "蛋仔派对", "蛋仔派對"],
    "9618.HK": ["JD.com", "JD", "京东", "京東", "NASDAQ:JD", "Richard Liu", "Liu Qiangdong", "刘强东", "劉強東",
                "Sandy Xu"],
    "1211.HK": ["BYD", "比亚迪", "比亞迪", "BYDDY", "Wang Chuanfu", "王传福", "王傳福", "Denza", "腾势", "騰勢",
                "Fangchengbao", "方程豹"],
    "0175.HK": ["Geely", "吉利", "Zeekr", "极氪", "極氪", "Lynk & Co", "领克", "領克", "Li Shufu", "李书福", "李書福"],
    "3690.HK": ["Meituan", "美团", "美團", "Keeta", "Dianping", "大众点评", "大眾點評", "Wang Xing", "王兴", "王興", "LongCat"],
}
DEFAULT_FEEDS = [
    {"name": "rthk_en_finance", "kind": "rss", "url": "https://rthk.hk/rthk/news/rss/e_expressnews_efinance.xml",
     "language": "en", "source": "RTHK"},
    {"name": "rthk_en_greaterchina", "kind": "rss", "url": "https://rthk.hk/rthk/news/rss/e_expressnews_egreaterchina.xml",
     "language": "en", "source": "RTHK"},
    {"name": "rthk_zh_finance", "kind": "rss", "url": "https://rthk.hk/rthk/news/rss/c_expressnews_cfinance.xml",
     "language": "zh", "source": "RTHK"},
    {"name": "scmp_business", "kind": "rss", "url": "https://www.scmp.com/rss/92/feed", "language": "en", "source": "SCMP"},
    {"name": "gdelt_hk_tech", "kind": "gdelt",
     "query": '(Alibaba OR Tencent OR Xiaomi OR Baidu OR NetEase OR "JD.com" OR BYD OR Geely OR Meituan)'},
    {"name": "gdelt_china_ai", "kind": "gdelt", "query": '(DeepSeek OR Qwen OR "Chinese AI" OR "China AI")'},
    {"name": "gdelt_china_policy", "kind": "gdelt",
     "query": '(Politburo OR PBOC OR "State Council" OR "Xi Jinping") (stimulus OR economy OR "private sector")'},
    {"name": "yahoo_hk_tech", "kind": "yfinance", "tickers": list(DEFAULT_UNIVERSE), "max_items": 10},
]
FEED_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


class _Model(BaseModel):
    """Every config section: unknown keys are errors, numbers must be finite and are never booleans."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool) and info.field_name and expects_number(cls.model_fields[info.field_name].annotation):
            raise ValueError(f"must be a number, not {str(value).lower()}")
        return value


def expects_number(annotation: Any) -> bool:
    """True for ``int``, ``float`` and their optional forms (where YAML's ``true`` must not become 1).

    >>> expects_number(int), expects_number(float | None), expects_number(bool), expects_number(list[int])
    (True, True, False, False)
    """
    if annotation in (int, float):
        return True
    args = get_args(annotation)
    return bool(args) and get_origin(annotation) is not list and get_origin(annotation) is not dict and all(
        a in (int, float, type(None)) for a in args) and any(a in (int, float) for a in args)


def _check_ticker(ticker: str) -> str:
    if not isinstance(ticker, str) or not TICKER_RE.fullmatch(ticker):
        raise ValueError(f"{ticker!r} is not a ticker (expected Yahoo style, e.g. 9988.HK or ^HSI)")
    return ticker


def _check_lot(lot: int) -> int:
    if not 1 <= lot <= MAX_LOT:
        raise ValueError(f"a lot size must be at least 1 share and at most {MAX_LOT:,} (got {lot})")
    return lot


class RunConfig(_Model):
    """What to run: name of the output folder, window and starting capital."""

    name: str = Field("default", description="output folder: backtests/<name>/ (letters, digits, _ - . only)")
    start: date = Field(date(2024, 3, 25), description="first calendar day of the backtest (first XHKG session on/after it)")
    end: date = Field(date(2025, 5, 30), description="last calendar day (inclusive)")
    initial_cash: float = Field(1_000_000.0, gt=0, le=MAX_CASH, description="starting capital, HKD")
    output_dir: Path = Field(Path("backtests"), description="where run folders are written")

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        if not RUN_NAME_RE.fullmatch(value) or ".." in value:
            raise ValueError(
                f"{value!r} is not a safe run name (letters, digits, '_', '-', '.'; no '/' or '..')"
            )
        return value

    @field_validator("end")
    @classmethod
    def _window(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError(f"must be after run.start ({start}) (got {end})")
        return end


class UniverseConfig(_Model):
    """Which names may be traded, how they are found in text, and their board lots."""

    tickers: list[str] = Field(default_factory=lambda: list(DEFAULT_UNIVERSE), min_length=1, description="names the strategy may buy")
    benchmark: str = Field("^HSI", description="buy-and-hold index (no costs: an index cannot be traded)")
    proxy: str | None = Field(None, description="optional tradable benchmark paying the same costs, e.g. 2800.HK (add its lot size)")
    lot_sizes: dict[str, Annotated[int, Strict(), AfterValidator(_check_lot)]] = Field(default_factory=lambda: dict(DEFAULT_LOT_SIZES),
                                      description="board lot in shares: orders are rounded DOWN to whole lots")
    aliases: dict[str, list[str]] = Field(
        default_factory=lambda: {t: list(a) for t, a in DEFAULT_ALIASES.items()},
        description="how a company is recognised in text when the news row names no ticker")

    @field_validator("tickers")
    @classmethod
    def _tickers(cls, value: list[str]) -> list[str]:
        for ticker in value:
            _check_ticker(ticker)
        if len(set(value)) != len(value):
            raise ValueError("tickers are listed twice")
        return value

    @field_validator("benchmark", "proxy")
    @classmethod
    def _one_ticker(cls, value: str | None) -> str | None:
        return None if value is None else _check_ticker(value)

    @field_validator("lot_sizes")
    @classmethod
    def _lots(cls, value: dict[str, int]) -> dict[str, int]:
        for ticker in value:
            _check_ticker(ticker)
        return value

    @model_validator(mode="after")
    def _every_ticker_has_a_lot(self) -> UniverseConfig:
        traded = list(self.tickers) + ([self.proxy] if self.proxy else [])
        missing = [t for t in traded if t not in self.lot_sizes]
        if missing:
            raise ValueError(f"no lot size for {', '.join(missing)}: add them under universe.lot_sizes")
        return self


class NewsColumns(_Model):
    """Names of the columns in the news file (map a real feed without editing it)."""

    published_at: str = Field("published_at", description="ISO 8601 time (required)")
    headline: str = Field("headline", description="required")
    body: str = Field("body", description="optional lead/body text")
    source: str = Field("source", description="optional publisher name")
    url: str = Field("url", description="optional link; also the basis of the stable news_id")
    tickers: str = Field("tickers", description='optional ";"-separated tickers, e.g. 9988.HK;0700.HK')


class FeedConfig(_Model):
    """One source ``hkbt news fetch`` collects from (an entry of ``news.feeds``)."""

    name: str = Field(description="the feed's name in the store (lower-case letters, digits, _ - .)")
    kind: Literal["rss", "atom", "gdelt", "yfinance"] = Field(
        description="rss | atom (feedparser), gdelt (a GDELT DOC API query), yfinance (Ticker.get_news per ticker)")
    url: str | None = Field(None, description="rss/atom: the feed's URL; gdelt: another endpoint (default GDELT's)")
    query: str | None = Field(None, description='gdelt: the query, in GDELT syntax ("phrase", (a OR b), sourcelang:chinese)')
    language: str = Field("", description="ISO code of the feed's items (default: what the feed or item says, else detected)")
    tickers: list[str] = Field(default_factory=list, description="yfinance: the tickers asked for; others: attached to every item")
    source: str | None = Field(None, description="publisher name (default: the channel title, GDELT domain or Yahoo provider)")
    max_items: int = Field(75, ge=1, le=250, description="gdelt: articles per query; yfinance: stories per ticker")
    timespan: str = Field("1d", description="gdelt: how far back a query looks (15min, 6h, 1d, 2w, 3m)")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not FEED_NAME_RE.match(value):
            raise ValueError(f"{value!r} is not a feed name (lower-case letters, digits, '_', '-', '.')")
        return value

    @field_validator("tickers")
    @classmethod
    def _tickers(cls, value: list[str]) -> list[str]:
        for ticker in value:
            _check_ticker(ticker)
        return value

    @field_validator("url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("timespan")
    @classmethod
    def _timespan(cls, value: str) -> str:
        if not re.match(r"^[1-9][0-9]*(?:min|h|d|w|m)$", value):
            raise ValueError(f"{value!r} is not a GDELT timespan (e.g. 15min, 6h, 1d, 2w, 3m)")
        return value

    @model_validator(mode="after")
    def _what_to_fetch(self) -> FeedConfig:
        if self.kind in ("rss", "atom") and not self.url:
            raise ValueError(f"feed {self.name}: kind {self.kind} needs a url")
        if self.kind == "gdelt" and not self.query:
            raise ValueError(f"feed {self.name}: kind gdelt needs a query (GDELT DOC API syntax)")
        if self.kind == "yfinance" and not self.tickers:
            raise ValueError(f"feed {self.name}: kind yfinance needs tickers (one request per ticker)")
        return self


class FetchConfig(_Model):
    """How politely ``hkbt news fetch`` asks: time limits, retries, identity, spacing."""

    timeout_seconds: float = Field(20.0, gt=0, le=300, description="per request, connecting and reading included")
    retries: int = Field(3, ge=0, le=10, description="extra tries after a timeout, HTTP 429 or 5xx")
    backoff_seconds: float = Field(2.0, ge=0, le=600,
                                   description="wait before retry n: backoff_seconds * 2^n (or the server's Retry-After)")
    user_agent: str = Field("hkbt/0.1 (news-sentiment backtester; https://github.com/hkbt)", description="who is asking")
    gdelt_interval_seconds: float = Field(5.0, ge=0, le=600, description="GDELT asks for at most one request every 5 seconds")


class StoreFilters(_Model):
    """Which stored items a run reads (``news.store``); empty lists mean all."""

    sources: list[str] = Field(default_factory=list, description="publishers, e.g. [RTHK, SCMP]")
    feeds: list[str] = Field(default_factory=list, description="feed names or import:<file name>")
    since: date | None = Field(None, description="first publication day (news.timezone), e.g. 2025-01-01")
    until: date | None = Field(None, description="last publication day, inclusive")

    @model_validator(mode="after")
    def _window(self) -> StoreFilters:
        if self.since and self.until and self.until < self.since:
            raise ValueError(f"until ({self.until}) is before since ({self.since})")
        return self


class NewsConfig(_Model):
    """Where news comes from and how to read it."""

    path: Path = Field(Path("data/news/hk_tech_sample.csv"), description="CSV or JSON Lines (.jsonl)")
    format: Literal["auto", "csv", "jsonl"] = Field("auto", description="auto (by suffix) | csv | jsonl")
    timezone: str = Field("Asia/Hong_Kong", description="zone for timestamps written without a UTC offset (counted in a warning)")
    columns: NewsColumns = Field(default_factory=NewsColumns, description="the file's column name for each field; map a real feed here")
    languages: list[Literal["en", "zh"]] = Field(
        default_factory=lambda: ["en", "zh"], min_length=1,
        description="languages kept, detected per item (en, zh); items in other languages are dropped and counted in one warning")
    store: Path | None = Field(None, description="a news store (e.g. data/news.db, see `hkbt news`) to read INSTEAD of path")
    timestamp: Literal["auto", "published", "first_seen", "later_of"] = Field(
        "auto", description="with store: when an item may trade from: published | first_seen | later_of | "
                            "auto (later_of for fetched items, published for imported archives)")
    filters: StoreFilters = Field(default_factory=StoreFilters, description="with store: which items a run reads ([] = all)")
    fetch: FetchConfig = Field(default_factory=FetchConfig, description="how `hkbt news fetch` asks (politely)")
    feeds: list[FeedConfig] = Field(
        default_factory=lambda: [FeedConfig(**feed) for feed in DEFAULT_FEEDS],
        description="what `hkbt news fetch` collects: name, kind and what to ask (url or query or tickers), "
                    "optional language, tickers, source, max_items, timespan")

    @field_validator("feeds")
    @classmethod
    def _unique_feeds(cls, value: list[FeedConfig]) -> list[FeedConfig]:
        names = [feed.name for feed in value]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"feed names must be unique ({', '.join(twice)} appear more than once)")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Hong_Kong, UTC)") from None
        return value


class SentimentConfig(_Model):
    """How headlines become a score in [-1, 1]."""

    scorer: str = Field("vader_fin_stack", description="English: vader_fin_stack (vader_fin's rules + a trained model on "
                                                       "their output and the words) | vader_fin (VADER + finance and event "
                                                       "rules) | vader (plain VADER) | tfns_linear (trained model) | blend "
                                                       "(vader_fin + tfns_linear) | lm (optional extra: pip install -e '.[lm]')")
    zh_scorer: str = Field("zh_fin", description="Chinese, simplified and traditional: zh_fin (jieba words + hkbt's Chinese lexicon and rules)")
    text: Literal["headline", "headline_body"] = Field(
        "headline", description="headline | headline_body: what is scored, tagged and searched for companies")
    cache_dir: Path | None = Field(Path("data/cache"), description="on-disk score cache (null = no cache)")
    positive_threshold: float = Field(
        0.3, ge=-1, le=1, description="vader_fin score >= this counts as positive in `hkbt sentiment eval/score` (chosen once on FPB)")
    negative_threshold: float = Field(
        -0.2, ge=-1, le=1, description="vader_fin score <= this counts as negative; vader and lm use their authors' +/-0.05")

    @field_validator("scorer", "zh_scorer")
    @classmethod
    def _registered(cls, value: str, info: ValidationInfo) -> str:
        from hkbt.sentiment.scoring import SCORERS

        language = "zh" if info.field_name == "zh_scorer" else "en"
        known = [name for name, factory in SCORERS.items() if getattr(factory, "language", None) == language]
        if value not in known:
            raise ValueError(f"must be a registered {'Chinese' if language == 'zh' else 'English'} scorer: {', '.join(known)}")
        return value

    @model_validator(mode="after")
    def _class_cut(self) -> SentimentConfig:
        if self.negative_threshold >= self.positive_threshold:
            raise ValueError(
                f"negative_threshold ({self.negative_threshold}) must be below positive_threshold ({self.positive_threshold})"
            )
        return self


class ThemeConfig(_Model):
    """One theme: the words that name it and the tickers its news reaches, with what weight."""

    keywords: list[str] = Field(default_factory=list, description="regexes that name the theme on their own")
    with_china: list[str] = Field(default_factory=list, description="regexes that name it beside a scopes.china word")
    tickers: list[str] | Literal["universe"] = Field(description="the tickers its news reaches (a list, or universe)")
    weight: float | None = Field(None, ge=0, le=1, description="how much its news counts (null = signals.scope_weights.theme)")

    @field_validator("keywords", "with_china")
    @classmethod
    def _compile(cls, value: list[str], info: ValidationInfo) -> list[str]:
        check_patterns(value, info.field_name)  # valid, and no catastrophic backtracking (hkbt.regex_risk)
        return value

    @field_validator("tickers")
    @classmethod
    def _tickers(cls, value: list[str] | str) -> list[str] | str:
        if isinstance(value, list):
            for ticker in value:
                _check_ticker(ticker)
        return value


class ScopeWeights(_Model):
    """How much an item counts for a ticker it reaches, by the item's scope (0 = ignored)."""

    company: float = Field(1.0, ge=0, le=1, description="names the company")
    theme: float = Field(0.6, ge=0, le=1, description="about a theme the ticker belongs to (a theme's own weight: wins)")
    market: float = Field(0.4, ge=0, le=1, description="China / HK economy and policy (reaches every ticker)")
    other: float = Field(0.0, ge=0, le=1, description="foreign markets, foreign firms, the rest")


class NoveltyConfig(_Model):
    """When a near-duplicate headline counts once (see hkbt.news.novelty)."""

    window_hours: float = Field(12.0, ge=0, le=24 * 14, description="... when published at most this long after the first (0 = off)")
    similarity: float = Field(0.6, gt=0, le=1, description="... and sharing at least this share of their headline words (Jaccard)")


class SignalsConfig(_Model):
    """How scored news become per-session trading signals (see hkbt.news.signals)."""

    cutoff_before_open_minutes: int = Field(
        30, ge=0, le=600, description="news must be published before open - this (09:00 HKT) to trade at that open")
    market_wide_policy: Annotated[bool, Strict()] = Field(
        True, description="market news (and other news, if its weight is above 0) tagged policy reaches every ticker")
    aggregate: Literal["mean", "sum", "max_abs", "decay"] = Field(
        "decay", description="mean | sum | max_abs | decay (a mean over this and recent sessions, older items weigh less)")
    half_life_sessions: float = Field(
        1.0, gt=0, le=60, description="decay: an item's weight halves every this many sessions; it counts for 4 half-lives")
    scope_weights: ScopeWeights = Field(default_factory=ScopeWeights, description="how much an item counts for a ticker it reaches, by scope (0 = ignored)")
    min_abs_score: float = Field(
        0.05, ge=0, lt=1, description="items scoring closer to 0 than this do not count (a neutral item does not dilute)")
    novelty: NoveltyConfig = Field(
        default_factory=NoveltyConfig, description="a near-duplicate headline (several sources, one story) counts once, and is still cited")


class PricesConfig(_Model):
    """Where daily OHLCV bars come from."""

    source: str = Field("yfinance", description="yfinance (download, cached) | csv (a folder of <TICKER>.csv) | synthetic (offline demo only)")
    csv_dir: Path = Field(Path("../shared/data/prices"), description="with source=csv: folder of <TICKER>.csv (^HSI -> HSI.csv)")
    csv_files: dict[str, Path] = Field(
        default_factory=dict, description="with source=csv: a file per ticker instead, e.g. {^HSI: alt/HSI_1986-12-31_2024-08-05.csv}")
    cache_dir: Path = Field(Path("data/prices"), description="with source=yfinance: per-ticker CSV cache, refreshed only for missing dates")
    seed: int = Field(7, ge=0, le=2**32 - 1, description="with source=synthetic: random seed of the simulated market")

    @field_validator("source")
    @classmethod
    def _registered(cls, value: str) -> str:
        from hkbt.prices import PRICE_SOURCES

        if value not in PRICE_SOURCES:
            raise ValueError(f"must be a registered price source: {', '.join(PRICE_SOURCES)}")
        return value

    @field_validator("csv_files")
    @classmethod
    def _ticker_keys(cls, value: dict[str, Path]) -> dict[str, Path]:
        for ticker in value:
            _check_ticker(ticker)
        return value


class StrategyConfig(_Model):
    """Which strategy runs, where it is found, and its own parameters."""

    name: str = Field("sentiment_long", description="a file in strategy.path or strategies/, a built-in or an entry point: `hkbt strategies`")
    path: Path | None = Field(None, description="a folder of your own strategy files (or one .py file), searched first")
    params: dict[str, Any] = Field(default_factory=dict, description="the strategy's own parameters, checked by the strategy")
    _found: Any = PrivateAttr(None)  # hkbt.backtest.discovery.FoundStrategy, set when the config is validated

    @field_validator("name")
    @classmethod
    def _module_name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", value):
            raise ValueError(f"{value!r} is not a strategy name (a file name without .py, e.g. sentiment_long)")
        return value

    @property
    def found(self):
        """The strategy class and its source (a :class:`~hkbt.backtest.discovery.FoundStrategy`), or None if not looked up."""
        return self._found

    def __getstate__(self) -> dict[str, Any]:
        # a class loaded from a file cannot be pickled by reference: a copy looks it up again
        state = super().__getstate__()
        return state | {"__pydantic_private__": {**(state.get("__pydantic_private__") or {}), "_found": None}}


class CostsConfig(_Model):
    """Broker commission; the statutory HK fees are fixed in hkbt.backtest.costs.FeeSchedule."""

    brokerage_rate: float = Field(0.0003, ge=0, lt=0.05, description="broker commission as a fraction of trade value (0.03 %)")
    brokerage_min: float = Field(50.0, ge=0, le=MAX_FEE, description="minimum commission per order, HKD")


class StudyConfig(_Model):
    """The event study (``hkbt study``): what is measured after each news item."""

    horizons: list[int] = Field(default_factory=lambda: [1, 3, 5, 10], min_length=1,
                                description="sessions from the open of the tradable session to the open k sessions later")
    buckets: list[float] = Field(default_factory=lambda: [-0.5, 0.0, 0.5], min_length=1,
                                 description="score bucket edges: <=e0, (e0, e1), [e1, e2) ... >=en")
    beta_window: int = Field(120, ge=0, le=MAX_SESSIONS, description="sessions of returns before each event for the beta-adjusted AR (0 = off)")

    @field_validator("horizons")
    @classmethod
    def _horizons(cls, value: list[int]) -> list[int]:
        if any(not 1 <= k <= MAX_SESSIONS for k in value) or len(set(value)) != len(value):
            raise ValueError(f"horizons must be distinct whole sessions from 1 to {MAX_SESSIONS} (got {value})")
        return sorted(value)

    @field_validator("buckets")
    @classmethod
    def _edges(cls, value: list[float]) -> list[float]:
        if any(not -1 <= e <= 1 for e in value) or any(b <= a for a, b in zip(value, value[1:])):
            raise ValueError(f"bucket edges must rise strictly within [-1, 1] (got {value})")
        return value


class SweepConfig(_Model):
    """``hkbt sweep``: runs of this experiment with some settings varied, and how to judge them.

    Keys of ``grid`` and ``ranges`` are settings as ``--set`` writes them
    (``strategy.params.hold_days``); a key without a dot is a strategy parameter.
    A range is ``[low, high]`` or ``[low, high, log]``; two whole numbers give whole
    numbers. Nothing here changes a single run: ``hkbt run`` ignores this section and
    it is not part of a run's resolved config or config hash.
    """

    name: str | None = Field(None, description="folder backtests/sweeps/<name>/ (default: run.name)")
    grid: dict[str, list[Any]] = Field(
        default_factory=dict,
        description="setting -> values, every combination runs, e.g. {entry_threshold: [0.3, 0.5, 0.7], hold_days: [3, 5, 10]}")
    ranges: dict[str, list[Any]] = Field(
        default_factory=dict, description="setting -> [low, high] or [low, high, log] for random/optuna draws, e.g. {stop_loss: [0.02, 0.2]}")
    random: int | None = Field(None, ge=1, description="run this many random combinations (grid values and ranges) instead of the whole grid")
    optuna: int | None = Field(None, ge=1, description="let Optuna choose this many combinations, aiming at the objective")
    objective: str = Field("sharpe", description="the metrics.json figure that ranks combinations (e.g. excess_return_pct, calmar, max_drawdown_pct)")
    seed: int = Field(0, description="seed of the random and Optuna draws")
    save_top: int = Field(0, ge=0, description="also write full run folders, reports included, for this many best combinations")
    walk_forward: str | None = Field(None, description="e.g. train=2y,test=6m (step=6m): choose on each training part, judge on the test part after it")
    pbo: bool = Field(False, description="probability of backtest overfitting by combinatorially symmetric cross-validation")
    pbo_blocks: int = Field(16, ge=2, le=24, description="CSCV: the sessions are cut into this many (even) blocks")
    scheduler: str | None = Field(
        None, description="an existing Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: $HKBT_DASK_SCHEDULER, else a local cluster)")
    workers: int | None = Field(None, ge=0, description="local cluster: worker processes (default: every core); 0 = in this process, without Dask")

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str | None) -> str | None:
        if value is not None and (not RUN_NAME_RE.match(value) or ".." in value):
            raise ValueError(f"{value!r} is not a safe sweep name (letters, digits, '_', '-', '.'; no '/' or '..')")
        return value

    @field_validator("grid")
    @classmethod
    def _values(cls, value: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in value.items():
            if not values:
                raise ValueError(f"{key}: give at least one value")
        return value

    @field_validator("ranges")
    @classmethod
    def _ranges(cls, value: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, spec in value.items():
            numbers = spec[:2]
            if (len(spec) not in (2, 3) or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in numbers)
                    or (len(spec) == 3 and spec[2] != "log")):
                raise ValueError(f"{key}: a range is [low, high] or [low, high, log] (got {spec!r})")
            if not numbers[0] < numbers[1]:
                raise ValueError(f"{key}: low must be below high (got {spec!r})")
            if len(spec) == 3 and numbers[0] <= 0:
                raise ValueError(f"{key}: a log range needs low > 0 (got {spec!r})")
        return value

    @field_validator("pbo_blocks")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError(f"must be even (got {value})")
        return value


class Config(_Model):
    """The whole experiment. Every key has its default and its description here; config.yaml is generated from it."""

    run: RunConfig = Field(default_factory=RunConfig)
    universe: UniverseConfig = Field(default_factory=UniverseConfig)
    news: NewsConfig = Field(default_factory=NewsConfig)
    sentiment: SentimentConfig = Field(default_factory=SentimentConfig)
    topics: dict[str, list[str]] = Field(
        default_factory=default_taxonomy,
        description="topic -> regexes, merged onto the built-in taxonomy (hkbt/news/taxonomy.yaml) by name; [] switches one off")
    scopes: dict[str, list[str]] = Field(
        default_factory=default_scope_words,
        description="each item's scope, the first that holds: company > theme > market > other. Word lists (false_friends, "
                    "china, market, market_with_china) replace the built-in ones (hkbt/news/scopes.yaml) by name")
    themes: dict[str, ThemeConfig] = Field(
        default_factory=lambda: {name: ThemeConfig(**theme) for name, theme in default_themes().items()},
        description="theme -> keywords, with_china words, tickers, weight; merged onto the built-in themes "
                    "(hkbt/news/scopes.yaml) by name and key; null switches one off")
    signals: SignalsConfig = Field(default_factory=SignalsConfig)
    prices: PricesConfig = Field(default_factory=PricesConfig)
    strategy: StrategyConfig = Field(default_factory=StrategyConfig)
    costs: CostsConfig = Field(default_factory=CostsConfig,
                               description="stamp duty 0.1 %, SFC 0.0027 %, AFRC 0.00015 %, HKEX 0.00565 % are fixed by law")
    study: StudyConfig = Field(default_factory=StudyConfig, description="hkbt study: the event study's horizons, score buckets and beta")
    sweep: SweepConfig = Field(default_factory=SweepConfig,
                               description="hkbt sweep only (not part of a run's resolved config or hash); each key has a command-line option")

    @field_validator("topics", mode="before")
    @classmethod
    def _onto_the_builtin_taxonomy(cls, value: Any) -> Any:
        """A config's topics are merged onto the built-in taxonomy by name (``ai: []`` switches one off)."""
        return {**default_taxonomy(), **value} if isinstance(value, dict) else value

    @field_validator("topics")
    @classmethod
    def _patterns_compile(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for topic, patterns in value.items():
            if not TOPIC_NAME_RE.fullmatch(topic):
                raise ValueError(f"topic name {topic!r} must be lower_snake_case")
            check_patterns(patterns, f"topic {topic}")  # valid, and no catastrophic backtracking (hkbt.regex_risk)
        return value

    @field_validator("scopes", mode="before")
    @classmethod
    def _onto_the_builtin_scope_words(cls, value: Any) -> Any:
        """A config's scope word lists replace the built-in lists of the same name; the others stay."""
        return {**default_scope_words(), **value} if isinstance(value, dict) else value

    @field_validator("scopes")
    @classmethod
    def _scope_lists(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        known = list(default_scope_words())
        for name, patterns in value.items():
            if name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                raise ValueError(f"no scope word list {name!r}" + (f" (did you mean {close[0]}?)" if close else f" (known: {', '.join(known)})"))
            if name != "false_friends":  # literal phrases, matched like aliases
                check_patterns(patterns, f"scopes.{name}")  # valid, and no catastrophic backtracking
        return value

    @field_validator("themes", mode="before")
    @classmethod
    def _onto_the_builtin_themes(cls, value: Any) -> Any:
        """A config's themes are merged onto the built-in ones by name, key by key.

        ``china_ai: {weight: 0.8}`` changes one key of the built-in theme, a new
        name adds a theme (it needs its ``tickers``), ``hk_tech: null`` switches
        one off.
        """
        if not isinstance(value, dict):
            return value
        builtin = default_themes()
        merged = {**builtin}
        for name, theme in value.items():
            merged[name] = {**builtin[name], **theme} if name in builtin and isinstance(theme, dict) else theme
        return {name: theme for name, theme in merged.items() if theme is not None}

    @field_validator("themes")
    @classmethod
    def _theme_names(cls, value: dict[str, ThemeConfig]) -> dict[str, ThemeConfig]:
        for name in value:
            if not re.match(r"^[a-z][a-z0-9_]*$", name):
                raise ValueError(f"theme name {name!r} must be lower_snake_case")
        return value

    @model_validator(mode="after")
    def _strategy_params(self, info: ValidationInfo) -> Config:
        """Find the strategy and let it check its params (filled with its defaults).

        Validation context: ``base_dir`` (where ``strategy.path`` and
        ``strategies/`` are looked up; default the working directory) and
        ``strategy=False`` to skip this (reading a finished run's config).
        Errors are :class:`~hkbt.errors.StrategyError`, not pydantic's, so
        they keep their own key path (``strategy.params.hold_days``).
        """
        context = info.context or {}
        if context.get("strategy", True) is False:
            return self
        from hkbt.backtest.discovery import dump_params, find_strategy, validate_params

        found = find_strategy(self.strategy.name, self.strategy.path, Path(context.get("base_dir", ".")))
        settings = validate_params(found.cls, self.strategy.params, self.topics)
        object.__setattr__(self.strategy, "params", dump_params(settings))  # no re-validation
        self.strategy._found = found
        return self

    def resolved(self) -> dict[str, Any]:
        """Plain, JSON/YAML-safe dict of every setting a run uses (defaults included; not ``sweep:``)."""
        return json.loads(self.model_dump_json(exclude={"sweep"}))

    def config_hash(self, exclude: tuple[str, ...] = ()) -> str:
        """sha256 of the resolved settings, independent of key order and comments.

        ``exclude``: dotted keys left out (``("study", "run.name")``), to ask
        whether two configs agree on everything else.
        """
        resolved = self.resolved()
        for key in exclude:
            *parents, last = key.split(".")
            node = resolved
            for part in parents:
                node = node.get(part, {})
            node.pop(last, None)
        blob = json.dumps(resolved, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


# --------------------------------------------------------------------- loading


def load_config(path: Path, overrides: list[str] | tuple[str, ...] = (), *, strategy: bool = True) -> Config:
    """Read, override and validate a YAML config.

    Args:
        path: the YAML file (``yaml.safe_load``; no Python tags).
        overrides: ``["strategy.params.hold_days=10", ...]``; values are parsed
            as YAML scalars/lists, then typed by the schema.
        strategy: look the strategy up (relative to the file's folder) and
            check its params; False for commands that never run it.

    Raises:
        ConfigError: unreadable file, bad YAML, unknown key, wrong type or
            impossible value, naming ``file:line: dotted.key``.
    """
    raw, lines = read_yaml(path)
    _drop_params_of_another_strategy(raw, overrides)
    overridden = [apply_override(raw, item) for item in overrides]
    return validate_config(raw, Path(path).resolve().parent, lambda loc: _place(loc, str(path), lines, overridden), strategy=strategy)


def _drop_params_of_another_strategy(raw: dict[str, Any], overrides: list[str] | tuple[str, ...]) -> None:
    """``--set strategy.name=X`` starts X from its own defaults: the file's params belong to the file's strategy."""
    strategy = raw.get("strategy")
    if not isinstance(strategy, dict) or "params" not in strategy:
        return
    names = [item.partition("=")[2].strip() for item in overrides if item.partition("=")[0].strip() == "strategy.name"]
    if names and names[-1] != str(strategy.get("name", StrategyConfig.model_fields["name"].default)):
        del strategy["params"]


def read_yaml(path: Path) -> tuple[dict[str, Any], dict[tuple[str, ...], int]]:
    """A YAML mapping (safe: :func:`hkbt.yaml_input.load_yaml_file`) and the line of each key path in it; ConfigError otherwise."""
    where = str(path)
    raw, lines = load_yaml_file(Path(path))
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(where, "the top level must be a mapping of sections (run:, universe:, ...)")
    return raw, lines


def validate_config(raw: dict[str, Any], base_dir: Path, locate: Callable[[tuple[str, ...]], str], *, strategy: bool = True) -> Config:
    """Validate a raw mapping; ``locate(key_path)`` says where a bad key came from (``file:line`` or ``--set``)."""
    try:
        return Config.model_validate(raw, context={"base_dir": base_dir, "strategy": strategy})
    except ValidationError as exc:
        raise _to_config_error(exc, locate) from None
    except StrategyError as exc:
        raise _locate_strategy_error(exc, locate) from None


def apply_override(raw: dict[str, Any], item: str) -> tuple[str, ...]:
    """Apply one ``a.b.c=value`` override in place (value parsed as YAML); return its key path.

    Inside a mapping setting (``universe.lot_sizes``, ``universe.aliases``,
    ``topics``) the rest of the path is one key, since tickers contain dots:
    ``--set universe.lot_sizes.2800.HK=500`` adds one entry to the defaults.
    In a mapping of sections (``themes``) the next part names an entry and the
    rest are its keys: ``--set themes.china_ai.weight=0.8``.
    """
    key, sep, value = item.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"--set {item}", "expected KEY=VALUE, e.g. --set strategy.params.hold_days=10")
    try:
        parsed = parse_yaml(value, f"--set {key}")[0] if value.strip() else None
    except YAMLSyntaxError:
        parsed = value  # not YAML: the text as it is (the schema then types it)
    except ConfigError as exc:  # YAML that is refused (a bad date, !!set, an alias bomb): no line numbers here
        raise ConfigError(f"--set {key}", exc.what, exc.fix) from None
    node, model = raw, Config
    parts = key.split(".")
    path: list[str] = []
    while len(parts) > 1:
        part = parts.pop(0)
        path.append(part)
        field = model.model_fields.get(part) if model else None
        annotation = field.annotation if field else None
        child = node.get(part)
        if child is None and get_origin(annotation) is dict:
            child = {  # extend the defaults, not replace them
                name: entry.model_dump() if isinstance(entry, BaseModel) else entry
                for name, entry in field.get_default(call_default_factory=True).items()
            }
        if child is None:
            child = {}
        if not isinstance(child, dict):
            raise ConfigError(f"--set {key}", f"{part} is not a section")
        node[part] = child
        node = child
        entries = get_args(annotation)[1] if get_origin(annotation) is dict else None
        if isinstance(entries, type) and issubclass(entries, BaseModel) and len(parts) > 1:
            entry = parts.pop(0)
            path.append(entry)
            child = node.setdefault(entry, {})
            if not isinstance(child, dict):
                raise ConfigError(f"--set {key}", f"{entry} is not a section")
            node, model = child, entries
        elif entries is not None:
            parts = [".".join(parts)]
            model = None
        else:
            model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    node[parts[0]] = parsed
    return tuple(path) + (parts[0],)


def _place(loc: tuple[str, ...], where: str, lines: dict[tuple[str, ...], int], overridden: list[tuple[str, ...]]) -> str:
    """``file:line`` of the deepest part of ``loc`` found in the file, or ``--set`` if an override set it.

    A key missing from a section that only ``--set`` created (``--set themes.mine.keywords=[x]`` without
    ``themes.mine.tickers``) is blamed on ``--set`` too, and so is a whole mapping whose entries all came
    from ``--set`` (``--set topics.ai=[...]`` under the file's ``topics: {}``).
    """
    added_by_set = len(loc) > 1 and loc[:-1] not in lines and any(path[: len(loc) - 1] == loc[:-1] for path in overridden)
    entries_by_set = any(path[: len(loc)] == loc for path in overridden) and not any(
        len(key) > len(loc) and key[: len(loc)] == loc for key in lines)
    if added_by_set or entries_by_set or any(loc[: len(path)] == path for path in overridden):
        return "--set"
    line = next((lines[loc[:n]] for n in range(len(loc), 0, -1) if loc[:n] in lines), None)
    return f"{where}:{line}" if line else where


def _locate_strategy_error(exc: StrategyError, locate: Callable[[tuple[str, ...]], str]) -> StrategyError:
    """A strategy lookup/params error keyed ``strategy.…`` gets the file:line of that key."""
    loc = getattr(exc, "loc", None) or (tuple(exc.where.split(".")) if exc.where.startswith("strategy.") else None)
    if loc is None:
        return exc  # it names a strategy file already
    return StrategyError(f"{locate(loc)}: {'.'.join(loc)}", exc.what, exc.fix)


def _to_config_error(exc: ValidationError, locate: Callable[[tuple[str, ...]], str], root: type[BaseModel] | None = None) -> ConfigError:
    """Turn pydantic's first error into one ``file:line: key: message`` line.

    A value that came from ``--set`` is blamed on ``--set``, not on the file.
    """
    error = exc.errors()[0]
    loc = tuple(str(part) for part in error["loc"])
    key = ".".join(loc)
    place = locate(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        return ConfigError(f"{place}: {key}", "unknown key", _suggest(loc, root or Config))
    message = error["msg"].removeprefix("Value error, ")
    got = error.get("input")
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        message = _bounds_message(loc, message, root or Config)
    if got is not None and not isinstance(got, dict) and "got" not in message:
        message = f"{message} (got {got!r})" if isinstance(got, str) else f"{message} (got {got})"
    total = exc.error_count()
    more = f" [and {total - 1} more problem(s)]" if total > 1 else ""
    return ConfigError(f"{place}: {key}" if key else place, message + more)


def _bounds_message(loc: tuple[str, ...], fallback: str, model: type[BaseModel]) -> str:
    """'must be between -1 and 1' when the field has both bounds, else pydantic's text."""
    field = None
    for part in loc:
        field = model.model_fields.get(part)
        if field is None:
            return fallback
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
    low = high = None
    for meta in field.metadata if field else []:
        low = getattr(meta, "ge", getattr(meta, "gt", low)) if low is None else low
        high = getattr(meta, "le", getattr(meta, "lt", high)) if high is None else high
    if low is not None and high is not None:
        return f"must be between {show_number(low)} and {show_number(high)}"
    return fallback


def show_number(value: float) -> str:
    """A bound as a reader writes it: ``1e12`` -> ``1,000,000,000,000``, ``0.05`` -> ``0.05``.

    >>> show_number(1e12), show_number(2**32 - 1), show_number(-1), show_number(0.05)
    ('1,000,000,000,000', '4,294,967,295', '-1', '0.05')
    """
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _suggest(loc: tuple[str, ...], model: type[BaseModel]) -> str:
    """'did you mean ...?' from the keys the schema (``model``, Config by default) knows at that level."""
    for part in loc[:-1]:
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return "remove it"
        model = annotation
    known = list(model.model_fields)
    close = difflib.get_close_matches(loc[-1], known, n=1)
    if close:
        return f"did you mean {'.'.join(loc[:-1] + (close[0],))}?"
    if model is StrategyConfig:
        return f"a strategy's own parameters go under strategy.params: did you mean strategy.params.{loc[-1]}?"
    return f"known keys here: {', '.join(known)}"
