"""A traveller in a personal emergency or bereaved may ask as plainly as anyone: "My father
passed away, I need to cancel my trip to Tokyo next week, how do I cancel?" read as a
neutral ``cancel_refund`` question, 0.936 from the cancellation article against a 0.936
threshold, and "I need bereavement leave, how do I cancel my booking?" got the article at
0.960. An article on pressing Cancel is cold and wrong there: a person answers
(``readings.PERSONAL``, read before any embedding). A dead phone, a deadline, 死机 or a
hospital visit to cancel are no emergency and stay the bot's to answer.

Written for these tests: none is in the knowledge-base questions or the triage pools.
"""

from __future__ import annotations

import pytest

from services.routing.kb.articles import KnowledgeBase
from services.routing.triage.readings import personal_emergency
from tests.triage_pools import pooled
from tests.unit.test_kb_airline_cancelled import decision, kb  # noqa: F401 (the fixture)

PERSONAL = [
    "My father passed away, I need to cancel my trip to Tokyo next week, how do I cancel?",
    "I need bereavement leave, how do I cancel my booking?",
    "My grandmother died on Sunday, can I get a refund on my flight?",
    "Family emergency, how do I cancel my trip on Friday?",
    "I was injured and I'm in hospital, how do I change my booking?",
    "I have a pregnancy complication and my doctor says I can't fly, how do I cancel?",
    "I was assaulted last night, how do I change my flight home?",
    "My passport was stolen, how do I change my booking?",
    "家里老人去世了，需要取消出差订单怎么操作",
    "我住院了，酒店怎么改期",
    "我要请丧假，机票怎么退",
    "家父過世，要取消機票",
    "外婆過身，要退機票",
    "我在醫院，飯店怎麼改期",
    "父が亡くなったので出張をキャンセルしたいです",
    "入院したので予約を変更したい",
    "忌引きで出張をキャンセルしたい",
    "身内に不幸があり、フライトをキャンセルしたい",
]
NOT_PERSONAL = [
    "How do I cancel a booking?",
    "How do I cancel my hospital visit booking?",
    "What's the hotel's dead line for cancellation?",
    "What is the deadline to cancel a hotel?",
    "my phone died, how do I see my booking",
    "I lost my son's passport photo, can I upload another?",
    "I'm pregnant, can I fly business class?",
    "How do I add an emergency contact?",
    "手机死机了，怎么取消订单",
    "账号被盗了，怎么改密码",
    "累死了，怎么改签",
    "妊娠中ですが、出張の規定はありますか",
]


@pytest.mark.parametrize("text", PERSONAL)
def test_a_personal_emergency_is_read_in_the_four_languages(text: str) -> None:
    assert personal_emergency(text)


@pytest.mark.parametrize("text", NOT_PERSONAL)
def test_a_near_miss_is_no_personal_emergency(text: str) -> None:
    assert not personal_emergency(text)


@pytest.mark.parametrize(
    "text",
    [
        "My father passed away, I need to cancel my trip to Tokyo next week, how do I cancel?",
        "I need bereavement leave, how do I cancel my booking?",
        "家父過世，要取消機票",
        "父が亡くなったので出張をキャンセルしたいです",
    ],
)
async def test_the_bot_leaves_a_bereaved_traveller_to_a_person(
    kb: KnowledgeBase,  # noqa: F811
    text: str,
) -> None:
    found = await decision(kb, text)
    assert (found.answer, found.why) == (
        False,
        "a personal emergency or bereavement: a person answers",
    )


async def test_a_plain_cancellation_is_still_answered(kb: KnowledgeBase) -> None:  # noqa: F811
    found = await decision(kb, "How do I cancel a booking?")
    assert found.answer


def test_the_sentences_here_are_in_no_pool() -> None:
    assert not pooled(PERSONAL + NOT_PERSONAL)
