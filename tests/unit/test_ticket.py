"""The ticket state machine, threading and agent actions (intake's domain)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts import events
from contracts.events import Priority
from services.intake.domain import (
    TRANSITIONS,
    IllegalTransition,
    Ticket,
    TicketStatus,
    contact_id_for,
    thread_key_for,
    ticket_id_for,
)
from tests.factories import T0, TRAVELLER, contact

WEEK = timedelta(days=7)


def opened_ticket(**overrides: object) -> Ticket:
    message = contact(**overrides)
    return Ticket.open(
        "acme",
        message,
        contact_id=contact_id_for("acme", message.channel, message.channel_message_id),
        generation=1,
        language="zh-Hans",
        tracking_url="https://t/x",
        now=T0,
    )


def routed(ticket: Ticket, at_minutes: int = 1, assignee: str | None = None) -> events.TicketRouted:
    return events.TicketRouted(
        ticket_id=ticket.id,
        traveller=TRAVELLER,
        queue="general",
        assignee=assignee,
        category="flight_disruption",
        priority=Priority.HIGH,
        first_response_due=T0 + timedelta(minutes=15),
        resolution_due=T0 + timedelta(hours=4),
        reason="default policy",
        routed_at=T0 + timedelta(minutes=at_minutes),
    )


def kinds(ticket: Ticket) -> list[str]:
    return [entry.kind for entry in ticket.timeline]


def raised(ticket: Ticket) -> list[type[events.Event]]:
    return [type(event) for event in ticket.take_events()]


def test_a_new_ticket_is_acknowledged_at_once_and_announces_both_steps() -> None:
    ticket = opened_ticket()

    assert ticket.status is TicketStatus.ACKNOWLEDGED
    assert ticket.acknowledged_at == T0
    assert raised(ticket) == [events.TicketOpened, events.TicketAcknowledged]
    assert kinds(ticket) == ["received", "acknowledged"]


def test_the_ticket_id_is_one_per_conversation_and_generation() -> None:
    message = contact(conversation_key="session-9")
    key = thread_key_for(message)
    assert key == "in_app:session-9"
    assert ticket_id_for("acme", key) == ticket_id_for("acme", key, 1)
    assert ticket_id_for("acme", key, 1) != ticket_id_for("acme", key, 2)
    assert ticket_id_for("acme", key) != ticket_id_for("globex", key)
    assert thread_key_for(contact(conversation_key=None)) == "in_app:msg:app-msg-1"


def test_routing_sets_queue_category_deadlines_and_status() -> None:
    ticket = opened_ticket()
    ticket.apply_routing(routed(ticket))

    assert ticket.status is TicketStatus.ROUTED
    assert (ticket.queue, ticket.category, ticket.priority) == (
        "general",
        "flight_disruption",
        Priority.HIGH,
    )
    assert ticket.first_response_due == T0 + timedelta(minutes=15)
    assert kinds(ticket)[-1] == "routed"


def test_routing_to_a_named_agent_assigns_the_ticket() -> None:
    ticket = opened_ticket()
    ticket.apply_routing(routed(ticket, assignee="agent-7"))
    assert ticket.status is TicketStatus.ASSIGNED


def test_a_reply_is_the_first_response_and_assigns_the_replying_agent() -> None:
    ticket = opened_ticket()
    ticket.apply_routing(routed(ticket))
    ticket.take_events()

    ticket.reply(message="Rebooking you now", agent="agent-7", now=T0 + timedelta(minutes=3))
    ticket.reply(message="Done", agent="agent-7", now=T0 + timedelta(minutes=9))

    replies = ticket.take_events()
    assert [r.first_response for r in replies] == [True, False]  # type: ignore[attr-defined]
    assert ticket.first_response_at == T0 + timedelta(minutes=3)
    assert (ticket.status, ticket.assignee) == (TicketStatus.ASSIGNED, "agent-7")


def test_an_internal_note_raises_nothing_for_the_traveller() -> None:
    ticket = opened_ticket()
    ticket.take_events()
    ticket.note(text="called the airline", agent="agent-7", now=T0)
    assert ticket.take_events() == []
    assert kinds(ticket)[-1] == "note"


def test_waiting_and_resuming_announce_status_changes_for_the_sla_clocks() -> None:
    ticket = opened_ticket()
    ticket.reply(message="Which date?", agent="agent-7", now=T0)
    ticket.take_events()

    ticket.wait(on="traveller", by="agent-7", now=T0 + timedelta(minutes=1))
    assert ticket.status is TicketStatus.WAITING_ON_TRAVELLER
    ticket.resume(by="agent-7", now=T0 + timedelta(minutes=2))

    changes = ticket.take_events()
    assert [(c.from_status, c.to_status) for c in changes] == [  # type: ignore[attr-defined]
        ("assigned", "waiting_on_traveller"),
        ("waiting_on_traveller", "assigned"),
    ]


def test_transfer_to_a_queue_unassigns_and_tells_routing() -> None:
    ticket = opened_ticket()
    ticket.reply(message="Looking", agent="agent-7", now=T0)
    ticket.take_events()

    ticket.transfer(queue="finance", assignee=None, reason="invoice", by="agent-7", now=T0)

    (moved,) = ticket.take_events()
    assert isinstance(moved, events.TicketTransferred)
    assert (moved.from_assignee, moved.to_queue) == ("agent-7", "finance")
    assert (moved.priority, moved.traveller) == (ticket.priority, ticket.traveller), (
        "notify tells the agent a transfer names of whose ticket, how urgent"
    )
    assert (ticket.status, ticket.assignee, ticket.queue) == (TicketStatus.ROUTED, None, "finance")


def test_a_waiting_ticket_transferred_stays_waiting_as_routings_clocks_do() -> None:
    """Routing paused the clocks on the wait and resumes them on a status change only: a
    transfer that left the wait silently would leave a routed ticket whose clocks never run."""
    ticket = opened_ticket()
    ticket.reply(message="Asking the hotel", agent="agent-7", now=T0)
    ticket.wait(on="supplier", by="agent-7", now=T0 + timedelta(minutes=1))
    ticket.take_events()

    ticket.transfer(queue="finance", assignee=None, reason=None, by="agent-7", now=T0)
    ticket.transfer(queue=None, assignee="agent-9", reason=None, by="agent-7", now=T0)

    assert (ticket.status, ticket.queue, ticket.assignee) == (
        TicketStatus.WAITING_ON_SUPPLIER,
        "finance",
        "agent-9",
    )
    assert [type(e) for e in ticket.take_events()] == [events.TicketTransferred] * 2
    ticket.resume(by="agent-9", now=T0 + timedelta(minutes=3))
    assert ticket.status is TicketStatus.ASSIGNED


def test_a_ticket_transferred_to_a_queue_while_waiting_resumes_to_that_queue() -> None:
    ticket = opened_ticket()
    ticket.reply(message="Which date?", agent="agent-7", now=T0)
    ticket.wait(on="traveller", by="agent-7", now=T0 + timedelta(minutes=1))
    ticket.transfer(queue="booking", assignee=None, reason=None, by="agent-7", now=T0)

    ticket.resume(by="agent-7", now=T0 + timedelta(minutes=2))

    assert (ticket.status, ticket.assignee) == (TicketStatus.ROUTED, None)


def test_resolving_records_first_response_and_raises_resolved() -> None:
    ticket = opened_ticket()
    ticket.take_events()
    ticket.resolve(
        code="rebooked", message="CA1503", agent="agent-7", now=T0 + timedelta(minutes=9)
    )

    assert ticket.status is TicketStatus.RESOLVED
    assert ticket.first_response_at == T0 + timedelta(minutes=9)
    (resolved,) = ticket.take_events()
    assert isinstance(resolved, events.TicketResolved)
    assert resolved.resolution_count == 1


@pytest.mark.parametrize(
    ("action", "status"),
    [
        (lambda t: t.resolve(code="x", message="m", agent="a", now=T0), TicketStatus.RESOLVED),
        (lambda t: t.reply(message="m", agent="a", now=T0), TicketStatus.RESOLVED),
        (lambda t: t.wait(on="traveller", by="a", now=T0), TicketStatus.RESOLVED),
        (lambda t: t.resume(by="a", now=T0), TicketStatus.RESOLVED),
        (lambda t: t.note(text="n", agent="a", now=T0), TicketStatus.CLOSED),
        (lambda t: t.reopen(reason="r", by="a", now=T0), TicketStatus.CLOSED),
    ],
)
def test_an_illegal_action_raises_and_changes_nothing(action: object, status: TicketStatus) -> None:
    ticket = opened_ticket()
    ticket.resolve(code="answered", message="done", agent="a", now=T0)
    if status is TicketStatus.CLOSED:
        ticket.close(by="a", now=T0)
    ticket.take_events()
    before = ticket.model_copy(deep=True)

    with pytest.raises(IllegalTransition):
        action(ticket)  # type: ignore[operator]

    assert ticket.model_dump() == before.model_dump()
    assert ticket.take_events() == []


def test_every_status_but_closed_has_a_way_out() -> None:
    for status, targets in TRANSITIONS.items():
        assert bool(targets) == (status is not TicketStatus.CLOSED), status


def test_a_follow_up_counts_as_a_repeat_contact_and_keeps_the_thread() -> None:
    ticket = opened_ticket()
    ticket.take_events()
    later = contact(channel_message_id="app-msg-2", text="还没有回复吗？CA1501")

    ticket.follow_up(later, "c2", T0 + timedelta(minutes=5))

    (followed,) = ticket.take_events()
    assert isinstance(followed, events.TicketFollowedUp)
    assert (followed.repeat_contacts, ticket.repeat_contacts) == (1, 1)
    assert ticket.knows_contact("c2")
    assert kinds(ticket)[-1] == "follow_up"


def test_a_follow_up_to_a_resolved_ticket_reopens_it_with_raised_priority() -> None:
    ticket = opened_ticket()
    ticket.resolve(code="answered", message="done", agent="a", now=T0)
    ticket.take_events()
    assert ticket.accepts_follow_up(T0 + timedelta(days=2), WEEK)

    ticket.follow_up(contact(channel_message_id="m2"), "c2", T0 + timedelta(days=2))

    assert raised(ticket) == [events.TicketFollowedUp, events.TicketReopened]
    assert (ticket.status, ticket.priority) == (TicketStatus.REOPENED, Priority.HIGH)


def test_a_resolved_ticket_takes_no_follow_up_after_the_window_nor_a_closed_one() -> None:
    ticket = opened_ticket()
    ticket.resolve(code="answered", message="done", agent="a", now=T0)
    assert not ticket.accepts_follow_up(T0 + WEEK + timedelta(seconds=1), WEEK)
    ticket.close(by="a", now=T0)
    assert not ticket.accepts_follow_up(T0, WEEK)


def test_a_traveller_answering_ends_the_wait_on_them() -> None:
    ticket = opened_ticket()
    ticket.reply(message="Which date?", agent="agent-7", now=T0)
    ticket.wait(on="traveller", by="agent-7", now=T0)
    ticket.follow_up(contact(channel_message_id="m2", text="the 3rd"), "c2", T0)
    assert ticket.status is TicketStatus.ASSIGNED


def test_merging_closes_the_duplicate_and_hands_its_conversations_over() -> None:
    keeper = opened_ticket()
    duplicate = opened_ticket(channel_message_id="other", conversation_key="s2")
    keeper.absorb(duplicate, by="agent-7", now=T0)
    duplicate.merge_into(keeper, by="agent-7", now=T0)

    assert duplicate.status is TicketStatus.CLOSED
    assert duplicate.merged_into == keeper.id
    assert "in_app:s2" in keeper.conversation_keys
    assert duplicate.id in keeper.absorbed
    with pytest.raises(IllegalTransition):
        keeper.merge_into(keeper, by="agent-7", now=T0)


def test_a_ticket_is_not_merged_into_another_travellers_ticket() -> None:
    """A ticket has one traveller: merged into another's, the duplicate's traveller would
    write on into a ticket whose answers reach only the other traveller."""
    keeper = opened_ticket(traveller=TRAVELLER.model_copy(update={"id": "trav-b"}))
    duplicate = opened_ticket(channel_message_id="other", conversation_key="s2")
    duplicate.take_events()

    with pytest.raises(IllegalTransition) as refused:
        duplicate.merge_into(keeper, by="agent-7", now=T0)

    assert str(refused.value) == (
        f"a ticket cannot be merged into {keeper.id}, which is another traveller's "
        f"(trav-b, not {TRAVELLER.id})"
    )
    assert (duplicate.status, duplicate.merged_into) == (TicketStatus.ACKNOWLEDGED, None)
    assert duplicate.take_events() == []


def test_a_merge_into_a_closed_ticket_is_refused_for_that_reason() -> None:
    """The target being closed is the reason, not the duplicate's own status."""
    keeper = opened_ticket()
    keeper.close(by="agent-7", now=T0)
    duplicate = opened_ticket(channel_message_id="other", conversation_key="s2")
    duplicate.apply_routing(routed(duplicate))

    with pytest.raises(IllegalTransition) as refused:
        duplicate.merge_into(keeper, by="agent-7", now=T0)

    assert str(refused.value) == f"a ticket cannot be merged into {keeper.id}, which is closed"
    assert (duplicate.status, duplicate.merged_into) == (TicketStatus.ROUTED, None)


def test_merging_a_closed_duplicate_says_the_duplicate_is_closed() -> None:
    """It said "a closed ticket cannot become closed": true, but not what the agent did."""
    keeper = opened_ticket()
    duplicate = opened_ticket(channel_message_id="other", conversation_key="s2")
    duplicate.close(by="agent-7", now=T0)
    duplicate.take_events()

    with pytest.raises(IllegalTransition) as refused:
        duplicate.merge_into(keeper, by="agent-7", now=T0)

    assert str(refused.value) == f"{duplicate.id} is closed and cannot be merged"
    assert (duplicate.status, duplicate.merged_into) == (TicketStatus.CLOSED, None)
    assert duplicate.take_events() == []


def test_merging_a_duplicate_merged_elsewhere_names_where_it_went() -> None:
    first = opened_ticket()
    second = opened_ticket(channel_message_id="second", conversation_key="s3")
    duplicate = opened_ticket(channel_message_id="other", conversation_key="s2")
    duplicate.merge_into(first, by="agent-7", now=T0)
    duplicate.take_events()

    with pytest.raises(IllegalTransition) as refused:
        duplicate.merge_into(second, by="agent-7", now=T0)

    assert str(refused.value) == (
        f"{duplicate.id} is closed (merged into {first.id}) and cannot be merged"
    )
    assert duplicate.merged_into == first.id
    assert duplicate.take_events() == []


def test_the_close_carries_the_tickets_final_priority() -> None:
    """Closed is final (no routing decision applies after it): routing's case file takes
    this priority, even when the reopen that raised it reaches routing after the close."""
    ticket = opened_ticket()
    ticket.apply_routing(routed(ticket))
    ticket.resolve(code="answered", message="done", agent="a", now=T0 + timedelta(hours=1))
    ticket.reopen(reason="not fixed", by="trav-42", now=T0 + timedelta(hours=2))
    ticket.take_events()
    ticket.close(by="agent-7", now=T0 + timedelta(hours=2, seconds=1))

    (closed,) = ticket.take_events()
    assert isinstance(closed, events.TicketStatusChanged)
    assert (closed.to_status, closed.priority) == ("closed", Priority.CRITICAL)


def test_a_late_routing_decision_does_not_reopen_a_resolved_ticket() -> None:
    ticket = opened_ticket()
    ticket.resolve(code="answered", message="done", agent="a", now=T0)
    ticket.apply_routing(routed(ticket))

    assert ticket.status is TicketStatus.RESOLVED
    assert "routed" in kinds(ticket)


def test_the_timeline_stays_in_time_order_whatever_order_events_arrive_in() -> None:
    ticket = opened_ticket()
    ticket.record_feedback(
        events.FeedbackReceived(
            survey_id="s", ticket_id=ticket.id, csat=5, received_at=T0 + timedelta(hours=1)
        )
    )
    ticket.apply_routing(routed(ticket, at_minutes=1))

    times = [entry.at for entry in ticket.timeline]
    assert times == sorted(times)
    assert ticket.timeline[-1].summary == "Traveller rated: CSAT 5"


def test_the_detected_language_travels_with_the_traveller_for_notices() -> None:
    ticket = opened_ticket(traveller=events.Traveller(id="t-9"))
    assert ticket.traveller.detected_language == "zh-Hans"
    assert ticket.traveller.language is None


def test_replies_go_back_to_the_channel_the_traveller_used_unless_they_chose_one() -> None:
    by_wechat = opened_ticket(channel=events.Channel.WECHAT)
    chosen = opened_ticket(
        traveller=events.Traveller(id="t", preferred_channel=events.ReplyChannel.EMAIL)
    )
    assert by_wechat.traveller.preferred_channel is events.ReplyChannel.WECHAT
    assert chosen.traveller.preferred_channel is events.ReplyChannel.EMAIL


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (TicketStatus.ASSIGNED, "an assigned ticket cannot resume (it is not waiting)"),
        (TicketStatus.ACKNOWLEDGED, "an acknowledged ticket cannot resume (it is not waiting)"),
        (TicketStatus.ROUTED, "a routed ticket cannot resume (it is not waiting)"),
    ],
)
def test_a_refusal_names_the_status_with_its_article(status: TicketStatus, message: str) -> None:
    assert str(IllegalTransition(status, "resume (it is not waiting)")) == message


def test_a_routing_decision_older_than_the_reply_that_took_the_ticket_keeps_its_agent() -> None:
    """Routing decided before anyone answered, and its decision came after agent-7's reply
    had taken the ticket (events travel on their own queues): it names no agent because it
    could not know of one, so the ticket stays agent-7's (routing follows the reply too)."""
    ticket = opened_ticket()
    ticket.reply(message="On it", agent="agent-7", now=T0 + timedelta(minutes=3))

    ticket.apply_routing(routed(ticket, at_minutes=1))

    assert (ticket.status, ticket.assignee, ticket.queue) == (
        TicketStatus.ASSIGNED,
        "agent-7",
        "general",
    )


def test_a_routing_decision_after_the_reply_places_the_ticket_as_it_says() -> None:
    ticket = opened_ticket()
    ticket.reply(message="On it", agent="agent-7", now=T0 + timedelta(minutes=3))

    ticket.apply_routing(routed(ticket, at_minutes=5))

    assert (ticket.status, ticket.assignee) == (TicketStatus.ROUTED, None)
