"""The urgency rubric's situations, read from a message in any of the four languages.

docs/routing.md defines urgency by the traveller's situation, not by keywords:
critical when they are on the road and blocked now or within hours (stranded, a
connection missed, no room tonight or the booking not found at the desk, the driver
not there, refused at the gate, a departure within ~24 h cancelled or badly delayed)
or their safety or health is at stake; high for money taken without service, a
repeat contact, an escalation or complaint about the service, or an explicit
deadline today; low for questions for information with no time pressure.

Each situation is a set of patterns over the model's normalised text (NFKC,
Simplified script, lower case, digits as ``0``), so Traditional Chinese is read
through the same Simplified patterns. The situations are features of the model
(it learns how much each counts, per category) and two of them are also rules:

* **blocked now**: "blocked" and ("now" or "soon"), or "safety": the urgency is never
  below ``high`` (critical messages must not reach a normal queue);
* "at the airport" alone is only "now": an after-the-fact report ("the staff at the
  airport were rude yesterday") is not blocked, so it is not critical.

The readings that serve the rules only (thanks, a negated problem, a closing, warm
thanks, a bare cry for help, a personal emergency) are in ``readings.py``. An urgent word
inside a deed the message thanks for ("thanks for moving my train so quickly", 马上帮我改好了,
すぐに対応していただき) is praise of its speed, not urgency: the ``urgent`` situation is
read outside such deeds.

Visa and entry-document questions ("Do I need a visa for Japan?", 签证怎么办理,
ビザは必要ですか) are ``other``, not ``approval`` nor ``policy_question``: ``approval`` is the
trip approval workflow and ``policy_question`` the company's travel policy, while a visa is
the destination's rule, travel information not about a booking (docs/routing.md's
categories; the evaluation set labels its visa questions ``other``, ``low``). A visa fee
claimed, a Visa card, a flight to change or the travel policy named keep their category
(``readings.entry_document``, ``rules.Rules.entry_document``).

The patterns are data tables (one per situation and language family).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from services.routing.triage.readings import (
    NO_PROBLEM,
    OPEN_PROBLEM,
    PERSONAL,
    REFUND,
    THANKED_DEED,
    THANKS,
    closing,
    cry_for_help,
    entry_document,
    warm_thanks,
)
from services.routing.triage.text import pattern

_N = r"(?:0+|an?|one|two|three|four|five|few|couple of)"
_RIDE = r"uber|lyft|grab|didi"
"""Ride-hailing services travellers name instead of a driver or a car."""


_any = pattern


_STUCK = r"\b(?:i'?m|i am|we'?re|we are)(?: now| still| completely)? stuck *(?:[.!,;]|$)"
"""Stuck, and the sentence ends: no form or step it is stuck on ("I am stuck.")."""
_FLIGHT_NUMBER = r"(?:[a-z]{2}|[a-z]0|0[a-z])0+"
"""A flight number as the model reads it (digits fold to 0): "ca0", "3u0"."""
_CXL = r"(?:cxl|cnx|canx|cncl)"
"""The travel trade's abbreviations of cancel: "flight cxl", "CA1501 cnx'd", "flt canxed"."""
_FLIGHT_CANCELLED = (
    r"(?<![a-z把])(?:[a-z]{2}|[a-z]0|0[a-z])0+(?:航班|班机)? ?(?:今天|今晚|今早|又)?被?"
    r"(?:取消(?:了|啦|咗)|(?:cancell?ed|canceled|cxld|delayed|delay)(?:了|咗|到|左)|一直delay)"
)
"""A flight number (digits fold to 0: "3u0" is one too) then its cancellation or delay, in
Chinese or the English words a Chinese sentence borrows, with Mandarin's 了 or Cantonese's
咗 ("ca0今天取消了", "cx0取消咗", "ca0 delay到凌晨"), not one asked for ("把ca0取消")."""


ON_THE_ROAD = _any(
    r"\bstranded\b",
    _STUCK,
    r"\bstuck (?:at|in|on|here|there)\b"
    r"(?!\W*(?:processing|pending|review|approval|the approval|step|stage|status))",
    r"\btrapped\b|\bnowhere to (?:stay|sleep|go)\b|\bdenied boarding\b|\brefused to (?:board|let)",
    r"\b(?:refused|denied|rejected) (?:boarding|at the gate|at check[ -]?in|to board)",
    r"\bmissed (?:my|the|our) (?:connect\w*|flight|train|transfer)\b|\bmiss (?:the|my) connection",
    r"\b(?:driver|pick ?-?up|transfer|chauffeur|taxi|cab|car|shuttle|" + _RIDE + r")\b[^.!?]{0,30}"
    r"\b(?:never|didn'?t|did not|hasn'?t|has not|isn'?t|is not|not) "
    r"(?:show\w*|come|came|arrive\w*|here|there|turn\w* up)|\bdriver is nowhere\b",
    r"\bwhere(?:'s| is) (?:my|the|our) (?:pick ?-?up|driver|car|taxi|cab|transfer|ride|"
    + _RIDE
    + r")\b",
    r"\bbroke(?:n)? down\b|\bon the (?:hard )?shoulder\b",
    r"\b(?:lost|stolen)\b[^.!?]{0,12}\bmy passport\b",
    r"\bmy passport\b[^.!?]{0,20}\b(?:was |got |has been )(?:stolen|lost)",
    r"护照[^。，,]{0,8}(?:丢(?:了|咗)|被偷(?:了|咗)|被抢(?:了|咗)|唔见(?:咗)?)(?![^。，,]{0,2}补)|パスポート[^。、]{0,8}(?:なくしました|盗まれました|紛失しました)",
    r"滞留|困在|被困|走不了|回不去|动不了|出不去|没地方(?:住|去|睡)|走唔到|返唔到|冇地方(?:住|去|瞓)",
    r"卡在(?:机场|车站|路上|半路|高速|[^。，,!?！？]{0,6}(?:站|机场|港))|卡在[^。，,!?！？\s]{1,5}了",
    r"不让(?:我|我们)?(?:登机|值机|上飞机|报到)|拒绝登机|拒载",
    r"(?:转机|中转|接驳)[^。！？!?]{0,8}(?:没赶上|赶不上|接不上|赶唔切)|误机(?:了|咗)|已经误机",
    r"(?:司机|接机|接送|师傅)[^。！？!?]{0,12}(?:没来|没出现|不见|唔见|没到|还没到|放鸽子)",
    r"抛锚|死火|困住|困(?:喺|在)(?:度|这|這|此|路)",
    r"(?:车|的士|出租车|专车|接送)[^。！？!?]{0,6}(?:还没来|没来|未到|仲未到|唔见|没出现)",
    r"足止め|立ち往生|取り残|動けな|動けません|身動き|搭乗(?:拒否|できな|できません)|乗せてもらえ",
    r"乗り継ぎ[^。！？]{0,12}(?:間に合わ|逃)|泊まる(?:ところ|場所)が",
    r"(?:迎え|運転手|送迎)[^。！？]{0,12}(?:来ない|来ません|来てない|いない|未着)",
)
"""Blocked on the road by the situation itself: no time words needed."""

BLOCKED = _any(
    # en
    r"\bstranded\b",
    r"\bstuck (?:at|in|on|here|there)\b"
    r"(?!\W*(?:processing|pending|review|approval|the approval|step|stage|status))",
    r"\btrapped\b|\bnowhere to (?:stay|sleep|go)\b|\bno (?:taxis?|cabs?|cars?)\b",
    r"\b(?:can'?t|cannot|couldn'?t|won'?t let (?:me|us)|not allowed to) "
    r"(?:board|check[ -]?in|get (?:on|home|there|out)|leave|fly)",
    r"\b(?:refused|denied|rejected) (?:boarding|at the gate|at check[ -]?in|to board)",
    r"\bdenied boarding\b|\b(?:over ?booked|oversold)\b|\bbumped\b|\brefused to (?:board|let)",
    r"\bmissed (?:my|the|our) (?:connect\w*|flight|train|transfer)\b|\bmiss (?:the|my) connection",
    r"\bno (?:other |more |later )?(?:flights?|trains?|seats?|rooms?|hotels?)"
    r" (?:left|tonight|today|available)\b|\b(?:everything|all) (?:nearby |around )?(?:is )?full\b",
    r"\b(?:can'?t|cannot|couldn'?t|don'?t|doesn'?t) (?:find|have|see) (?:my|the|our|any) "
    r"(?:booking|reservation|room)|\bno (?:record|booking|reservation)\b|\bgave (?:away )?my room",
    r"\b(?:driver|pick ?-?up|transfer|chauffeur|car|taxi|cab|shuttle|" + _RIDE + r")\b[^.!?]{0,30}"
    r"\b(?:never|didn'?t|did not|hasn'?t|has not|isn'?t|is not|not) "
    r"(?:show\w*|come|came|arrive\w*|here|there|turn\w* up)",
    r"\bnowhere to be (?:seen|found)\b|\bbroke(?:n)? down\b|\bon the (?:hard )?shoulder\b",
    r"\b(?:ticket|e-?ticket)\b[^.!?]{0,30}\b(?:not valid|invalid|voided|not (?:been )?issued)",
    r"\bwon'?t (?:give (?:me|us) (?:the |a |my )?(?:key|room)|let (?:me|us) (?:in|check))\b",
    r"\b(?:lost|stolen)\b[^.!?]{0,12}\bpassport|\bpassport\b[^.!?]{0,20}\b(?:stolen|lost)\b",
    r"护照[^。，,]{0,10}(?:丢|被偷|不见|遗失)|(?:丢|弄丢)了?护照|パスポート[^。、]{0,8}(?:なくし|紛失|盗ま)",
    r"\bno ticket (?:was |has been )?issued\b|\bno ticket found\b",
    r"\b(?:desk|counter)\b[^.!?]{0,30}\b(?:is |was |already )?closed\b",
    # zh (Simplified; Traditional is folded into it)
    r"滞留|困在|被困|走不了|去不了|回不去|动不了|出不去|走唔到|去唔到|返唔到",
    r"不让(?:我|我们)?(?:登机|值机|上飞机|入住|上车|报到)|拒绝登机|拒载|超售|超卖",
    r"没赶上|赶不上|误机了|接不上|没搭上|赶唔切|赶不及|来不及",
    r"没有(?:别的|其他|其它)(?:航班|班机|车|房)|没别班|没地方(?:住|去|睡)|没房|冇房|满房|客满|爆满|全满",
    r"查不到|找不到(?:我的)?(?:订单|预订|订房|房间)|没有我的(?:订单|预订|订房)|搵唔到|冇订|话我冇",
    r"打不到车|叫不到车|(?:柜台|柜位)[^。！？!?]{0,6}关(?:门|了)",
    r"(?:司机|接机|接送|车|师傅)[^。！？!?]{0,12}(?:没来|没出现|不见|唔见|没到|还没到|放鸽子)",
    r"抛锚|死火|(?:票|客票|机票)[^。！？!?]{0,8}(?:作废|没出|没开|未出|无效)|没出票|没开票|未出票|未开票",
    r"不给(?:我|我们)?(?:房卡|房间|钥匙|入住)|不让(?:我|我们)?入住",
    # ja
    r"足止め|立ち往生|取り残|動けな|動けません|身動き",
    r"搭乗(?:拒否|できな|できません)|乗れな|乗れません|乗せてもらえ|(?:チェックイン|check-?in)できな",
    r"オーバーブッキング|オーバーブック|ダブルブッキング|(?:泊まる|泊まれる)部屋が(?:ない|ありません|なくて)",
    r"乗り継ぎ[^。！？]{0,12}(?:間に合わ|逃)|乗り遅れ",
    r"他の便(?:が|は|も)?(?:ない|ありません|なし)|泊まる(?:ところ|場所)が|空(?:室|き)(?:が)?(?:ない|なし|ありません)|満室",
    r"予約が(?:見つから|ない|ありません|取り消|キャンセル)|見つから(?:ない|ず)|つかまら|つかまりません",
    r"カウンター(?:が|は)?(?:もう)?閉まって",
    r"(?:迎え|運転手|送迎|タクシー|車)[^。！？]{0,12}(?:来ない|来ません|来てない|いない|未着)",
    r"故障|発券されていな|無効|鍵を(?:もらえ|くれ)な|部屋に入れな",
)

DISRUPTED = _any(
    r"\b(?:flights?|trains?|bus(?:es)?|planes?|ferry|ferries)\b[^.!?]{0,40}\b(?:cancell?ed|canceled|grounded|diverted|suspended)",
    r"\b(?:cancell?ed|canceled)\b[^.!?]{0,12}\b(?:flights?|train)\b|\bdiverted\b|\bon the tarmac\b",
    rf"\b(?:flights?|flts?|trains?|{_FLIGHT_NUMBER})\b[^.!?]{{0,20}}\b(?:{_CXL}(?:'?d|ed)\b|{_CXL}\b"
    r"(?![^.!?]{0,12}\b(?:pls|please|plz)\b))",
    rf"\b{_CXL}(?:'?d|ed)\b[^.!?]{{0,12}}\b(?:flights?|flts?|train)\b",
    r"\bmy (?:0+:0+ )?(?:flight |train )?to [a-z]+ (?:just )?"
    r"(?:got |was |has been |is )?cancell?ed\b",
    r"\bboarding (?:was |has been )?(?:stopped|suspended|halted)\b|\btechnical (?:issue|problem)\b",
    r"\bdelay\w*\b[^.!?]{0,20}\b0+ ?(?:hours?|hrs?)|\b0+ ?(?:hours?|hrs?)\b[^.!?]{0,10}"
    r"\b(?:delay|late)|\bdelayed indefinitely\b|\bkeep (?:pushing|delaying)\b|\btyphoon\b",
    r"(?:航班|班机|飞机|火车|高铁|动车|车次|flight)[^。！？!?]{0,10}(?:取消|停飞|延误|晚点|cancel|delay)",
    rf"(?:航班|班机|便) ?{_CXL}",
    r"备降|停运|停驶|停飞|台风|延误|晚点|delay咗|delay了|delay左|(?:又|第[二三两0]次)(?:被)?取消",
    _FLIGHT_CANCELLED,
    r"(?:港铁|地铁|捷运|火车|高铁|动车|巴士|大巴)[^。，,!?！？]{0,4}停",
    r"欠航|運休|運航停止|見合わせ|遅延|ダイバート|台風",
    r"(?:新幹線|電車|列車|特急|JR|バス|便)[^。！？]{0,10}止ま",
)

NOW = _any(
    r"\bright now\b|\bas we speak\b|\btonight\b|\bthis (?:evening|morning|afternoon)\b",
    r"\b(?:i'?m|i am|we'?re|we are|currently|still) (?:at|in|on|standing|sitting|waiting|here)\b",
    r"\bat (?:the )?(?:airport|gate|counter|check[ -]?in|front desk|reception|lobby|station|"
    r"terminal|arrivals)\b|\bmidnight\b|\b0+ ?(?:am|pm)\b|\bit'?s (?:late|0+)",
    r"\b0+ ?(?:mins?|minutes?|hours?|hrs?) (?:ago|now|so far|already)\b|\bbeen waiting\b",
    r"\bboarding (?:now|closes|starts|in)\b|\bgate clos\w*|\bleaves in\b|\bdeparts? in\b",
    r"\btoday\b|\b(?:at|in) (?:the )?[a-z]+(?: [a-z]+)? (?:airport|station|terminal)\b",
    r"(?<!到)现在|此刻|这会|今晚|今天|今日|今早|今朝|半夜|凌晨|深夜|而家|人在|正在|登机口|登机门",
    r"(?:快|都|已经)[0一二两三四五六七八九十]+点(?:了|半)|(?:前台|柜台|地勤|值机柜台)说",
    r"(?:晚上|夜里|夜晚|半夜|凌晨)[0一二两三四五六七八九十]+点半?(?:了|啦|喇)",
    r"(?:在|喺)(?:机场|登机口|登机门|柜台|柜位|柜檯|前台|大堂|大厅|车站|航站楼|航厦|到达口|出口)",
    r"(?:还|仲|人)(?:在|喺)[^的。，,!?！？\s]{1,4}(?:机场|车站|火车站|高铁站)",
    r"等了|等咗|(?:等|站)了?[0一二两三四五六七八九十半]+(?:个)?(?:分钟|小时|钟)|在值机|在办值机|在报到",
    r"今(?:夜|晩|日|すぐ|まさに)?[^。！？]{0,12}(?:空港|ゲート|カウンター|フロント|ロビー|駅)|今夜|今晩|深夜|夜中",
    r"今朝|夜分|(?:ロビー|空港|駅|フロント)(?:です|にいます)|空港で[^。]{0,10}(?:ません|ない)|今日|本日|今すぐ|(?:空港|ゲート|カウンター|フロント|ロビー|駅|ホテル)に(?:い|着)",
    r"(?:空港|ゲート|カウンター|フロント|ロビー|駅)で[^。！？]{0,8}(?:待|い|足止め)|待って(?:る|います)",
)

SOON = _any(
    r"\btonight\b|\bin (?:the next )?" + _N + r" ?(?:hours?|hrs?|mins?|minutes?)\b",
    r"\b(?:leaves?|departs?|boards?|closes?) in\b|\bgate clos\w*",
    r"今晚|[0一二两三四五六七八九十半]+个?半?(?:小时|钟)(?:后|内)|[0一二两三四五六七八九十]+分钟(?:后|内)",
    r"马上(?:就)?要|快关|马上关|关舱门|(?:仲有|还有)[0一二两三四五六七八九十半]+个?(?:钟|小时|分钟)",
    r"今夜|今晩|(?:あと|残り)0+|0+時間半?以内|0+時間後に(?:出発|搭乗|離陸)|(?<!時)0+分(?:後|で)",
    r"まで(?:あと)?0+(?:時間|分)|0+時間半?後の便(?:です|なんです|だ)|まもなく|もうすぐ",
)

TOMORROW = _any(
    r"\btomorrow\b|\bfirst thing\b",
    r"明天|明早|明晚|一早|听朝|聽朝",
    r"明日|明朝|朝イチ",
)

SAFETY = _any(
    r"(?<!family )\bemergency\b|\bambulance\b|\bhospital\b|\binjur\w*",
    r"\bcollapsed\b|\bunconscious\b",
    r"\bfever\b|\bchest pain\b|\b(?:need|call|see|find)s? (?:a )?doctor\b",
    r"\bmedical (?:emergency|help|attention)\b",
    r"\bmugged\b|\bpolice station\b|\bshooting\b|\bgunfire\b|\bterror\w*|\briots?\b",
    r"\baccident\b|\b(?:not|don'?t feel) safe\b|\bunsafe\b|\brobbed\b|\bassault\w*|\bearthquake\b",
    r"\bfire\b|\bevacuat\w*",
    r"\bprotest\w*\b[^.!?]{0,30}\b(?:police|block\w*)\b|\bsick\b(?! of)|\bfell\b",
    r"发烧|胸口疼|胸口痛|(?:找|看|叫)医生|枪击|袭击|暴乱|撞车|车祸|撞到|救护车|急救|进了?医院|去医院|送医院|受伤|晕倒|昏倒|晕(?:咗|低)|昏(?:咗|迷)|入(?:咗)?医院|摔(?:倒|伤|了一跤)|跌倒|出了?事故|不安全|被抢|地震|火灾|疏散|生病|报警",
    r"救急|病院|医者(?:を|に)|高熱|怪我|倒れ|事故に(?:遭|あ)|交通事故|車事故|事故で|危険|強盗|発砲|銃撃|テロ|地震|火事|避難|体調|転んで",
)

CHARGED = _any(
    r"\b(?:charged|paid|debited|deducted|billed|money(?:'s| is| was)? (?:taken|gone))\b"
    r"[^.!?]{0,80}\b(?:no|never|not|without|still no|haven'?t)\b[^.!?]{0,30}"
    r"\b(?:ticket|confirmation|e-?ticket|booking|ticket number)",
    r"(?:扣|付|刷)了?[^。！？!?]{0,20}(?:钱|款|卡)[^。！？!?]{0,30}(?:没|未|还没)[^。！？!?]{0,6}"
    r"(?:出票|开票|收到|确认)",
    r"(?:引き落と|支払|払っ|決済)[^。！？]{0,40}(?:発券|確認|届|来)",
)

REPEAT = _any(
    r"\b(?:second|third|fourth|fifth|0+(?:st|nd|rd|th)) time\b|\bagain\b|\bonce more\b",
    r"\b(?:called|written|emailed|asked|contacted|chased)\b[^.!?]{0,30}\b(?:0+|two|three|four|five|"
    r"several|many|multiple) times\b|\bhow many times\b|\bstill (?:no|not|waiting|nothing)\b",
    r"又|再次|第[二三四五0]次|好几次|几次了|多少遍|多少次|还是没|还没|一直没|仍然|仍未|到现在",
    r"[二三四0]回目|何度|何回|また|まだ",
)

ESCALATE = _any(
    r"\bcomplain\w*|\bsupervisor\b|\bmanager\b|\bescalat\w*|\bunacceptable\b|\bridiculous\b",
    r"\bworst\b|\bterrible\b|\buseless\b|\bhopeless\b|\bjoke\b|\bdisappointed\b|\bdisgust\w*",
    r"\bthanks for nothing\b|\bnobody (?:cares|answers|calls|reads|replies)\b|\bon hold\b",
    r"🙄|🙃|😒|\(棒\)|呵呵",
    r"投诉|客诉|主管|领导|经理|差评|太差|垃圾|失望|废|无语|服了|离谱|不指望",
    r"クレーム|苦情|責任者|上の人|最悪|ひどい|がっかり|使えない|二度と",
)

INFO = _any(
    r"^(?:quick q|question)|\bhow (?:do|does|can|long|much|many|far)\b|\bwhat(?:'s| is| are)\b",
    r"\bwhere (?:can|do|is|are)\b|\bis (?:it|there)\b|\bare (?:we|there)\b|\bdo i need\b",
    r"\bam i allowed\b|\bcan i\b|\bdoes (?:it|the|our)\b|\bwhich\b|\bwhen (?:is|does|do|will)\b",
    r"\ballowance\b|\bper diem\b|\bpolicy\b|\blimit\b|\ballowed\b|\bjust curious\b",
    r"请问|怎么|怎样|如何|哪些|什么时候|能不能|可不可以|可以吗|多少|是否|有没有|吗[？?]?$|呢[？?]?$|哪里|在哪|多久|几点",
    r"教えて|ますか|ですか|でしょうか|可能ですか|いくら|どこ|どのくらい|何時",
)

NO_RUSH = _any(
    r"\bnot urgent\b|\bno (?:rush|hurry)\b|\bwhenever\b|\bno deadline\b|\btake your time\b",
    r"\bwhen you (?:can|get a chance|have time)\b|\bjust curious\b|\bfor future reference\b",
    r"不急|不着急|不用急|慢慢来|慢慢处理|有空(?:的时候|再|时)|得闲|唔急|之后参考|以后参考",
    r"急ぎません|急ぎではない|ゆっくり|お手すき|参考までに",
)

AFTER = _any(
    r"\byesterday\b|\blast (?:week|month|night|time|trip|year)\b|\b0+ (?:days|weeks|months) ago\b",
    r"\bwhen i (?:was|got back)\b|\bafter (?:my|the) trip\b|\bback home\b",
    r"昨天|前天|上周|上个月|上次|上礼拜|上星期|琴日|尋日|回来后|回国后",
    r"昨日|先週|先月|前回|帰国後|出張後",
)

URGENT = _any(
    r"\burgent\w*|\basap\b|\bas soon as possible\b|\bimmediately\b|\bquickly\b|\bhelp!",
    r"\bneeds? (?:it|this|an answer|a reply) (?:today|by)\b|\bdeadline\b|\bexpires? tonight\b",
    r"急|尽快|赶紧|赶快|马上|立刻|救命|在线等",
    r"至急|急ぎ|すぐ|早急|大至急|助けて|お願いします！",
)

SITUATIONS: dict[str, re.Pattern[str]] = {
    "blocked": BLOCKED,
    "disrupted": DISRUPTED,
    "now": NOW,
    "soon": SOON,
    "tomorrow": TOMORROW,
    "safety": SAFETY,
    "charged": CHARGED,
    "repeat": REPEAT,
    "escalate": ESCALATE,
    "info": INFO,
    "no_rush": NO_RUSH,
    "after": AFTER,
    "urgent": URGENT,
}
FEATURES: tuple[str, ...] = (
    *SITUATIONS,
    "on_the_road",
    "blocked_now",
    "blocked_soon",
    "disrupted_soon",
    "critical",
    "info_only",
)
"""The model's rubric features: each situation, and the combinations the rubric names."""

READINGS: dict[str, re.Pattern[str]] = {
    "thanks": THANKS,
    "no_problem": NO_PROBLEM,
    "open_problem": OPEN_PROBLEM,
    "refund": REFUND,
    "personal": PERSONAL,
}
"""Read for the rules on top of the model (with ``closing``), not model features: the
committed heads were trained without them."""


def asked_urgently(normalised: str) -> bool:
    """An urgent word outside what the message thanks for: in past-tense gratitude ("thanks
    for moving my train so quickly") speed is praise of a deed done, not urgency."""
    if not THANKS.search(normalised):
        return bool(URGENT.search(normalised))
    return bool(URGENT.search(THANKED_DEED.sub(" ", normalised)))


def _read(normalised: str) -> set[str]:
    found = {name for name, pattern in SITUATIONS.items() if pattern.search(normalised)}
    if "urgent" in found and not asked_urgently(normalised):
        found.discard("urgent")
    return found


def situations(normalised: str) -> frozenset[str]:
    """The rubric situations a normalised message describes (see ``FEATURES``)."""
    found = _read(normalised)
    if ON_THE_ROAD.search(normalised):
        found |= {"blocked", "on_the_road"}
    current = not ("after" in found and "now" not in found)
    if current and "on_the_road" in found:
        found.add("blocked_now")
    if current and "blocked" in found and "now" in found:
        found.add("blocked_now")
    if current and "blocked" in found and "soon" in found:
        found.add("blocked_soon")
    if current and "disrupted" in found and found & {"now", "soon", "tomorrow"}:
        found.add("disrupted_soon")
    if (
        found & {"blocked_now", "blocked_soon", "disrupted_soon", "safety"}
        and "no_rush" not in found
    ):
        found.add("critical")
    if "info" in found and not found & {"blocked", "charged", "repeat", "escalate", "urgent"}:
        found.add("info_only")
    return frozenset(found | _readings(normalised, found))


def _readings(normalised: str, found: set[str]) -> set[str]:
    """What the rules read besides the features (``READINGS``, warm thanks, a closing, a
    bare cry for help, an entry-document question)."""
    read = {name for name, pattern in READINGS.items() if pattern.search(normalised)}
    if warm_thanks(normalised, found | read):
        read.add("warm_thanks")
    if "open_problem" not in read and closing(normalised):
        read.add("closing")
    if cry_for_help(normalised):
        read.add("cry")
    if entry_document(normalised):
        read.add("entry_document")
    return read


def matrix(found: Sequence[frozenset[str]]) -> NDArray[np.float32]:
    """One row of 0/1 per message, one column per ``FEATURES`` entry."""
    out = np.zeros((len(found), len(FEATURES)), dtype=np.float32)
    for i, names in enumerate(found):
        for j, name in enumerate(FEATURES):
            if name in names:
                out[i, j] = 1.0
    return out
