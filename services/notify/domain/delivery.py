"""The delivery aggregate: one message to one person on one channel, its attempts and outcome.

A delivery is created per (event, recipient, channel) — so a redelivered event
maps to the same document — and raises ``notification.delivered`` or
``notification.failed``; a failed one hands over to the next channel of its route. An
e-mail keeps the Message-ID it went out with: a bounce names it and fails the delivery.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from contracts import events
from contracts.events import ReplyChannel, SkippedChannel
from runtime.aggregate import Aggregate
from runtime.clock import epoch_ms
from services.notify.domain.notice import Notice, Rendered
from services.notify.domain.outcome import Outcome
from services.notify.domain.recipients import Role
from services.notify.domain.retry import RetryPolicy
from services.notify.domain.route import IN_APP, Hop

PROMISE = "due"
"""The value holding the answer time a notice promises; empty, its template goes without."""


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
    WITHDRAWN = "withdrawn"  # what it offers (a survey) was withdrawn before it went out
    OVERTAKEN = "overtaken"  # the assignment it tells was no longer current when due
    SUPERSEDED = "superseded"  # a newer revision (routing) of its ticket was told first


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
    values: dict[str, str] = Field(
        default_factory=dict,
        description="The template's values: a digest renders the notice again in its language.",
    )
    reader_language: str | None = Field(
        default=None,
        description="The recipient's own language (``Notice.reader_language``): a digest's. "
        "None on deliveries stored before it was kept.",
    )
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
    message_id: str | None = Field(
        default=None, description="The e-mail's Message-ID as sent: a bounce names it."
    )
    created_at: datetime
    due_ms: int | None = None
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    failed_at: datetime | None = None
    read_at: datetime | None = None
    survey_id: str | None = Field(default=None, description="The survey the message offers.")
    revision: int | None = Field(
        default=None,
        description="The disruption revision a disruption notice tells: once a newer one "
        "was told, it is neither sent, retried nor handed on (``supersede``).",
    )
    promised_at: datetime | None = Field(
        default=None,
        description="The answer time its text promises (a routing notice's first-response "
        "deadline): passed when it goes out, it goes without it (``drop_promise``).",
    )
    withdrawn_at: datetime | None = Field(
        default=None,
        description="When what it offers (a survey) was withdrawn: no longer actionable.",
    )
    held_at: datetime | None = Field(
        default=None, description="When its event named its recipient the ticket's holder."
    )

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
            values=dict(notice.values),
            reader_language=notice.reader_language,
            link=notice.values.get("link"),
            answers=notice.answers,
            attachments=list(notice.attachments),
            status=DeliveryStatus.PENDING,
            source_message_id=source_message_id,
            created_at=now,
            due_ms=epoch_ms(now),
            survey_id=notice.survey_id,
            revision=notice.revision,
            promised_at=notice.promised_at,
            held_at=notice.held_at,
        )
        delivery._deliver_if_inbox(now)
        return delivery

    @property
    def thread_ticket_id(self) -> str | None:
        """The one ticket its message is about: none for a digest spanning several (staff's,
        ``digest.joins``), which a channel must not thread to, or link to, its first ticket."""
        if any(item.ticket_id != self.ticket_id for item in self.digest):
            return None
        return self.ticket_id

    def next_delivery(self, now: datetime) -> Delivery | None:
        """After this one failed: the same message on the next channel of the route; none
        for a withdrawn offer."""
        if self.status is not DeliveryStatus.FAILED or not self.route or self._ends_withdrawn:
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
            delivered_at=None,
            message_id=None,
        )
        delivery = Delivery.model_validate(data)
        delivery._deliver_if_inbox(now)
        return delivery

    def _deliver_if_inbox(self, now: datetime) -> None:
        if self.channel is IN_APP:
            self.claim(now, timedelta(0))
            self.succeed(now)

    def in_flight(self, attempt: int) -> bool:
        """Whether attempt number ``attempt`` is still the one under way (no outcome yet)."""
        return self.status is DeliveryStatus.SENDING and self.attempts == attempt

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

    def promise_lapsed(self, now: datetime, *, own: bool = False) -> bool:
        """Whether its text promises an answer time that has passed. Not a digest already
        folded (its text is the digest's), unless ``own``: its own notice's, rendered again."""
        promised = self.promised_at is not None and self.promised_at <= now
        return promised and bool(self.values.get(PROMISE)) and (own or not self.digest)

    def drop_promise(self, render: Callable[[Delivery], Rendered]) -> None:
        """Go out without the passed time: ``due`` emptied (a digest rendering it again in
        another language leaves it out too), and its own text rendered again from that."""
        self.values = {**self.values, PROMISE: ""}
        rendered = render(self)
        self.language = rendered.language
        self.subject, self.body = rendered.subject, rendered.body

    def fold(self, members: Sequence[Delivery], rendered: Rendered) -> None:
        """Carry other notices to the same person in this delivery's (digest) message: these
        ``members``, in ``rendered`` and its language (folding again before sending replaces
        the list)."""
        self.digest = list(
            DigestItem(
                id=m.id,
                ticket_id=m.ticket_id,
                template=m.template,
                source_message_id=m.source_message_id,
            )
            for m in members
        )
        self.language = rendered.language
        self.subject, self.body = rendered.subject, rendered.body

    def fold_into(self, leader_id: str) -> None:
        self.status = DeliveryStatus.DIGESTED
        self.digested_into = leader_id
        self.due_ms = None
        self.next_attempt_at = None

    def unfold(self, now: datetime) -> None:
        """Out of a digest that will not go out (``retried_digest``): its own first attempt."""
        self.status = DeliveryStatus.PENDING
        self.digested_into = None
        self.due_ms = epoch_ms(now)

    def succeed(self, now: datetime, message_id: str | None = None) -> None:
        """The channel took it (``message_id``: the e-mail's, as sent)."""
        self._finish_attempt(now, Outcome.DELIVERED, None)
        self.status = DeliveryStatus.DELIVERED
        self.delivered_at = now
        self.message_id = message_id
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
                    taken_up_at=self.created_at,
                )
            )

    def attempt_failed(
        self, now: datetime, error: str, outcome: Outcome, policy: RetryPolicy, jitter: float
    ) -> None:
        """Schedule a retry for a temporary failure; give up on a permanent one or the last."""
        self._finish_attempt(now, outcome, error)
        if self._ends_withdrawn:
            self._end_withdrawn()
            return
        if outcome is Outcome.TEMPORARY and self.attempts < policy.max_attempts:
            retry_at = now + policy.delay(self.attempts, jitter)
            self.status = DeliveryStatus.PENDING
            self.due_ms = epoch_ms(retry_at)
            self.next_attempt_at = retry_at
            return
        self._give_up(now, error)

    def bounce(self, now: datetime, error: str) -> None:
        """The mail came back undelivered after the server took it: failed as if its channel
        had given up, so the next channel takes over. Only a delivered one: a second bounce,
        or one for a delivery that has not gone out, changes nothing."""
        if self.status is DeliveryStatus.DELIVERED:
            self._give_up(now, error)

    def _give_up(self, now: datetime, error: str) -> None:
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

    def withdraw(self, now: datetime) -> None:
        """What it offers was withdrawn (``survey.withdrawn``); the first withdrawal's time
        stays. Not yet claimed (pending: first attempt, retry or rate-limit slot): it ends
        ``withdrawn``, never sent. Claimed (sending): that attempt is under way and its
        outcome stands; a failed one is neither retried nor handed to another channel.
        Already out (the inbox, a sent message): it stays, marked."""
        if self.withdrawn_at is None:
            self.withdrawn_at = now
        if self.status is DeliveryStatus.PENDING and self._ends_withdrawn:
            self._end_withdrawn()

    def overtake(self) -> None:
        """The assignment it tells ended before it went out (``domain.assignment``): never
        sent, on this channel or another."""
        self.status = DeliveryStatus.OVERTAKEN
        self.due_ms = None
        self.next_attempt_at = None

    def supersede(self) -> None:
        """A newer revision of its disruption was told, or a newer routing of its ticket
        after the time it promised (``domain.promises``): not yet out (pending: first attempt,
        retry, rate-limit slot), it ends ``superseded``, never sent; the inbox item stored
        a moment after the newer one is marked so (the app shows it as past). An attempt
        under way, a sent message, or a digest carrying others' notices stays as it is."""
        unsent = self.status is DeliveryStatus.PENDING
        in_inbox = self.channel is IN_APP and self.status is DeliveryStatus.DELIVERED
        if (unsent or in_inbox) and not self.digest:
            self.status = DeliveryStatus.SUPERSEDED
            self.due_ms = None
            self.next_attempt_at = None

    @property
    def _ends_withdrawn(self) -> bool:
        """A withdrawn offer's failed attempt ends it, unless others' notices ride in its
        digest: those carry on with it (retried, handed on) rather than being lost."""
        return self.withdrawn_at is not None and not self.digest

    def _end_withdrawn(self) -> None:
        self.status = DeliveryStatus.WITHDRAWN
        self.due_ms = None
        self.next_attempt_at = None

    def _finish_attempt(self, now: datetime, outcome: Outcome, error: str | None) -> None:
        current = self.history[-1]
        current.finished_at, current.outcome, current.error = now, outcome, error
