"""Per-ticket facts: the metrics read model, merged from events in any order. Pure: time passed in.

The facts are a read model built only from events: every merge is keyed on
something the event carries (a resolution number, a survey id, a timestamp),
so events may come in any order and any number of times and the facts come out
the same — replaying the event history rebuilds them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from contracts import events
from contracts.envelope import Event
from contracts.events import BookingReference, Channel, Priority, Traveller
from contracts.languages import supported_language
from runtime.aggregate import Aggregate
from runtime.clock import epoch_ms
from services.feedback.domain.repeat_contacts import booking_keys
from services.feedback.domain.sla import BreachFact, ClockFact, merge_breach, merge_clock
from services.feedback.domain.surveys import resolution_of_survey


def supplier_of(references: Iterable[BookingReference]) -> str | None:
    """The airline of the first flight number (its IATA designator), until #8 names suppliers."""
    for reference in references:
        if reference.kind is events.ReferenceKind.FLIGHT and len(reference.value) > 2:
            return reference.value[:2]
    return None


class ContactFact(BaseModel):
    """One inbound contact: the opening one or a follow-up."""

    at: datetime
    channel: Channel


class ResolutionFact(BaseModel):
    number: int
    at: datetime
    by: str
    code: str


class RatingFact(BaseModel):
    survey_id: str
    resolution: int | None
    csat: int | None
    nps: int | None
    at: datetime


class AppealFact(BaseModel):
    appeal_id: str
    number: int
    resolution: int | None = None
    """The appealed resolution's number: its resolver is whom the appeal counts against
    (None in facts written before it was kept: the last resolver)."""
    filed_at: datetime | None = None
    outcome: str | None = None
    decided_at: datetime | None = None


def _earliest(current: datetime | None, candidate: datetime | None) -> datetime | None:
    if current is None:
        return candidate
    return current if candidate is None or current <= candidate else candidate


class TicketFacts(Aggregate):
    """What the metrics need to know about one ticket, merged from its events in any order."""

    traveller: Traveller | None = None
    traveller_at: datetime | None = None
    """When the traveller kept last wrote (opening or follow-up): the newest wins, in any
    order, so appeals speak the language they last wrote in."""
    channel: Channel | None = None
    language: str | None = None
    routed_language: str | None = None
    """Routing's detection (the latest routing's): it outranks intake's, in any order."""
    references: list[str] = Field(default_factory=list)
    booking_references: list[str] = Field(default_factory=list)
    """The references that name one booking (``repeat_contacts.booking_keys``): what makes
    another traveller's contact a repeat. Facts written before it have none (traveller only)."""
    supplier: str | None = None
    category: str | None = None
    """Routing's (a routing's or its bot's): the latest event that names one, in any order."""
    categorised_at: datetime | None = None
    """When ``category`` was named: a re-route that names none keeps it, in any order."""
    category_hint: str | None = None
    opened_at: datetime | None = None
    opened_ms: int | None = None
    opened_priority: Priority | None = None
    first_routed_at: datetime | None = None
    first_routed_priority: Priority | None = None
    last_routed_at: datetime | None = None
    business_time_zone: str | None = None
    """The zone of the SLA calendar the latest routing naming one ran under (``time_zone``):
    the ticket's hours, days and weeks in the metrics are its desk's. None: UTC."""
    zoned_at: datetime | None = None
    queue: str | None = None
    assignee: str | None = None
    placed_at: datetime | None = None
    """When queue/assignee were last set (routing or a transfer): the later one wins."""
    queued_at: datetime | None = None
    """When ``queue`` was named: a move that names none (to an agent) keeps it, in any order."""
    first_response_at: datetime | None = None
    bot_answered_at: datetime | None = None
    contacts: list[ContactFact] = Field(default_factory=list)
    last_contact_ms: int | None = None
    resolutions: list[ResolutionFact] = Field(default_factory=list)
    reopens: list[datetime] = Field(default_factory=list)
    closed_at: datetime | None = None
    closed_from: str | None = None
    """The status the ticket was closed from (None in facts written before it was kept)."""
    merged_into: str | None = None
    ratings: list[RatingFact] = Field(default_factory=list)
    appeals: list[AppealFact] = Field(default_factory=list)
    sla_clocks: list[ClockFact] = Field(default_factory=list)
    sla_breaches: list[BreachFact] = Field(default_factory=list)
    last_event_ms: int = 0
    """Newest event time seen: retention archives facts that have been quiet long enough."""

    @classmethod
    def blank(cls, tenant_id: str, ticket_id: str) -> TicketFacts:
        return cls(id=ticket_id, tenant_id=tenant_id)

    # -- merging events

    def apply(self, event: Event) -> None:
        """Merge one event; applying it again, or in another order, changes nothing more."""
        merge = _MERGES.get(type(event))
        if merge is not None:
            merge(self, event)

    def _followed_up(self, event: events.TicketFollowedUp) -> None:
        self._wrote(event.traveller, event.received_at)
        self._contact(event.received_at, event.channel)

    def _replied(self, event: events.TicketReplied) -> None:
        self._know(event.traveller, event.replied_at)
        self.first_response_at = _earliest(self.first_response_at, event.replied_at)

    def _bot_answered(self, event: events.TicketBotAnswered) -> None:
        self._know(event.traveller, event.answered_at)
        self.first_response_at = _earliest(self.first_response_at, event.answered_at)
        self._categorise(event.category, event.answered_at)
        self.bot_answered_at = _earliest(self.bot_answered_at, event.answered_at)
        self.language = self.language or supported_language(event.language)

    def _transferred(self, event: events.TicketTransferred) -> None:
        self._place(event.to_queue, event.to_assignee, event.transferred_at)

    def _status_changed(self, event: events.TicketStatusChanged) -> None:
        self._touch(event.changed_at)
        if event.to_status == "closed":
            self.closed_at = _earliest(self.closed_at, event.changed_at)
            self.closed_from = event.from_status
        elif event.to_status == "bot_answered":
            self.bot_answered_at = _earliest(self.bot_answered_at, event.changed_at)

    def _merged(self, event: events.TicketMerged) -> None:
        self._touch(event.merged_at)
        self.merged_into = event.into_ticket_id
        self.closed_at = _earliest(self.closed_at, event.merged_at)

    def _reopened(self, event: events.TicketReopened) -> None:
        self._know(event.traveller, event.reopened_at)
        if event.reopened_at not in self.reopens:
            self.reopens = sorted([*self.reopens, event.reopened_at])

    def _appeal_filed(self, event: events.AppealFiled) -> None:
        self._know(event.traveller, event.filed_at)
        self._appeal(
            event.appeal_id,
            event.appeal_number,
            resolution=event.appealed_resolution,
            filed_at=event.filed_at,
        )

    def _appeal_resolved(self, event: events.AppealResolved) -> None:
        self._know(event.traveller, event.decided_at)
        self._appeal(
            event.appeal_id,
            event.appeal_number,
            outcome=event.outcome,
            decided_at=event.decided_at,
        )

    def _clock_stopped(self, event: events.SlaClockStopped) -> None:
        self._touch(event.stopped_at)
        self.sla_clocks = merge_clock(self.sla_clocks, event)

    def _breached(self, event: events.SlaBreached) -> None:
        self._touch(event.breached_at)
        self.sla_breaches = merge_breach(self.sla_breaches, event)

    def _appeal(self, appeal_id: str, number: int, **known: Any) -> None:
        """Filing and decision may arrive in either order: each fills in its own fields."""
        current = next((a for a in self.appeals if a.appeal_id == appeal_id), None)
        merged = (current or AppealFact(appeal_id=appeal_id, number=number)).model_copy(
            update=known
        )
        others = [a for a in self.appeals if a.appeal_id != appeal_id]
        self.appeals = sorted([*others, merged], key=lambda a: a.number)

    def _rated(self, event: events.FeedbackReceived) -> None:
        """A survey answered again replaces its rating (one rating per survey)."""
        self._touch(event.received_at)
        rating = RatingFact(
            survey_id=event.survey_id,
            resolution=resolution_of_survey(event.survey_id),
            csat=event.csat,
            nps=event.nps,
            at=event.received_at,
        )
        self.ratings = sorted(
            [*(r for r in self.ratings if r.survey_id != event.survey_id), rating],
            key=lambda r: r.survey_id,
        )

    def _opened(self, event: events.TicketOpened) -> None:
        self._wrote(event.traveller, event.opened_at)
        self.channel = event.channel
        self.language = (
            self.routed_language
            or supported_language(event.language)
            or supported_language(event.traveller.language)
            or self.language
        )
        self.references = sorted({r.value for r in event.references})
        self.booking_references = booking_keys(event.references)
        self.supplier = supplier_of(event.references)
        self.category_hint = event.category_hint
        self.opened_priority = event.priority
        self._set_opened(event.opened_at)
        if not event.proactive:  # TripCare wrote first: the traveller made no contact
            self._contact(event.opened_at, event.channel)

    def _routed(self, event: events.TicketRouted) -> None:
        self._know(event.traveller, event.routed_at)
        self._categorise(event.category, event.routed_at)
        if self.first_routed_at is None or event.routed_at < self.first_routed_at:
            self.first_routed_at = event.routed_at
            self.first_routed_priority = event.priority
        if self.last_routed_at is None or event.routed_at >= self.last_routed_at:
            self.last_routed_at = event.routed_at
            self.routed_language = supported_language(event.language) or self.routed_language
            self.language = self.routed_language or self.language
        self._place(event.queue, event.assignee, event.routed_at)
        if event.time_zone and (self.zoned_at is None or event.routed_at >= self.zoned_at):
            self.business_time_zone, self.zoned_at = event.time_zone, event.routed_at

    def _resolved(self, event: events.TicketResolved) -> None:
        self._know(event.traveller, event.resolved_at)
        self.channel = self.channel or event.channel
        if self.opened_at is None:
            self._set_opened(event.opened_at)
        self.first_response_at = _earliest(self.first_response_at, event.first_response_at)
        resolution = ResolutionFact(
            number=event.resolution_count,
            at=event.resolved_at,
            by=event.resolved_by,
            code=event.resolution_code,
        )
        self.resolutions = sorted(
            [*(r for r in self.resolutions if r.number != resolution.number), resolution],
            key=lambda r: r.number,
        )

    def _place(self, queue: str | None, assignee: str | None, at: datetime) -> None:
        self._touch(at)
        named = self.queued_at or (self.placed_at if self.queue else None)  # older: _categorise
        if self.placed_at is None or at >= self.placed_at:
            self.placed_at = at
            self.assignee = assignee
        if queue and (named is None or at >= named):
            self.queue, named = queue, at
        self.queued_at = named

    def _categorise(self, category: str | None, at: datetime) -> None:
        """Facts stored before ``categorised_at`` date their category by the latest event
        that could have named it, on the first event they see (before it moves that)."""
        named = self.categorised_at
        if named is None and self.category:
            named = max((t for t in (self.last_routed_at, self.bot_answered_at) if t), default=None)
        if category and (named is None or at >= named):
            self.category, named = category, at
        self.categorised_at = named

    def _set_opened(self, at: datetime) -> None:
        self.opened_at = at
        self.opened_ms = epoch_ms(at)
        self._touch(at)
        self._refresh_last_contact()

    def _contact(self, at: datetime, channel: Channel) -> None:
        if all(c.at != at or c.channel != channel for c in self.contacts):
            contact = ContactFact(at=at, channel=channel)
            self.contacts = sorted([*self.contacts, contact], key=lambda c: (c.at, c.channel))
        self._refresh_last_contact()

    def _refresh_last_contact(self) -> None:
        times = [epoch_ms(c.at) for c in self.contacts]
        if self.opened_ms is not None:
            times.append(self.opened_ms)
        self.last_contact_ms = max(times) if times else None

    def _know(self, traveller: Traveller, at: datetime) -> None:
        self.traveller = self.traveller or traveller
        self._touch(at)

    def _wrote(self, traveller: Traveller, at: datetime) -> None:
        """The traveller as intake knew them when they wrote: kept unless they wrote later."""
        if self.traveller_at is None or at >= self.traveller_at:
            self.traveller, self.traveller_at = traveller, at
        self._touch(at)

    def _touch(self, at: datetime) -> None:
        self.last_event_ms = max(self.last_event_ms, epoch_ms(at))

    # -- what the facts say

    @property
    def latest_resolution(self) -> ResolutionFact | None:
        return max(self.resolutions, key=lambda r: r.at) if self.resolutions else None

    @property
    def resolved_at(self) -> datetime | None:
        """When the ticket was resolved for good: None while reopened or if never resolved."""
        latest = self.latest_resolution
        if latest is None or self.merged_into:
            return None
        if self.reopens and self.reopens[-1] >= latest.at:
            return None
        return latest.at

    def resolution_undone(self, number: int) -> bool:
        return self.undoing_of(number) is not None

    def undoing_of(self, number: int) -> events.SurveyWithdrawalReason | None:
        """What undid resolution ``number`` (None while it stands): a reopen since it, else a
        close from a status other than resolved, else a later resolution (its reopen not yet
        here). Any one of those events is enough, so the answer holds in any order."""
        at = next((r.at for r in self.resolutions if r.number == number), None)
        if at is not None and any(when >= at for when in self.reopens):
            return "reopened"
        closed = self.closed_at if self.closed_from not in (None, "resolved") else None
        if at is not None and closed is not None and closed >= at:
            return "closed_unresolved"
        return "resolved_again" if any(r.number > number for r in self.resolutions) else None

    @property
    def bot_answer_stands(self) -> bool:
        """The bot's answer is the last word: nobody reopened the ticket since ("that did not
        help", a follow-up) and no person took it over (routed to a queue after it)."""
        at = self.bot_answered_at
        if at is None or any(reopened >= at for reopened in self.reopens):
            return False
        return self.placed_at is None or self.placed_at < at

    @property
    def initial_priority(self) -> Priority | None:
        return self.first_routed_priority or self.opened_priority

    @property
    def agent(self) -> str | None:
        """Who closed the loop: the last resolver, else whoever holds the ticket."""
        latest = self.latest_resolution
        return latest.by if latest else self.assignee

    def resolver_of(self, resolution: int | None) -> str | None:
        found = next((r for r in self.resolutions if r.number == resolution), None)
        return found.by if found else self.agent


_MERGES: dict[type[Event], Callable[[TicketFacts, Any], None]] = {
    events.TicketOpened: TicketFacts._opened,
    events.TicketFollowedUp: TicketFacts._followed_up,
    events.TicketReplied: TicketFacts._replied,
    events.TicketBotAnswered: TicketFacts._bot_answered,
    events.TicketRouted: TicketFacts._routed,
    events.TicketTransferred: TicketFacts._transferred,
    events.TicketStatusChanged: TicketFacts._status_changed,
    events.TicketMerged: TicketFacts._merged,
    events.TicketResolved: TicketFacts._resolved,
    events.TicketReopened: TicketFacts._reopened,
    events.FeedbackReceived: TicketFacts._rated,
    events.AppealFiled: TicketFacts._appeal_filed,
    events.AppealResolved: TicketFacts._appeal_resolved,
    events.SlaClockStopped: TicketFacts._clock_stopped,
    events.SlaBreached: TicketFacts._breached,
}
"""How each event the facts read merges into them; any other event changes nothing."""
