"""What the rules read besides the model's features: thanks, praise, a turn, a negated
problem, a closing, a bare cry for help, an entry-document question, a deed thanked for,
a personal emergency (docs/routing.md, "Urgency rubric").

Patterns over the model's normalised text, like ``rubric``'s situations, in the four
languages; the committed heads were trained without them, so they serve the rules only
(and ``THANKED_DEED`` the reading of the ``urgent`` situation).
"""

from __future__ import annotations

import re

from services.routing.triage.text import normalise
from services.routing.triage.text import pattern as _any

THANKS = _any(
    r"\bthanks?\b|\bthank you\b|\bthx\b|\bappreciated?\b|\bcheers\b",
    r"谢|感激|感恩",
    r"ありがと|感謝|助かりました|お世話になりました",
)
"""Gratitude, formulaic or warm."""

_CLAUSE = r"[^.!?;,。，！？；、]"
_PHRASE = r"[^.!?;,。，！？；、\s]"
_ASKED_EN = r"\b(?:but|however|though|please|need|must|can|could|would|will|asap|urgent\w*|help)\b"
_DONE_EN = rf"(?:(?!{_ASKED_EN}){_CLAUSE}){{0,40}}(?=$|[.!?;,]|\s(?:thanks?|thank you)\b)"
_ASKED_CJK = (
    r"请|麻烦|需要|能不能|可以|吗|要|将|急|但|可是|不过"
    r"|ください|お願い|ほしい|欲しい|たい|ますか|ませんか|でも|けど|が、"
)
THANKED_DEED = _any(
    # en: what the thanks are for, or a deed someone did: a short clause, nothing asked
    r"\b(?:thanks?|thank you|appreciated?|grateful)\b(?: (?:you|so much|very much|a lot|again))*"
    rf" for\b{_DONE_EN}",
    r"\b(?:you|they|he|she|it|that|everything|(?:your|the) \w+) (?:\w+ly )?"
    rf"(?:(?!need|speed)\w+ed|was|were|did|got|made|took|sent|found|gave)\b{_DONE_EN}",
    # zh: a phrase that ends done (了), with nothing asked and nothing about to happen
    rf"(?<!{_PHRASE})(?:(?!{_ASKED_CJK}){_PHRASE})+了[啊呀哈啦哦喔～]*(?!{_PHRASE})",
    # ja: a phrase up to a deed done for the writer or in the past, nothing asked
    rf"(?<!{_PHRASE})(?:(?!{_ASKED_CJK}){_PHRASE})*?"
    r"(?:ていただき|てくださ(?:り|って|いました)|てくれ(?:て|た|ました)|ました|でした)(?!たい|か)",
)
"""A deed already done and thanked for ("thanks for moving my train so quickly",
马上帮我改好了, すぐに対応していただき): its speed praises it, it asks for nothing."""

PRAISE = _any(
    r"(?<!not )(?<!n't )\b(?:brilliant|excellent|amazing|fantastic|wonderful|superb|outstanding|"
    r"awesome|incredible|exceptional|terrific|first[- ]class|top[- ]notch)\b",
    r"(?<!not )(?<!n't )\b(?:so|very|really|super|incredibly|extremely) (?:helpful|kind|quick|"
    r"fast|efficient|professional|friendly|patient|responsive)\b",
    r"\b(?:great|good|nice) (?:job|work|service|support)\b|\babove and beyond\b|\blife ?saver\b",
    r"\bsaved (?:my|our|the) (?:trip|day|life|holiday|weekend)\b|\b(?:kudos|hats off|well done)\b",
    r"(?:服务|态度|客服|你们|处理|安排)[^。，,!！?？]{0,4}(?:太|很|真|超|特别|非常)好|(?<!不)(?<!没)(?<!不是)(?<!不够)(?:很|太|真|超|好|非常|特别)(?:棒|赞|给力|专业|贴心|耐心|周到|高效|靠谱|满意)",
    r"点(?:个|一个)?赞|大大的赞|帮了(?:大|很大的)?忙|多亏|效率(?:真|好|超|很|太)?高",
    r"(?:处理|办|回复|解决|改|安排)得(?:很|超|特别|非常|真|好|太)?(?:快|及时|好|漂亮|周到)",
    r"素晴らし|すばらし|最高(?:で(?:す|した)|！|!)|(?:本当に|大変|とても)助か|丁寧な?(?:ご)?対応",
    r"迅速な?(?:ご)?対応|迅速に|親切|感動|さすが|おかげ(?:さま)?で",
)
"""Praise of the service or a person (not negated); a bare "great!" or "太好了" at the
outcome is formulaic (neutral on the calibration pool), not praise."""

CONTRAST = _any(
    r"\bbut\b|\bhowever\b|\bthough\b|\bexcept\b",
    r"但(?:是)?|可是|不过|只是|就是(?:还|没)",
    r"でも|けど|しかし|ですが|ましたが|が、",
)
"""A turn in the message: what follows reports something else."""

_STILL_OPEN_EN = r"(?:\bnot?\b|n't\b|\bmissing\b|\blost\b|\bnothing\b|\bwaiting\b|\bpending\b)"
OPEN_PROBLEM = _any(
    r"\b(?:but|however|though|except)\b[^.!?]{0,60}?"
    rf"(?:\bstill\b[^.!?]{{0,20}}?{_STILL_OPEN_EN}|(?:\bnot?\b|n't\b)[^.!?]{{0,30}}\byet\b)",
    r"(?:但|可是|不过)[^。！？!?]{0,20}?(?:还是|仍然|依然|仍|还|一直|到现在|至今)"
    r"[^。！？!?，,]{0,4}?(?:没|未|不见)",
    r"(?:でも|けど|しかし|ですが|ましたが|が、)[^。！？]{0,30}?(?:まだ|いまだに|未だに|依然)"
    r"[^。！？]{0,20}?(?:ない|ません|ず)",
    # a contact made again: the problem was not solved the last time(s)
    r"\b(?:second|third|fourth|fifth|0+(?:st|nd|rd|th)) time\b|\bhow many times\b",
    r"\b(?:asked|called|written|wrote|emailed|contacted|chased)\b[^.!?]{0,30}"
    r"\b(?:0+|two|three|four|five|several|many|multiple) times\b",
    r"第[二三四五六0]次|好几次|几次了|多少遍|多少次|[两三四五0]遍了",
    r"[二三四五0]回目|何度(?:も|目)|何回(?:も|目)",
)
"""A problem still open: a turn to it ("…, but my bag is still missing", 但是行李还是没有到,
…でしたが、荷物がまだ届いていません), or a contact made again ("third time I ask",
第三次, 三回目): whatever the thanks around it, something is wrong."""

NO_PROBLEM = _any(
    r"\bno (?:more |further |other )?(?:problems?|issues?|questions?)\b|\bnot a problem\b",
    r"没(?:有)?(?:什么|啥|别的|其他|其它)?问题|不是问题",
    r"問題(?:は|も)?(?:ありません|ない|なし|ございません)",
)
"""A problem word negated: "no problem", not a problem reported."""

REFUND = _any(
    r"\brefund\w*|\bmoney back\b|\breimburse\w*",
    r"退款|退钱|退费|退票|返还",
    r"返金|払い戻し|払戻",
)
"""Money back asked for: a disruption it follows is over (the trip will not be made), and a
slow refund is ``normal`` by the rubric."""

_KIN = (
    r"(?:father|mother|dad|mum|mom|parents?|wife|husband|son|daughter|brother|sister|"
    r"grand(?:father|mother|ma|pa|parents?)|uncle|aunt|relative|partner|child|baby|colleague)"
)
PERSONAL = _any(
    # en: a death, a person hurt or in hospital, a crime against the traveller
    r"\bpass(?:ed|ing) away\b|\bbereave\w*|\bfuneral\b|\bcompassionate leave\b",
    r"\bdeath in (?:my|the|our) family\b|\b(?:family|personal) emergenc(?:y|ies)\b",
    rf"\b{_KIN}\b[^.!?]{{0,20}}\b(?:died|is dead|was killed|is dying)\b",
    rf"\blost (?:my|our) {_KIN}\b(?!'s)",
    r"\b(?:in|at|to) (?:the )?hospital\b(?! (?:visit|appointment|bill))|\bhospitali[sz]ed\b",
    r"\bintensive care\b|\bemergency (?:surgery|operation|room)\b|\bheart attack\b",
    r"\bmedical emergency\b|\b(?:critically|seriously) ill\b|\binjured\b|\bambulance\b",
    r"\bpregnan\w*[^.!?]{0,30}\bcomplication|\bcomplications?\b[^.!?]{0,30}\bpregnan|\bmiscarr",
    r"\bassault\w*|\bmugged\b|\brobbed\b|\braped\b|\bsexual(?:ly)? (?:assault|harass)\w*",
    r"\bpassport\b[^.!?]{0,20}\bstolen\b|\bstolen\b[^.!?]{0,12}\bpassport\b",
    # zh (Traditional folds into it: 過世, 喪假, 住院)
    r"去世|过世|逝世|离世|病逝|病故|身故|辞世|仙逝|过身|丧事|丧假|丧礼|葬礼|奔丧|出殡|追悼|守灵",
    r"(?:父亲|母亲|爸爸|妈妈|老人|爷爷|奶奶|外公|外婆|老公|老婆|丈夫|妻子|儿子|女儿|孩子|亲人|家人)"
    r"[^。，,！？!?]{0,4}(?:死了|死咗|不在了|病危|病重)",
    r"家里出(?:了)?事|家里有急事|家中(?:有)?变故|家庭变故",
    r"住院|入院|急诊|抢救|病危|重症|监护室|晕倒|昏倒|昏迷|救护车|(?:进|送|住进|在)了?医院|受伤|骨折|流产|保胎",
    r"(?:孕|妊娠)[^。，,！？!?]{0,6}(?:并发|出血)",
    r"被(?:人)?打(?:了|伤|咗)|被殴打|袭击|被抢|抢劫|被偷|失窃|性侵|性骚扰|猥亵",
    r"(?:护照|证件|钱包|行李|包|手机|财物)[^。，,！？!?]{0,6}被盗",
    # ja
    r"亡くな|他界|逝去|死去|急逝|永眠|葬儀|葬式|告別式|通夜|忌引|危篤|訃報|喪中|(?:身内|家族|親族)(?:の|に)不幸",
    r"入院|救急|手術|怪我|けがを|ケガ|負傷|骨折|重体|重篤|集中治療|流産|切迫(?:流産|早産)",
    r"妊娠[^。、！？]{0,8}(?:合併|トラブル|異常|出血)",
    r"暴行|襲われ|強盗|ひったくり|スリに|痴漢|性被害",
    r"(?:パスポート|旅券|財布|荷物|バッグ|かばん|鞄|スマホ|携帯)[^。、！？]{0,8}(?:盗ま|盗難)",
)
"""A personal emergency or a bereavement: a death in the family, a funeral (忌引), the
traveller or a relative in hospital or hurt, a pregnancy's complication, an assault, a
passport stolen (not an account: 账号被盗 is a password to reset). Not a dead phone, a
deadline or 死机: no bare "dead" or 死 in it. At least ``high`` (``rules.Rules.urgency``),
and the bot leaves it to a person (``kb.domain.bot_refusal``)."""


def personal_emergency(text: str) -> bool:
    """What a traveller wrote tells of a personal emergency or a bereavement (``PERSONAL``),
    however calmly it asks how to cancel: a person answers it, not an article."""
    return bool(PERSONAL.search(normalise(text)))


PLEASANTRIES = _any(
    r"\b(?:thanks?|thank you|thx|cheers|ty)(?: (?:you|so much|very much|a lot|again|"
    r"for (?:all |everything|your help|the help|your time|helping)(?: today)?))*\b",
    r"\b(?:that(?:'?s| is|'?ll be| will be) (?:all|it|everything)(?: for now)?|nothing else|"
    r"i'?m (?:good|all set)|no (?:more |further |other )?(?:problems?|issues?|questions?)"
    r"(?: at all)?|not a problem)\b",
    r"\b(?:ok(?:ay)?|alright|all right|sure|great|perfect|got it|fine|yes|no|nope|all good)"
    r"(?: now| then)?\b",
    r"\b(?:good ?bye|bye(?: now)?|see you|take care|have a (?:good|nice|great) "
    r"(?:day|one|evening|night|weekend))\b",
    r"(?:非常|太|真的|多)?(?:谢谢|感谢|多谢|谢)(?:你|您|你们|啦|了|哈|啊|哦|喔)*",
    r"好的|好吧|好喔|好哦|好|嗯|恩|行|ok|知道了|明白了|清楚了|了解|收到|可以了",
    r"再见|拜拜|掰掰|没(?:有)?(?:什么|啥|别的|其他|其它)?(?:问题)?了?|不用了|就这些|就这样|"
    r"我的问题问完了",
    r"(?:どうも|本当に)?ありがと(?:う(?:ございま(?:す|した))?)?|了解(?:です|しました)|"
    r"(?:わか|分か)りました|大丈夫です|以上(?:です|になります)|それだけです|失礼します|"
    r"お世話になりました|さようなら|特に|問題(?:は|も)?(?:ありません|ないです|ない|なし)",
)
"""What a closing message says: thanks, acknowledgements, farewells, "nothing else"."""

_FILLER = re.compile(r"[\W_啊呀哈啦了的哦喔呢吧嘛～]+")
CLOSING_LENGTH = 120
"""Longer than this, a message says more than pleasantries (the longest closing in the
labelled real-text pools has 41 characters): not taken apart (65 → 26 µs a contact)."""


def closing(normalised: str) -> bool:
    """Thanks or a farewell and nothing else: once the pleasantries are taken out, no
    request, question or problem is left (a closing is other and low, never a complaint)."""
    if len(normalised) > CLOSING_LENGTH or not PLEASANTRIES.search(normalised):
        return False
    return not _FILLER.sub("", PLEASANTRIES.sub(" ", normalised))


def warm_thanks(normalised: str, found: set[str]) -> bool:
    """Thanks with praise, and no turn to something else ("…, but my bag is still
    missing"): warm thanks beyond a formula, positive by the rubric (docs/routing.md)."""
    return "thanks" in found and bool(PRAISE.search(normalised)) and not CONTRAST.search(normalised)


CRIES = _any(
    r"\b(?:help|sos|mayday|urgent)\b",
    r"救命|救救|帮帮|求救|求助|急",
    r"助けて|たすけて|タスケテ|緊急|至急",
)
"""A cry for help, in any of the four languages."""
_CRY_FILLER = _any(
    r"\b(?:please|pls|plz|me|us|i|we|need|someone|somebody|anyone|anybody|now)\b",
    r"我们|我|请|快|谁来|来人|啊|呀|啦|吧|喇|呢|哦|喔",
    r"ください|下さい|です|誰か|早く",
)
"""What a bare cry says besides it: whom to help, please, now."""


def cry_for_help(normalised: str) -> bool:
    """A cry for help and nothing else ("HELP!!!", 救命啊！, 助けてください): once the cry and
    who is to help are taken out, nothing is left (no request, no thanks, no booking)."""
    if len(normalised) > CLOSING_LENGTH or not CRIES.search(normalised):
        return False
    return not _FILLER.sub("", _CRY_FILLER.sub(" ", CRIES.sub(" ", normalised)))


ENTRY_DOCUMENTS = _any(
    r"\bvisas?\b(?! ?(?:card|credit|debit|ending|gold|platinum))|\besta\b|\bschengen\b",
    r"\b(?:entry|transit) (?:permit|requirements?|rules|documents?)\b",
    r"\bpassport\b[^.!?]{0,30}\bvalid(?:ity)?\b|\bvalid passport\b",
    r"签证|签注|台胞证|回乡证|通行证|入境(?:要求|条件|手续|材料|许可)",
    r"ビザ|査証|入国(?:条件|手続|審査|に必要|要件)",
)
"""A visa or another document a border asks for (not a Visa card)."""
_SERVICE_NAMED = _any(
    r"\b(?:reimburs\w*|claim\w*|expens\w*|invoices?|receipts?|cards?|charg\w*|paid|pay\w*)\b",
    r"\b(?:fraud\w*|declined|refund\w*|cancel\w*|change|rebook\w*|reschedul\w*)\b",
    r"\b(?:travel|company|corporate|our) policy\b",
    r"报销|报账|发票|收据|卡|扣款|付款|支付|垫付|先付|付了|退|取消|改签|改期|差标|差旅|公司规定",
    r"精算|経費|領収|請求|カード|支払|返金|キャンセル|変更|規定|規程",
)
"""What a desk acts on besides the document: money claimed or paid, a booking to change,
the travel policy."""


def entry_document(normalised: str) -> bool:
    """A visa or entry-document question with nothing TripCare books or pays for named
    ("签证怎么办理", "ビザは必要ですか"): travel information, ``other`` (docs/routing.md)."""
    return bool(ENTRY_DOCUMENTS.search(normalised)) and not _SERVICE_NAMED.search(normalised)
