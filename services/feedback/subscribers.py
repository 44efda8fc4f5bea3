"""Feedback's bus entrypoints: every ticket event feeds the facts; some also drive surveys and
appeal outcomes.

One typed subscriber per event, each thin: envelope in, a use case of
``Feedback`` (``service.py``) called. ``main.bootstrap`` puts that ``Feedback``
in the broker's context as ``feedback`` (``runtime.context.Provided``).
"""

from __future__ import annotations

from typing import Annotated

from contracts import events
from contracts.envelope import Envelope, Event
from runtime.bus import Bus, Handler
from runtime.context import Provided
from services.feedback.service import Feedback

FeedbackContext = Annotated[Feedback, Provided("feedback")]


async def ticket_opened(envelope: Envelope[events.TicketOpened], feedback: FeedbackContext) -> None:
    await feedback.record(envelope, envelope.payload.ticket_id)


async def ticket_followed_up(
    envelope: Envelope[events.TicketFollowedUp], feedback: FeedbackContext
) -> None:
    await feedback.record(envelope, envelope.payload.ticket_id)


async def ticket_replied(
    envelope: Envelope[events.TicketReplied], feedback: FeedbackContext
) -> None:
    await feedback.record(envelope, envelope.payload.ticket_id)


async def ticket_routed(envelope: Envelope[events.TicketRouted], feedback: FeedbackContext) -> None:
    await feedback.record(envelope, envelope.payload.ticket_id)


async def ticket_bot_answered(
    envelope: Envelope[events.TicketBotAnswered], feedback: FeedbackContext
) -> None:
    await feedback.record(envelope, envelope.payload.ticket_id)


async def ticket_transferred(
    envelope: Envelope[events.TicketTransferred], feedback: FeedbackContext
) -> None:
    await feedback.record(envelope, envelope.payload.ticket_id)


async def ticket_reopened(
    envelope: Envelope[events.TicketReopened], feedback: FeedbackContext
) -> None:
    facts = await feedback.record(envelope, envelope.payload.ticket_id)
    await feedback.withdraw_undone_surveys(facts)


async def feedback_received(
    envelope: Envelope[events.FeedbackReceived], feedback: FeedbackContext
) -> None:
    await feedback.record(envelope, envelope.payload.ticket_id)


async def appeal_filed(envelope: Envelope[events.AppealFiled], feedback: FeedbackContext) -> None:
    await feedback.record(envelope, envelope.payload.ticket_id)


async def appeal_resolved(
    envelope: Envelope[events.AppealResolved], feedback: FeedbackContext
) -> None:
    await feedback.record(envelope, envelope.payload.ticket_id)


async def ticket_resolved(
    envelope: Envelope[events.TicketResolved], feedback: FeedbackContext
) -> None:
    resolved = envelope.payload
    facts = await feedback.record(envelope, resolved.ticket_id)
    await feedback.send_survey(envelope, facts)
    await feedback.decide_appeals(
        envelope, resolved.ticket_id, lambda a: a.decide_by_resolution(resolved)
    )


async def status_changed(
    envelope: Envelope[events.TicketStatusChanged], feedback: FeedbackContext
) -> None:
    changed = envelope.payload
    facts = await feedback.record(envelope, changed.ticket_id)
    if changed.to_status == "closed":
        await feedback.withdraw_undone_surveys(facts)
        await feedback.decide_appeals(
            envelope,
            changed.ticket_id,
            lambda a: a.decide_by_closure("closed", changed.by, changed.changed_at),
        )


async def ticket_merged(envelope: Envelope[events.TicketMerged], feedback: FeedbackContext) -> None:
    merged = envelope.payload
    await feedback.record(envelope, merged.ticket_id)
    await feedback.decide_appeals(
        envelope,
        merged.ticket_id,
        lambda a: a.decide_by_closure("merged", merged.by, merged.merged_at),
    )


async def sla_stopped(
    envelope: Envelope[events.SlaClockStopped], feedback: FeedbackContext
) -> None:
    await feedback.record(envelope, envelope.payload.ticket_id)


async def sla_breached(envelope: Envelope[events.SlaBreached], feedback: FeedbackContext) -> None:
    await feedback.record(envelope, envelope.payload.ticket_id)


SUBSCRIBERS: tuple[tuple[type[Event], Handler], ...] = (
    (events.TicketOpened, ticket_opened),
    (events.TicketFollowedUp, ticket_followed_up),
    (events.TicketReplied, ticket_replied),
    (events.TicketRouted, ticket_routed),
    (events.TicketBotAnswered, ticket_bot_answered),
    (events.TicketTransferred, ticket_transferred),
    (events.TicketReopened, ticket_reopened),
    (events.FeedbackReceived, feedback_received),
    (events.AppealFiled, appeal_filed),
    (events.AppealResolved, appeal_resolved),
    (events.TicketResolved, ticket_resolved),
    (events.TicketStatusChanged, status_changed),
    (events.TicketMerged, ticket_merged),
    (events.SlaClockStopped, sla_stopped),
    (events.SlaBreached, sla_breached),
)
"""Each event and its subscriber, in the order they were always registered."""


def register(bus: Bus) -> None:
    """Subscribe each entrypoint to its event's queue on this service's bus."""
    for event, subscriber in SUBSCRIBERS:
        bus.subscriber(event)(subscriber)
