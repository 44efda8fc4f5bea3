"""What to tell whom, on which channel, when to retry, and the record of each delivery.

Pure: no I/O, time and randomness passed in. The adapters that actually send
live in ``channels.py``; the use cases that load and save in ``handlers.py``.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contracts import events
from contracts.envelope import Event
from contracts.events import (
    REPLY_CHANNEL_OF,
    Channel,
    EscalationLevel,
    Priority,
    ReplyChannel,
    SkippedChannel,
    Traveller,
)
from contracts.languages import FALLBACK_LANGUAGE, supported_language
from runtime.aggregate import Aggregate
from runtime.clock import epoch_ms
from services.notify.phones import e164

IN_APP = ReplyChannel.IN_APP

ACKNOWLEDGED = events.ACKNOWLEDGEMENT_TEMPLATE
ROUTED = "ticket_routed"
REPLIED = "ticket_replied"
BOT_ANSWERED = "ticket_bot_answered"
RESOLVED = "ticket_resolved"
RESOLVED_FOR_BOOKER = "ticket_resolved_booker"
SURVEY = "survey"
ASSIGNED = "ticket_assigned"
ESCALATED = "ticket_escalated"
APPEAL_FILED = "appeal_filed"
APPEAL_RESOLVED = "appeal_resolved"
SLA_WARNING = "sla_warning"
SLA_BREACHED = "sla_breached"
SLA_BREACHED_FOR_MANAGEMENT = "sla_breached_management"
SLA_HANDED_OVER = "sla_handed_over"
DIGEST = "digest"
DISRUPTION = "disruption_notice"
TEMPLATE_NAMES = (
    DISRUPTION,
    BOT_ANSWERED,
    ACKNOWLEDGED,
    ROUTED,
    REPLIED,
    RESOLVED,
    RESOLVED_FOR_BOOKER,
    SURVEY,
    ASSIGNED,
    ESCALATED,
    DIGEST,
    APPEAL_FILED,
    APPEAL_RESOLVED,
    SLA_WARNING,
    SLA_BREACHED,
    SLA_BREACHED_FOR_MANAGEMENT,
    SLA_HANDED_OVER,
)


class Role(StrEnum):
    TRAVELLER = "traveller"
    BOOKER = "booker"
    AGENT = "agent"
    ACCOUNT_MANAGER = "account_manager"
    SUPPORT_MANAGER = "support_manager"
    MANAGER = "manager"  # the holder's team lead, told of a breach
    TEAM = "team"  # a queue's team, when a ticket has no assignee


class TenantStaff(BaseModel):
    """The people of one tenant's account who hear of escalations."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    account_manager: Traveller | None = None
    support_manager: Traveller | None = None


class Directory(BaseModel):
    """How to reach staff; entries have a traveller's shape. Unknown agents get the inbox;
    a queue's team without an entry gets the inbox ``team:<queue id>``.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    agents: dict[str, Traveller] = Field(default_factory=dict)
    tenants: dict[str, TenantStaff] = Field(default_factory=dict)
    teams: dict[str, Traveller] = Field(
        default_factory=dict, description="Queue id → the team's shared address (a group chat)."
    )

    def agent(self, agent_id: str) -> Traveller:
        return self.agents.get(agent_id) or Traveller(id=agent_id)

    def staff(self, tenant_id: str) -> TenantStaff:
        return self.tenants.get(tenant_id) or TenantStaff()

    def team(self, queue: str) -> Traveller:
        return self.teams.get(queue) or Traveller(id=f"team:{queue}")

    def manager(self, tenant_id: str, person_id: str) -> Traveller:
        """A manager named by an event: the tenant's entry of that id, else an agent entry,
        else the inbox of that id.
        """
        staff = self.staff(tenant_id)
        for known in (staff.account_manager, staff.support_manager):
            if known is not None and known.id == person_id:
                return known
        return self.agent(person_id)


@dataclass(frozen=True)
class Notice:
    """A message to send: to whom (in which role), which template, with what values."""

    ticket_id: str | None
    recipient: Traveller
    template: str
    values: Mapping[str, str] = field(default_factory=dict)
    role: Role = Role.TRAVELLER
    origin: Channel | None = None
    detected_language: str | None = None
    answers: str | None = None
    """The traveller's e-mail (Message-ID) this notice answers: the one that opened the ticket."""
    attachments: tuple[events.Attachment, ...] = ()

    @property
    def language(self) -> str:
        """Their preference, else the language of the contact, else English."""
        for tag in (
            self.recipient.language,
            self.detected_language,
            self.recipient.detected_language,
        ):
            if language := supported_language(tag):
                return language
        return FALLBACK_LANGUAGE


@dataclass(frozen=True)
class Rendered:
    language: str
    subject: str
    body: str


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _traveller(event: events.TicketRouted | events.TicketResolved) -> str:
    return event.traveller.name or event.traveller.id


def notices_for(event: Event, tenant_id: str, directory: Directory) -> list[Notice]:
    """Everyone an event calls for telling, each with their own template."""
    match event:
        case events.TicketAcknowledged():
            values = {
                "ticket_id": event.ticket_id,
                "name": event.traveller.name or "",
                "link": event.tracking_url,
            }
            return [
                Notice(
                    event.ticket_id,
                    event.traveller,
                    ACKNOWLEDGED,
                    values,
                    origin=event.channel,
                    answers=event.email_message_id,
                )
            ]
        case events.TicketRouted():
            return _routed(event, tenant_id, directory)
        case events.TicketBotAnswered():
            values = {"ticket_id": event.ticket_id, "title": event.title, "answer": event.answer}
            return [
                Notice(
                    event.ticket_id,
                    event.traveller.model_copy(update={"language": event.language}),
                    BOT_ANSWERED,
                    values,
                    origin=event.channel,
                )
            ]
        case events.TicketReplied():
            files = "\n".join(f"{a.name}: {a.url}" for a in event.attachments if a.url)
            values = {"ticket_id": event.ticket_id, "message": event.message, "files": files}
            return [
                Notice(
                    event.ticket_id,
                    event.traveller,
                    REPLIED,
                    values,
                    origin=event.channel,
                    detected_language=event.language,
                    attachments=tuple(a for a in event.attachments if a.url),
                )
            ]
        case events.TicketResolved():
            values = {"ticket_id": event.ticket_id, "message": event.message}
            notices = [
                Notice(event.ticket_id, event.traveller, RESOLVED, values, origin=event.channel)
            ]
            if booker := event.traveller.booker:
                for_booker = {**values, "traveller": _traveller(event)}
                notices.append(
                    Notice(event.ticket_id, booker, RESOLVED_FOR_BOOKER, for_booker, Role.BOOKER)
                )
            return notices
        case events.SurveySent():
            values = {"ticket_id": event.ticket_id, "link": event.survey_url}
            return [Notice(event.ticket_id, event.traveller, SURVEY, values)]
        case events.AppealFiled():
            values = {
                "ticket_id": event.ticket_id,
                "level": event.level.value,
                "appeal_number": str(event.appeal_number),
            }
            return [Notice(event.ticket_id, event.traveller, APPEAL_FILED, values)]
        case events.AppealResolved():
            values = {
                "ticket_id": event.ticket_id,
                "level": event.level.value,
                "outcome": event.outcome,
                "message": event.message or "",
            }
            return [Notice(event.ticket_id, event.traveller, APPEAL_RESOLVED, values)]
        case events.SlaWarning():
            return _sla_warning(event, tenant_id, directory)
        case events.SlaBreached():
            return _sla_breached(event, tenant_id, directory)
        case events.DisruptionNotice():
            values = {
                "ticket_id": event.ticket_id,
                "name": event.traveller.name or "",
                "kind": event.kind,
                "reference": event.reference,
                "service_date": event.service_date.isoformat(),
                "departs": _when(event.departs_at),
                "delay": event.details.get("delay_minutes", ""),
                "gate": event.details.get("gate", ""),
                "new_departure": event.details.get("new_departure", ""),
                "next_step": event.next_step.value,
                "link": event.tracking_url,
            }
            return [
                Notice(event.ticket_id, event.traveller, DISRUPTION, values, origin=event.channel)
            ]
    return []


QUIET_REROUTES = frozenset({"urgency-raised"})
"""Re-routes that keep the team and agent: only tighter deadlines, nothing to tell anew."""
AGENT_ONLY_REROUTES = frozenset({"dispatched"})
"""A waiting ticket pushed to an agent with room: the traveller already knows its team."""


def _routed(event: events.TicketRouted, tenant_id: str, directory: Directory) -> list[Notice]:
    due = _when(event.first_response_due)
    values = {"ticket_id": event.ticket_id, "queue": event.queue, "due": due}
    quiet = event.rule in QUIET_REROUTES
    # a proactive notice already said what happens next; a push only names the agent
    told = quiet or event.proactive or event.rule in AGENT_ONLY_REROUTES
    notices = [] if told else [Notice(event.ticket_id, event.traveller, ROUTED, values)]
    staff_values = {
        **values,
        "priority": event.priority.value,
        "traveller": _traveller(event),
        "reason": event.reason,
    }
    if event.assignee and not quiet:
        agent = directory.agent(event.assignee)
        notices.append(Notice(event.ticket_id, agent, ASSIGNED, staff_values, Role.AGENT))
    if event.priority is Priority.CRITICAL:
        for role, person in _alerted(event, tenant_id, directory):
            if all(n.recipient.id != person.id for n in notices):
                notices.append(Notice(event.ticket_id, person, ESCALATED, staff_values, role))
    return notices


def _alerted(
    event: events.TicketRouted, tenant_id: str, directory: Directory
) -> list[tuple[Role, Traveller]]:
    """The managers routing's policy names on the event (their directory entry, else their
    inbox); an event naming neither (an older one) falls back to the configured ones."""
    if event.account_manager or event.support_manager:
        named = [
            (Role.ACCOUNT_MANAGER, event.account_manager),
            (Role.SUPPORT_MANAGER, event.support_manager),
        ]
        return [(role, directory.manager(tenant_id, pid)) for role, pid in named if pid]
    staff = directory.staff(tenant_id)
    configured = [
        (Role.ACCOUNT_MANAGER, staff.account_manager),
        (Role.SUPPORT_MANAGER, staff.support_manager),
    ]
    return [(role, person) for role, person in configured if person is not None]


def _holder(
    event: events.SlaWarning | events.SlaBreached, tenant_id: str, directory: Directory
) -> tuple[Traveller, Role] | None:
    """Who answers for a ticket: its assignee, else its queue's team, else the support manager."""
    if event.assignee:
        return directory.agent(event.assignee), Role.AGENT
    if event.queue:
        return directory.team(event.queue), Role.TEAM
    manager = directory.staff(tenant_id).support_manager
    return (manager, Role.SUPPORT_MANAGER) if manager else None


def _sla_values(event: events.SlaWarning | events.SlaBreached) -> dict[str, str]:
    return {
        "ticket_id": event.ticket_id,
        "clock": event.clock.value,
        "priority": event.priority.value,
        "queue": event.queue or "",
        "deadline": _when(event.deadline),
        "assigned": "yes" if event.assignee else "",
    }


def _sla_warning(event: events.SlaWarning, tenant_id: str, directory: Directory) -> list[Notice]:
    holder = _holder(event, tenant_id, directory)
    if holder is None:
        return []
    left = math.ceil((event.deadline - event.warned_at).total_seconds() / 60)
    values = {**_sla_values(event), "minutes_left": str(max(0, left))}
    person, role = holder
    return [Notice(event.ticket_id, person, SLA_WARNING, values, role)]


def _sla_breached(event: events.SlaBreached, tenant_id: str, directory: Directory) -> list[Notice]:
    """The holder (kept or new), the previous holder when it changed hands, the holder's
    manager; at the management level also the managers the event names (else the tenant's
    configured ones). Each person is told once, by name, not only a team's inbox.
    """
    kept = event.assignee is not None and event.assignee == event.previous_assignee
    values = {
        **_sla_values(event),
        "level": event.level.value,
        "previous_priority": event.previous_priority.value,
        "previous_assignee": "" if kept else event.previous_assignee or "",
        "kept": "yes" if kept else "",
        "holder": event.assignee or event.queue or "",
    }
    notices = []
    if holder := _holder(event, tenant_id, directory):
        person, role = holder
        notices.append(Notice(event.ticket_id, person, SLA_BREACHED, values, role))
    if event.previous_assignee and not kept:
        previous = directory.agent(event.previous_assignee)
        notices.append(Notice(event.ticket_id, previous, SLA_HANDED_OVER, values, Role.AGENT))
    managers: list[tuple[Role, Traveller | None]] = []
    if event.manager:
        managers.append((Role.MANAGER, directory.manager(tenant_id, event.manager)))
    if event.level is EscalationLevel.MANAGEMENT:
        configured = directory.staff(tenant_id)
        for role, named, fallback in (
            (Role.ACCOUNT_MANAGER, event.account_manager, configured.account_manager),
            (Role.SUPPORT_MANAGER, event.support_manager, configured.support_manager),
        ):
            managers.append((role, directory.manager(tenant_id, named) if named else fallback))
    for role, manager in managers:
        if manager is not None and all(n.recipient.id != manager.id for n in notices):
            notices.append(
                Notice(event.ticket_id, manager, SLA_BREACHED_FOR_MANAGEMENT, values, role)
            )
    return notices


# --- channels and addresses -------------------------------------------------


_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def valid_email(address: str) -> bool:
    return bool(_EMAIL.match(address))


def address_for(person: Traveller, channel: ReplyChannel, region: str | None = None) -> str | None:
    """The person's address on a channel, or None if we cannot reach them there. A phone
    number is E.164, read in ``region`` when it has no country code (``phones.e164``)."""
    match channel:
        case ReplyChannel.EMAIL:
            return person.email
        case ReplyChannel.SMS:
            return e164(person.phone, person.region or region)
        case ReplyChannel.WECHAT | ReplyChannel.WECOM | ReplyChannel.DINGTALK:
            return person.im_user_id
    return person.id  # the inbox and web chat know people by their id


class Hop(BaseModel):
    """One step of a fallback chain: a channel and the person's address on it."""

    model_config = ConfigDict(frozen=True)

    channel: ReplyChannel
    address: str


@dataclass(frozen=True)
class RoutePlan:
    hops: list[Hop]
    skipped: list[SkippedChannel]
    """Wanted channels that could not be used, and why: kept in the delivery history."""


def plan_route(
    person: Traveller,
    origin: Channel | None,
    available: frozenset[ReplyChannel],
    region: str | None = None,
) -> RoutePlan:
    """The fallback chain: their preference and fallbacks (else the contact's channel), then
    the in-app inbox; only channels that are configured and where we have an address. The
    others are recorded as skipped, never dropped without a trace.
    """
    if person.preferred_channel or person.fallback_channels:
        wanted = [c for c in (person.preferred_channel, *person.fallback_channels) if c]
    else:
        wanted = [REPLY_CHANNEL_OF[origin]] if origin else []
    hops: list[Hop] = []
    skipped: list[SkippedChannel] = []
    for channel in (*wanted, IN_APP):
        if any(hop.channel is channel for hop in hops):
            continue
        address = address_for(person, channel, region)
        why = _unusable(person, channel, available, address)
        if why is None and address:
            hops.append(Hop(channel=channel, address=address))
        elif why is not None and all(s.channel != channel for s in skipped):
            skipped.append(SkippedChannel(channel=channel, reason=why))
    return RoutePlan(hops, skipped)


def _unusable(
    person: Traveller,
    channel: ReplyChannel,
    available: frozenset[ReplyChannel],
    address: str | None,
) -> str | None:
    if channel is not IN_APP and channel not in available:
        what = "SMS provider" if channel is ReplyChannel.SMS else f"{channel.value} gateway"
        return f"no {what} configured"
    if address:
        return None
    if channel is ReplyChannel.SMS and person.phone:
        return "invalid phone number"
    return "no address"


# --- retries, rate limits, signatures --------------------------------------


class Outcome(StrEnum):
    DELIVERED = "delivered"
    TEMPORARY = "temporary"
    PERMANENT = "permanent"


TEMPORARY_HTTP = frozenset({408, 425, 429})


def http_outcome(status: int) -> Outcome:
    """2xx delivered; 5xx, 408, 425 and 429 worth retrying; any other answer is final."""
    if 200 <= status < 300:
        return Outcome.DELIVERED
    if status >= 500 or status in TEMPORARY_HTTP:
        return Outcome.TEMPORARY
    return Outcome.PERMANENT


def smtp_outcome(code: int) -> Outcome:
    """SMTP 4xx are transient by RFC 5321; 5xx (unknown mailbox, refused) are final."""
    return Outcome.TEMPORARY if 400 <= code < 500 else Outcome.PERMANENT


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off with equal jitter: the n-th retry waits between half and all of
    ``min(cap, base · 2ⁿ⁻¹)``, so retries of many deliveries spread out but never bunch at 0.
    """

    max_attempts: int = 5
    base: timedelta = timedelta(seconds=3)
    cap: timedelta = timedelta(minutes=5)

    def delay(self, attempt: int, jitter: float) -> timedelta:
        """Wait after the ``attempt``-th failed attempt; ``jitter`` is uniform in [0, 1)."""
        ceiling: timedelta = min(self.cap, self.base * 2 ** (attempt - 1))
        return ceiling * (0.5 + jitter / 2)


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` messages per recipient and channel in any sliding ``window``."""

    limit: int = 3
    window: timedelta = timedelta(minutes=5)

    def next_slot(self, sent: Sequence[datetime], now: datetime) -> datetime:
        """When the next message may go: ``now``, or when enough recent ones leave the window."""
        recent = sorted(t for t in sent if t > now - self.window)
        if len(recent) < self.limit:
            return now
        return recent[len(recent) - self.limit] + self.window


# --- the delivery aggregate -------------------------------------------------


def delivery_id(source_message_id: str, recipient: str, channel: str) -> str:
    """One delivery per (event, recipient, channel): a redelivered event maps to the same id."""
    key = f"{source_message_id}\x1f{recipient}\x1f{channel}".encode()
    return "N-" + hashlib.sha256(key).hexdigest()[:20]


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its first attempt, a retry, or a rate-limit slot
    SENDING = "sending"  # an attempt is in flight; its lease ends at ``due_ms``
    DELIVERED = "delivered"
    FAILED = "failed"  # every attempt on this channel failed; the next channel takes over
    DIGESTED = "digested"  # went out inside another delivery's digest


class Attempt(BaseModel):
    number: int
    started_at: datetime
    finished_at: datetime | None = None
    outcome: Outcome | None = None
    error: str | None = None


class DigestItem(BaseModel):
    """A notice folded into this delivery's message: announced delivered with it."""

    id: str
    ticket_id: str | None
    template: str
    source_message_id: str


class Delivery(Aggregate):
    ticket_id: str | None
    recipient: str
    role: Role = Role.TRAVELLER
    channel: ReplyChannel
    address: str = ""
    route: list[Hop] = Field(default_factory=list, description="Channels left to fall back to.")
    skipped: list[SkippedChannel] = Field(
        default_factory=list, description="Wanted channels passed over before this one, and why."
    )
    template: str
    language: str
    subject: str
    body: str
    link: str | None = None
    answers: str | None = Field(default=None, description="The traveller's Message-ID it answers.")
    attachments: list[events.Attachment] = Field(default_factory=list)
    status: DeliveryStatus
    attempts: int = 0
    history: list[Attempt] = Field(default_factory=list)
    source_message_id: str
    fallback_of: str | None = None
    digest: list[DigestItem] = Field(default_factory=list)
    digested_into: str | None = None
    error: str | None = None
    created_at: datetime
    due_ms: int | None = None
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    failed_at: datetime | None = None
    read_at: datetime | None = None

    @classmethod
    def create(
        cls,
        tenant_id: str,
        notice: Notice,
        rendered: Rendered,
        route: Sequence[Hop],
        *,
        source_message_id: str,
        now: datetime,
        skipped: Sequence[SkippedChannel] = (),
    ) -> Delivery:
        """A delivery on the first channel of the route; the inbox delivers by storing."""
        first, *rest = route
        delivery = cls(
            id=delivery_id(source_message_id, notice.recipient.id, first.channel),
            tenant_id=tenant_id,
            ticket_id=notice.ticket_id,
            recipient=notice.recipient.id,
            role=notice.role,
            channel=first.channel,
            address=first.address,
            route=rest,
            skipped=list(skipped),
            template=notice.template,
            language=rendered.language,
            subject=rendered.subject,
            body=rendered.body,
            link=notice.values.get("link"),
            answers=notice.answers,
            attachments=list(notice.attachments),
            status=DeliveryStatus.PENDING,
            source_message_id=source_message_id,
            created_at=now,
            due_ms=epoch_ms(now),
        )
        delivery._deliver_if_inbox(now)
        return delivery

    def next_delivery(self, now: datetime) -> Delivery | None:
        """After this one failed: the same message on the next channel of the route."""
        if self.status is not DeliveryStatus.FAILED or not self.route:
            return None
        first, *rest = self.route
        excluded = {"version", "processed", "outbox", "history", "error", "skipped"}
        data = self.model_dump(exclude=excluded)
        data.update(
            id=delivery_id(self.source_message_id, self.recipient, first.channel),
            channel=first.channel,
            address=first.address,
            route=rest,
            status=DeliveryStatus.PENDING,
            attempts=0,
            fallback_of=self.id,
            created_at=now,
            due_ms=epoch_ms(now),
            failed_at=None,
        )
        delivery = Delivery.model_validate(data)
        delivery._deliver_if_inbox(now)
        return delivery

    def _deliver_if_inbox(self, now: datetime) -> None:
        if self.channel is IN_APP:
            self.claim(now, timedelta(0))
            self.succeed(now)

    def is_due(self, now: datetime) -> bool:
        return self.due_ms is not None and self.due_ms <= epoch_ms(now)

    def claim(self, now: datetime, lease: timedelta) -> None:
        """Start an attempt; if this process dies, the lease runs out and it is retried."""
        if self.status is not DeliveryStatus.PENDING:
            raise ValueError(f"cannot send a {self.status} delivery")
        self.attempts += 1
        self.history.append(Attempt(number=self.attempts, started_at=now))
        self.status = DeliveryStatus.SENDING
        self.due_ms = epoch_ms(now + lease)
        self.next_attempt_at = None

    def fold(self, members: Sequence[Delivery], rendered: Rendered) -> None:
        """Carry other notices to the same person in this delivery's (digest) message."""
        self.digest.extend(
            DigestItem(
                id=m.id,
                ticket_id=m.ticket_id,
                template=m.template,
                source_message_id=m.source_message_id,
            )
            for m in members
        )
        self.subject, self.body = rendered.subject, rendered.body

    def fold_into(self, leader_id: str) -> None:
        self.status = DeliveryStatus.DIGESTED
        self.digested_into = leader_id
        self.due_ms = None
        self.next_attempt_at = None

    def succeed(self, now: datetime) -> None:
        self._finish_attempt(now, Outcome.DELIVERED, None)
        self.status = DeliveryStatus.DELIVERED
        self.delivered_at = now
        self.due_ms = None
        delivered = [(self.id, self.ticket_id, self.template, self.source_message_id)]
        delivered += [(i.id, i.ticket_id, i.template, i.source_message_id) for i in self.digest]
        for notification_id, ticket_id, template, source in delivered:
            self.raise_event(
                events.NotificationDelivered(
                    notification_id=notification_id,
                    ticket_id=ticket_id,
                    recipient=self.recipient,
                    channel=self.channel,
                    template=template,
                    language=self.language,
                    source_message_id=source,
                    delivered_at=now,
                    skipped=self.skipped if notification_id == self.id else [],
                )
            )

    def attempt_failed(
        self, now: datetime, error: str, outcome: Outcome, policy: RetryPolicy, jitter: float
    ) -> None:
        """Schedule a retry for a temporary failure; give up on a permanent one or the last."""
        self._finish_attempt(now, outcome, error)
        if outcome is Outcome.TEMPORARY and self.attempts < policy.max_attempts:
            retry_at = now + policy.delay(self.attempts, jitter)
            self.status = DeliveryStatus.PENDING
            self.due_ms = epoch_ms(retry_at)
            self.next_attempt_at = retry_at
            return
        self.status = DeliveryStatus.FAILED
        self.failed_at = now
        self.error = error
        self.due_ms = None
        self.raise_event(
            events.NotificationFailed(
                notification_id=self.id,
                ticket_id=self.ticket_id,
                recipient=self.recipient,
                channel=self.channel,
                template=self.template,
                source_message_id=self.source_message_id,
                attempts=self.attempts,
                error=error,
                failed_at=now,
                skipped=self.skipped,
            )
        )

    def recover(self, now: datetime, policy: RetryPolicy, jitter: float) -> None:
        """An attempt whose lease ran out (its process died) counts as a temporary failure."""
        error = "interrupted: no outcome before the lease ran out"
        self.attempt_failed(now, error, Outcome.TEMPORARY, policy, jitter)

    def defer(self, until: datetime) -> None:
        """Hold for a rate-limit slot; not an attempt."""
        self.due_ms = epoch_ms(until)
        self.next_attempt_at = until

    def mark_read(self, now: datetime) -> None:
        if self.read_at is None:
            self.read_at = now

    def _finish_attempt(self, now: datetime, outcome: Outcome, error: str | None) -> None:
        current = self.history[-1]
        current.finished_at, current.outcome, current.error = now, outcome, error


@dataclass(frozen=True)
class Plan:
    """What to do now for one recipient on one channel."""

    repairs: list[tuple[Delivery, str]] = field(default_factory=list)
    alone: list[Delivery] = field(default_factory=list)
    leader: Delivery | None = None
    members: list[Delivery] = field(default_factory=list)
    deferred: list[Delivery] = field(default_factory=list)
    until: datetime | None = None


def plan(group: Sequence[Delivery], now: datetime, limit: RateLimit) -> Plan:
    """Retries (and digests handed over from a failed channel) go alone; first attempts share
    the rate limit, and all that are due when a slot opens go out together as one message:
    a storm of updates becomes one digest.

    ``group`` is the recent deliveries of one recipient on one channel, in any state:
    notices already folded into a leader (before a crash) are only marked as such.
    """
    folded = {item.id: d.id for d in group for item in d.digest}
    due = [d for d in group if d.status is DeliveryStatus.PENDING and d.is_due(now)]
    repairs = [(d, folded[d.id]) for d in due if d.id in folded]
    due = [d for d in due if d.id not in folded]
    alone = [d for d in due if d.attempts or d.digest]
    fresh = sorted(
        (d for d in due if not (d.attempts or d.digest)), key=lambda d: (d.created_at, d.id)
    )
    if not fresh:
        return Plan(repairs, alone)
    sent = [d.delivered_at or now for d in group if d.status is DeliveryStatus.DELIVERED]
    sent += [now for d in group if d.status is DeliveryStatus.SENDING]
    slot = limit.next_slot(sent, now)
    if slot > now:
        return Plan(repairs, alone, deferred=fresh, until=slot)
    return Plan(repairs, alone, leader=fresh[0], members=fresh[1:])


def digest_values(leader: Delivery, members: Sequence[Delivery]) -> dict[str, Any]:
    """What the digest template shows: every folded notice, oldest first."""
    entries = [{"subject": d.subject, "body": d.body} for d in (leader, *members)]
    return {"count": len(entries), "items": entries}
