"""Tests for hkbt.sentiment.vader_fin: scorer direction, the lexicon in use, every rule both ways, and quality on
Financial PhraseBank and the held-out headlines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import HELDOUT, REPO_ROOT, one, require_shared
from hkbt.sentiment.scoring import Scorer, VaderScorer
from hkbt.sentiment.vader_fin import FIN_RULES, VaderFinScorer


# --- direction ---------------------------------------------------------------------------


class TestVaderFinDirection:
    @pytest.mark.parametrize(
        ("headline", "low", "high"),
        [
            ("Beijing unveils sweeping stimulus to support markets", 0.3, 1.0),
            ("Shares surge to record high after AI breakthrough", 0.5, 1.0),
            ("Hang Seng rallies as tech stocks rebound", 0.3, 1.0),
            ("Brokers upgrade Meituan after earnings beat estimates", 0.3, 1.0),
            ("PBOC announces surprise rate cut", 0.05, 1.0),
            ("Tencent unveils HK$100 billion buyback and dividend hike", 0.3, 1.0),
            ("US slaps new tariffs on Chinese tech", -1.0, -0.3),
            ("Regulator opens antitrust probe into platform", -1.0, 0.0),
            ("Export controls hit chipmakers", -1.0, 0.0),
            ("Alibaba shares plunge after profit warning", -1.0, -0.5),
            ("Tech stocks tumble in sell-off as price war deepens", -1.0, -0.5),
            ("Developer defaults on bonds, faces delisting", -1.0, -0.5),
        ],
    )
    def test_headline_direction(self, fin, headline, low, high):
        assert low < one(fin, headline) < high

    @pytest.mark.parametrize(
        ("headline", "sign"),
        [
            ("Central bank announces rate cut", +1),  # VADER reads "cut" as bad
            ("Tencent beats earnings estimates", +1),  # VADER does not know "beats"
            ("Analysts upgrade Meituan", +1),
            ("Regulator hits Alibaba with record fine", -1),  # VADER reads "fine" as good
            ("Chipmaker shares tumble", -1),  # VADER reads "shares" as good
            ("Shares of Alibaba fall", -1),
            ("Gross margin widens", +1),  # VADER reads "gross" as disgust; a wider margin is good news
        ],
    )
    def test_plain_vader_wrong_vader_fin_right(self, vader, fin, headline, sign):
        plain, tuned = one(vader, headline), one(fin, headline)
        assert np.sign(round(tuned, 3)) == sign
        assert np.sign(round(plain, 3)) != sign

    def test_negation_still_works_through_phrases(self, fin):
        assert one(fin, "No rate cut expected this year") < 0 < one(fin, "Rate cut expected this year")

    def test_scores_in_range_and_float64(self, vader, fin):
        texts = [
            "SURGE!!! Record profit, record high, buyback, stimulus, breakthrough, rally, upgrade!!!",
            "CRASH!!! Bankruptcy, default, crackdown, sanctions, tariffs, plunge, delisting!!!",
            "The company will publish results on Tuesday.",
        ]
        for scorer in (vader, fin):
            scores = scorer.score(texts)
            assert scores.dtype == np.float64 and scores.shape == (3,)
            assert np.all((scores >= -1) & (scores <= 1))
        tuned = fin.score(texts)
        assert tuned[0] > 0.9 and tuned[1] < -0.9 and tuned[2] == 0.0

    def test_empty_text_scores_zero(self, vader, fin):
        assert one(vader, "") == 0.0
        assert one(fin, "") == 0.0
        assert one(fin, "   ") == 0.0
        assert fin.score([]).shape == (0,)

    def test_rejects_non_text(self, fin):
        with pytest.raises(TypeError, match="str"):
            fin.score([None])


# --- lexicon -----------------------------------------------------------------------------


class TestLexicon:
    def test_shipped_file_parses_and_is_sane(self, fin):
        assert len(fin.entries) > 200 and len(fin.phrases) > 50
        assert all(-4 <= w <= 4 for w in fin.entries.values())
        # a few anchors of the documented groups
        assert fin.entries["tariffs"] < 0 < fin.entries["stimulus"]
        assert fin.entries["rate_cut"] > 0 > fin.entries["rate_hike"]
        assert fin.entries["shares"] == 0.0

    def test_phrases_are_joined_in_any_spelling(self, fin):
        assert fin.join_phrases("Record-High") == "record_high"
        assert fin.join_phrases("a record  high, again") == "a record_high, again"
        assert fin.join_phrases("Stocks SELL OFF") == "Stocks sell_off"
        assert fin.join_phrases("interest rate cut") == "interest_rate_cut"  # longest phrase wins
        assert fin.join_phrases("record highest") == "record highest"  # whole words only
        assert one(fin, "a sell-off") == one(fin, "a sell off") == one(fin, "a selloff")

    def test_zero_weight_removes_word(self, fin):
        assert "shares" not in fin.lexicon
        assert one(fin, "very shares") == 0.0

    def test_does_not_leak_into_plain_vader(self, fin):
        plain = VaderScorer()
        assert plain._analyzer.lexicon["fine"] == pytest.approx(0.8)
        assert "tariffs" not in plain._analyzer.lexicon
        assert "shares" in plain._analyzer.lexicon

    def test_version_follows_lexicon_content(self, fin):
        custom = VaderFinScorer(lexicon_text="tariffs\t-3.0\ttest entry\n")
        assert custom.version != fin.version
        assert VaderFinScorer().version == fin.version
        assert one(custom, "tariffs") < one(fin, "tariffs")


# --- vader_fin rules: every rule both ways ----------------------------------------------------------------

RULE_CASES = [
    # (text, expected sign, rule that must fire)
    ("Net profit rose 12 %", +1, "direction"),
    ("Wall Street rallies as West hits Russia with new sanctions", +1, "subordinate"),
    ("Shares slump as the regulator praises the merger", -1, "subordinate"),
    ("Net profit fell 12 %", -1, "direction"),
    ("Sales increased 5 % to HK$2 billion", +1, "direction"),
    ("Revenue decreased 5 %", -1, "direction"),
    ("Operating costs rose sharply", -1, "direction"),
    ("Operating costs fell", +1, "direction"),
    ("Operating loss narrowed", +1, "direction"),
    ("Operating loss widened", -1, "direction"),
    ("The company cut costs", +1, "direction"),
    ("The company cut 300 jobs", -1, "direction"),
    ("An increase in debt", -1, "direction"),
    ("A decline in debt", +1, "direction"),
    ("Higher costs", -1, "direction"),
    ("Lower costs", +1, "direction"),
    ("Higher sales", +1, "direction"),
    ("Lower sales", -1, "direction"),
    ("Sales growth slowed", -1, "direction"),
    ("Sales growth accelerated", +1, "direction"),
    ("Profit was up 8 % on the year", +1, "direction"),
    ("Profit was down 8 % on the year", -1, "direction"),
    ("Inflation eased in March", +1, "direction"),
    ("Inflation accelerated in March", -1, "direction"),
    ("Brokerage raises its price target", +1, "direction"),
    ("Brokerage lowers its price target", -1, "direction"),
    ("Washington eases export controls", +1, "direction"),
    ("Washington tightens export controls", -1, "direction"),
    ("The operating loss improved", +1, "direction_fixed"),
    ("Margins deteriorated", -1, "direction_fixed"),
    ("US lifts sanctions on chipmaker", +1, "restriction_lifted"),
    ("Regulator removes curbs on lending", +1, "restriction_lifted"),
    ("Operating profit was EUR 5.2 mn compared with EUR 3.1 mn", +1, "comparison"),
    ("Operating profit was EUR 3.1 mn compared with EUR 5.2 mn", -1, "comparison"),
    ("Net loss was EUR 2 mn compared with EUR 5 mn a year earlier", +1, "comparison"),
    ("Net loss was EUR 5 mn compared with EUR 2 mn a year earlier", -1, "comparison"),
    ("Operating profit EUR 5.2 mn ( EUR 3.1 mn )", +1, "comparison"),
    ("Pretax profit totalled EUR 8 mn , compared to a loss of EUR 1 mn", +1, "comparison"),
    ("Return on equity was 18.3 % compared to 15.4 %", +1, "comparison"),
    ("The unit swung to a net profit", +1, "transition"),
    ("The unit swung to a net loss", -1, "transition"),
    ("The airline returned to profit", +1, "transition"),
    ("The developer slipped into the red", -1, "transition"),
    ("Profit did not rise", -1, "negation"),
    ("Costs did not rise", +1, "negation"),
    ("Beijing pledges support for private firms", +1, "lexicon"),
    ("Chipmaker announces AI breakthrough", +1, "lexicon"),
    ("Stocks hit a record high", +1, "lexicon"),
    ("US slaps new tariffs on Chinese tech", -1, "direction"),
    ("Tariffs weigh on exporters", -1, "lexicon"),
    ("Regulator launches crackdown on platforms", -1, "lexicon"),
    ("Regulator opens probe into Alibaba", -1, "lexicon"),
    ("Developer faces delisting", -1, "lexicon"),
    ("Sales rose but margins fell sharply", -1, "but"),
    ("Sales fell but margins rose sharply", +1, "but"),
    ("Tariffs could rise", -1, "hedge"),
    ("Profit may double", +1, "hedge"),
    # issue 9's event rules
    ("Beijing moves to stem stock market rout", +1, "stop"),
    ("Politburo vows to halt the property slump", +1, "stop"),
    ("US court blocks the investment ban on the phone maker", +1, "stop"),
    ("China drops its antitrust probe into the chipmaker", +1, "stop"),
    ("Exports rose 3 %, in line with forecasts", +1, "status_quo"),
    ("Exports fell 3 %, in line with forecasts", -1, "status_quo"),
    ("Citi raises Meituan to buy", +1, "rating"),
    ("Nomura cuts JD.com to neutral", -1, "rating"),
    ("Brokerage upgrades the carmaker to neutral from sell", +1, "lexicon"),
    ("Regulator launches a probe into the ride-hailing app", -1, "carrier"),
    ("Tencent wins a lukewarm welcome for its new model", -1, "carrier"),
    ("'Happy Farm' maker's profit rose", +1, "quoted"),
    ("'Killer Instinct' maker's profit fell", -1, "quoted"),
    ("Walmart sells its entire JD.com stake", -1, "direction"),
    ("Founders buy nearly $200 million of Alibaba stock", +1, "direction"),
    ("Meituan pauses its buyback", -1, "direction"),
    ("HKMA lowers its base rate", +1, "direction"),
    ("Hong Kong raises stamp duty on share trading", -1, "direction"),
    ("China trims its one-year loan prime rate to a record low", +1, "direction"),
    # issue 9, round 2: general rules by verb and object class
    ("Profit rises 5%, disappointing investors", -1, "consequence"),
    ("Oil prices slump, boosting airline stocks", +1, "consequence"),
    ("Property measures fail to halt the slide in home sales", -1, "fail"),
    ("China rules out new curbs on online games", +1, "fail"),
    ("Carmaker's horror game tops the sales chart", +1, "genre"),
    ("Killer whale documentary studio posts a wider loss", -1, "genre"),
    ("US and China extend their tariff truce", +1, "relief"),
    ("The tariff truce expires", -1, "relief"),
    ("Robotaxi service passes 10 million rides", +1, "milestone"),
    ("Beijing's stimulus briefing falls short", -1, "verdict"),
    ("The tech crackdown is over", +1, "stop"),
    ("The chipmaker's winning streak ends", -1, "stop"),
    ("Regulator delays the launch of the new game", -1, "stop"),
    ("Alibaba won't be added to the entity list", +1, "negation"),
    ("Goldman turns overweight on Chinese stocks", +1, "rating"),
    ("Broker goes underweight on the carmaker", -1, "rating"),
    ("Credit outlook revised to stable from negative", +1, "rating"),
    ("Tencent's 'great' game pipeline fails to lift revenue", -1, "quoted"),
    ("Xiaomi's EV unit posts its first quarterly operating profit", +1, "transition"),
    ("Shanghai Composite adds 1.3%", +1, "direction"),
    ("Hang Seng sheds 2.1%", -1, "direction"),
    ("16 dead in shopping mall fire", -1, "no_market"),
    ("Sprinter wins gold medal in record time", +1, "no_market"),
    ("US and EU agree on tariff removal", +1, "relief"),
    ("Beijing slams US licence withdrawals", -1, "relief"),
    ("Probe launched into dairy imports", -1, "carrier"),
    # issue 9, round 3: generic statements from the TFNS and real development headlines
    ("Will Alibaba's cloud sales double?", +1, "question"),
    ("Is Tencent's profit set to fall?", -1, "question"),
    ("EPS in-line, beats on revenue", +1, "status_quo"),
    ("EPS in-line, misses on revenue", -1, "status_quo"),
    ("China urges the Philippines to honour its commitments", +1, "wish"),
    ("China urges the Philippines to honour its commitments as tensions rise", -1, "wish"),
    # issue 9, round 4: families of the round-2 blind misses
    ("Alibaba wins appeal against a Hong Kong tax assessment", +1, "contest"),
    ("Alibaba loses appeal against record antitrust fine", -1, "contest"),
    ("Shooter game crushes download records", +1, "record"),
    ("Losses set an annual record", -1, "record"),
    ("Hong Kong's economy is resilient: FS", +1, "remark"),
    ("Trade wars leave no winners: Xi", -1, "remark"),
    ("Regulator withholds approval for the chatbot launch", -1, "direction"),
    ("Labs could be cut off from cloud GPUs under new US rules", -1, "direction"),
]


def test_carrier_agreeing_object_keeps_both(fin):
    """A launch of something good is better news than the launch alone; the carrier rule leaves it."""
    assert one(fin, "Tencent unveils a breakthrough reasoning model") > one(fin, "Tencent unveils a reasoning model") > 0


def test_milestone_of_a_bad_quantity_is_not_one(fin):
    assert "milestone" not in {r for r, _, _ in fin.explain("Losses pass $1 billion").fired}
    assert one(fin, "Losses pass $1 billion") < 0
    assert "milestone" not in {r for r, _, _ in fin.explain("Hang Seng hits 3-month low").fired}  # a period, not a figure


def test_verdict_after_a_bad_thing_changes_nothing(fin):
    explanation = fin.explain("The antitrust probe falls short")
    assert "verdict" not in {r for r, _, _ in explanation.fired} and explanation.score < one(fin, "falls short") < 0


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("Italy's privacy watchdog blocks DeepSeek over data concerns", -1),  # the concerns are the reason, not the object
        ("Tencent no longer faces a licence freeze", +1),  # the phrase's head (freeze) decides
        ("Nvidia no longer expects any H20 sales in China", -1),  # a good quantity named alone is the object
        ("Commerce Department drops rule that would have capped AI chip exports", +1),  # a relative clause
        ("Beijing steps in to halt stock rout", +1),  # 'stock rout' is a rout, not stocks
        ("NetEase revenue growth stalls", -1),
        ("Carmaker delays its IPO", -1),
        ("Stimulus package fails to stop stocks from sliding", -1),
        ("BYD fends off rivals to keep its crown", +1),
        ("Hong Kong's benchmark index ends at its highest since 2021", +1),  # 'ends at' says where it finished
    ],
)
def test_stop_end_and_fail_read_the_object(fin, text, sign):
    assert np.sign(one(fin, text)) == sign, fin.explain(text)


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("China urges US to immediately cancel new tariffs", -1),  # asked for, not done: the tariffs stand
        ("McDonald's suspends buybacks, leaves dividend policy unchanged", -1),  # 'unchanged' is its own clause
        ("China's GDP rises 6.5 percent, slowest since 2009", -1),  # the record after the comma is the verdict
        ("Vacancies in key retail areas drop to 6-year low", +1),  # the level reached belongs to the change
        ("HSI adds 1pc despite losses on Wall Street", +1),
        ("Hang Seng ends 1.2% higher", +1),  # 'ends' says where it finished
        ("Hang Seng loses 300 points", -1),
        ("Morgan Stanley dismisses traders linked to concealment of a loss", -1),  # the object ends before 'linked'
        ("Apple tells Congress it found no signs of hacking attack", +1),
    ],
)
def test_round2_general_cases(fin, text, sign):
    assert np.sign(one(fin, text)) == sign, fin.explain(text)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        # a question asks: neutral at the cut; the same words reported are news
        ("Is Shopify stock a buy?", -0.2, 0.3),
        ("Should you add these three chip funds to your portfolio?", -0.2, 0.3),
        ("Analysts upgrade Shopify stock to buy", 0.3, 1.0),
        ("Xiaomi's profit doubles. Will it last?", 0.3, 1.0),  # the reported sentence keeps its weight
        # a hashtag files the text under a topic; the same word in the text is read
        ("Investor presentation slideshow #investing #markets", -0.2, 0.3),
        ("Alibaba pledges to keep investing in AI", 0.3, 1.0),
        # a superlative before a noun that is no quantity sizes that noun, not the subject
        ("Stocks making the biggest moves midday: Tesla, FedEx and more", -0.2, 0.3),
        ("Gold imports fell as the slowest economic growth in six years curbed demand", -1.0, -0.2),
        ("Tencent pays its biggest dividend in a decade", 0.3, 1.0),
        # 'top' with no subject before it is an adjective: a list, not a rise
        ("Top 10 stocks to watch this week", -0.2, 0.3),
        ("News highlights: Top energy news of the day", -0.2, 0.3),
        ("Alibaba's cloud sales top $10 billion", 0.3, 1.0),
        # receiving verbs take what is received from the right, never a subject from the left
        ("Trump's budget gets a chilly reception from Congress", -0.2, 0.3),
        ("Tencent wins approval for its new game", 0.3, 1.0),
        # a full stop after a capitalised word ends a sentence in title case too
        ("Alibaba Earnings Call Transcript. Up Next: Tencent", -0.2, 0.3),
        ("Alibaba earnings are up", 0.3, 1.0),
        # 'cuts to hold' is a rating, 'to hold a hearing' a date
        ("Deutsche Bank cuts Alibaba to hold", -1.0, -0.2),
        ("US trade officials to hold a hearing on chip exports next month", -0.2, 0.3),
        # hoped for or asked for is not done; a bad thing named in the request stands
        ("China hopes for peaceful coexistence with the US", -0.2, 0.3),
        ("China urges the Philippines to honour its commitments", -0.2, 0.3),
        ("China urges the US to cancel new tariffs", -1.0, -0.2),
        ("Trump urges the Fed to lower interest rates", -0.2, 0.3),
        ("The Fed lowers interest rates", 0.3, 1.0),
        ("Peaceful coexistence restored as the two sides honour commitments", 0.3, 1.0),
        ("Demand for Hong Kong property is very strong", 0.3, 1.0),  # 'demand' the quantity, not the verb
        # a carrier verb before a publication launches nothing
        ("China releases April trade data", -0.2, 0.3),
        ("Tencent unveils its annual report", -0.2, 0.3),
        ("Tencent unveils its new reasoning model", 0.3, 1.0),
        # sector and company names are no opinions
        ("Amazon opens a new office in Hong Kong", -0.2, 0.3),
        ("Country Garden's debt is in focus", -0.2, 0.3),
        ("Country Garden's debt soars", -1.0, -0.2),
        ("Beauty and entertainment stocks in focus", -0.2, 0.3),
        ("Stock market highlights: gainers and losers of the day", -0.2, 0.3),
        # a disaster with no market word is no trading news, however grim
        ("Pavilion collapse kills six in Jiangsu", -0.2, 0.3),
        ("Factory collapse kills six and halts Xiaomi phone output", -1.0, -0.2),
    ],
)
def test_round3_generic_statements(fin, text, low, high):
    assert low <= one(fin, text) <= high, fin.explain(text)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        # withholding, suspending or ending without a good thing is bad news; of a bad thing, good news
        ("Regulator withholds the licence for the new mobile game", -1.0, -0.2),
        ("Carmaker suspends share repurchases to fund a price war", -1.0, -0.2),
        ("Beijing suspends extra tariffs on US farm goods", 0.3, 1.0),
        ("Stocks fall for a fourth session, erasing stimulus gains", -1.0, -0.2),
        # a negation does not reach across a comma; the stop verb before 'without' stops nothing
        ("NPC session ends without new stimulus, disappointing investors", -1.0, -0.2),
        ("Talks end without a deal, but shares rally", 0.3, 1.0),
        # who won a contest in court decides; a court throwing out a claim is good news for the defendant
        ("Online retailer wins its appeal over a customs penalty", 0.3, 1.0),
        ("Court dismisses shareholder suit against the retailer", 0.3, 1.0),
        ("Court rejects patent claim against the phone maker", 0.3, 1.0),
        ("Regulator rejects the merger", -1.0, -0.2),
        ("Shareholders file suit against the retailer", -1.0, -0.2),
        ("Other lenders follow suit", -0.2, 0.3),
        # records broken
        ("New phone shatters pre-order records", 0.3, 1.0),
        ("Carmaker smashes its monthly sales record", 0.3, 1.0),
        # an official's remark with no event in it is no trading news; the same words as a report are,
        # and an official reporting an event keeps its weight
        ("HK's wealth management sector resilient: FS", -0.2, 0.3),
        ("Officials say the city's prospects remain bright despite challenges", -0.2, 0.3),
        ("HK's wealth management sector resilient", 0.3, 1.0),
        ("Theranos lays off most of its remaining workforce: WSJ", -1.0, -0.2),
        ("China is not considering new curbs on the gaming industry, official says", 0.3, 1.0),
        # new restrictions are imposed ones; complying with new rules is housekeeping, new shares are no curb
        ("US readies new export curbs on chip tools", -1.0, -0.2),
        ("Tencent updates its articles of association to comply with new listing rules", -0.2, 0.3),
    ],
)
def test_round4_families(fin, text, low, high):
    assert low <= one(fin, text) <= high, fin.explain(text)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        # company statements (the register of tests/data/statements_en_dev.csv), in our own words
        ("Earnings per share came in at EUR 0.11 (EUR 0.27).", -1.0, -0.2),  # 'per share' is no market share
        ("Profit before taxes increased by 12 % to SEK 88 mn.", 0.3, 1.0),  # 'taxes' is part of the profit
        ("The order book at the end of December stood at EUR 410 mn.", -0.2, 0.3),  # 'the end of' is a date
        ("The lease agreement runs until the end of 2015.", -0.2, 0.3),
        ("Northvale has received an order worth EUR 25 mn for two harbour cranes.", 0.3, 1.0),
        ("The client cancelled its order for two harbour cranes.", -1.0, -0.2),
        ("The temporary lay-offs announced in March have been cancelled as demand recovered.", 0.3, 1.0),
        ("The acquisition is subject to approval by the competition authorities.", -0.2, 0.3),
        ("The competition authority blocked the acquisition.", -1.0, -0.2),
        ("The shares will be repurchased through public trading at the market price.", -0.2, 0.3),
        ("The company has received a notification that the fund's holding has fallen below 10 %.", -0.2, 0.3),
        ("Anna Berg will succeed Mikko Laine as chief financial officer on 1 June.", -0.2, 0.3),
        ("Net sales were EUR 50.3 mn, compared with EUR 50.1 mn a year earlier.", -0.2, 0.3),  # under 1 %: no news
        ("Net sales were EUR 58.3 mn, compared with EUR 50.1 mn a year earlier.", 0.3, 1.0),
        ("The problems at the Oulu plant have now been fixed and production has returned to normal.", 0.3, 1.0),
        ("The new share issue would dilute current owners by about a quarter.", -1.0, -0.2),
        ("The closure of the loss-making unit will lift operating profit.", 0.3, 1.0),
        ("The closure of its largest plant was announced on Monday.", -1.0, -0.2),
        ("The mill will stop for its annual maintenance shutdown in August, as every year.", -0.2, 0.3),
        ("Orders from the oil and gas sector doubled.", 0.3, 1.0),
        # levels after a period; of a bad quantity the other way round
        ("Hang Seng closes at a three-year high", 0.3, 1.0),
        ("Yuan slides to a 14-month low against the dollar", -1.0, -0.2),
        ("Treasury yields hover near 15-month lows", 0.3, 1.0),
        # broker moves and hopes as nouns
        ("Broker upgrades the carmaker to overweight", 0.3, 1.0),
        ("Central bank holds rates, dashing hopes for easing", -1.0, -0.2),
        # regulators' words, subsidies, contracts, courts
        ("Exchange opens inquiry into unusual trading in the shares", -1.0, -0.2),
        ("SFC censures brokerage over anti-money laundering lapses", -1.0, -0.2),
        ("Beijing widens trade-in subsidies to phones", 0.3, 1.0),
        ("Local governments scale back car purchase subsidies", -1.0, -0.2),
        ("Court sides with the retailer in trademark dispute", 0.3, 1.0),
        ("Retailer loses bid to overturn antitrust penalty", -1.0, -0.2),
        ("Regulator closes its probe into the platform", 0.3, 1.0),
        ("The two firms will close the merger on Dec. 4", -0.2, 0.3),
    ],
)
def test_round4_statements_and_events(fin, text, low, high):
    assert low <= one(fin, text) <= high, fin.explain(text)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        # a small move is no move; the same move unqualified is
        ("Local stocks up slightly in morning trading", -0.2, 0.3),
        ("Hong Kong stocks open marginally down", -0.2, 0.3),
        ("Local stocks up sharply in morning trading", 0.3, 1.0),
        # reference pieces and open questions report no move
        ("Factbox: European banks hit by money laundering scandal", -0.2, 0.3),
        ("European banks hit by money laundering scandal", -1.0, -0.2),
        ("Analysts debate whether the Hang Seng rally has further to run", -0.2, 0.3),
        # a quantity right after a transitive verb is what changed, not the subject before it
        ("Hong Kong stocks extend losses at open", -1.0, -0.2),
        ("Hong Kong stocks extend gains at open", 0.3, 1.0),
        ("Stocks pare early gains", -1.0, -0.2),
        ("Marketing expenses increase, weighing on profit", -1.0, -0.2),
        # a level passed at the close
        ("Hang Seng Index closes above 23,000", 0.3, 1.0),
        ("Hang Seng Index closes below 20,000", -1.0, -0.2),
        # batch 5 of our own sentences: purchases halted, fines annulled, streaks, charts, appeals refused
        ("Beijing halts purchases of US soybeans", -1.0, -0.2),
        ("Court annuls fine imposed on the payment affiliate", 0.3, 1.0),
        ("Hang Seng extends losing streak to five sessions", -1.0, -0.2),
        ("Hang Seng snaps losing streak", 0.3, 1.0),
        ("New title tops global download charts in its first week", 0.3, 1.0),
        ("Phone maker's appeal against US investment ban rejected", -1.0, -0.2),
        ("The contract was terminated because the customer went into receivership.", -1.0, -0.2),
    ],
)
def test_round4_real_headline_families(fin, text, low, high):
    assert low <= one(fin, text) <= high, fin.explain(text)


# Round 5 of issue 9 (tests/data/README_selfcheck.md): families read on the round-3 blind set (development data since)
# and on our own batches, each in sentences of our own that appear in no labelled set.
@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        # rates and costs whose rise hurts are bad quantities; a cost that cuts a profit is its cause
        ("Shibor falls to a three-month low as liquidity improves", 0.3, 1.0),
        ("HIBOR jumps to its highest since 2022", -1.0, -0.2),
        ("Input prices ease, lifting carmakers' margins", 0.3, 1.0),
        ("Higher chip costs cut the handset maker's profit by a third", -1.0, -0.2),
        ("Cheaper memory lifts the phone maker's quarterly margin", 0.3, 1.0),
        ("Tariffs cut Chinese exporters' sales", -1.0, -0.2),
        ("Input costs squeeze the carmaker's margins", -1.0, -0.2),
        ("Rate fears weigh on tech stocks", -1.0, -0.2),
        ("Margins squeezed by rising component prices", -1.0, -0.2),
        ("Easing freight rates lift the exporter's margins", 0.3, 1.0),
        # a restriction as the subject of a blocking verb bites; easing it is good news
        ("New export curbs bar Nvidia from selling its H20 chip", -1.0, -0.2),
        ("Beijing eases curbs on foreign gaming firms", 0.3, 1.0),
        # what a stopped plan would have done is part of what was stopped; phrasal retreats end what they leave
        ("Regulator withdraws the draft rule that would have capped gaming spending", 0.3, 1.0),
        ("Province scraps the subsidy scheme that would have boosted EV sales", -1.0, -0.2),
        ("Microsoft backs away from two data-centre projects", -1.0, -0.2),
        ("Beijing pulls back from its crackdown on tutoring firms", 0.3, 1.0),
        # the field of a race, and verbs of saying, are no quantities
        ("Kimi trails rivals in monthly users", -1.0, -0.2),
        ("Qwen beats rivals on coding benchmarks", 0.3, 1.0),
        ("Startup claims it matches GPT-4 at a tenth of the cost", 0.3, 1.0),
        # launches, setbacks, names, listings, break-even, approvals, adoption (each family both ways where it has two)
        ("Xiaomi open-sources its MiMo reasoning model", 0.3, 1.0),
        ("Huawei's new foldable goes on sale in China", 0.3, 1.0),
        ("The new iPhone will go on sale on Friday", -0.2, 0.3),
        ("Ride-hailing app goes dark for four hours after a server fault", -1.0, -0.2),
        ("Couriers go on strike in three cities", -1.0, -0.2),
        ("Chip shortage forces a two-week halt at the EV plant", -1.0, -0.2),
        ("Great Wall Motor cuts its dividend", -1.0, -0.2),
        ("Great Wall Motor names a new finance chief", -0.2, 0.3),
        ("US drops plan to put Chinese drone makers on the entity list", 0.3, 1.0),
        ("Beijing lifts its ban on the chipmaker's products in critical networks", 0.3, 1.0),
        ("US blacklists a dozen Chinese AI firms", -1.0, -0.2),
        ("FCC moves to revoke the carrier's operating licence", -1.0, -0.2),
        ("Carmaker no longer expects to break even next year", -1.0, -0.2),
        ("EV maker breaks even for the first time", 0.3, 1.0),
        ("Music streaming unit is in the black for the first time", 0.3, 1.0),
        ("Fed lowers rates by a quarter point", 0.3, 1.0),
        ("Chipmaker guides revenue above the Street", 0.3, 1.0),
        ("EU antitrust regulator signs off on the carmaker's plant subsidies", 0.3, 1.0),
        ("Surging memory prices eat into the phone maker's earnings", -1.0, -0.2),
        ("Plunging fuel costs lift airline margins", 0.3, 1.0),
        ("Game pulls in 5 million pre-orders in a week", 0.3, 1.0),
        ("Challenger draws level with the market leader in app downloads", 0.3, 1.0),
        ("Tencent Cloud knocked offline by a power failure", -1.0, -0.2),
    ],
)
def test_round5_families(fin, text, low, high):
    assert low <= one(fin, text) <= high, fin.explain(text)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        # round 5, company statements (the register of statements_en_dev2.csv), in our own words: a fall "to" a
        # figure, states reached, quantities of a results release, boilerplate and flagging notices; then a stop
        # verb with an object after it, leaderboards, service failures, rates and authorisations
        ("The gross margin declined to 21.4 % from 24.0 %.", -1.0, -0.2),
        ("The company declined to comment on the report.", -0.2, 0.3),
        ("The group turned to a pre-tax profit of EUR 1.1 mn.", 0.3, 1.0),
        ("Diluted earnings per share rose to EUR 0.42.", 0.3, 1.0),
        ("Customer churn fell to 8 % in the quarter.", 0.3, 1.0),
        ("Full-year operating profit is expected to fall short of last year's.", -1.0, -0.2),
        ("The company received an order worth EUR 40 mn from a Swedish utility.", 0.3, 1.0),
        ("The board proposes an extra dividend of EUR 0.50 per share.", 0.3, 1.0),
        ("Cost savings are now estimated at EUR 25 mn, up from EUR 15 mn.", 0.3, 1.0),
        ("Production was cut because of a lack of orders.", -1.0, -0.2),
        ("This release contains forward-looking statements that involve risks and uncertainties.", -0.2, 0.3),
        ("The company has been notified that the fund's holding has exceeded 10 % of the voting rights.", -0.2, 0.3),
        ("The company has no plans for further share issues.", -0.2, 0.3),
        ("A shortage of memory chips stalls the server maker's expansion", -1.0, -0.2),
        ("The crackdown on tutoring firms stalls", 0.3, 1.0),
        ("Ride-hailing app's new model tops the leaderboard", 0.3, 1.0),
        ("Delivery app crashes during a shopping festival", -1.0, -0.2),
        ("Regulator cuts the down-payment ratio for second homes", 0.3, 1.0),
        ("Central bank trims the reverse repo rate", 0.3, 1.0),
        ("The new drug won marketing authorisation in the EU", 0.3, 1.0),
    ],
)
def test_round5_statements_and_events(fin, text, low, high):
    assert low <= one(fin, text) <= high, fin.explain(text)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        # round 5, last families: goals and launch windows missed, publications and repeated pledges, rankings
        # left or passed, reviews closed without penalty, deals priced against the market, dates, names taken off a
        # list, a split phrasal verb, audiences, failures, availability, reviews passed, curbs by licence
        ("Carmaker misses its annual delivery goal", -1.0, -0.2),
        ("Carmaker beats its annual delivery goal", 0.3, 1.0),
        ("Studio misses the launch window for its new shooter", -1.0, -0.2),
        ("Tencent unveils a new logo for QQ", -0.2, 0.3),
        ("Apple reaffirms its pledge to invest in China", -0.2, 0.3),
        ("Search firm slips out of the top five cloud providers", -1.0, -0.2),
        ("Open model edges past a US rival on a coding leaderboard", 0.3, 1.0),
        ("Regulator closes its review of the platform with no penalty", 0.3, 1.0),
        ("Phone maker places new shares at a 6% discount", -1.0, -0.2),
        ("Consortium offers HK$5 a share, a 40% premium", 0.3, 1.0),
        ("Decision on the merger expected by the end of the quarter", -0.2, 0.3),
        ("Court orders the Pentagon to take the phone maker off its military company list", 0.3, 1.0),
        ("Asian markets mixed: chip gains offset bank losses", -0.2, 0.3),
        ("Meituan rolls its drone service out to three more cities", 0.3, 1.0),
        ("Carmaker pushes its flagship launch back to next year", -1.0, -0.2),
        ("New drama racks up 500 million views in a week", 0.3, 1.0),
        ("Software update bricks older phones", -1.0, -0.2),
        ("Developer reaches a deal with offshore creditors", 0.3, 1.0),
        ("Chipmaker makes its new accelerator available to cloud customers", 0.3, 1.0),
        ("Chatbot passes the regulator's security review", 0.3, 1.0),
        ("Game returns to app stores after a two-month review", 0.3, 1.0),
        ("US requires a licence for AI chip sales to the Gulf", -1.0, -0.2),
        ("Courier starts same-day delivery in ten cities", 0.3, 1.0),
        ("Chatbot becomes the most-used AI app in China", 0.3, 1.0),
        ("EV start-up runs out of cash", -1.0, -0.2),
        ("Board approves the appointment of a new company secretary", -0.2, 0.3),
    ],
)
def test_round5_last_families(fin, text, low, high):
    assert low <= one(fin, text) <= high, fin.explain(text)


def test_names_in_capitals_only_in_sentence_case(fin):
    """A capitalised everyday word inside a name is no feeling; a title-case headline capitalises every word."""
    assert "genre" in {rule for rule, _, _ in fin.explain("Great Wall Motor names a new finance chief").fired}
    assert "genre" not in {rule for rule, _, _ in fin.explain("Great Results Lift Tencent Shares").fired}
    assert one(fin, "Great Results Lift Tencent Shares") > 0.3


def test_no_market_words_leave_business_news_alone(fin):
    """A fire at a factory is business news: the no_market rule needs the absence of every market word."""
    assert "no_market" not in {r for r, _, _ in fin.explain("Fire halts production at Xiaomi's EV factory").fired}
    assert one(fin, "Fire halts production at Xiaomi's EV factory") < -0.3


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("Hong Kong condemns Taiwan over travel warning", -0.2, 0.2),  # no quantity, no business word: no_market
        ("Nanjing remembers massacre victims", -0.2, 0.2),
        ("Tencent is still China's second most valuable listed company, unchanged from a year ago", -0.2, 0.3),
        ("Meituan's Keeta app crashes during a World Cup promotion in Riyadh", -1.0, -0.2),  # the app is business
        ("Police detain several NetEase game executives in bribery probe", -1.0, -0.2),
    ],
)
def test_rules_without_a_quantity_fire_in_score_too(fin, text, low, high):
    """Round 6: 'unchanged' and the no_market words used to be read by score() only next to a quantity, while
    explain() always read them, so the two disagreed (Hong Kong condemns ... scored -0.61, explained -0.08)."""
    assert low <= one(fin, text) <= high, fin.explain(text)
    assert fin.explain(text).score == one(fin, text)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        # a deal agreed: signing verbs take the deal as what is gained; a sign of something is no signing
        ("CATL seals a supply pact with Stellantis", 0.3, 1.0),
        ("Hollywood studio signs a licensing deal to use Kling", 0.3, 1.0),
        ("Geely ends its supply pact with Renault", -1.0, -0.2),
        ("Factory data show signs of slowing growth", -1.0, -0.2),
        ("Lenovo signs memorandum of understanding with Saudi fund", -0.2, 0.3),  # binds nobody
        # limits on buying, and ceilings: scrapped or relaxed is good news; raising a ceiling loosens it
        ("Guangzhou abolishes purchase restrictions on second homes", 0.3, 1.0),
        ("Shenzhen reinstates home-purchase limits", -1.0, -0.2),
        ("Beijing relaxes the cap on foreign ownership of cloud operators", 0.3, 1.0),
        ("Beijing tightens the cap on foreign ownership of cloud operators", -1.0, -0.2),
        ("Regulator raises the cap on foreign ownership of brokers to 49%", 0.3, 1.0),
        ("Regulator lowers the cap on foreign ownership of brokers", -1.0, -0.2),
        # a passive's "by" phrase names the cause, not what a stop verb stopped
        ("Xiaomi's SU7 deliveries pushed back to the third quarter by a supplier shortage", -1.0, -0.2),
        # a platform's own subsidies are a cost; the state's stay good money
        ("Meituan's quarter lands in the red as delivery subsidies soar", -1.0, -0.2),
        ("Meituan to scale back delivery subsidies", 0.3, 1.0),
        ("State subsidies for EV buyers scaled back", -1.0, -0.2),
        # a figure equal to an earlier one, a procedure, a delay with no delay verb
        ("Regulator approves 130 games, same as October", -0.2, 0.3),
        ("Regulator approves 130 games, up from 90 in October", 0.3, 1.0),
        ("Hearing in shareholder suit adjourned to March", -0.2, 0.3),
        ("XPeng's flying car will arrive a year later than promised", -1.0, -0.2),
    ],
)
def test_round6_families(fin, text, low, high):
    """Round 6 (development families from events_en_heldout4.csv and the self-check batches), both ways."""
    assert low <= one(fin, text) <= high, fin.explain(text)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("Korea's central bank cuts rate for first time in three years", 0.3, 1.0),
        ("Brazil's central bank raises Selic by 50 bps to 11.25%", -1.0, -0.2),
        ("Enphase forecasts revenue below estimates", -1.0, -0.2),
        ("Aston Martin raises 100 million pounds in share placing", -1.0, -0.2),
        ("BHP writes down its nickel business by $3 billion", -1.0, -0.2),
        ("GM to take $5 billion charge on China business", -1.0, -0.2),
        ("SEC drops case against Coinbase", 0.3, 1.0),
        ("SEC files case against Coinbase", -1.0, -0.2),
        ("US exempts smartphones from reciprocal tariffs", 0.3, 1.0),
        ("Palantir joins S&P 500 index", 0.3, 1.0),
        ("Pemex to receive $5 billion capital injection from the government", 0.3, 1.0),
        ("Toyota to take Toyota Industries private for $33 billion", 0.3, 1.0),
        ("Trump postpones a planned tariff on Chinese goods", 0.3, 1.0),
        ("Xiaomi postpones a planned launch of its new phone", -1.0, -0.2),
        ("Nvidia sheds $400 billion in market value in one session", -1.0, -0.2),
        ("Xiaomi adds $20 billion in market value", 0.3, 1.0),
        ("Chinese stocks extend sell-off for fifth day", -1.0, -0.2),
        ("Xiaomi hits record HK$61 on car-order frenzy", 0.3, 1.0),
        ("Ant Group hit with record penalty", -1.0, -0.2),
        ("For a third straight year, BYD remains the top-selling car brand in China", -0.2, 0.3),
        ("Pandora keeps sales growth outlook", -0.2, 0.3),
        ("Harbour Fleet expects cargo volumes to keep growing strongly", 0.3, 1.0),
        ("Tencent's profit remains under pressure", -1.0, -0.2),
        ("Xiaomi grabs share from Apple in China's premium phone segment", 0.3, 1.0),
        ("Zeekr outpaced by Xiaomi in luxury EV orders", -1.0, -0.2),
        ("Tesla puts its Shanghai Megapack expansion on hold", -1.0, -0.2),
        ("Central bank keeps rates on hold", -0.2, 0.3),
        ("Geely's Galaxy E8 sales fizzle months after debut", -1.0, -0.2),
        ("NetEase dividend record date set for June 3", -0.2, 0.3),
        ("Geely denies report it plans to list Lynk & Co separately", -0.2, 0.3),
        ("SSE's six-month profit down 20% as flagged", -0.2, 0.3),
        ("Wells Fargo asset cap lifted by Fed after seven years", 0.3, 1.0),
        ("Canada to slap 25% surtax on steel and aluminium from China", -1.0, -0.2),
        ("Azul files for Chapter 11 in US", -1.0, -0.2),
        ("Intel board ousts CEO Gelsinger", -1.0, -0.2),
        ("US core inflation runs hotter than expected in September", -1.0, -0.2),
        ("Barrick's Mali mine seized by junta", -1.0, -0.2),
        ("Foxconn ramps up AI server output in Mexico to meet demand", 0.3, 1.0),
        ("US lawmakers propose adding CATL to a banned-supplier list", -1.0, -0.2),
        ("Bondholders to take a 25% haircut", -1.0, -0.2),
    ],
)
def test_round6_wire_and_event_families(fin, text, low, high):
    """Round 6, families read in the blind-written training sets (development data), both ways: rates singular and
    by name, results against estimates, dilution, write-downs and charges, cases dropped, index inclusion, rescue
    money, buyouts, what a stop verb's object is described by, market value, heavy selling, records hit, ranks and
    forecasts kept, market share won and lost, things put on hold, procedures, ceilings lifted, surtaxes, bankruptcy
    filings, ousted chiefs, hot inflation, seizures, capacity added for demand, lists that cut a company off."""
    assert low <= one(fin, text) <= high, fin.explain(text)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("Prosus steps up sales of Tencent shares, filings show", -1.0, -0.2),
        ("Prosus slows sales of Tencent shares", 0.3, 1.0),
        ("Xiaomi's sales of phones rose 20%", 0.3, 1.0),
        ("Washington and Beijing put tariff hikes on hold for three months", 0.2, 1.0),
        ("Tesla puts its Shanghai expansion on hold", -1.0, -0.2),
        ("US agrees to delay port fees on Chinese ships", 0.3, 1.0),
        ("US slaps new port fees on Chinese-built ships", -1.0, -0.2),
        ("US moves to curb chip exports to China", -1.0, -0.2),
        ("Budget scraps all remaining property cooling measures", 0.3, 1.0),
        ("HKMA relaxes loan-to-value caps for homebuyers", 0.3, 1.0),
        ("Stamp duty on home purchases halved for first-time buyers", 0.3, 1.0),
        ("Tariffs on EVs raised to 100%", -1.0, -0.2),
        ("Longi Green expects full-year loss on solar price slump", -1.0, -0.2),
        ("US core inflation cools more than forecast", 0.3, 1.0),
        ("Sensex closes at record as foreign money returns", 0.3, 1.0),
        ("Macau casino takings hit post-pandemic high", 0.3, 1.0),
        ("Bank of England signals rates will stay higher for longer", -1.0, -0.2),
        ("Moody's strips US of last triple-A rating", -1.0, -0.2),
        ("Black rainstorm signal hoisted; schools told to stay shut", -0.2, 0.3),
        ("Philippine helper wins bravery award for saving toddler", -0.2, 0.3),
        ("Teenager charged after knife attack at Sha Tin mall", -0.2, 0.3),
        ("Police detain several NetEase game executives in bribery probe", -1.0, -0.2),
        ("Hengrui's weight-loss drug crushes rival in head-to-head trial", 0.3, 1.0),
        ("Supreme People's Court sides with BYD in battery patent fight", 0.3, 1.0),
        ("CSRC's new rules on quantitative trading take effect on Monday", -0.2, 0.3),
        ("Trump's sweeping global tariffs take effect", -1.0, -0.2),
        ("Court hears arguments in BYD supplier payment case", -0.2, 0.3),
        ("Pop Mart confirms spring release date for next Labubu series", -0.2, 0.3),
        ("Pony.ai shares debut 15% below IPO price", -1.0, -0.2),
        ("Saudi Aramco shares open 10% above IPO price", 0.3, 1.0),
        ("Rio Tinto's iron ore shipments fall 5% on weather disruptions", -1.0, -0.2),  # a noun after "on"
        ("Airline weathers the storm as bookings recover", 0.3, 1.0),  # the verb
        ("Instagram back up after worldwide outage", -0.2, 0.3),
        ("Central banks stuck in holding pattern", -0.2, 0.3),
    ],
)
def test_round6_general_news_families(fin, text, low, high):
    """Round 6, last families, both ways: a holder's sales of a firm's shares, a bad thing put on hold or delayed, a
    tax's scope ("stamp duty on home purchases halved"; a cause after "on" is no scope), comparisons with a forecast,
    levels, rates kept high, stories of another kind (weather, crime, awards) and what keeps them market news,
    procedures and release dates, listings against their IPO price."""
    assert low <= one(fin, text) <= high, fin.explain(text)


def test_score_and_explain_agree_on_every_labelled_english_text(fin):
    """score() skips the rule engine for a text in which no rule could fire; explain() always runs it. The shortcut
    must never change a score: checked on every English text the project has labelled."""
    from conftest import REPO_ROOT as root

    texts: list[str] = []
    for path in sorted((root / "tests" / "data").glob("*.csv")):
        frame = pd.read_csv(path)
        column = next((c for c in ("headline", "sentence") if c in frame.columns), None)
        if column is not None and "label" in frame.columns and "_zh_" not in path.name:
            texts += frame[column].astype(str).tolist()
    assert len(texts) > 3000
    scores = fin.score(texts)
    differ = [(t, s, fin.explain(t).score) for t, s in zip(texts, scores) if fin.explain(t).score != s]
    assert not differ, differ[:5]


def test_stop_keeps_the_verbs_sign_without_a_bad_thing(fin):
    """'blocks' is bad news when what it blocks is not bad: a regulator blocking an app."""
    assert one(fin, "Italy's privacy watchdog blocks the chatbot") < 0
    assert one(fin, "Court blocks the investment ban") > 0


def test_direction_never_pairs_across_a_comma(fin):
    """The issue's 'loss …, cuts' misfire: 'cuts' belongs to its own clause."""
    trace = fin.explain("Net loss widened to EUR 5 mn, the company cuts jobs")
    assert all(not (rule == "direction" and "loss" in words and "cuts" in words) for rule, words, _ in trace.fired), trace
    assert trace.score < 0


@pytest.mark.parametrize(
    "text",
    [
        "Cancer drug maker wins Chinese approval for new lung therapy",  # 'cancer' names a sector
        "Xiaomi Stock Breaks Out to a New High After Results",  # 'broken out' is a chart term
        "Tencent builds a war chest for AI deals",  # 'war chest' is cash
    ],
)
def test_vader_words_used_as_business_nouns_do_not_flip_the_sign(fin, text):
    assert one(fin, text) > 0.3, fin.explain(text)


@pytest.mark.parametrize(
    "text",
    [
        "Politburo vows to stop property slide",
        "China vows to halt property slump",
        "Beijing moves to stem stock market rout",
        "Beijing cuts key lender reserve requirement ratio",
    ],
)
def test_rescue_policy_reads_positive(fin, text):
    """The issue's misfires: rescue policy used to score -0.24 .. -0.54."""
    assert one(fin, text) >= 0.3, fin.explain(text)


class TestVaderFinRules:
    @pytest.mark.parametrize(("text", "sign", "rule"), RULE_CASES)
    def test_rule_fires_with_the_right_sign(self, fin, text, sign, rule):
        explanation = fin.explain(text)
        assert np.sign(explanation.score) == sign, explanation
        assert rule in {name for name, _, _ in explanation.fired}, explanation
        assert explanation.score == one(fin, text)  # explain() and score() agree

    def test_every_documented_rule_has_examples_both_ways(self):
        signs: dict[str, set[int]] = {}
        for _, sign, rule in RULE_CASES:
            signs.setdefault(rule, set()).add(sign)
        assert set(FIN_RULES) <= set(signs), set(FIN_RULES) - set(signs)
        # removing a restriction is always good news; its other side is test_lift_means_removed_only_for_restrictions
        # stopping a bad thing is good news; its other side is test_stop_keeps_the_verbs_sign_without_a_bad_thing
        # the carrier rule only ever takes a good verb's sign away; its other side is test_carrier_agreeing_object_keeps_both;
        # a milestone is always good news (test_milestone_of_a_bad_quantity_is_not_one); a verdict only ever removes a
        # good word (test_verdict_after_a_bad_thing_changes_nothing)
        one_sided = {"restriction_lifted", "carrier", "milestone", "verdict"}
        assert all(found == {-1, +1} for rule, found in signs.items() if rule not in one_sided), signs

    def test_lift_means_removed_only_for_restrictions(self, fin):
        assert one(fin, "US lifts sanctions") > 0 and one(fin, "US lifts tariffs") > 0
        assert one(fin, "Strong demand lifts margins") > 0
        assert one(fin, "Higher rents lift costs") < 0

    def test_explanations_name_documented_rules(self, fin):
        for text, _, _ in RULE_CASES:
            for rule, words, valence in fin.explain(text).fired:
                assert rule in FIN_RULES or rule == "vader", (text, rule)
                assert words and isinstance(valence, float)

    def test_hedge_weakens_but_keeps_the_sign(self, fin):
        assert one(fin, "Tariffs rise") < one(fin, "Tariffs could rise") < 0
        assert one(fin, "Profit doubles") > one(fin, "Profit may double") > 0
        # a hedge ends with its clause
        assert one(fin, "Profit may double; costs rose") == pytest.approx(
            fin.score(["Profit may double; costs rose"])[0]
        )

    def test_quantity_noun_alone_carries_no_direction(self, fin):
        # a reported figure with no change and no comparison is a plain fact ...
        assert one(fin, "Operating profit was HK$3.2 billion") == 0.0
        assert one(fin, "Net sales amounted to EUR 3.4 billion in the period") == 0.0
        # ... except a loss, which is bad news even unchanged
        assert one(fin, "The group reported a net loss of HK$640 million") < 0

    @pytest.mark.parametrize(
        "text",
        [
            "The company will publish results on Tuesday.",
            "Tencent to report first-quarter results on May 14",
            "The company operates 1,200 stores across China",
            "Operating profit was 39.6 mln euro ( $ 57.9 mln )",  # a currency conversion, not last year
            "Sales were EUR 5 mn in 2005 and the company employs 150 people",  # a year is not a figure
            "The firm set up a new unit in Shenzhen",  # "set up" is not a rise
            "The firm generated sales of 187 mln euro",  # VADER's slang "187" is a number here
            "The company offers IT solutions as well as consulting",  # register words
            "Shares outstanding totalled 1.2 billion",
        ],
    )
    def test_plain_statements_of_fact_are_neutral(self, fin, text):
        assert one(fin, text) == 0.0, fin.explain(text)

    def test_up_to_is_a_ceiling_not_a_rise(self, fin):
        assert one(fin, "The company will cut up to 200 jobs") < 0
        assert one(fin, "Sales were up 5 %") > 0
        assert one(fin, "The index closed down 0.9 %") < 0

    def test_from_a_loss_is_the_past(self, fin):
        text = "Operating result rose to EUR 146 mn from a loss of EUR 267 mn"
        assert [rule for rule, _, _ in fin.explain(text).fired] == ["direction"]

    def test_rules_can_be_switched_off(self):
        bare = VaderFinScorer(rules_text="")
        assert one(bare, "Operating loss narrowed") <= 0  # a loss word alone
        assert bare.version != VaderFinScorer().version

    def test_without_rules_and_lexicon_it_is_the_vader_package(self, vader):
        """With no lexicon of ours and no rules, vader_fin's VADER core gives VADER's numbers exactly."""
        core = VaderFinScorer(lexicon_text="", rules_text="")
        core.everyday_weight = 1.0
        texts = pd.read_csv(REPO_ROOT / "tests" / "data" / "heldout_headlines.csv")["headline"].tolist() + [
            "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!",
            "The book was only kind of good.",
            "At least it isn't a horrible book.",
            "Not bad at all",
            "He is never so happy??",
            "This is not the bomb",
            "Catch utf-8 emoji such as 💘 and 💋 and 😁",
            "no good no bad",
            "It was the least bad option, but the service was great",
            "without doubt the best",
            "sort of ok",
            "GREAT results!!!",
        ]
        np.testing.assert_array_equal(core.score(texts), vader.score(texts))


# --- quality: Financial PhraseBank and the project's held-out headlines ---------------------------------------

def _config_cut() -> tuple[float, float]:
    from hkbt.config import load_config

    sentiment = load_config(REPO_ROOT / "config.yaml").sentiment
    return sentiment.negative_threshold, sentiment.positive_threshold


def _class_metrics(scorer: Scorer, texts: list[str], labels: list[str], cut: tuple[float, float]) -> dict:
    from hkbt.sentiment.evaluation import compute_class_metrics, to_classes

    return compute_class_metrics(labels, to_classes(scorer.score(texts), *cut))


def test_thresholds_in_config_are_vader_fins_defaults():
    assert _config_cut() == VaderFinScorer.class_thresholds


def test_financial_phrasebank_targets():
    """Financial PhraseBank (CC BY-NC-SA, evaluation only; read in place, Latin-1, never copied).

    vader_fin at the config's 3-class cut must reach accuracy >= 0.75 and macro-F1 >= 0.70;
    plain VADER at its authors' +/-0.05 is the published 0.543. The rules are general
    patterns, not fitted to these sentences; tests/data/heldout_headlines.csv checks that.
    """
    path = require_shared("sentiment", "financial_phrasebank_all.csv")
    fpb = pd.read_csv(path, encoding="latin-1")
    assert len(fpb) == 4846 and set(fpb["label"]) == {"positive", "neutral", "negative"}
    texts, labels = fpb["news"].tolist(), fpb["label"].tolist()
    plain = _class_metrics(VaderScorer(), texts, labels, VaderScorer.class_thresholds)
    tuned = _class_metrics(VaderFinScorer(), texts, labels, _config_cut())
    print(f"FPB: vader acc={plain['accuracy']:.3f} F1={plain['macro_f1']:.3f}; "
          f"vader_fin acc={tuned['accuracy']:.3f} F1={tuned['macro_f1']:.3f}")
    assert plain["accuracy"] == pytest.approx(0.543, abs=0.005)
    assert tuned["accuracy"] >= 0.75
    assert tuned["macro_f1"] >= 0.70


@pytest.fixture(scope="module")
def heldout() -> pd.DataFrame:
    return pd.read_csv(HELDOUT, encoding="utf-8")


class TestHeldOut:
    """tests/data/heldout_headlines.csv: 268 headlines written for hkbt, labelled before any tuning."""

    def test_file_is_a_realistic_labelled_set(self, heldout):
        assert list(heldout.columns) == ["headline", "label"]
        assert len(heldout) >= 200
        assert heldout["headline"].is_unique and heldout["headline"].str.strip().astype(bool).all()
        shares = heldout["label"].value_counts(normalize=True)
        assert set(shares.index) == {"positive", "neutral", "negative"}
        assert 0.35 <= shares["neutral"] <= 0.45 and shares.min() >= 0.2

    def test_vader_fin_generalises(self, heldout):
        tuned = _class_metrics(VaderFinScorer(), heldout["headline"].tolist(), heldout["label"].tolist(), _config_cut())
        plain = _class_metrics(VaderScorer(), heldout["headline"].tolist(), heldout["label"].tolist(),
                               VaderScorer.class_thresholds)
        print(f"held-out: vader acc={plain['accuracy']:.3f}; vader_fin acc={tuned['accuracy']:.3f} "
              f"F1={tuned['macro_f1']:.3f}")
        assert tuned["accuracy"] >= 0.70  # the bar
        # where it stands (0.951 / 0.956 after round 3; development data since round 2): guards regressions
        assert tuned["accuracy"] >= 0.94 and tuned["macro_f1"] >= 0.94
        assert tuned["accuracy"] > plain["accuracy"] + 0.15


class TestSubordinateClause:
    """A later clause only counts less when it pulls against the headline's main clause."""

    def test_agreeing_clauses_are_left_alone(self, fin):
        explanation = fin.explain("Cash reserves shrink as losses persist")
        assert "subordinate" not in {name for name, _, _ in explanation.fired}

    def test_as_in_such_as_or_as_well_as_is_not_a_clause(self, fin):
        for text in ("Stocks rally on stimulus such as rate cuts and tariffs", "Profit rose as well as costs"):
            assert "subordinate" not in {name for name, _, _ in fin.explain(text).fired}, text

    def test_the_main_clause_decides_the_sign(self, fin):
        assert one(fin, "Markets rally amid new sanctions") > 0 > one(fin, "Markets slump amid a record harvest")


def test_dampened_hopes_are_not_good_news(fin):
    # "hopes" is something markets expect: dampening it is not positive, even when it is rate-cut hopes
    assert one(fin, "Latest US CPI dampens hopes of early rate cut") < 0.3 <= one(fin, "Jobs data boosts hopes of a rate cut")
    assert one(fin, "Hopes rise for a trade deal") > 0.3

