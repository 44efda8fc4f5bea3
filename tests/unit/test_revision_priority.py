"""A later, more urgent revision of a disruption raises its proactive ticket (docs/suppliers.md,
"Urgency from the itinerary"): a flight first delayed 8 h before departure (high) and
cancelled 2 h before it (critical) must not keep the delay's priority and relaxed clocks."""

from __future__ import annotations

from datetime import datetime, timedelta

from contracts import events
from contracts.envelope import Envelope
from contracts.events import Channel, NextStep, Priority, SlaClock, Traveller
from services.intake.domain import Ticket
from services.routing.domain.case import RoutingCase
from services.routing.domain.status import CaseStatus
from services.routing.sla.domain import DEFAULT_SLA, TimerKind
from tests.factories import T0, TRAVELLER, envelope
from tests.unit.test_itinerary_urgency import with_care
from tests.unit.test_routing import opened, route, triage
from tests.unit.test_routing_handlers import Desk, desk, reply_to, seed  # noqa: F401 (fixtures)

CRITICAL = DEFAULT_SLA.terms(Priority.CRITICAL).targets


def proactive_case(
    priority: Priority = Priority.HIGH, assignee: str | None = "agent-7"
) -> RoutingCase:
    case = RoutingCase.blank("acme", "TC-1")
    case.take_opening(opened(priority).model_copy(update={"proactive": True}), triage())
    case.route(route(priority, queue="disruption", assignee=assignee), T0, T0)
    case.take_events()
    return case


def notice(
    priority: Priority | None,
    *,
    revision: int = 2,
    kind: str = "flight_cancelled",
    on_schedule: bool = False,
    at: datetime = T0 + timedelta(minutes=3),
) -> events.DisruptionNotice:
    return events.DisruptionNotice(
        ticket_id="TC-1",
        incident_id="INC-1",
        revision=revision,
        channel=Channel.IN_APP,
        traveller=TRAVELLER,
        kind=kind,
        reference="CA1501",
        service_date=T0.date(),
        departs_at=T0 + timedelta(hours=2),
        next_step=NextStep.REBOOKING,
        on_schedule=on_schedule,
        priority=priority,
        tracking_url="http://t",
        sent_at=at,
    )


def test_a_more_urgent_revision_raises_the_case_in_place_and_tightens_its_clocks() -> None:
    case = proactive_case(Priority.HIGH)

    assert case.revise_itinerary(notice(Priority.CRITICAL), T0 + timedelta(minutes=3))

    (raised,) = case.take_events()
    assert isinstance(raised, events.TicketRouted)
    assert (raised.priority, raised.previous_priority) == (Priority.CRITICAL, Priority.HIGH)
    assert raised.rule == "urgency-raised"
    assert (raised.queue, raised.assignee) == ("disruption", "agent-7"), "the agent keeps it"
    assert raised.reason == "priority raised to critical: flight_cancelled (revision 2)"
    raised_at = T0 + timedelta(minutes=3)
    assert raised.first_response_due == raised_at + timedelta(seconds=CRITICAL.first_response_s)
    assert raised.resolution_due == raised_at + timedelta(seconds=CRITICAL.resolution_s)
    run = case.sla.running(SlaClock.RESOLUTION)
    assert run is not None
    assert run.priority is Priority.CRITICAL


def test_a_revision_after_hours_open_tightens_the_clocks_from_the_raise_not_at_once() -> None:
    """Open 3 h at high (resolution 4 h), then cancelled near departure (critical, 1 h):
    counted from the opening the hour was long gone and the raise breached at once."""
    case = proactive_case(Priority.HIGH)
    case.respond(reply_to("TC-1", "agent-7", timedelta(minutes=10)))
    case.take_events()
    later = T0 + timedelta(hours=3)

    assert case.revise_itinerary(notice(Priority.CRITICAL, at=later), later)

    (raised,) = case.take_events()
    assert isinstance(raised, events.TicketRouted)
    assert raised.resolution_due == later + timedelta(seconds=CRITICAL.resolution_s)
    run = case.sla.running(SlaClock.RESOLUTION)
    assert run is not None
    assert not case.timer_due(SlaClock.RESOLUTION, TimerKind.BREACH, run.generation, later)
    assert run.priority is Priority.CRITICAL


def test_a_revision_never_lowers_a_case_raised_since() -> None:
    case = proactive_case(Priority.HIGH)
    case.priority = Priority.CRITICAL  # a breach, a reopen or an earlier revision raised it

    assert not case.revise_itinerary(notice(Priority.HIGH), T0 + timedelta(minutes=3))
    assert case.take_events() == []
    assert case.priority is Priority.CRITICAL


def test_the_same_priority_again_changes_nothing() -> None:
    case = proactive_case(Priority.HIGH)

    assert not case.revise_itinerary(notice(Priority.HIGH), T0 + timedelta(minutes=3))
    assert case.take_events() == []


def test_back_on_schedule_is_no_reason_to_raise_however_near_the_departure() -> None:
    case = proactive_case(Priority.HIGH)

    revised = notice(Priority.CRITICAL, kind="flight_delayed", on_schedule=True)
    assert not case.revise_itinerary(revised, T0 + timedelta(minutes=3))
    assert case.take_events() == []
    assert case.priority is Priority.HIGH


def test_a_notice_without_a_priority_changes_nothing() -> None:
    """The opening's own notice (``ticket.opened`` carries its priority), or an older intake's."""
    case = proactive_case(Priority.HIGH)

    assert not case.revise_itinerary(notice(None), T0 + timedelta(minutes=3))
    assert case.take_events() == []


def test_a_revision_overtaking_the_opening_is_kept_for_it() -> None:
    case = RoutingCase.blank("acme", "TC-1")

    assert case.revise_itinerary(notice(Priority.CRITICAL), T0 + timedelta(minutes=3))
    assert case.take_events() == []
    case.take_opening(opened(Priority.HIGH).model_copy(update={"proactive": True}), triage())

    assert case.base_priority is Priority.CRITICAL


def test_a_resolved_case_is_not_re_routed_by_a_revision() -> None:
    case = proactive_case(Priority.HIGH)
    case.status = CaseStatus.RESOLVED

    case.revise_itinerary(notice(Priority.CRITICAL), T0 + timedelta(minutes=3))
    assert case.take_events() == []
    assert case.priority is Priority.HIGH


def test_intake_carries_a_later_revisions_priority_on_its_notice() -> None:
    first = proactive_request(revision=1, priority=Priority.HIGH)
    ticket = Ticket.open_proactive("acme", first, tracking_url="http://t", now=T0)
    (opening,) = [e for e in ticket.take_events() if isinstance(e, events.DisruptionNotice)]
    assert opening.priority is None, "ticket.opened carries the opening's priority"

    later = proactive_request(revision=2, priority=Priority.CRITICAL)
    ticket.disruption_changed(later, tracking_url="http://t", now=T0 + timedelta(hours=6))
    (changed,) = [e for e in ticket.take_events() if isinstance(e, events.DisruptionNotice)]
    assert changed.priority is Priority.CRITICAL


def proactive_request(revision: int, priority: Priority) -> events.ProactiveContactRequested:
    return events.ProactiveContactRequested(
        incident_id="INC-1",
        revision=revision,
        traveller=Traveller(id="trav-1", language="en"),
        channel=Channel.IN_APP,
        booking_id="bk-1",
        kind="flight_cancelled" if revision > 1 else "flight_delayed",
        resource="flight",
        reference="CA1501",
        service_date=T0.date(),
        departs_at=T0 + timedelta(hours=8),
        priority=priority,
        next_step=NextStep.REBOOKING,
        summary="flight cancelled: CA1501",
        requested_at=T0,
    )


async def test_a_delay_that_becomes_a_cancellation_near_departure_raises_the_ticket(
    desk: Desk,  # noqa: F811
) -> None:
    """The whole hop: supplier reports → proactive.contact → intake's notice → routing."""
    care = with_care(desk)
    departs = T0 + timedelta(hours=8)
    booking = events.BookingUpserted(
        booking_id="bk-1",
        traveller=Traveller(id="trav-1", language="en"),
        channel=Channel.IN_APP,
        segments=[events.BookingSegment(kind="flight", reference="CA1501", starts_at=departs)],
        updated_at=T0,
    )
    await care.booking_upserted(envelope(booking))

    async def report(kind: str, **details: str) -> events.ProactiveContactRequested:
        status = events.SupplierStatusChanged(
            partner="ca",
            kind=kind,
            reference="CA1501",
            service_date=departs.date(),
            details=details,
            reported_at=desk.clock.now(),
        )
        before = len(desk.published("proactive.contact"))
        await care.supplier_status(envelope(status, tenant="_suppliers"))
        revised = [m for m in desk.outbox.messages if m.routing_key == "disruption.revised"]
        await care.disruption_revised(
            Envelope[events.DisruptionRevised].model_validate_json(revised[-1].body)
        )
        requests = desk.published("proactive.contact")
        assert len(requests) == before + 1
        return events.ProactiveContactRequested.model_validate(requests[-1])

    delayed = await report("flight_delayed", delay_minutes="40")
    ticket = Ticket.open_proactive("acme", delayed, tracking_url="http://t", now=T0)
    [opening] = [e for e in ticket.take_events() if isinstance(e, events.TicketOpened)]
    await desk.router.ticket_opened(envelope(opening))
    assert desk.last("ticket.routed", ticket.id)["priority"] == "high"

    desk.clock.advance(timedelta(hours=6))  # two hours before departure
    cancelled = await report("flight_cancelled")
    ticket.disruption_changed(cancelled, tracking_url="http://t", now=desk.clock.now())
    [told] = [e for e in ticket.take_events() if isinstance(e, events.DisruptionNotice)]
    await desk.router.disruption_noticed(envelope(told))

    raised = desk.last("ticket.routed", ticket.id)
    assert (raised["priority"], raised["rule"]) == ("critical", "urgency-raised")
    assert (await desk.case(ticket.id)).priority is Priority.CRITICAL
