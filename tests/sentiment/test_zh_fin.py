"""zh_fin, the Chinese scorer: each rule both ways, both scripts, lazy loading, the rule trace."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import REPO_ROOT
from hkbt.cli.main import cli
from hkbt.sentiment.zh_fin import ENGINE_VERSION, ZH_RULES, ZhFinScorer


@pytest.fixture(scope="module")
def zh() -> ZhFinScorer:
    return ZhFinScorer()


def score(scorer: ZhFinScorer, text: str) -> float:
    return float(scorer.score([text])[0])


def rules(scorer: ZhFinScorer, text: str) -> list[str]:
    return [rule for rule, _, _ in scorer.explain(text).fired]


@pytest.mark.parametrize(
    ("good", "bad"),
    [
        ("公司发布利好消息", "公司发布利空消息"),  # lexicon
        ("央行宣布降准", "央行宣布加息"),
        ("净利润同比增长40%", "净利润同比下降40%"),  # direction: more of a good quantity
        ("亏损收窄", "亏损扩大"),  # direction: a bad quantity
        ("降低成本", "成本上涨"),  # the quantity on the right, then on the left
        ("美国取消关税", "美国加征关税"),  # a restriction taken away / added
        ("遏制楼市下滑", "楼市下滑"),  # a stopping word turns a bad thing into good news
        ("股价创新高", "股价创新低"),
    ],
)
def test_rules_both_ways(zh, good, bad):
    assert score(zh, good) >= 0.3, zh.explain(good)
    assert score(zh, bad) <= -0.2, zh.explain(bad)


def test_negation_flips_and_degree_scales(zh):
    assert score(zh, "并非利好") < 0 < score(zh, "利好")
    assert score(zh, "未能扭亏") < 0 < score(zh, "扭亏")
    assert score(zh, "营收大幅增长") > score(zh, "营收增长") > score(zh, "营收小幅增长") > 0
    assert "negation" in rules(zh, "并非利好") and "degree" in rules(zh, "营收大幅增长")


def test_outer_change_decides(zh):
    """利润增长放缓: growth of profit slowed, which is bad news although profit grew."""
    assert score(zh, "利润增长放缓") < -0.2
    assert rules(zh, "利润增长放缓") == ["direction"]


def test_hedge_and_contrast(zh):
    assert 0 > score(zh, "净利润可能下降") > score(zh, "净利润下降")
    assert score(zh, "营收不及预期，但利润大增") > 0 > score(zh, "营收大增，但利润不及预期")
    assert "contrast" in rules(zh, "营收不及预期，但利润大增")


def test_direction_stays_in_its_clause(zh):
    """A comma ends a clause: 成本 is not the subject of 增长 in the next clause."""
    assert score(zh, "成本持平，销量增长") > 0


def test_stopping_words_count_once_and_reach_over_a_phrase(zh):
    """推迟 is bad news alone, good news when it puts off a bad thing, and counts once either way."""
    assert score(zh, "交付推迟") <= score(zh, "推迟") < -0.2 < 0.3 <= score(zh, "推迟加征关税")
    assert rules(zh, "推迟发布新模型").count("lexicon") == 1  # 发布, turned round; 推迟 itself is spent
    assert score(zh, "取消对中国电动车的额外关税") >= 0.3  # over 对…的
    assert score(zh, "不会将小米列入实体清单") >= 0.3 > 0 > score(zh, "将小米列入实体清单")  # 不会 scopes over 将…


def test_a_cause_is_not_what_stopped(zh):
    assert score(zh, "因事故暂停运营") < -0.2 and score(zh, "美团因补贴战暂停回购") < -0.2
    assert score(zh, "事故调查结束") > 0.2


def test_a_failed_rescue_is_bad_news(zh):
    assert score(zh, "救市措施未能遏制股市下跌") < -0.2 < 0.3 <= score(zh, "救市措施遏制股市下跌")


def test_negated_status_quo_and_whose_expectation(zh):
    assert score(zh, "央行没有如期降息") < -0.2 and abs(score(zh, "央行如期公布利率决定")) < 0.2
    assert score(zh, "业绩优于市场预期") == score(zh, "业绩优于预期") == score(zh, "業績優於分析師預期") > 0.3


def test_traditional_reads_as_simplified(zh):
    pairs = [("騰訊股價大漲", "腾讯股价大涨"), ("央行宣佈全面降準", "央行宣布全面降准"), ("證監會立案調查", "证监会立案调查")]
    for traditional, simplified in pairs:
        assert score(zh, traditional) == score(zh, simplified) != 0
    assert zh.normalise("ＡＩ晶片需求強勁") == "ai芯片需求强劲"


def test_plain_facts_and_empty_text_are_neutral(zh):
    assert score(zh, "") == 0.0
    assert abs(score(zh, "某公司召开年度股东大会")) < 0.2
    with pytest.raises(TypeError):
        zh.score([None])


def test_lexicon_words_stay_whole(zh):
    assert "创新高" in zh.segment("小米汽车交付量创新高")
    assert "立案调查" in zh.segment("证监会对某公司立案调查")


def test_explain_names_known_rules(zh):
    for text in ("遏制楼市下滑", "营收不及预期，但利润大增", "净利润可能大幅下降"):
        assert set(rules(zh, text)) <= set(ZH_RULES), text


def test_version_follows_the_lexicon():
    base = ZhFinScorer()
    changed = ZhFinScorer("@words\n利好\t+1.0\tgood news\n")
    assert base.version != changed.version and changed.version.startswith(f"{ENGINE_VERSION}+jieba")


def test_bad_lexicon_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown section"):
        ZhFinScorer("@feelings\n好\t1\tgood\n")
    with pytest.raises(ValueError, match="zh_fin.txt:2"):
        ZhFinScorer("@words\n利好\tbig\tgood\n")


def test_jieba_loads_only_when_a_text_is_scored():
    code = (
        "import sys; from hkbt.sentiment.scoring import get_scorer; s = get_scorer('zh_fin'); "
        "before = 'jieba' in sys.modules or 'opencc' in sys.modules; s.score(['利好']); "
        "print(before, 'jieba' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    assert out.stdout.split() == ["False", "True"]
    assert out.stderr == ""  # jieba's dictionary-loading chatter is silenced


def test_cli_score_shows_chinese_rules(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["sentiment", "score", "遏制楼市下滑", "Stocks rally"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "zh_fin" in out and "language zh" in out and "negation" in out and "遏制 → 下滑" in out
    assert "vader_fin" in out and "language en" in out


# Event families (issue 9, round 2), each in both directions, simplified and traditional. Written for these
# tests, in our own words; the first half before the round-2 rules, the second half as a fresh check after them.
FAMILY_CASES: dict[str, list[tuple[str, str]]] = {
    "traditional": [
        ("positive", "騰訊季度純利按年增長兩成，勝市場預期"),
        ("negative", "網易遊戲收入按年下跌，遜於市場預期"),
        ("positive", "阿里巴巴宣佈增加回購規模至250億美元"),
        ("negative", "美團宣佈暫停回購計劃"),
        ("positive", "人行下調存款準備金率0.5個百分點"),
        ("negative", "美國將更多中國晶片企業列入實體清單"),
        ("positive", "比亞迪上月銷量按年大增逾四成"),
        ("negative", "京東季度盈利倒退，股價急挫"),
        ("positive", "港府宣佈減免股票印花稅"),
        ("negative", "美國商務部把多間中國企業加入出口管制名單"),
        ("positive", "金管局跟隨美聯儲減息"),
        ("negative", "小米汽車因安全問題召回逾三萬輛"),
        ("positive", "騰訊獲納入恒指成份股比重上調"),
        ("neutral", "網易將於下月公佈第三季業績"),
        ("positive", "阿里巴巴雲業務收入增長加快"),
        ("negative", "吉利汽車預警上半年純利大跌"),
    ],
    "negation": [
        ("negative", "央行没有如期降息"),
        ("positive", "美国商务部表示不会将小米列入实体清单"),
        ("negative", "新游戏未能获得版号"),
        ("positive", "监管部门无意对平台企业加强处罚"),
        ("negative", "小米汽车交付量并未如市场预期般增长"),
        ("negative", "市场期待的刺激措施并没有出台"),
        ("positive", "腾讯并未受到新规影响，股价上涨"),
        ("negative", "小米未能进入新能源车补贴名单"),
        ("positive", "美联储暂不加息，亚洲股市上扬"),
        ("negative", "百度自动驾驶业务仍未实现盈利"),
    ],
    "rescue": [
        ("positive", "国务院出手救市，承诺稳定股市"),
        ("positive", "政治局会议要求推动楼市止跌回稳"),
        ("positive", "央行出手遏制人民币贬值"),
        ("negative", "救市措施未能遏制股市下跌"),
        ("positive", "汇金增持ETF托底市场"),
        ("positive", "央行注入流动性稳定金融市场"),
        ("positive", "地方政府出台措施提振楼市"),
        ("positive", "中央汇金出手护盘，A股止跌"),
        ("negative", "楼市刺激政策效果不彰，房价继续下跌"),
    ],
    "rates": [
        ("positive", "人民银行下调五年期LPR 25个基点"),
        ("negative", "银行上调房贷利率"),
        ("negative", "分析师下调阿里巴巴目标价"),
        ("positive", "大行上调腾讯评级至买入"),
        ("negative", "惠誉下调中国主权信用评级"),
        ("positive", "美联储宣布减息，港股造好"),
        ("positive", "人行宣布全面降准并下调政策利率"),
        ("negative", "多家银行上调存款准备金要求"),
        ("positive", "高盛上调美团目标价至200港元"),
        ("negative", "摩根士丹利将京东评级下调至减持"),
    ],
    "sanction": [
        ("negative", "美国商务部对多家中国AI公司实施出口管制"),
        ("positive", "美国将小米从国防部黑名单中移除"),
        ("negative", "欧盟宣布对中国电动车征收额外关税"),
        ("positive", "美国解除对华为部分芯片的出口限制"),
        ("negative", "美方收紧对华AI芯片出口"),
        ("positive", "中美同意暂停互加关税90天"),
        ("negative", "美国国防部将更多中国科技公司列入军事企业清单"),
        ("positive", "美国放宽对华芯片出口管制"),
        ("negative", "美国加征关税，港股大跌"),
        ("positive", "中美贸易谈判取得进展，关税有望下调"),
    ],
    "deal": [
        ("positive", "创始人增持公司股份"),
        ("negative", "大股东计划减持京东股份"),
        ("negative", "小米折让配售新股集资"),
        ("positive", "腾讯宣布新一轮股份回购"),
        ("negative", "软银沽出阿里巴巴股份套现"),
        ("positive", "百度获大行纳入首选股"),
        ("positive", "腾讯斥资增持网易股份"),
        ("negative", "阿里巴巴大股东减持套现"),
        ("positive", "京东宣布派发特别股息"),
        ("negative", "比亚迪遭巴菲特旗下公司持续减持"),
    ],
    "record": [
        ("positive", "比亚迪月销量创历史新高"),
        ("negative", "美团股价跌至五年新低"),
        ("negative", "青年失业率创新高"),
        ("positive", "小米股价创上市以来新高"),
        ("positive", "腾讯音乐付费用户数创新高"),
        ("negative", "蔚来股价创历史新低"),
        ("negative", "内地房价跌幅创十年最大"),
    ],
    "pause": [
        ("negative", "京东暂停派发中期股息"),
        ("positive", "网易恢复派息"),
        ("positive", "苹果恢复与阿里巴巴的AI合作"),
        ("negative", "萝卜快跑因事故暂停运营"),
        ("positive", "美国暂停对中国商品加征关税"),
        ("negative", "因监管原因，腾讯新游暂停上线"),
        ("positive", "滴滴恢复在应用商店上架"),
        ("positive", "监管部门解除对滴滴的新用户注册暂停"),
    ],
    "cancel": [
        ("positive", "美国取消对中国电动车的额外关税"),
        ("negative", "客户取消对比亚迪的大额订单"),
        ("positive", "监管部门撤销对滴滴的处罚"),
        ("negative", "政府取消新能源车购置补贴"),
        ("positive", "特朗普取消对中国商品的部分关税"),
        ("negative", "阿里巴巴取消分拆云业务计划"),
    ],
    "expect": [
        ("positive", "小米季度业绩远超预期"),
        ("negative", "蔚来交付量低于市场预期"),
        ("neutral", "腾讯季度收入符合预期"),
        ("positive", "美团季度业绩优于市场预期"),
        ("negative", "百度广告收入远低于预期"),
    ],
    "quantity": [
        ("positive", "京东净利润同比增长35%"),
        ("negative", "阿里巴巴净利润同比下降20%"),
        ("positive", "小米毛利率提升至22%"),
        ("negative", "蔚来亏损同比扩大"),
        ("positive", "比亚迪成本下降，利润率改善"),
        ("negative", "美团研发开支被削减"),
        ("positive", "小米智能手机出货量同比增长20%"),
        ("negative", "网易游戏收入同比减少15%"),
        ("positive", "蔚来亏损大幅收窄"),
        ("negative", "京东经营成本大幅上升"),
        ("positive", "比亚迪海外销量翻倍"),
    ],
    "fine": [
        ("negative", "阿里巴巴被处以巨额罚款"),
        ("negative", "证监会对某科技公司立案调查"),
        ("positive", "监管机构结束对腾讯音乐的反垄断调查"),
        ("negative", "网易因违规被监管部门约谈"),
        ("negative", "市场监管总局对美团处以罚款"),
        ("negative", "腾讯遭美国监管机构调查"),
        ("positive", "阿里巴巴与监管机构就调查达成和解"),
    ],
    "pricewar": [
        ("negative", "电动车价格战升级，比亚迪再度降价"),
        ("positive", "车企价格战有望缓和"),
        ("negative", "外卖平台补贴战加剧，美团利润承压"),
        ("negative", "智能手机价格战加剧，小米毛利率受压"),
        ("positive", "车企承诺不打价格战，比亚迪股价回升"),
    ],
    "delay": [
        ("negative", "小米新车交付推迟至明年"),
        ("negative", "百度推迟发布新一代文心大模型"),
        ("positive", "美国推迟对华加征关税"),
        ("positive", "深度求索提前发布R2模型"),
        ("negative", "小米YU7上市时间延后"),
        ("negative", "京东延迟公布业绩"),
    ],
    "launch": [
        ("negative", "小米新款手机发布后反应冷淡"),
        ("negative", "网易新游上线首周下载量远低于预期"),
        ("positive", "阿里巴巴发布新一代通义千问大模型"),
        ("positive", "比亚迪全系车型接入DeepSeek"),
        ("neutral", "腾讯将于下周举行年度游戏发布会"),
        ("positive", "百度推出文心大模型4.5并免费开放"),
        ("positive", "小米汽车获得大批订单"),
    ],
    "neutral": [
        ("neutral", "小米公布股东周年大会日期"),
        ("neutral", "阿里巴巴任命新首席财务官"),
        ("neutral", "京东公布末期股息的除净日"),
        ("neutral", "恒指今日窄幅上落，成交平淡"),
        ("neutral", "腾讯将在香港举行投资者日"),
        ("neutral", "比亚迪公布董事会会议日期"),
        ("neutral", "阿里巴巴发布年度环境、社会及管治报告"),
        ("neutral", "恒指收市微升0.1%"),
    ],
    "competition": [
        ("positive", "深度求索新模型性能比肩OpenAI"),
        ("negative", "蔚来市场份额被同行蚕食"),
    ],
}


@pytest.mark.parametrize(
    ("family", "label", "text"), [(family, label, text) for family, cases in FAMILY_CASES.items() for label, text in cases]
)
def test_event_families(zh, family, label, text):
    low, high = zh.class_thresholds
    value = score(zh, text)
    got = "negative" if value <= low else "positive" if value >= high else "neutral"
    assert got == label, (family, zh.explain(text))


def test_every_family_is_tested_both_ways():
    for family, cases in FAMILY_CASES.items():
        labels = {label for label, _ in cases}
        assert family == "neutral" or {"positive", "negative"} <= labels, family
