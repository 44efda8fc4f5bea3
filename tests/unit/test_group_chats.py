"""Group chats: everyone in a DingTalk group shares its ``conversationId``, yet each member
asking the robot is their own traveller with their own ticket; so is a second visitor in
one web chat session."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson

from contracts.events import Channel
from services.intake.channels import normalise
from services.intake.domain import Ticket
from services.intake.service import Outcome
from tests.unit.test_threading import intake as intake_on_fakes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "channels"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def dingtalk(msg_id: str, staff_id: str, text: str, conversation_type: str) -> bytes:
    body = orjson.loads((FIXTURES / "dingtalk.json").read_bytes())
    body.update(
        msgId=msg_id,
        senderStaffId=staff_id,
        senderId=f"$:LWCP_v1:${staff_id}",
        conversationType=conversation_type,
        conversationTitle="差旅报销群",
        text={"content": text},
    )
    return orjson.dumps(body)


async def test_two_members_of_a_dingtalk_group_get_a_ticket_and_a_thread_each() -> None:
    intake = intake_on_fakes(at=NOW)[0]

    async def receive(body: bytes) -> tuple[Ticket, Outcome]:
        return await intake.receive_contact("acme", normalise(Channel.DINGTALK, body, NOW))

    zhang, opened = await receive(dingtalk("m1", "staff-zhang", "发票抬头错了，订单 778812", "2"))
    li, li_opened = await receive(dingtalk("m2", "staff-li", "航班 CA1234 取消了，要改签", "2"))
    zhang_again, again = await receive(dingtalk("m3", "staff-zhang", "发票还没重开吗？", "2"))

    assert (opened, li_opened, again) == (Outcome.OPENED, Outcome.OPENED, Outcome.FOLLOWED_UP)
    assert li.id != zhang.id
    assert li.traveller.id == "dingtalk:staff-li"
    assert zhang_again.id == zhang.id
    assert normalise(Channel.DINGTALK, dingtalk("m4", "s", "x", "2"), NOW).metadata == {
        "group": "差旅报销群"
    }


def test_a_one_to_one_chat_with_the_robot_is_one_conversation_as_before() -> None:
    contact = normalise(Channel.DINGTALK, dingtalk("m1", "staff-zhang", "你好", "1"), NOW)

    assert contact.conversation_key == "cidCq1m2MNsQ+1y4cJQZMp0Gw=="
    assert contact.metadata == {}


def web_chat(message_id: str, visitor: str, text: str, session: str = "chat-s-5521") -> bytes:
    body = orjson.loads((FIXTURES / "web_chat.json").read_bytes())
    body.update(session_id=session, message_id=message_id, visitor={"id": visitor}, text=text)
    return orjson.dumps(body)


async def test_a_second_visitor_in_a_web_chat_session_gets_a_ticket_of_their_own() -> None:
    """They joined the first visitor's ticket: never acknowledged, answered to the other."""
    intake = intake_on_fakes(at=NOW)[0]

    async def receive(body: bytes) -> tuple[Ticket, Outcome]:
        return await intake.receive_contact("acme", normalise(Channel.WEB_CHAT, body, NOW))

    emma, opened = await receive(web_chat("c1", "trav-1088", "Hotel HX55120 is overbooked"))
    other, other_opened = await receive(web_chat("c2", "visitor-77", "My train was cancelled"))
    emma_again, again = await receive(web_chat("c3", "trav-1088", "Still no room"))

    assert (opened, other_opened, again) == (Outcome.OPENED, Outcome.OPENED, Outcome.FOLLOWED_UP)
    assert other.id != emma.id
    assert other.traveller.id == "visitor-77"
    assert emma_again.id == emma.id


def test_a_long_session_and_visitor_id_still_make_a_conversation_key() -> None:
    contact = normalise(Channel.WEB_CHAT, web_chat("c1", "v" * 128, "hi", session="s" * 128), NOW)

    assert contact.conversation_key is not None
    assert len(contact.conversation_key) == 64
