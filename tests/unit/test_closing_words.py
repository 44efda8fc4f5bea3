"""Closing words after the answer: a "thanks" stays on the timeline, a problem reopens.

QA saw "收到，謝謝你們！" in web chat reopen a ticket resolved after an appeal: its survey
was withdrawn, it went back to the expert queue as critical and the account manager and
support manager were paged again. The first text is QA's; the rest are written for these
tests in the way travellers write in each language. A Hong Kong traveller's "唔該晒！"
(Cantonese thanks) reopened a resolved hotel ticket the same way in a later QA run.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts import events
from services.intake.domain import Ticket, TicketStatus
from services.intake.domain.closing import closing_text, is_closing
from services.intake.pages.tracking_view import WORDS, tracking_view
from services.intake.service import Outcome
from tests.factories import T0, TRAVELLER, contact
from tests.unit.test_threading import intake

CLOSINGS = {
    "zh-Hant": [
        "收到，謝謝你們！",
        "好的 謝謝",
        "謝謝您的幫忙 🙏",
        "了解，感謝！",
        "沒問題了，謝謝你，掰掰！",
        "好喔～謝謝",
        "問題解決了，非常感謝",
        "辛苦了，謝謝！",
        "收到👍",
        "收到，謝謝你們的幫忙！😊\n\n寄自我的 iPhone",  # Taiwan's iOS Mail signs so
        "謝謝！\n\n寄自我的 iPad",
        "謝謝幫忙！",
    ],
    "zh-Hant (Hong Kong, Cantonese)": [
        "唔該晒！",
        "多謝晒，搞掂咗 👍",
        "收到，唔該",
        "OK，冇問題喇，多謝",
        "明白晒，唔該你",
        "好嘅，多謝你哋",
        "得喇，唔該晒",
        "唔該哂，拜拜",
        "多謝幫忙 🙏",
    ],
    "zh-Hans": [
        "收到，谢谢",
        "好的，谢谢！",
        "谢谢你们的帮助",
        "嗯嗯 知道了 谢谢",
        "OK，收到了，多谢",
        "好的没问题了，谢谢，拜拜",
        "问题已经解决了，谢谢！",
        "明白了，辛苦你们了",
        "太好了，谢谢~",
        "可以了，谢谢😊",
        "不用了，谢谢",
        "好的ok谢谢",
        "您好，收到，谢谢！祝您工作顺利",
        "好的，谢谢帮忙",
    ],
    "ja": [
        "了解しました。ありがとうございます",
        "ありがとうございました！",
        "承知しました。よろしくお願いいたします。",
        "確認しました、助かりました。",
        "わかりました、ありがとう",
        "問題ありません。ありがとうございました、失礼します。",
        "大変お世話になりました。",
        "はい、解決しました！ありがとうございます🙇",
        "どうもありがとうございます👍",
    ],
    "en": [
        "thanks",
        "Thank you!",
        "ok, got it",
        "Got it, thanks!",
        "Thanks so much for your help 🙏",
        "Perfect, thank you very much.",
        "Great, that's all. Have a nice day!",
        "Thx 👍",
        "Much appreciated!",
        "All good now, cheers",
        "OK thanks, bye",
        "That’s perfect, thanks team",
        "It works now, thank you for the quick response!",
        "Hi, thanks for sorting.",
        "Noted, many thanks.\n\nBest regards,\nLi Lei",
        "Thank you!\n\nSent from my iPhone",
        "👍",
        "🙏🏻",
    ],
}

PROBLEMS = {
    "zh-Hant": [
        "收到，謝謝，但是發票還是沒收到",
        "謝謝 但是問題到現在還是沒處理",
        "謝謝，不過退款呢？",
        "沒收到",
        "好的，請再幫我確認一下",
        "謝謝，還有一個問題",
    ],
    "zh-Hant (Hong Kong, Cantonese)": [
        "唔該晒，但係仲未收到退款",
        "多謝，不過張發票仲係錯嘅",
        "唔該幫我再查下",
        "仲未搞掂",
        "唔得喇，唔該",
        "冇收到",
        "多謝晒，酒店仲係話冇我嘅booking",
    ],
    "zh-Hans": [
        "谢谢，但是发票还是没收到",
        "谢谢，不过我的问题还是没有解决",
        "收到，那退款什么时候到账",
        "好的，谢谢，我还需要一张行程单",
        "谢谢，不对，航班时间错了",
        "还是不行，谢谢",
        "问题还在",
        "好的谢谢吗",
        "没解决",
        "谢谢，麻烦再帮我改一下酒店",
        "收到了吗",
        "还没有，谢谢",
        "好的，不好意思，我的行李呢",
    ],
    "ja": [
        "ありがとうございます。でも問題はまだ解決していません。",
        "了解しました。領収書も送っていただけますか",
        "ありがとうございます、ただ返金がまだです",
        "わかりません",
        "ありがとうございました。もう一件お願いがあります。",
        "了解できません",
        "ありがとう、でもまた遅延です",
    ],
    "en": [
        "thanks but it still doesn't work",
        "Thanks, but my problem is still not solved.",
        "ok thanks?",
        "Thanks! Can you also send the invoice?",
        "Got it. Could you please change the hotel too?",
        "Not fixed, thanks",
        "thanks for nothing",
        "No",
        "yes",
        "fine",
        "Thanks, the refund never arrived",
        "Thanks again, the invoice is wrong though",
        "ok 😡",
        "no thanks",
        "Thanks, I got charged twice",
        "OK, now it's broken again",
        "Thank you, still waiting for the refund",
        "thank you. " * 40,
        ".",
        "",
    ],
}


@pytest.mark.parametrize(
    "text", [t for texts in CLOSINGS.values() for t in texts], ids=lambda t: t[:30]
)
def test_pleasantries_alone_are_closing_words(text: str) -> None:
    assert closing_text(text, "Li Lei")


@pytest.mark.parametrize(
    "text", [t for texts in PROBLEMS.values() for t in texts], ids=lambda t: t[:30]
)
def test_thanks_with_a_question_a_problem_a_negation_or_a_request_are_not(text: str) -> None:
    assert not closing_text(text, "Li Lei")


def test_a_file_or_a_subject_of_its_own_makes_a_thanks_more_than_closing_words() -> None:
    file = events.Attachment(name="receipt.pdf", content_type="application/pdf", size=10)
    reply = contact(channel=events.Channel.EMAIL, subject="Re: New reply [TC-ABCDEFGHIJKL]")

    assert is_closing(contact(text="Thanks!"))
    assert is_closing(reply.model_copy(update={"text": "Thanks!"}))
    assert not is_closing(contact(text="Thanks!", attachments=[file]))
    assert not is_closing(reply.model_copy(update={"text": "Thanks!", "subject": "Invoice"}))


def resolved(bot: bool = False) -> Ticket:
    opening = {"contact_id": "c1", "generation": 1, "language": "zh-Hant"}
    ticket = Ticket.open("acme", contact(), **opening, tracking_url="http://t", now=T0)
    if bot:
        ticket._move(TicketStatus.BOT_ANSWERED, "be answered")
    else:
        ticket.resolve(code="answered", message="Done", agent="agent-7", now=T0)
    ticket.take_events()
    return ticket


@pytest.mark.parametrize("bot", [False, True])
def test_closing_words_go_on_the_timeline_and_reopen_nothing(bot: bool) -> None:
    ticket = resolved(bot)
    status, priority = ticket.status, ticket.priority
    later = T0 + timedelta(days=1)
    thanks = contact(channel_message_id="chat-9", text="收到，謝謝你們！", received_at=later)

    ticket.follow_up(thanks, "c2", later)

    assert (ticket.status, ticket.priority, ticket.repeat_contacts) == (status, priority, 0)
    assert ticket.take_events() == []  # no reopen, no follow-up: nobody paged, survey stays
    entry = ticket.timeline[-1]
    assert (entry.kind, entry.actor, entry.details["text"]) == (
        "closing_words",
        TRAVELLER.id,
        "收到，謝謝你們！",
    )
    assert "c2" in ticket.contact_ids  # the same message again is a duplicate


def test_thanks_with_a_problem_reopens_as_before() -> None:
    ticket = resolved()
    later = T0 + timedelta(days=1)
    chased = contact(channel_message_id="chat-9", text="谢谢，但是发票还是没收到")

    ticket.follow_up(chased, "c2", later)

    assert ticket.status is TicketStatus.REOPENED
    assert [type(e) for e in ticket.take_events()] == [
        events.TicketFollowedUp,
        events.TicketReopened,
    ]


def test_closing_words_on_an_open_ticket_are_a_follow_up_as_before() -> None:
    ticket = resolved()
    ticket.reopen(reason="no", by="agent-7", now=T0)
    ticket.take_events()

    ticket.follow_up(contact(channel_message_id="chat-9", text="谢谢"), "c2", T0)

    assert ticket.repeat_contacts == 1
    assert [type(e) for e in ticket.take_events()] == [events.TicketFollowedUp]


async def test_through_intake_a_thanks_is_taken_once_and_a_later_problem_reopens() -> None:
    desk, clock, _ = intake()
    first, _ = await desk.receive_contact("acme", contact(conversation_key="s1"))
    resolve = lambda t: t.resolve(code="a", message="m", agent="x", now=T0)  # noqa: E731
    await desk.act("acme", first.id, resolve)
    clock.advance(timedelta(days=1))
    thanks = contact(conversation_key="s1", channel_message_id="m2", text="收到，謝謝你們！")

    kept, outcome = await desk.receive_contact("acme", thanks)
    again, repeated = await desk.receive_contact("acme", thanks)
    chased, _ = await desk.receive_contact(
        "acme", contact(conversation_key="s1", channel_message_id="m3", text="还是没收到发票")
    )

    assert (outcome, kept.id, kept.status) == (Outcome.FOLLOWED_UP, first.id, TicketStatus.RESOLVED)
    assert (repeated, again.status) == (Outcome.DUPLICATE, TicketStatus.RESOLVED)
    assert (chased.id, chased.status, chased.repeat_contacts) == (
        first.id,
        TicketStatus.REOPENED,
        1,
    )


@pytest.mark.parametrize("closed", [False, True])
async def test_a_thanks_after_the_reopen_window_or_on_a_closed_ticket_opens_no_new_ticket(
    closed: bool,
) -> None:
    desk, clock, _ = intake()
    first, _ = await desk.receive_contact("acme", contact(conversation_key="s1"))
    resolve = lambda t: t.resolve(code="a", message="m", agent="x", now=T0)  # noqa: E731
    await desk.act("acme", first.id, resolve)
    if closed:
        await desk.act("acme", first.id, lambda t: t.close(by="agent-7", now=T0))
    clock.advance(timedelta(days=30))
    thanks = contact(conversation_key="s1", channel_message_id="m2", text="Thanks again!")

    kept, outcome = await desk.receive_contact("acme", thanks)
    chased, opened = await desk.receive_contact(
        "acme", contact(conversation_key="s1", channel_message_id="m3", text="Where is my refund")
    )

    assert (outcome, kept.id, kept.timeline[-1].kind) == (
        Outcome.FOLLOWED_UP,
        first.id,
        "closing_words",
    )
    assert kept.status is (TicketStatus.CLOSED if closed else TicketStatus.RESOLVED)
    assert (opened, chased.generation) == (Outcome.OPENED, 2)  # a new question: a new ticket


@pytest.mark.parametrize(
    "text",
    [
        "Hi",
        "Hello!",
        "Good morning",
        "Dear team,",
        "你好",
        "您好！",
        "大家好",
        "こんにちは",
        "はい",
    ],
)
def test_a_greeting_alone_opens_a_conversation_it_does_not_close_one(text: str) -> None:
    assert not closing_text(text)  # "你好" on WeChat comes before the question, not after


@pytest.mark.parametrize("text", ["Hi, thanks!", "你好，谢谢", "はい、了解しました"])
def test_a_greeting_with_thanks_is_closing_words(text: str) -> None:
    assert closing_text(text)


@pytest.mark.parametrize("language", ["zh-Hans", "zh-Hant", "ja", "en"])
def test_the_travellers_closing_words_show_on_their_tracking_page_as_their_other_messages(
    language: str,
) -> None:
    """They went on the timeline for staff only: the traveller's own "谢谢" vanished from
    their page. It is listed as their other messages are (a step in their language, their
    text not quoted back), and the state of the ticket stays as it was."""
    ticket = resolved()
    later = T0 + timedelta(days=1)
    for number, said in enumerate(("谢谢", "ありがとうございました", "👍")):
        thanks = contact(channel_message_id=f"chat-{number}", text=said, received_at=later)
        ticket.follow_up(thanks, f"c{number}", later)

    view = tracking_view(ticket, language)

    shown = [step for step in view.timeline if step.kind == "closing_words"]
    wrote_again = WORDS(language)["kind_follow_up"]
    assert [(s.summary, s.message) for s in shown] == [(wrote_again, None)] * 3
    assert view.status is TicketStatus.RESOLVED
    assert "Closing words on" not in view.model_dump_json()
