"""The tracking link's JSON carries only what a traveller may see (the page shows the same)."""

from __future__ import annotations

from datetime import timedelta

import orjson

from contracts import events
from contracts.events import EscalationLevel, Priority, SlaClock
from services.intake.domain import Ticket, TicketStatus
from services.intake.pages.tracking_view import WORDS, tracking_view
from tests.factories import T0, TRAVELLER
from tests.unit.test_ticket import opened_ticket


def a_worked_ticket() -> Ticket:
    ticket = opened_ticket()
    ticket.apply_routing(
        events.TicketRouted(
            ticket_id=ticket.id,
            traveller=TRAVELLER,
            queue="disruption",
            assignee="agent-7",
            priority=Priority.HIGH,
            first_response_due=T0 + timedelta(minutes=15),
            resolution_due=T0 + timedelta(hours=4),
            reason="no qualified agent available; agent-9 at load 5/5",
            routed_at=T0 + timedelta(minutes=1),
        )
    )
    ticket.note(text="VIP, handle with care", agent="agent-7", now=T0 + timedelta(minutes=2))
    ticket.escalate_on_breach(
        events.SlaBreached(
            ticket_id=ticket.id,
            clock=SlaClock.FIRST_RESPONSE,
            priority=Priority.CRITICAL,
            previous_priority=Priority.HIGH,
            queue="expert",
            assignee="agent-3",
            previous_assignee="agent-7",
            level=EscalationLevel.EXPERT_TEAM,
            deadline=T0 + timedelta(minutes=15),
            breached_at=T0 + timedelta(minutes=16),
        )
    )
    ticket.reply(message="已为您改签至CA1503", agent="agent-3", now=T0 + timedelta(minutes=20))
    return ticket


def test_the_json_shows_status_team_eta_steps_and_the_words_sent_only() -> None:
    ticket = a_worked_ticket()

    view = tracking_view(ticket, "en")
    shown = orjson.dumps(view.model_dump(mode="json")).decode()

    assert (view.status, view.handled_by, view.agent_assigned) == (
        TicketStatus.ASSIGNED,
        WORDS("en")["an_agent"],
        True,
    )
    assert [step.kind for step in view.timeline] == [
        "received",
        "acknowledged",
        "routed",
        "replied",
    ]
    assert [step.message for step in view.timeline if step.message] == ["已为您改签至CA1503"]
    for internal in ("agent-3", "agent-7", "agent-9", "no qualified", "VIP", "breach", "load"):
        assert internal not in shown, internal


def test_no_answer_is_expected_once_the_ticket_is_answered() -> None:
    ticket = opened_ticket()
    ticket.resolve(code="rebooked", message="done", agent="agent-7", now=T0 + timedelta(hours=1))

    view = tracking_view(ticket, "en")

    assert (view.expected_answer_by, view.can_say_not_helped) == (None, True)


def test_a_merged_duplicate_tells_its_traveller_where_the_request_continues() -> None:
    """Without the step, the duplicate read "closed" with no reason; the surviving ticket's
    "absorbed" step (perhaps another traveller's ticket id) stays inside."""
    duplicate = opened_ticket()
    survivor = opened_ticket(channel_message_id="app-msg-2", conversation_key="second")
    duplicate.merge_into(survivor, by="agent-7", now=T0 + timedelta(minutes=3))
    survivor.absorb(duplicate, by="agent-7", now=T0 + timedelta(minutes=3))

    (step,) = [s for s in tracking_view(duplicate, "zh-Hans").timeline if s.kind == "merged"]
    assert step.summary == f"已并入工单 {survivor.id}，我们将在该工单继续处理"
    english = tracking_view(duplicate, "en").timeline[-1]
    assert english.summary == f"Joined with your request {survivor.id}: we continue there"
    assert [s.kind for s in tracking_view(survivor, "en").timeline].count("merged") == 0


def rerouted(ticket: Ticket, at: timedelta) -> events.TicketRouted:
    """Routing's decision on a reopen: a new run, its first response due 30 min on."""
    return events.TicketRouted(
        ticket_id=ticket.id,
        traveller=TRAVELLER,
        queue="disruption",
        priority=Priority.CRITICAL,
        first_response_due=T0 + at + timedelta(minutes=30),
        resolution_due=T0 + at + timedelta(hours=4),
        reason="reopened (that did not help)",
        routed_at=T0 + at,
    )


def test_a_reopened_ticket_expects_its_new_runs_first_response_as_the_notice_says() -> None:
    """A reopen starts a new first-response clock (routing's run, docs/sla.md): the answer
    given before it answers nothing in it. The page used to show the resolution deadline
    while the routed notice promised the first response."""
    ticket = a_worked_ticket()
    ticket.resolve(code="rebooked", message="done", agent="agent-3", now=T0 + timedelta(hours=1))
    ticket.reopen(reason="that did not help", by=TRAVELLER.id, now=T0 + timedelta(hours=2))
    assert tracking_view(ticket, "en").expected_answer_by is None, "the earlier run's is no due"
    ticket.apply_routing(rerouted(ticket, timedelta(hours=2)))

    view = tracking_view(ticket, "en")

    assert view.expected_answer_by == T0 + timedelta(hours=2, minutes=30)
    ticket.reply(message="on it", agent="agent-3", now=T0 + timedelta(hours=2, minutes=5))
    assert tracking_view(ticket, "en").expected_answer_by == T0 + timedelta(hours=6)


def test_a_quick_reopen_does_not_promise_the_earlier_runs_first_response() -> None:
    """Resolved and reopened within the first run's first-response window, the old deadline
    is still ahead: it used to be shown as the new run's until routing's decision came
    (the not-helped answer itself said "expect an answer by" the earlier run's time)."""
    ticket = opened_ticket()
    first = rerouted(ticket, timedelta(minutes=1))
    ticket.apply_routing(
        first.model_copy(update={"first_response_due": T0 + timedelta(minutes=15)})
    )
    ticket.resolve(code="rebooked", message="done", agent="agent-3", now=T0 + timedelta(minutes=3))
    ticket.reopen(reason="that did not help", by=TRAVELLER.id, now=T0 + timedelta(minutes=5))

    assert ticket.first_response_due == T0 + timedelta(minutes=15), "ahead of the reopen"
    assert tracking_view(ticket, "en").expected_answer_by is None
    ticket.apply_routing(rerouted(ticket, timedelta(minutes=5)))
    assert tracking_view(ticket, "en").expected_answer_by == T0 + timedelta(minutes=35)


def test_not_helped_on_the_bots_answer_expects_a_persons_first_response() -> None:
    ticket = opened_ticket()
    ticket.bot_answer(
        events.TicketBotAnswered(
            ticket_id=ticket.id,
            channel=ticket.channel,
            traveller=TRAVELLER,
            article_id="password-reset",
            title="重置登录密码",
            answer="重置密码：在App或网页端登录页点击“忘记密码”…",
            language="zh-Hans",
            confidence=0.976,
            threshold=0.938,
            reason="bot answered",
            answered_at=T0 + timedelta(seconds=2),
        )
    )
    ticket.reopen(reason="that did not help", by=TRAVELLER.id, now=T0 + timedelta(minutes=5))
    ticket.apply_routing(rerouted(ticket, timedelta(minutes=5)))

    assert tracking_view(ticket, "en").expected_answer_by == T0 + timedelta(minutes=35)


def test_a_deadline_already_passed_is_promised_no_more() -> None:
    """A traveller reading "expect an answer by 17:59" at 18:10 was promised a time already
    gone (notify never sends such a notice: docs/notify.md): the page says nothing of when
    instead, until the next clock gives a time still ahead."""
    ticket = a_worked_ticket()
    ticket.resolve(code="rebooked", message="done", agent="agent-3", now=T0 + timedelta(hours=1))
    ticket.reopen(reason="that did not help", by=TRAVELLER.id, now=T0 + timedelta(hours=2))
    ticket.apply_routing(rerouted(ticket, timedelta(hours=2)))
    due = T0 + timedelta(hours=2, minutes=30)

    before = tracking_view(ticket, "zh-Hant", now=due - timedelta(minutes=1))
    after = tracking_view(ticket, "zh-Hant", now=due + timedelta(seconds=1))

    assert before.expected_answer_by == due
    assert (after.expected_answer_by, after.expected_answer_by_text) == (None, None)


def test_a_long_answer_on_the_page_ends_at_a_word_and_says_it_goes_on() -> None:
    """The bot's password answer read "… please reset it t" on the tracking page: the
    timeline kept its first 500 characters, cut mid-word, with no sign that more was sent."""
    answer = "To reset your password, choose Forgot password on the sign-in page. " * 12
    reply = "我们已联系酒店核实重复扣款，并会在三个工作日内退款。" * 30
    ticket = opened_ticket()
    ticket.bot_answer(
        events.TicketBotAnswered(
            ticket_id=ticket.id,
            channel=ticket.channel,
            traveller=TRAVELLER,
            article_id="password-reset",
            title="Reset your password",
            answer=answer,
            language="en",
            confidence=0.976,
            threshold=0.938,
            reason="bot answered",
            answered_at=T0 + timedelta(seconds=2),
        )
    )
    ticket.reply(message=reply, agent="agent-3", now=T0 + timedelta(minutes=20))

    shown = {s.kind: s.message for s in tracking_view(ticket, "en").timeline if s.message}

    bot, agent = shown["bot_answered"], shown["replied"]
    assert (bot.endswith("page.…"), answer.startswith(bot[:-1]), len(bot) <= 500) == (
        True,
        True,
        True,
    )
    assert (agent.endswith("退款。…"), reply.startswith(agent[:-1]), len(agent) <= 500) == (
        True,
        True,
        True,
    )
