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
from typing import Any, Literal, get_origin

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, ValidationInfo, field_validator, model_validator

from hkbt.errors import ConfigError, StrategyError
from hkbt.yaml_input import YAMLSyntaxError, load_yaml_file, parse_yaml

TICKER_RE = re.compile(r"^\^?[A-Z0-9][A-Z0-9.=-]{0,19}$")
RUN_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

DEFAULT_UNIVERSE = ["9988.HK", "0700.HK", "1810.HK", "9888.HK", "9999.HK", "9618.HK", "1211.HK", "0175.HK", "3690.HK"]
DEFAULT_LOT_SIZES = {
    "0700.HK": 100, "9988.HK": 100, "1810.HK": 200, "9888.HK": 50, "9999.HK": 100,
    "9618.HK": 50, "1211.HK": 500, "0175.HK": 1000, "3690.HK": 100,
}
DEFAULT_ALIASES = {
    # company names (English, simplified and traditional Chinese), US listings, founders and executives, products
    "9988.HK": ["Alibaba", "阿里巴巴", "BABA", "NYSE:BABA", "Ant Group", "Alibaba Cloud", "阿里云", "阿里雲",
                "Jack Ma", "马云", "馬雲", "Joe Tsai", "蔡崇信", "Eddie Wu", "吴泳铭", "吳泳銘",
                "Qwen", "Tongyi", "通义千问", "通義千問", "Taobao", "淘宝", "淘寶", "Tmall", "天猫", "天貓"],
    "0700.HK": ["Tencent", "腾讯", "騰訊", "TCEHY", "Pony Ma", "Ma Huateng", "马化腾", "馬化騰", "Martin Lau",
                "刘炽平", "劉熾平", "WeChat", "微信", "Hunyuan", "混元", "Yuanbao", "腾讯元宝", "騰訊元寶",
                "Honor of Kings", "王者荣耀", "王者榮耀"],
    "1810.HK": ["Xiaomi", "小米", "XIACY", "Lei Jun", "雷军", "雷軍", "Lu Weibing", "卢伟冰", "盧偉冰",
                "SU7", "YU7", "HyperOS", "Redmi"],
    "9888.HK": ["Baidu", "百度", "BIDU", "NASDAQ:BIDU", "Robin Li", "Li Yanhong", "李彦宏", "李彥宏",
                "Ernie", "文心一言", "Apollo Go", "萝卜快跑", "蘿蔔快跑"],
    "9999.HK": ["NetEase", "网易", "網易", "NTES", "NASDAQ:NTES", "William Ding", "丁磊"],
    "9618.HK": ["JD.com", "JD", "京东", "京東", "NASDAQ:JD", "Richard Liu", "Liu Qiangdong", "刘强东", "劉強東",
                "Sandy Xu"],
    "1211.HK": ["BYD", "比亚迪", "比亞迪", "BYDDY", "Wang Chuanfu", "王传福", "王傳福", "Denza", "腾势", "騰勢",
                "Fangchengbao", "方程豹"],
    "0175.HK": ["Geely", "吉利", "Zeekr", "极氪", "極氪", "Lynk & Co", "领克", "領克", "Li Shufu", "李书福", "李書福"],
    "3690.HK": ["Meituan", "美团", "美團", "Keeta", "Dianping", "大众点评", "大眾點評", "Wang Xing", "王兴", "王興"],
}
DEFAULT_FALSE_FRIENDS = [
    # phrases that contain an alias but name someone else; blanked out before aliases are searched
    "JD Sports", "JD Wetherspoon", "JD Vance",   # a UK retailer, a UK pub chain, the US vice president
    "京东方",                                     # BOE Technology, a display maker
    "王兴兴", "王興興",                            # Wang Xingxing, Unitree's founder (Wang Xing is Meituan's)
    "不吉利", "大吉大利",                          # 'unlucky', 'good luck': everyday words around 吉利 (Geely)
]
LEADER_IN_ECONOMIC_CONTEXT = (
    # a leader, a government or a country "urging" is policy news only with an economic word later in the
    # same text: "Xi backs private firms" is, "Xi congratulates Sheinbaum" is not. A verbose regex: spaces
    # are ignored, a literal space is "\ ".
    r"(?x: (?: "
    r"xi(?!['’]an) | (?:vice\ )?premier(?!\ league) | li\ qiang | he\ lifeng | "
    r"(?:china'?s|chinese|party|top|state)\ leaders(?:hip)? | officials | authorities | "
    r"governments? | lawmakers | washington | white\ house | pentagon | (?<!world\ )congress | "
    r"senate | (?:us|u\.s\.)\ house | trump | biden | "
    r"(?:china|u\.?s\.?|eu|uk|japan|korea|taiwan|india|italy)(?:\ will|\ to)?\ (?:orders?|urges?|warns?|vows?|pledges?)"
    r" ) (?=.*?\b(?: "
    r"econom | privat | firm | compan | business | entrepreneur | stimul | growth | market | "
    r"stock | share | consum | tech | invest | trade | tariff | chip | export | import | tax | "
    r"propert | hous | job | industr | support | reform | financ | bank | yuan | dollar | debt | "
    r"bond | rate | fiscal | monetar | subsid | regulat | sanction | ban | curb | fine | probe | "
    r"antitrust | semiconductor | ai | artificial | ev | car | manufactur | factor | retail | "
    r"spend | deficit | budget | loan | credit | capital | listing | ipo | price | inflation | "
    r"yield"
    r" )\w*) )"
)
# Chinese topic patterns, in simplified characters (traditional text is converted before matching).
CHINESE_POLICY = [
    # leaders, only with an economic word later in the text (as LEADER_IN_ECONOMIC_CONTEXT)
    r"(?:习近平|李强|何立峰|国家主席|国务院总理|总书记|特朗普|拜登|白宫)(?=.*?(?:经济|民营|民企|企业|市场|股|消费|投资|"
    r"贸易|关税|科技|产业|就业|金融|财政|货币|发展|改革|增长|楼市|房地产|芯片|出口|制裁))",
    # party, state, legislature, ministries and regulators
    r"国务院", r"政治局", r"中共中央", r"党中央", r"中央经济工作会议", r"全国人大", r"人大常委会", r"政协", r"两会",
    r"政府工作报告", r"发改委", r"财政部", r"商务部", r"工信部", r"住建部", r"外交部", r"海关总署", r"国资委", r"部委",
    r"央行", r"人民银行", r"金管局", r"美联储", r"证监会", r"银保监会", r"金融监管总局", r"国家金融监督管理总局",
    r"市场监管总局", r"市场监督管理总局", r"网信办", r"监管(?:机构|部门|层|当局|机关|新规|收紧|趋严)", r"反垄断",
    r"约谈", r"港府", r"特区政府", r"财政司", r"欧盟", r"欧委会", r"(?:省|市|地方)政府", r"多地",
    # the state's own ways of announcing policy
    r"印发", r"出台[^，。；,;]{0,20}(?:措施|政策|方案|意见|办法|规定)", r"若干措施", r"指导意见", r"管理办法",
    # monetary tools (not 汇率, the exchange rate)
    r"降准", r"降息", r"加息", r"准备金率", r"贷款市场报价利率", r"基准利率", r"政策利率", r"逆回购", r"中期借贷便利",
    r"公开市场操作", r"货币政策", r"财政政策", r"(?:财政|货币)(?:刺激|宽松)",
    # fiscal and consumption support (not a platform's own subsidies or a shop's trade-in offer)
    r"刺激(?:措施|政策|计划|方案|经济|消费)", r"经济刺激", r"一揽子(?:政策|措施|计划|方案)", r"增量政策", r"逆周期",
    r"特别国债", r"专项债", r"赤字", r"预算案", r"印花税", r"减税", r"降费",
    r"(?:国家|政府|财政|中央|消费|购车|购房|家电|算力|育儿)补贴", r"以旧换新(?:补贴|政策|计划|范围)",
    r"扩大以旧换新", r"稳经济", r"稳增长", r"稳就业", r"稳股市", r"稳楼市", r"稳市场", r"提振消费",
    r"国家队", r"中央汇金", r"汇金公司", r"平准基金", r"民营经济", r"民营企业座谈会", r"民企座谈会",
    r"支持民营", r"民营企业发展",
    # property policy
    r"限购", r"限贷", r"首付比例", r"房贷利率", r"止跌回稳", r"房地产(?:政策|调控)", r"保交楼",
    # trade and sanctions
    r"(?:限制|禁止|叫停|暂停|管制)[^，。；,;]{0,12}出口", r"关税", r"制裁", r"实体清单", r"出口管制", r"出口禁令", r"反补贴", r"反倾销", r"反制", r"贸易战",
    r"贸易(?:谈判|协议|摩擦|磋商|休战|争端)", r"黑名单", r"(?:军事|军工)企业清单",
]
CHINESE_AI = [
    r"人工智能", r"大模型", r"(?:推理|语言|基础|开源|多模态|视觉|视频|生成|ai)模型", r"模型(?:训练|推理)",
    r"生成式", r"智能体", r"机器学习", r"深度学习", r"神经网络", r"算力", r"(?:人工智能|智能|ai)芯片", r"昇腾",
    r"英伟达", r"寒武纪", r"深度求索", r"通义", r"千问", r"混元", r"文心", r"豆包", r"腾讯元宝", r"月之暗面", r"智谱",
    r"言犀", r"飞桨", r"盘古大模型", r"机器人", r"具身智能", r"无人驾驶", r"自动驾驶", r"智能驾驶", r"智驾",
    r"辅助驾驶", r"萝卜快跑", r"宇树", r"优必选",
]
DEFAULT_TOPICS = {
    "policy": [
        LEADER_IN_ECONOMIC_CONTEXT,
        # party, state, legislature and leaders
        r"politburo", r"state council", r"central committee", r"cabinet", r"plenum", r"two sessions", r"npc",
        r"national people'?s congress", r"cppcc", r"work conference", r"government work report",
        r"legislat(?:ure|ors?|ion)", r"ministry", r"ministries", r"mofcom", r"ndrc",
        r"state (?:planner|media|funds?|schemes?|purchases?|buying|support|subsid(?:y|ies))",
        r"(?:state|government|national|guidance|beijing|municipal|provincial)(?:-backed)? funds?", r"central huijin",
        r"national team",
        # central banks and monetary tools (not 'exchange rate', 'growth rate')
        r"pboc", r"people'?s bank", r"central banks?", r"hkma", r"monetary (?:authority|polic(?:y|ies)|easing)",
        r"federal reserve", r"(?-i:Fed)", r"pan gongsheng", r"rate cuts?",
        r"(?:interest|lending|benchmark|policy|loan prime|repo|base) rates?", r"lpr", r"rrr", r"reserve requirements?",
        r"medium-term lending", r"mlf", r"reverse repos?", r"easing (?:steps|measures|package)",
        # fiscal and consumption support (not 'fiscal year', company subsidies or a shop's trade-in offer)
        r"stimulus", r"fiscal(?! (?:year|first|second|third|fourth|full|q[1-4]|\d{4})|-year)",
        r"(?<!trade )(?<!account )deficits?", r"(?:special|ultra-long|government|sovereign) (?:treasury )?bonds?",
        r"treasury bonds?", r"debt (?:swap|quota|ceiling)s?", r"hidden debt", r"growth (?:target|goal)s?",
        r"stamp duty", r"(?:annual|government|hong kong|city'?s|state|national) budget", r"budget (?:deficit|speech)",
        r"(?:state|government|consumer|consumption|trade-?in|car|ev|childcare|housing|industrial) subsid(?:y|ies)",
        r"subsidi[sz](?:e|es|ed|ing)",
        r"trade-?in (?:subsid(?:y|ies)|schemes?|programmes?|programs?|polic(?:y|ies)|campaign)",
        r"consumption vouchers?", r"policy (?:support|easing|measures?|banks?)", r"policy-?makers?",
        r"private (?:sector|firms?|enterprises?|economy|businesses|entrepreneurs?)",
        # property support
        r"home[- ](?:purchase|buying) (?:curbs|restrictions|rules)", r"cooling measures", r"loan-to-value",
        r"down[- ]payments?", r"(?:property|housing) (?:curbs|support|rescue)", r"whitelist",
        # regulators and enforcement (not 'regulatory filing')
        r"regulators?", r"regulatory(?! (?:filing|disclosure))", r"watchdogs?", r"samr", r"csrc", r"nppa",
        r"cyberspace (?:administration|regulator)", r"sfc", r"securities and futures commission", r"antitrust",
        r"anti-monopoly", r"crack(?:s|ed|ing)? down", r"crackdowns?", r"security review",
        r"(?:export|game|import|operating) licen[cs]es?", r"without a licen[cs]e",
        # trade, sanctions and foreign governments (not telecom 'tariffs', not 'Treasury yields')
        r"(?<!mobile )(?<!data )(?<!roaming )(?<!broadband )tariffs?", r"duties", r"levies", r"levy", r"anti-dumping",
        r"countervailing", r"export (?:controls?|curbs?|bans?|restrictions?|licen[cs]es?|rules?)",
        r"(?:bans?|curbs?|restricts?|limits?|halts?) (?:\w+ ){0,3}exports?", r"dual-use", r"entity list",
        r"blacklists?", r"sanction(?:s|ed|ing)?", r"military compan(?:y|ies)",
        r"trade (?:talks|war|deal|truce|tensions|negotiations|dispute)", r"truce",
        r"european commission", r"brussels",
        r"(?:commerce|treasury|state|justice) department",
        r"department of (?:commerce|the treasury|justice)", r"treasury(?! (?:yields?|notes?|bills?|prices|market))",
        # Beijing or a government as the subject of a state-action verb
        r"beijing(?: will| to)? (?:backs?|pledges?|vows?|promises?|unveils?|steps? up|sets? up|orders?|urges?|tells?)",
        r"beijing(?: will| to)? (?:issues?|imposes?|restricts?|bans?|bars?|blocks?|approves?|extends?|expands?|launches?)",
        r"beijing(?: will| to)? (?:offers?|targets?|rescues?|warns?|retaliates?|hits back|curbs?|eases?|relaxes?)",
        r"beijing(?: will| to)? (?:summons?|probes?|fines?|sanctions?|tightens?)",
        r"(?:china|u\.?s\.?|eu|uk|japan|korea|taiwan|india|italy)(?: will| to)? (?:bans?|bars?|blocks?|suspends?|imposes?)",
        r"(?:china|u\.?s\.?|eu|uk|japan|korea|taiwan|india|italy)(?: will| to)? (?:restricts?|curbs?|sanctions?|tightens?)",
        r"(?:china|u\.?s\.?|eu|uk|japan|korea|taiwan|india|italy)(?: will| to)? (?:retaliates?|hits back|probes?|fines?)",
        *CHINESE_POLICY,
    ],
    "ai": [
        # the field and its methods ('ai' as a word, not Ai Weiwei)
        r"ai(?! weiwei)", r"a\.i\.", r"aigc", r"genai", r"artificial intelligence", r"generative", r"machine learning",
        r"deep learning", r"neural (?:networks?|nets?)", r"computer vision", r"embodied intelligence",
        # models (not a car model or a business model)
        r"(?:large|small|language|vision-language|foundation|frontier|reasoning) models?",
        r"(?:multimodal|open-source|open-weights?|video|image|coding|ai) models?",
        r"models? (?:makers?|developers?|training|trained|release|marketplace|team)",
        r"models? for (?:coding|reasoning|video|images?|maths?)", r"llms?",
        r"multimodal(?! (?:transport|logistics|freight))", r"long-context", r"open-weights?", r"chatbots?", r"agentic",
        r"(?:ai|intelligent|general|autonomous|coding|digital|software) agents?", r"video generat(?:or|ion)s?",
        r"image generat(?:or|ion)s?", r"text-to-(?:video|image)",
        # products and labs
        r"deepseek", r"qwen", r"tongyi", r"ernie", r"hunyuan", r"doubao", r"kimi", r"yuanbao", r"kling", r"seedance",
        r"zhipu", r"(?:chat)?glm", r"minimax", r"stepfun", r"baichuan", r"manus", r"sensenova", r"paddlepaddle",
        r"chatrhino", r"openai", r"chatgpt", r"gpt(?:-?\d[\w.]*)?", r"sora", r"anthropic", r"claude", r"gemini",
        r"llama",
        # autonomous driving and robots
        r"robotaxis?", r"driverless", r"self-driving",
        r"autonomous (?:driving|vehicles?|cars?|trucks?|delivery|taxis?)", r"(?:smart|intelligent) driving",
        r"driver[- ]assist(?:ance)?", r"adas", r"apollo go", r"weride", r"humanoids?", r"robots?", r"robotics",
        r"unitree", r"ubtech",
        # chips and compute for AI (not potato, poker or phone chips)
        r"gpus?", r"graphics processors?",
        r"(?:ai|training|inference) (?:chips?|processors?|accelerators?|clusters?|servers?)", r"accelerators?",
        r"nvidia", r"h20", r"h100", r"h800", r"a100", r"blackwell", r"gb200",
        r"ascend (?:\d\w*|chips?|processors?|clusters?|servers?)", r"cambricon", r"computing power", r"inference",
        *CHINESE_AI,
    ],
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def _check_ticker(ticker: str) -> str:
    if not TICKER_RE.match(ticker):
        raise ValueError(f"{ticker!r} is not a ticker (expected Yahoo style, e.g. 9988.HK or ^HSI)")
    return ticker


class RunConfig(_Model):
    """What to run: name of the output folder, window and starting capital."""

    name: str = "default"
    start: date = date(2024, 3, 25)
    end: date = date(2025, 5, 30)
    initial_cash: float = Field(1_000_000.0, gt=0)
    output_dir: Path = Path("backtests")

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        if not RUN_NAME_RE.match(value) or ".." in value:
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

    tickers: list[str] = Field(default_factory=lambda: list(DEFAULT_UNIVERSE), min_length=1)
    benchmark: str = "^HSI"
    proxy: str | None = None
    lot_sizes: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_LOT_SIZES))
    aliases: dict[str, list[str]] = Field(default_factory=lambda: {t: list(a) for t, a in DEFAULT_ALIASES.items()})
    false_friends: list[str] = Field(default_factory=lambda: list(DEFAULT_FALSE_FRIENDS))

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
        for ticker, lot in value.items():
            _check_ticker(ticker)
            if lot < 1:
                raise ValueError(f"lot size of {ticker} must be at least 1 share (got {lot})")
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

    published_at: str = "published_at"
    headline: str = "headline"
    body: str = "body"
    source: str = "source"
    url: str = "url"
    tickers: str = "tickers"


class NewsConfig(_Model):
    """Where news comes from and how to read it."""

    path: Path = Path("data/news/hk_tech_sample.csv")
    format: Literal["auto", "csv", "jsonl"] = "auto"
    timezone: str = "Asia/Hong_Kong"
    columns: NewsColumns = Field(default_factory=NewsColumns)
    # languages kept (detected per item, hkbt.news.language); items in others are dropped and counted in a warning
    languages: list[Literal["en", "zh"]] = Field(default_factory=lambda: ["en", "zh"], min_length=1)

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

    scorer: Literal["vader", "vader_fin", "lm"] = "vader_fin"  # reads English items
    zh_scorer: Literal["zh_fin"] = "zh_fin"  # reads Chinese items (simplified and traditional)
    text: Literal["headline", "headline_body"] = "headline"
    cache_dir: Path | None = Path("data/cache")
    # vader_fin's 3-class cut (hkbt sentiment eval/score); vader and lm use their authors' +/-0.05
    positive_threshold: float = Field(0.3, ge=-1, le=1)
    negative_threshold: float = Field(-0.2, ge=-1, le=1)

    @model_validator(mode="after")
    def _class_cut(self) -> SentimentConfig:
        if self.negative_threshold >= self.positive_threshold:
            raise ValueError(
                f"negative_threshold ({self.negative_threshold}) must be below positive_threshold ({self.positive_threshold})"
            )
        return self


class SignalsConfig(_Model):
    """How scored news become per-session trading signals."""

    cutoff_before_open_minutes: int = Field(30, ge=0, le=600)
    market_wide_policy: bool = True


class PricesConfig(_Model):
    """Where daily OHLCV bars come from."""

    source: Literal["yfinance", "csv", "synthetic"] = "yfinance"
    csv_dir: Path = Path("../shared/data/prices")
    csv_files: dict[str, Path] = Field(default_factory=dict)
    cache_dir: Path = Path("data/prices")
    seed: int = 7

    @field_validator("csv_files")
    @classmethod
    def _ticker_keys(cls, value: dict[str, Path]) -> dict[str, Path]:
        for ticker in value:
            _check_ticker(ticker)
        return value


class StrategyConfig(_Model):
    """Which strategy runs, where it is found, and its own parameters."""

    name: str = Field("sentiment_long", description="the strategy: a file name in strategy.path or strategies/, a built-in, or an entry point")
    path: Path | None = Field(None, description="a folder of your own strategy files (or one .py file), searched first")
    params: dict[str, Any] = Field(default_factory=dict, description="the strategy's own parameters, checked by the strategy")
    _found: Any = PrivateAttr(None)  # hkbt.backtest.discovery.FoundStrategy, set when the config is validated

    @field_validator("name")
    @classmethod
    def _module_name(cls, value: str) -> str:
        if not re.match(r"^[a-z_][a-z0-9_]*$", value):
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

    brokerage_rate: float = Field(0.0003, ge=0, lt=0.05)
    brokerage_min: float = Field(50.0, ge=0)


class Config(_Model):
    """The whole experiment. Every key is documented in config.yaml."""

    run: RunConfig = Field(default_factory=RunConfig)
    universe: UniverseConfig = Field(default_factory=UniverseConfig)
    news: NewsConfig = Field(default_factory=NewsConfig)
    sentiment: SentimentConfig = Field(default_factory=SentimentConfig)
    topics: dict[str, list[str]] = Field(default_factory=lambda: {t: list(p) for t, p in DEFAULT_TOPICS.items()})
    signals: SignalsConfig = Field(default_factory=SignalsConfig)
    prices: PricesConfig = Field(default_factory=PricesConfig)
    strategy: StrategyConfig = Field(default_factory=StrategyConfig)
    costs: CostsConfig = Field(default_factory=CostsConfig)

    @field_validator("topics")
    @classmethod
    def _patterns_compile(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for topic, patterns in value.items():
            if not re.match(r"^[a-z][a-z0-9_]*$", topic):
                raise ValueError(f"topic name {topic!r} must be lower_snake_case")
            for pattern in patterns:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"topic {topic}: pattern {pattern!r} is not a valid regex ({exc})") from None
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
        """Plain, JSON/YAML-safe dict of every setting (defaults included)."""
        return json.loads(self.model_dump_json())

    def config_hash(self) -> str:
        """sha256 of the resolved settings, independent of key order and comments."""
        blob = json.dumps(self.resolved(), sort_keys=True).encode()
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
    overridden = [apply_override(raw, item) for item in overrides]
    return validate_config(raw, Path(path).resolve().parent, lambda loc: _place(loc, str(path), lines, overridden), strategy=strategy)


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
    """
    key, sep, value = item.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"--set {item}", "expected KEY=VALUE, e.g. --set strategy.params.hold_days=10")
    try:
        parsed = parse_yaml(value, f"--set {key}")[0] if value.strip() else None
    except YAMLSyntaxError:
        parsed = value  # not YAML: the text as it is (the schema then types it)
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
            child = field.get_default(call_default_factory=True)  # extend the defaults, not replace them
        if child is None:
            child = {}
        if not isinstance(child, dict):
            raise ConfigError(f"--set {key}", f"{part} is not a section")
        node[part] = child
        node = child
        if get_origin(annotation) is dict:
            parts = [".".join(parts)]
            model = None
        else:
            model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    node[parts[0]] = parsed
    return tuple(path) + (parts[0],)


def _place(loc: tuple[str, ...], where: str, lines: dict[tuple[str, ...], int], overridden: list[tuple[str, ...]]) -> str:
    """``file:line`` of the deepest part of ``loc`` found in the file, or ``--set`` if an override set it."""
    if any(loc[: len(path)] == path for path in overridden):
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
        return f"must be between {low:g} and {high:g}"
    return fallback


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
