"""A hand-made day at the desk as events, with the metrics it must produce.

Shared by the unit tests (folded in memory) and the replay integration test
(published twice to the real broker). Times are minutes after ``T0``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from contracts import events
from contracts.envelope import Envelope, Event
from contracts.events import (
    AppealLevel,
    BookingReference,
    Channel,
    EscalationLevel,
    Priority,
    ReferenceKind,
    SlaClock,
)
from runtime.clock import FakeClock
from runtime.signing import Signer
from runtime.store import Repository
from services.feedback.config import FeedbackSettings
from services.feedback.domain.appeals import Appeal, appeal_id_for
from services.feedback.domain.facts import TicketFacts
from services.feedback.domain.surveys import Survey, survey_id_for
from services.feedback.domain.traveller_pulse import TravellerPulse
from services.feedback.service import Feedback
from services.feedback.store import FACTS
from tests.factories import T0
from tests.fakes import FakeDatabase, RecordingOutbox

FLIGHT = BookingReference(kind=ReferenceKind.FLIGHT, value="CA1501")
HOTEL = BookingReference(kind=ReferenceKind.HOTEL_CONFIRMATION, value="HB12345")
PNR = BookingReference(kind=ReferenceKind.PNR, value="ABC123")
A_PNR = BookingReference(kind=ReferenceKind.PNR, value="XKQ7PZ")
"""A's booking on CA1501: E, A's assistant, writes about it too."""
FR, NR, RES = SlaClock.FIRST_RESPONSE, SlaClock.NEXT_RESPONSE, SlaClock.RESOLUTION
HIGH, CRITICAL, EXPERT = Priority.HIGH, Priority.CRITICAL, EscalationLevel.EXPERT_TEAM
START, END = T0, T0 + timedelta(days=1)
NOW = T0 + timedelta(hours=12)


def at(minutes: float) -> Any:
    return T0 + timedelta(minutes=minutes)


def traveller(name: str, language: str = "en") -> events.Traveller:
    return events.Traveller(id=f"trav-{name}", name=name, language=language)


class Desk:
    """Builds one tenant's event history; every call appends one envelope."""

    def __init__(self, tenant: str = "acme", prefix: str = "m") -> None:
        self.tenant = tenant
        self.prefix = prefix
        self.envelopes: list[Envelope[Any]] = []
        self.opened_at: dict[str, Any] = {}
        self.travellers: dict[str, events.Traveller] = {}

    def emit(self, payload: Event) -> None:
        self.envelopes.append(
            Envelope[Any](
                message_id=f"{self.prefix}-{len(self.envelopes)}",
                correlation_id=str(getattr(payload, "ticket_id", "x")),
                tenant_id=self.tenant,
                occurred_at=T0,
                schema_name=payload.schema_name,
                schema_version=payload.schema_version,
                payload=payload,
            )
        )

    def opened(
        self,
        ticket: str,
        minute: float,
        who: events.Traveller,
        channel: Channel = Channel.EMAIL,
        references: tuple[BookingReference, ...] = (),
        priority: Priority = Priority.NORMAL,
        *,
        proactive: bool = False,
    ) -> None:
        self.opened_at[ticket], self.travellers[ticket] = at(minute), who
        self.emit(
            events.TicketOpened(
                ticket_id=ticket,
                channel=channel,
                traveller=who,
                text="help",
                language=who.language,
                priority=priority,
                references=list(references),
                proactive=proactive,
                opened_at=at(minute),
            )
        )

    def routed(
        self,
        ticket: str,
        minute: float,
        *,
        queue: str = "general",
        category: str | None = "other",
        priority: Priority = Priority.NORMAL,
        first_response_in: float = 30,
        resolution_in: float = 24 * 60,
        assignee: str | None = None,
        language: str | None = None,
        time_zone: str | None = None,
    ) -> None:
        self.emit(
            events.TicketRouted(
                ticket_id=ticket,
                traveller=self.travellers[ticket],
                queue=queue,
                assignee=assignee,
                category=category,
                priority=priority,
                first_response_due=at(minute + first_response_in),
                resolution_due=at(minute + resolution_in),
                reason="test",
                routed_at=at(minute),
                language=language,
                time_zone=time_zone,
            )
        )

    def replied(self, ticket: str, minute: float, first: bool = True) -> None:
        self.emit(
            events.TicketReplied(
                ticket_id=ticket,
                channel=Channel.EMAIL,
                traveller=self.travellers[ticket],
                message="on it",
                author="agent-7",
                first_response=first,
                replied_at=at(minute),
            )
        )

    def bot_answered(self, ticket: str, minute: float) -> None:
        self.emit(
            events.TicketBotAnswered(
                ticket_id=ticket,
                channel=Channel.WEB_CHAT,
                traveller=self.travellers[ticket],
                article_id="kb-1",
                title="Baggage allowance",
                answer="20 kg",
                language="en",
                confidence=0.9,
                threshold=0.8,
                category="baggage",
                reason="kb",
                answered_at=at(minute),
            )
        )

    def followed_up(self, ticket: str, minute: float, channel: Channel = Channel.WEB_CHAT) -> None:
        self.emit(
            events.TicketFollowedUp(
                ticket_id=ticket,
                channel=channel,
                traveller=self.travellers[ticket],
                text="still there?",
                repeat_contacts=1,
                received_at=at(minute),
            )
        )

    def resolved(
        self, ticket: str, minute: float, count: int = 1, by: str = "agent-7", first: float = 0
    ) -> None:
        self.emit(
            events.TicketResolved(
                ticket_id=ticket,
                channel=Channel.EMAIL,
                traveller=self.travellers[ticket],
                resolution_code="refunded" if count > 1 else "answered",
                message="done",
                resolved_by=by,
                opened_at=self.opened_at[ticket],
                first_response_at=at(first or minute),
                resolved_at=at(minute),
                resolution_count=count,
            )
        )

    def reopened(self, ticket: str, minute: float, appeal: int | None = None) -> None:
        self.emit(
            events.TicketReopened(
                ticket_id=ticket,
                traveller=self.travellers[ticket],
                reason="appeal: no" if appeal else "traveller wrote again",
                priority=Priority.HIGH,
                reopened_at=at(minute),
                appeal_id=appeal_id_for(ticket, appeal) if appeal else None,
                appeal_number=appeal,
                appeal_level=AppealLevel.EXPERT if appeal else None,
            )
        )

    def closed(self, ticket: str, minute: float, from_status: str = "resolved") -> None:
        self.emit(
            events.TicketStatusChanged(
                ticket_id=ticket,
                from_status=from_status,
                to_status="closed",
                by="agent-7",
                changed_at=at(minute),
            )
        )

    def transferred(
        self, ticket: str, minute: float, to_queue: str | None, to_assignee: str | None
    ) -> None:
        self.emit(
            events.TicketTransferred(
                ticket_id=ticket,
                traveller=self.travellers[ticket],
                from_queue=None,
                to_queue=to_queue,
                from_assignee=None,
                to_assignee=to_assignee,
                by="agent-9",
                transferred_at=at(minute),
            )
        )

    def merged(self, ticket: str, into: str, minute: float) -> None:
        self.emit(
            events.TicketMerged(
                ticket_id=ticket, into_ticket_id=into, by="agent-7", merged_at=at(minute)
            )
        )

    def rated(
        self, ticket: str, resolution: int, minute: float, csat: int, nps: int | None = None
    ) -> None:
        self.emit(
            events.FeedbackReceived(
                survey_id=survey_id_for(ticket, resolution),
                ticket_id=ticket,
                csat=csat,
                nps=nps,
                received_at=at(minute),
            )
        )

    def appealed(self, ticket: str, number: int, minute: float, resolution: int) -> None:
        self.emit(
            events.AppealFiled(
                appeal_id=appeal_id_for(ticket, number),
                ticket_id=ticket,
                traveller=self.travellers[ticket],
                reason="no",
                appeal_number=number,
                level=AppealLevel.EXPERT if number == 1 else AppealLevel.SUPPORT_MANAGER,
                appealed_resolution=resolution,
                via="survey",
                filed_at=at(minute),
            )
        )

    def appeal_decided(self, ticket: str, number: int, minute: float, by: str) -> None:
        self.emit(
            events.AppealResolved(
                appeal_id=appeal_id_for(ticket, number),
                ticket_id=ticket,
                traveller=self.travellers[ticket],
                appeal_number=number,
                level=AppealLevel.EXPERT,
                outcome="refunded",
                decided_by=by,
                decided_at=at(minute),
            )
        )

    def clock_stopped(
        self,
        ticket: str,
        clock: SlaClock,
        started: float,
        stopped: float,
        *,
        target: float,
        priority: Priority = Priority.NORMAL,
        category: str | None = "other",
        void: bool = False,
        carried_from: events.CarriedClock | None = None,
    ) -> None:
        """Routing's ``sla.stopped``; met when it stopped within ``target`` minutes, unless
        ``void`` (closed unanswered); without ``void`` as an older event, with no verdict.
        ``carried_from``: a merged duplicate's wait routing carried to this ticket."""
        self.emit(
            events.SlaClockStopped(
                ticket_id=ticket,
                clock=clock,
                priority=priority,
                category=category,
                met=not void and stopped - started <= target,
                verdict=events.SlaVerdict.VOID if void else None,
                target_seconds=int(target * 60),
                elapsed_seconds=int((stopped - started) * 60),
                started_at=at(started),
                stopped_at=at(stopped),
                carried_from=carried_from,
            )
        )

    def breached(
        self,
        ticket: str,
        clock: SlaClock,
        minute: float,
        *,
        level: EscalationLevel = EscalationLevel.SENIOR_AGENT,
        previous: Priority = Priority.NORMAL,
        priority: Priority = Priority.HIGH,
        category: str | None = "other",
        deadline: float | None = None,
        clock_priority: Priority | None = None,
    ) -> None:
        """Routing's ``sla.breached``: the clock ran out at ``deadline`` (default: ``minute``);
        without ``clock_priority`` as an older event."""
        self.emit(
            events.SlaBreached(
                ticket_id=ticket,
                clock=clock,
                priority=priority,
                previous_priority=previous,
                clock_priority=clock_priority,
                category=category,
                level=level,
                deadline=at(minute if deadline is None else deadline),
                breached_at=at(minute),
            )
        )


def a_day_at_the_desk(tenant: str = "acme", prefix: str = "m") -> Desk:
    """Eight tickets covering the edge cases; ``EXPECTED`` holds what they must give."""
    desk = Desk(tenant, prefix)
    a, b, d = traveller("A"), traveller("B", "zh-Hans"), traveller("D", "ja")
    # A: answered in 10 min, resolved in an hour, rated 5 / NPS 10: first-contact resolution.
    desk.opened("TA", 0, a, references=(FLIGHT, A_PNR))
    desk.routed("TA", 1, category="flight_disruption")
    desk.replied("TA", 10)
    desk.resolved("TA", 60, first=10)
    desk.rated("TA", 1, 120, csat=5, nps=10)
    desk.clock_stopped("TA", FR, 0, 10, target=30, category="flight_disruption")
    desk.clock_stopped("TA", RES, 0, 60, target=24 * 60, category="flight_disruption")
    # B: rated 2, appealed, reopened for an expert, resolved again, rated 5 / NPS 9.
    desk.opened("TB", 60, b, Channel.IN_APP, references=(HOTEL,))
    desk.routed("TB", 61, category="hotel_issue")
    desk.replied("TB", 80)
    desk.resolved("TB", 120, first=80)
    desk.rated("TB", 1, 180, csat=2)
    desk.appealed("TB", 1, 185, resolution=1)
    desk.reopened("TB", 186, appeal=1)
    desk.routed(
        "TB", 187, queue="expert", category="hotel_issue", priority=Priority.HIGH, resolution_in=240
    )
    desk.resolved("TB", 300, count=2, by="expert-1", first=80)
    # B's clocks: met at normal; after the appeal (high) the next response breached, missed.
    desk.clock_stopped("TB", FR, 60, 80, target=30, category="hotel_issue")
    desk.clock_stopped("TB", RES, 60, 120, target=24 * 60, category="hotel_issue")
    desk.breached("TB", NR, 246, previous=HIGH, priority=CRITICAL, category="hotel_issue")
    desk.clock_stopped("TB", NR, 186, 300, target=60, priority=HIGH, category="hotel_issue")
    desk.clock_stopped("TB", RES, 186, 300, target=240, priority=HIGH, category="hotel_issue")
    desk.appeal_decided("TB", 1, 300, "expert-1")
    desk.rated("TB", 2, 360, csat=5, nps=9)
    # C: A calls about the same flight (a repeat contact); critical, resolved in 8 minutes.
    desk.opened("TC", 300, a, Channel.PHONE, references=(FLIGHT,), priority=Priority.CRITICAL)
    desk.routed(
        "TC",
        301,
        category="flight_disruption",
        priority=Priority.CRITICAL,
        first_response_in=4,
        resolution_in=59,
    )
    desk.replied("TC", 303)
    desk.resolved("TC", 308, first=303)
    desk.clock_stopped(
        "TC", FR, 300, 303, target=4, priority=CRITICAL, category="flight_disruption"
    )
    desk.clock_stopped(
        "TC", RES, 300, 308, target=59, priority=CRITICAL, category="flight_disruption"
    )
    # D: the bot answers in a minute; D writes again (repeat), the ticket reopens, still open.
    desk.opened("TD", 360, d, Channel.WEB_CHAT)
    desk.bot_answered("TD", 361)
    desk.followed_up("TD", 420)
    desk.reopened("TD", 420)
    desk.routed("TD", 421, category="baggage", priority=Priority.HIGH)
    desk.clock_stopped("TD", FR, 360, 361, target=30, category="baggage")
    desk.breached("TD", NR, 451, previous=HIGH, priority=CRITICAL, category="baggage")
    # E, A's assistant, writes about A's booking (its PNR: a repeat by booking); merged into A.
    desk.opened("TE", 480, traveller("E"), references=(FLIGHT, A_PNR))
    desk.merged("TE", "TA", 510)
    # The merge stopped its first response unanswered within target: carried to A, not counted.
    desk.clock_stopped("TE", FR, 480, 510, target=40, void=True)
    # F: nobody answers within 30 minutes: escalated to a senior agent, then the experts; open.
    desk.opened("TF", 540, traveller("F"))
    desk.routed("TF", 540, category="invoice")
    desk.breached("TF", FR, 570, category="invoice")
    desk.breached(
        "TF",
        FR,
        600,
        level=EXPERT,
        previous=HIGH,
        priority=CRITICAL,
        category="invoice",
        deadline=570,
    )
    # G: opened two days before the window; its follow-up inside it is a repeat contact.
    desk.opened("TG", -48 * 60, traveller("G"), references=(PNR,))
    desk.followed_up("TG", 600, Channel.EMAIL)
    desk.clock_stopped("TG", NR, 600, 700, target=60)  # opened before the window: not counted
    # H: opened after the window: not counted.
    desk.opened("TH", 30 * 60, traveller("H"))
    return desk


EXPECTED: dict[str, Any] = {
    "tickets": 5,
    "resolved": 3,
    "open": 2,
    "merged": 1,
    "closed_unresolved": 0,
    "first_contact_resolution_rate": 0.6667,
    "first_response_time_s": {"count": 4, "avg": 510.0, "p50": 180.0, "p90": 1200.0},
    "resolution_time_s": {"count": 3, "avg": 6160.0, "p50": 3600.0, "p90": 14400.0},
    "csat": {"count": 3, "avg": 4.0, "satisfied_share": 0.6667},
    "nps": {"count": 2, "promoters": 2, "passives": 0, "detractors": 0, "score": 100.0},
    "contacts": 8,
    "repeat_contacts": 4,
    "repeat_contact_rate": 0.5,
    "bot": {"answered": 1, "answer_rate": 0.2, "reopened": 1, "reopen_rate": 1.0},
    "sla": {
        "attainment": {"part": 8, "of": 11, "rate": 0.7273},
        "first_response": {"part": 4, "of": 5, "rate": 0.8},
        "next_response": {"part": 0, "of": 2, "rate": 0.0},
        "resolution": {"part": 4, "of": 4, "rate": 1.0},
        "supplier": {"part": 0, "of": 0, "rate": None},
        "void": 0,
        "breaches": 4,
        "breached_tickets": 3,
    },
    "appeals": {"filed": 1, "second": 0, "decided": 1, "tickets": 1, "rate": 0.3333},
    "critical_resolved_in_10m": {"part": 1, "of": 1, "rate": 1.0},
}


def in_memory_feedback(
    db: FakeDatabase,
    outbox: RecordingOutbox,
    clock: FakeClock,
    signer: Signer,
    public_url: str = "https://care.example",
) -> Feedback:
    """Feedback's service over the in-memory store, as its API and page tests run it."""

    def repository(name: str, model: type[Any]) -> Repository[Any]:
        return Repository(db, name, model, outbox, clock)  # type: ignore[arg-type]

    return Feedback(
        surveys=repository("surveys", Survey),
        facts=repository(FACTS, TicketFacts),
        appeals=repository("appeals", Appeal),
        pulses=repository("pulses", TravellerPulse),
        clock=clock,
        signer=signer,
        public_url=public_url,
        settings=FeedbackSettings(),
    )
