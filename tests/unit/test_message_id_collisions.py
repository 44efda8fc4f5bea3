"""Two people's messages that share a gateway's message id are two messages, not a redelivery.

QA's web chat widget numbered messages per session (`m1`, `m2`, …), as many widgets do. A
visitor's first message `m1` in their own session came back `200 duplicate` naming another
traveller's ticket and its signed tracking link, and the message was dropped: the contact's
identity was the tenant, the channel and the message id alone. A redelivery is the same
person's same message in the same conversation, so the identity now holds those too.
"""

from __future__ import annotations

import asyncio

from contracts import events
from services.intake.service import Outcome
from tests.factories import contact
from tests.unit.test_threading import intake, tickets_in


def chat(visitor: str, session: str, message_id: str, text: str) -> events.ContactReceived:
    return contact(
        channel=events.Channel.WEB_CHAT,
        channel_message_id=message_id,
        conversation_key=f"{session}:{visitor}",
        traveller=events.Traveller(id=visitor, language="ja"),
        text=text,
    )


def test_another_visitors_message_with_the_same_id_opens_their_own_ticket() -> None:
    service, _, db = intake()
    first, opened = asyncio.run(
        service.receive_contact("acme", chat("trav-ja-1", "sess-1", "m1", "成田空港で欠航です"))
    )
    other, outcome = asyncio.run(
        service.receive_contact("acme", chat("visitor-88", "sess-88", "m1", "領収書がありません"))
    )
    assert (opened, outcome) == (Outcome.OPENED, Outcome.OPENED)
    assert other.id != first.id
    assert other.traveller.id == "visitor-88"
    assert len(tickets_in(db)) == 2


def test_the_same_visitors_next_session_numbering_again_is_not_a_duplicate() -> None:
    service, _, _ = intake()
    asyncio.run(service.receive_contact("acme", chat("v-1", "sess-1", "m1", "ホテルの件です")))
    _, outcome = asyncio.run(
        service.receive_contact("acme", chat("v-1", "sess-2", "m1", "新幹線の払い戻しについて"))
    )
    assert outcome is not Outcome.DUPLICATE


def test_a_redelivery_is_still_a_duplicate() -> None:
    service, _, db = intake()
    message = chat("trav-ja-1", "sess-1", "m1", "成田空港で欠航です")
    first, _ = asyncio.run(service.receive_contact("acme", message))
    again, outcome = asyncio.run(service.receive_contact("acme", message))
    assert (outcome, again.id) == (Outcome.DUPLICATE, first.id)
    assert len(tickets_in(db)) == 1


def test_a_phone_redelivery_spelling_the_number_otherwise_is_still_a_duplicate() -> None:
    service, _, _ = intake()
    call = contact(
        channel=events.Channel.PHONE,
        channel_message_id="ivr-1",
        conversation_key="ivr-1",
        traveller=events.Traveller(id="phone:+86 138 0013 8000"),
        text="我在浦东机场，航班取消了",
    )
    respelt = call.model_copy(update={"traveller": events.Traveller(id="phone:0086 138-0013-8000")})
    first, _ = asyncio.run(service.receive_contact("acme", call))
    again, outcome = asyncio.run(service.receive_contact("acme", respelt))
    assert (outcome, again.id) == (Outcome.DUPLICATE, first.id)
