"""Routing case files: deadlines, out-of-order events, reopen, the bot's answer, follow-ups."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts import events
from contracts.events import CategoryConfidence, Priority, SlaClock
from services.routing.assignment.domain.agents import Assignment
from services.routing.assignment.domain.queues import DEFAULT_QUEUES, Rule
from services.routing.domain.case import RoutingCase
from services.routing.domain.route import Route
from services.routing.domain.status import CaseStatus
from services.routing.domain.triage_view import TriageView
from services.routing.kb.domain import BotDecision, KbMatch
from services.routing.sla.domain import DEFAULT_SLA
from tests.factories import T0, TRAVELLER

QUEUES = {q.id: q for q in DEFAULT_QUEUES}


def opened(priority: Priority = Priority.NORMAL) -> events.TicketOpened:
    return events.TicketOpened(
        ticket_id="TC-1",
        channel=events.Channel.EMAIL,
        traveller=TRAVELLER,
        text="发票在哪里下载",
        priority=priority,
        opened_at=T0,
    )


def triage(urgency: str = "normal", category: str = "invoice") -> TriageView:
    return TriageView(
        language="zh-Hans",
        category=category,
        category_confidence=0.97,
        urgency=urgency,
        sentiment="neutral",
        sentiment_confidence=0.9,
        top_categories=[
            CategoryConfidence(category=category, confidence=0.97),
            CategoryConfidence(category="billing", confidence=0.02),
        ],
        model_version="triage-v1",
    )


def route(
    priority: Priority,
    queue: str = "finance",
    assignee: str | None = None,
    bot_why: str | None = "complaint: never auto-answered",
) -> Route:
    return Route(
        QUEUES[queue],
        Rule.CATEGORY,
        Assignment(assignee, f"{assignee}: least loaded" if assignee else "left in queue"),
        priority,
        "classifier normal",
        bot_why,
    )


def resolved(at: timedelta, first_response: timedelta) -> events.TicketResolved:
    return events.TicketResolved(
        ticket_id="TC-1",
        channel=events.Channel.EMAIL,
        traveller=TRAVELLER,
        resolution_code="answered",
        message="done",
        resolved_by="agent-7",
        opened_at=T0,
        first_response_at=T0 + first_response,
        resolved_at=T0 + at,
        resolution_count=1,
    )


def reopened(priority: Priority, at: timedelta = timedelta(days=1)) -> events.TicketReopened:
    return events.TicketReopened(
        ticket_id="TC-1",
        traveller=TRAVELLER,
        reason="that did not help",
        priority=priority,
        reopened_at=T0 + at,
    )


def routed_case(priority: Priority = Priority.NORMAL) -> RoutingCase:
    case = RoutingCase.blank("acme", "TC-1")
    case.take_opening(opened(), triage())
    case.route(route(priority), T0, T0)
    case.take_events()
    return case


def test_an_opened_ticket_is_routed_with_deadlines_counted_from_when_it_opened() -> None:
    case = RoutingCase.blank("acme", "TC-1")
    case.take_opening(opened(), triage())
    case.route(route(Priority.HIGH, assignee="agent-7"), T0, now=T0 + timedelta(seconds=3))

    (decision,) = case.take_events()
    assert isinstance(decision, events.TicketRouted)
    assert (decision.queue, decision.assignee, decision.category) == (
        "finance",
        "agent-7",
        "invoice",
    )
    targets = DEFAULT_SLA.terms(Priority.HIGH).targets
    assert decision.first_response_due == T0 + timedelta(seconds=targets.first_response_s)
    assert decision.resolution_due == T0 + timedelta(seconds=targets.resolution_s)
    assert decision.routed_at == T0 + timedelta(seconds=3)


def test_the_decision_is_explained_for_the_timeline() -> None:
    case = RoutingCase.blank("acme", "TC-1")
    case.take_opening(opened(), triage())
    case.route(route(Priority.NORMAL, assignee="agent-7"), T0, T0)

    (decision,) = case.take_events()
    assert isinstance(decision, events.TicketRouted)
    assert decision.reason == (
        "category invoice 0.97 (billing 0.02); queue finance by rule category; "
        "priority normal (classifier normal); agent-7: least loaded; "
        "bot: complaint: never auto-answered"
    )
    assert decision.rule == "category"
    assert decision.language == "zh-Hans"
    assert [c.category for c in decision.top_categories] == ["invoice", "billing"]
    assert decision.bot_decision == "complaint: never auto-answered"


def test_resolution_scores_both_sla_clocks() -> None:
    case = routed_case()
    case.resolve(resolved(at=timedelta(hours=30), first_response=timedelta(minutes=10)))

    assert case.status is CaseStatus.RESOLVED
    assert case.first_response_met is True
    assert case.resolution_met is False


def test_a_ticket_resolved_before_routing_heard_it_opened_is_not_routed() -> None:
    case = RoutingCase.blank("acme", "TC-1")
    case.resolve(resolved(at=timedelta(minutes=2), first_response=timedelta(minutes=2)))
    case.take_opening(opened(), triage())

    assert not case.routable
    assert case.take_events() == []
    assert case.status is CaseStatus.RESOLVED


def test_a_reopened_ticket_gets_raised_priority_and_fresh_targets_once() -> None:
    case = routed_case(Priority.NORMAL)
    case.resolve(resolved(at=timedelta(hours=1), first_response=timedelta(minutes=5)))
    case.take_events()  # the clocks that stopped (tests/unit/test_sla_case.py)
    # intake raised it already (normal → high): routing must not raise it twice
    event = reopened(Priority.HIGH)
    priority = case.reopened_priority(event)
    case.reopen(event, route(priority), now=event.reopened_at)

    (decision,) = case.take_events()
    assert isinstance(decision, events.TicketRouted)
    assert decision.priority is Priority.HIGH
    assert decision.first_response_due == event.reopened_at + timedelta(minutes=15)
    assert decision.reason.startswith("reopened (that did not help); ")
    assert case.status is CaseStatus.OPEN
    assert case.human_only == "reopened: a person answers"


def bot_decision() -> BotDecision:
    match = KbMatch(
        "invoice-download",
        frozenset({"invoice"}),
        0.962,
        {"en": ("Download an invoice", "Open Orders…"), "zh-Hans": ("下载发票", "进入订单…")},
    )
    return BotDecision(True, "article invoice-download scored 0.962 ≥ 0.938", match, "zh-Hans")


def test_the_bot_answers_in_the_chosen_language_and_the_case_waits() -> None:
    case = RoutingCase.blank("acme", "TC-1")
    case.take_opening(opened(), triage())
    case.answer_by_bot(bot_decision(), threshold=0.938, now=T0)

    (answer,) = case.take_events()
    assert isinstance(answer, events.TicketBotAnswered)
    assert (answer.article_id, answer.language, answer.title) == (
        "invoice-download",
        "zh-Hans",
        "下载发票",
    )
    assert answer.answer == "进入订单…"
    assert answer.reason.endswith("bot answered: article invoice-download scored 0.962 ≥ 0.938")
    assert case.status is CaseStatus.BOT_ANSWERED
    assert case.first_response_at == T0


def test_did_not_help_sends_a_bot_answered_ticket_to_a_person_for_good() -> None:
    case = RoutingCase.blank("acme", "TC-1")
    case.take_opening(opened(), triage())
    case.answer_by_bot(bot_decision(), threshold=0.938, now=T0)
    case.take_events()
    event = reopened(Priority.HIGH, at=timedelta(minutes=5))
    case.reopen(event, route(case.reopened_priority(event), bot_why=None), now=event.reopened_at)

    (decision,) = case.take_events()
    assert isinstance(decision, events.TicketRouted)
    assert decision.queue == "finance"
    assert decision.priority is Priority.HIGH
    assert decision.bot_decision == "the bot's answer did not help: a person answers"
    assert case.human_only == decision.bot_decision


def test_being_chased_raises_an_open_case_from_the_second_repeat_contact() -> None:
    case = routed_case(Priority.NORMAL)

    def follow_up(count: int) -> None:
        case.follow_up(
            events.TicketFollowedUp(
                ticket_id="TC-1",
                channel=events.Channel.EMAIL,
                traveller=TRAVELLER,
                text="any news?",
                repeat_contacts=count,
                received_at=T0,
            ),
            vip=None,
            now=T0 + timedelta(minutes=count),
        )

    follow_up(1)
    assert case.take_events() == []
    follow_up(2)
    (raised,) = case.take_events()
    assert isinstance(raised, events.TicketRouted)
    assert raised.priority is Priority.HIGH
    assert raised.rule == "urgency-raised"
    assert raised.reason == "priority raised to high: 2 repeat contacts"
    assert raised.first_response_due == T0 + timedelta(minutes=2 + 15), "from the raise"
    follow_up(3)
    assert case.take_events() == []


def test_a_follow_up_brings_the_travellers_latest_language_to_the_next_routing() -> None:
    case = routed_case(Priority.NORMAL)
    guessed = events.Traveller(id="trav-42", detected_language="en")
    case.traveller = guessed
    switched = guessed.model_copy(update={"detected_language": "ja"})

    def follow_up(count: int, traveller: events.Traveller) -> None:
        followed = events.TicketFollowedUp(
            ticket_id="TC-1",
            channel=events.Channel.EMAIL,
            traveller=traveller,
            text="明日の便を変更したいのですが、午後の便に空席はありますか。",
            repeat_contacts=count,
            received_at=T0,
        )
        case.follow_up(followed, vip=None, now=T0 + timedelta(minutes=count))

    follow_up(2, switched)
    follow_up(1, guessed)  # an older follow-up, redelivered late

    assert case.traveller == switched
    (raised,) = case.take_events()
    assert isinstance(raised, events.TicketRouted)
    assert raised.traveller.detected_language == "ja"


@pytest.mark.parametrize("follow_up_first", [False, True], ids=["in order", "overtaken"])
def test_a_language_change_in_a_quick_follow_up_outlives_the_opening_whichever_comes_first(
    follow_up_first: bool,
) -> None:
    case = RoutingCase.blank("acme", "TC-1")
    in_japanese = opened().model_copy(
        update={"traveller": events.Traveller(id="trav-lg", detected_language="ja")}
    )
    in_english = events.TicketFollowedUp(
        ticket_id="TC-1",
        channel=events.Channel.IN_APP,
        traveller=events.Traveller(id="trav-lg", language="en", detected_language="ja"),
        text="Sorry, please answer in English.",
        repeat_contacts=1,
        received_at=T0 + timedelta(seconds=20),
    )
    steps = [
        lambda: case.take_opening(in_japanese, triage()),
        lambda: case.follow_up(in_english, vip=None, now=T0 + timedelta(seconds=21)),
    ]
    for step in reversed(steps) if follow_up_first else steps:
        step()
    case.route(route(Priority.NORMAL), T0, T0 + timedelta(seconds=22))

    assert case.traveller == in_english.traveller
    (routed,) = case.take_events()
    assert isinstance(routed, events.TicketRouted)
    assert routed.traveller.language == "en"


def transferred(
    to_queue: str | None, to_assignee: str | None, at: timedelta
) -> events.TicketTransferred:
    return events.TicketTransferred(
        ticket_id="TC-1",
        from_queue=None,
        to_queue=to_queue,
        from_assignee=None,
        to_assignee=to_assignee,
        by="agent-7",
        transferred_at=T0 + at,
    )


def bot_answered_case() -> RoutingCase:
    case = RoutingCase.blank("acme", "TC-1")
    case.take_opening(opened(), triage())
    case.answer_by_bot(bot_decision(), threshold=0.938, now=T0)
    case.take_events()
    return case


def takeover_route(queue: str, assignee: str | None) -> Route:
    note = f"{assignee}: agent-7 transferred it to them" if assignee else "left in queue"
    return Route(
        QUEUES[queue], Rule.TAKEN_OVER, Assignment(assignee, note), Priority.NORMAL, "", None
    )


def test_a_transfer_of_a_bot_answered_case_is_a_person_taking_it_over_from_the_move() -> None:
    """As a reply takes it over (``take_over``): open in the transfer's queue with its agent,
    never the bot's again, a resolution clock from the move (the bot's answer was the first
    response), and ``ticket.routed`` (rule taken-over) with the category the move implies."""
    case = bot_answered_case()
    moved = transferred("booking", "booking-2", timedelta(minutes=5))

    case.transfer(moved, "change_rebook", takeover_route("booking", "booking-2"))

    assert (case.status, case.queue, case.assignee) == (CaseStatus.OPEN, "booking", "booking-2")
    assert case.human_only == "a person took over from the bot's answer"
    resolution = case.sla.running(SlaClock.RESOLUTION)
    assert resolution is not None
    assert resolution.started_at == moved.transferred_at
    assert case.sla.running(SlaClock.FIRST_RESPONSE) is None, "the bot answered first"
    assert case.first_response_at == T0
    (routed,) = case.take_events()
    assert isinstance(routed, events.TicketRouted)
    assert (routed.rule, routed.queue, routed.assignee, routed.category) == (
        "taken-over",
        "booking",
        "booking-2",
        "change_rebook",
    )
    assert routed.routed_at == moved.transferred_at
    assert routed.resolution_due == moved.transferred_at + timedelta(hours=24)
    assert routed.bot_decision == case.human_only
    assert routed.reason.startswith("transferred to booking-2 by agent-7: taken over from the bot;")


def test_a_bot_answered_case_transferred_to_a_queue_waits_there_for_an_agent() -> None:
    case = bot_answered_case()

    case.transfer(
        transferred("finance", None, timedelta(minutes=5)), None, takeover_route("finance", None)
    )

    assert case.waiting_for_agent
    assert case.queue == "finance"
    (routed,) = case.take_events()
    assert isinstance(routed, events.TicketRouted)
    assert (routed.rule, routed.assignee, routed.category) == ("taken-over", None, "invoice")


def test_a_transfer_of_an_open_case_keeps_its_clocks_and_tells_only_the_category() -> None:
    case = routed_case(Priority.NORMAL)
    due = case.resolution_due

    case.transfer(transferred("booking", None, timedelta(minutes=5)), "change_rebook")

    assert (case.status, case.queue, case.assignee) == (CaseStatus.OPEN, "booking", None)
    assert case.clock_started_at == T0
    (routed,) = case.take_events()
    assert isinstance(routed, events.TicketRouted)
    assert (routed.rule, routed.resolution_due) == ("transferred", due)
