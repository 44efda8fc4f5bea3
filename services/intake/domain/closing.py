"""Closing words: a traveller's "thanks", "ok, got it", "收到，謝謝你們！", 👍 after the answer.

A follow-up on a resolved (or bot-answered) ticket within the reopen window reopens it
(docs/api.md, "Contacts"), but a pure acknowledgement asks for nothing: reopening it
withdrew the survey, sent the ticket back to the expert queue raised and paged the
managers again. Such a message is closing words: it goes on the ticket's timeline and
nothing else happens.

The rule is routing's closing rule (``services/routing/triage/readings.py``), made
stricter, because a wrong "closing" here loses a traveller's problem while a wrong
reopen only costs a look: the message is closing words when, with its greetings,
thanks, acknowledgements, farewells, the traveller's own name and a mail's signature
taken out, nothing is left but punctuation, whitespace and friendly emoji; and it has no
question mark, no file, no subject of its own (a reply's ``Re: …`` is ours), and is
short. No negation, "but", request or problem word is a pleasantry, so any of them is
left over and reopens ("thanks but it still doesn't work", "谢谢，但是发票还是没收到").
Bare "yes", "no", "fine" and "sure" are not closing words: they answer something we
cannot see. Pure.
"""

from __future__ import annotations

import re
import unicodedata

from contracts.events import ContactReceived
from contracts.mail import TICKET_ID

MAX_CLOSING = 200
"""Longer than this (after the signature), a message says more than pleasantries."""


def _phrases(*alternatives: str, words: bool = False) -> re.Pattern[str]:
    joined = "|".join(f"(?:{a})" for a in alternatives)
    return re.compile(rf"(?<![a-z0-9'])(?:{joined})(?![a-z0-9'])" if words else joined)


_THANKS_EN = (
    r"(?:many |big |huge |special )?(?:thanks|thank you|thank u|thankyou|thx|thnx|thanx|tks|"
    r"ty|tysm|cheers)"
    r"(?: (?:so|very) much| a lot| a million| again| heaps| loads| kindly)*"
    r"(?: (?:for|with) (?:all )?(?:(?:your|the|ur) )?(?:kind |quick |fast |prompt |speedy |swift "
    r"|great |good )?(?:help|assistance|support|time|response|reply|answer|update|info|"
    r"information|patience|everything|effort|efforts|work|service)|"
    r" for (?:sorting|fixing|resolving|handling|solving|looking into|checking)(?: (?:this|that|it|"
    r"everything))?(?: out)?(?: so quickly)?| for getting back to me)?"
    r"(?: (?:all|everyone|guys|team|so much))?"
)
ENGLISH = _phrases(
    _THANKS_EN,
    r"(?:(?:i|we) )?(?:really |greatly |much |very much )?appreciated?(?: it| that| your help)?"
    r"(?: (?:very )?much)?|much appreciated",
    r"(?:ok(?:ay|ey)?|k|kk|alright|all right|got it|noted|understood|received|i see|makes sense|"
    r"sounds (?:good|great|perfect)|perfect|great|awesome|excellent|wonderful|brilliant|lovely|"
    r"nice|cool|fantastic|will do|roger(?: that)?|good to know|all good|all set|all sorted|sorted|"
    r"(?:it |that |all )?works|(?:it'?s |it is |all )?(?:fixed|resolved|solved)|"
    r"problem solved|issue resolved|much better)(?: now)?",
    r"that(?:'?s| is) (?:great|perfect|all|it|helpful|everything|very helpful|good)|"
    r"that'?ll be all|nothing else|no (?:more|further|other) questions?|no problem|no worries",
    r"(?:good ?)?bye(?: bye| now)?|see you|take care|have a (?:nice|good|great|lovely) "
    r"(?:day|one|evening|weekend|week|night|trip)|you too|(?:best |kind |warm )?regards|"
    r"best wishes|best|br|sincerely|yours sincerely",
    words=True,
)
"""English pleasantries, as whole words (NFKC, case folded)."""

CHINESE = _phrases(
    r"(?:唔該|唔该|多謝|多谢)(?:晒|哂|曬)(?:你哋|你地|你|您)?|(?:唔該|唔该)(?:你哋|你地|你|您)?|"
    r"(?:多謝|多谢)(?:你哋|你地)",
    r"(?:收到|明白|了解|知道|清楚|搞掂|搞定)(?:晒|哂|曬)?咗?|冇(?:問題|问题|事)|得(?:喇|啦)",
    r"(?:非常|十分|万分|萬分|太|真的|真是|实在|實在|多|超级|超級)?"
    r"(?:感谢|感謝|谢谢|謝謝|多谢|多謝|谢|謝)"
    r"(?:你们|你們|您们|您們|你|您|大家|客服|各位)?"
    r"(?:的?(?:帮助|幫助|帮忙|幫忙|协助|協助|耐心|处理|處理|回复|回覆|解答|服务|服務))?",
    r"辛苦(?:你们|你們|您们|您們|你|您|大家)?(?:了|啦)",
    r"(?:没|沒)(?:有)?(?:什么|什麼|啥|别的|別的|其他|其它)?(?:问题|問題)|"
    r"(?:问题|問題)?(?:已(?:经|經)?)?解(?:决|決)",
    r"太好了|太棒了|收到|好的|好滴|好嘞|好|嗯|恩|行|可以|知道|明白|了解|清楚|没事|沒事|不用|搞定|完美|满意|滿意",
    r"再见|再見|拜拜|掰掰|"
    r"祝(?:你们|你們|您|你)?(?:一切顺利|一切順利|生活愉快|工作顺利|工作順利|旅途愉快|周末愉快|週末愉快)",
)
"""Chinese pleasantries, in both scripts, and Hong Kong's Cantonese ones (``唔該晒``,
``多謝晒``, ``冇問題``, ``搞掂咗``) first, so ``多謝`` does not leave ``晒`` over. ``问题`` is
one only with what closes it (``没有问题``, ``问题解决了``); alone, it is a problem and is
left over. ``唔`` alone is Cantonese "not" and is left over (``唔得``)."""

JAPANESE = _phrases(
    r"(?:どうも|本当に|ほんとうに|大変|誠に)?ありがと(?:う(?:ございま(?:す|した))?|ございます)?",
    r"感謝(?:いた)?し(?:ます|ております)|(?:大変|本当に)?助かり(?:ました|ます)|"
    r"(?:大変)?お世話になり(?:ました|ありがとうございました)|お世話になっております",
    r"了解(?:です|しました|いたしました)?|承知(?:いた)?しました|かしこまりました|"
    r"(?:わか|分か)りました|確認(?:いた)?しました|大丈夫です|"
    r"問題(?:は|も)?(?:ありません|ないです|なし|ございません)|解決しました",
    r"以上です|失礼(?:いた)?します|(?:今後とも)?よろしくお願い(?:いた)?します|"
    r"お疲れ様(?:です|でした)|さようなら",
)
"""Japanese pleasantries."""

GREETINGS = (
    _phrases(
        r"hi|hello|hey|dear (?:team|support|all|sir|madam|sir or madam|colleagues)|team|"
        r"good (?:morning|afternoon|evening)",
        words=True,
    ),
    _phrases(r"你好|您好|大家好|こんにちは|はい"),
)
"""Greetings (and Japanese "yes"): taken out with the pleasantries but closing nothing on
their own, as "你好" or "Hi" alone opens a conversation: its question comes next."""

EMOJI = frozenset("👍👌🙏🙇😊🙂😀😃😄😁☺❤💕💖🎉✨💯🥰😍🤝👏✅🌹💐")
"""Friendly emoji: a thumbs-up is an acknowledgement; any other emoji is left over."""
_MODIFIERS = frozenset("\ufe0f\u200d") | {chr(c) for c in range(0x1F3FB, 0x1F400)}
_CJK_FILLER = frozenset("啊呀哈啦喇哦喔噢哒嘿了的嘅~")
"""Particles that carry no request (``吗``, ``呢`` and ``吧`` do, and are left over)."""

_SIGNATURE = re.compile(
    r"(?:--|—)[ \t]*$|(?:sent from my|get outlook for|发自我的|發自我的|寄自我的|从我的|從我的)"
    r"|.{0,20}から送信$",
    re.IGNORECASE,
)
"""Where a mail's sign-off starts: the RFC 3676 delimiter or a phone's "Sent from my …"
(Taiwan's iOS Mail writes "寄自我的 iPhone", the mainland's "发自我的iPhone")."""
_REPLY_SUBJECT = re.compile(
    r"^\s*(?:\[[^\]]*\]\s*)*(?:re|aw|sv|antw|wg|回复|回覆|答复|答覆|返信)\s*[:：]", re.IGNORECASE
)
_TICKET_TAG = re.compile(rf"\[?{TICKET_ID}\]?", re.IGNORECASE)


def is_closing(contact: ContactReceived) -> bool:
    """Whether the contact is closing words only: no file, no subject of its own, and a
    text ``closing_text`` takes for pleasantries (by the traveller named ``name``)."""
    if contact.attachments:
        return False
    if contact.subject and not _REPLY_SUBJECT.match(contact.subject):
        return False
    return closing_text(contact.text, contact.traveller.name)


def closing_text(text: str, name: str | None = None) -> bool:
    """Whether ``text`` holds pleasantries and nothing else (conservative: when unsure, no)."""
    said = unicodedata.normalize("NFKC", _above_signature(text)).casefold().replace("’", "'")
    if len(said) > MAX_CLOSING or "?" in said or "¿" in said:
        return False
    left = _without_name(_TICKET_TAG.sub(" ", said), name)
    for greeting in GREETINGS:  # first: 你好 is no 好
        left = greeting.sub(" ", left)
    found = False
    for pattern in (ENGLISH, JAPANESE, CHINESE):  # 了解しました before 了解
        left, count = pattern.subn(" ", left)
        found = found or count > 0
    found = found or any(char in EMOJI for char in said)
    return found and all(_filler(char) for char in left)


def _above_signature(text: str) -> str:
    """The text above a mail's signature, when something stands above it."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if index and _SIGNATURE.match(line.strip()) and "\n".join(lines[:index]).strip():
            return "\n".join(lines[:index])
    return text


def _without_name(text: str, name: str | None) -> str:
    """``text`` without the traveller's name or its parts (a sign-off: "Thanks, Li")."""
    if not name:
        return text
    folded = unicodedata.normalize("NFKC", name).casefold()
    for part in sorted({folded, *folded.split()}, key=len, reverse=True):
        if len(part) > 1 and part.isascii():
            text = re.sub(rf"(?<![a-z0-9]){re.escape(part)}(?![a-z0-9])", " ", text)
        elif len(part) > 1:
            text = text.replace(part, " ")
    return text


def _filler(char: str) -> bool:
    """Punctuation, spacing, a friendly emoji or a particle: nothing asked or reported."""
    kind = unicodedata.category(char)
    return (
        kind[0] in "PZ"
        or char.isspace()
        or char in EMOJI
        or char in _MODIFIERS
        or char in _CJK_FILLER
    )
