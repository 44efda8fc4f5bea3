"""Intake's side of the knowledge-base bot: the answer, and "that did not help"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts import events
from contracts.events import Priority
from services.intake.domain import IllegalTransition, Ticket, TicketStatus
from services.intake.pages.tracking_view import WORDS, tracking_view
from tests.factories import T0, TRAVELLER
from tests.unit.test_ticket import opened_ticket


def bot_answered(ticket: Ticket, at: timedelta = timedelta(seconds=2)) -> events.TicketBotAnswered:
    return events.TicketBotAnswered(
        ticket_id=ticket.id,
        channel=ticket.channel,
        traveller=TRAVELLER,
        article_id="password-reset",
        title="重置登录密码",
        answer="重置密码：在App或网页端登录页点击“忘记密码”…",
        language="zh-Hans",
        confidence=0.976,
        threshold=0.938,
        category="account_access",
        reason="bot answered: article password-reset scored 0.976 ≥ 0.938",
        answered_at=T0 + at,
    )


def test_the_bots_answer_is_the_first_response_and_the_ticket_waits_on_it() -> None:
    ticket = opened_ticket(text="忘记密码了，怎么重置？")
    ticket.take_events()
    ticket.bot_answer(bot_answered(ticket))

    assert ticket.status is TicketStatus.BOT_ANSWERED
    assert ticket.first_response_at == T0 + timedelta(seconds=2)
    assert ticket.category == "account_access"
    entry = ticket.timeline[-1]
    assert (entry.kind, entry.service) == ("bot_answered", "routing")
    assert entry.summary == "Bot answered with article password-reset: 重置登录密码"
    assert entry.details["reason"].endswith("≥ 0.938")
    assert ticket.take_events() == []


def test_did_not_help_reopens_it_to_a_person_with_raised_priority() -> None:
    ticket = opened_ticket(text="忘记密码了，怎么重置？")
    ticket.bot_answer(bot_answered(ticket))
    ticket.take_events()
    ticket.reopen(reason="that did not help", by=TRAVELLER.id, now=T0 + timedelta(minutes=5))

    (reopened,) = ticket.take_events()
    assert isinstance(reopened, events.TicketReopened)
    assert reopened.priority is Priority.HIGH
    assert ticket.status is TicketStatus.REOPENED


def test_a_late_bot_answer_is_only_logged_once_a_person_has_the_ticket() -> None:
    ticket = opened_ticket()
    ticket.reply(message="On it", agent="agent-7", now=T0 + timedelta(seconds=1))
    ticket.bot_answer(bot_answered(ticket))

    assert ticket.status is TicketStatus.ASSIGNED
    assert ticket.first_response_at == T0 + timedelta(seconds=1)
    assert ticket.timeline[-1].kind == "bot_answered"


def test_an_open_ticket_cannot_be_marked_as_not_helped() -> None:
    ticket = opened_ticket()
    with pytest.raises(IllegalTransition):
        ticket.reopen(reason="that did not help", by=TRAVELLER.id, now=T0)


def taken_over(ticket: Ticket, agent: str, at: timedelta) -> events.TicketRouted:
    """Routing's re-publish once it followed the agent's reply (rule ``taken-over``)."""
    return events.TicketRouted(
        ticket_id=ticket.id,
        traveller=TRAVELLER,
        queue="accounts",
        assignee=agent,
        category="account_access",
        priority=Priority.NORMAL,
        first_response_due=T0 + at,
        resolution_due=T0 + at + timedelta(hours=24),
        reason=f"taken over from the bot by {agent}",
        routed_at=T0 + at,
        rule="taken-over",
    )


def test_each_reply_says_who_holds_the_ticket_so_routing_follows_the_first() -> None:
    """agent-8 answered a second after agent-7 took the bot-answered ticket over: both replies
    name agent-7, the assignee, so routing's takeover picks agent-7 whichever comes first."""
    ticket = opened_ticket(text="忘记密码了，怎么重置？")
    ticket.bot_answer(bot_answered(ticket))
    ticket.take_events()

    ticket.reply(message="I reset it for you", agent="agent-7", now=T0 + timedelta(minutes=5))
    ticket.reply(message="Done on my side too", agent="agent-8", now=T0 + timedelta(minutes=6))

    replies = ticket.take_events()
    assert [(r.author, r.assignee) for r in replies if isinstance(r, events.TicketReplied)] == [
        ("agent-7", "agent-7"),
        ("agent-8", "agent-7"),
    ]


def test_an_agent_answering_a_bot_answered_ticket_takes_it_over() -> None:
    """As Zendesk makes the replying agent the assignee: status, assignee and the tracking
    page agree that a person has it; transfer and wait are then allowed."""
    ticket = opened_ticket(text="忘记密码了，怎么重置？")
    ticket.bot_answer(bot_answered(ticket))
    ticket.take_events()

    ticket.reply(message="I reset it for you", agent="agent-7", now=T0 + timedelta(minutes=5))

    (replied,) = ticket.take_events()
    assert isinstance(replied, events.TicketReplied)
    assert replied.first_response is False, "the bot's answer was the first response"
    assert (ticket.status, ticket.assignee) == (TicketStatus.ASSIGNED, "agent-7")
    assert ticket.first_response_at == T0 + timedelta(seconds=2)
    view = tracking_view(ticket, "en")
    assert (view.handled_by, view.agent_assigned, view.can_say_not_helped) == (
        WORDS("en")["an_agent"],
        True,
        False,
    )

    ticket.apply_routing(taken_over(ticket, "agent-7", timedelta(minutes=5)))
    assert (ticket.status, ticket.assignee, ticket.queue) == (
        TicketStatus.ASSIGNED,
        "agent-7",
        "accounts",
    )
    assert ticket.resolution_due == T0 + timedelta(minutes=5, hours=24)
    step = ticket.timeline[-1]
    assert (step.kind, step.summary) == (
        "taken_over",
        "Taken over from the bot by agent-7 in accounts (normal)",
    )
    assert "taken_over" not in {s.kind for s in tracking_view(ticket, "en").timeline}

    ticket.wait(on="traveller", by="agent-7", now=T0 + timedelta(minutes=6))
    ticket.resume(by="agent-7", now=T0 + timedelta(minutes=7))
    ticket.transfer(
        queue=None, assignee="agent-9", reason=None, by="agent-7", now=T0 + timedelta(minutes=8)
    )
    assert (ticket.status, ticket.assignee) == (TicketStatus.ASSIGNED, "agent-9")


def test_a_bot_answered_ticket_transferred_to_an_agent_takes_routings_takeover() -> None:
    """Routing takes the transfer of a bot-answered case as a person taking it over (rule
    ``taken-over``): the ticket takes the category the move implies and a resolution deadline
    from the move, and stays where the transfer put it."""
    ticket = opened_ticket(text="忘记密码了，怎么重置？")
    ticket.bot_answer(bot_answered(ticket))
    at = T0 + timedelta(minutes=5)
    ticket.transfer(queue="finance", assignee="fin-2", reason=None, by="agent-7", now=at)

    ticket.apply_routing(
        events.TicketRouted(
            ticket_id=ticket.id,
            traveller=TRAVELLER,
            queue="finance",
            assignee="fin-2",
            category="reimbursement",
            priority=Priority.NORMAL,
            first_response_due=at,
            resolution_due=at + timedelta(hours=24),
            reason="transferred to fin-2 by agent-7: taken over from the bot; …",
            rule="taken-over",
            routed_at=at,
        )
    )

    assert ticket.category == "reimbursement"
    assert (ticket.status, ticket.queue, ticket.assignee) == (
        TicketStatus.ASSIGNED,
        "finance",
        "fin-2",
    )
    assert ticket.resolution_due == at + timedelta(hours=24)
    step = ticket.timeline[-1]
    assert (step.kind, step.summary) == (
        "taken_over",
        "Taken over from the bot by fin-2 in finance (normal)",
    )


def test_routing_taking_a_bot_answered_ticket_to_a_queue_makes_it_routed() -> None:
    """A disruption joined the ticket (routing, ``disruption_takeover``): it waits in the
    expert queue for a person, not on the traveller's view of the bot's answer."""
    ticket = opened_ticket(text="忘记密码了，怎么重置？")
    ticket.bot_answer(bot_answered(ticket))
    ticket.take_events()
    routed = taken_over(ticket, "agent-7", timedelta(minutes=20)).model_copy(
        update={
            "queue": "expert",
            "assignee": None,
            "priority": Priority.CRITICAL,
            "rule": "critical",
            "reason": "priority raised to critical: flight_cancelled (revision 1)",
        }
    )

    ticket.apply_routing(routed)

    assert (ticket.status, ticket.queue, ticket.assignee) == (TicketStatus.ROUTED, "expert", None)
    assert ticket.priority is Priority.CRITICAL
    assert ticket.timeline[-1].summary == "Routed to expert (critical)"
