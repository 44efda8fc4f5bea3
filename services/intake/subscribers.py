"""Intake's bus entrypoints: one typed subscriber per event, each handing it to a use case.

The use cases come from the broker's context (``runtime.context.Provided``), which
``register`` and ``register_incidents`` set for the bus they subscribe.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated

from contracts import events
from contracts.envelope import Envelope
from runtime.bus import Bus
from runtime.context import Provided
from services.intake.incidents import IncidentDesk
from services.intake.service import Intake, NotTaken
from services.intake.ticket_events import TicketEvents

IntakeDep = Annotated[Intake, Provided("intake")]
EventsDep = Annotated[TicketEvents, Provided("ticket_events")]
DeskDep = Annotated[IncidentDesk, Provided("incident_desk")]


async def contact_received(envelope: Envelope[events.ContactReceived], intake: IntakeDep) -> None:
    with suppress(NotTaken):  # a bounce or auto-reply naming no ticket: logged by intake
        await intake.receive_contact(envelope.tenant_id, envelope.payload, envelope)


async def channel_message(
    envelope: Envelope[events.ChannelMessageReceived], intake: IntakeDep
) -> None:
    with suppress(NotTaken):
        await intake.receive_channel_message(envelope)


async def ticket_routed(envelope: Envelope[events.TicketRouted], tickets: EventsDep) -> None:
    routed = envelope.payload
    await tickets.apply(envelope, routed.ticket_id, lambda t: t.apply_routing(routed))


async def ticket_bot_answered(
    envelope: Envelope[events.TicketBotAnswered], tickets: EventsDep
) -> None:
    answered = envelope.payload
    await tickets.apply(envelope, answered.ticket_id, lambda t: t.bot_answer(answered))


async def notification_failed(
    envelope: Envelope[events.NotificationFailed], tickets: EventsDep
) -> None:
    failed = envelope.payload
    if failed.ticket_id:
        await tickets.apply(
            envelope, failed.ticket_id, lambda t: t.record_notification_failure(failed)
        )


async def survey_sent(envelope: Envelope[events.SurveySent], tickets: EventsDep) -> None:
    sent = envelope.payload
    await tickets.apply(envelope, sent.ticket_id, lambda t: t.record_survey(sent))


async def survey_withdrawn(envelope: Envelope[events.SurveyWithdrawn], tickets: EventsDep) -> None:
    withdrawn = envelope.payload
    await tickets.apply(envelope, withdrawn.ticket_id, lambda t: t.record_survey(withdrawn))


async def feedback_received(
    envelope: Envelope[events.FeedbackReceived], tickets: EventsDep
) -> None:
    received = envelope.payload
    await tickets.apply(envelope, received.ticket_id, lambda t: t.record_feedback(received))


async def appeal_filed(envelope: Envelope[events.AppealFiled], tickets: EventsDep) -> None:
    await tickets.appeal_filed(envelope)


async def appeal_resolved(envelope: Envelope[events.AppealResolved], tickets: EventsDep) -> None:
    decided = envelope.payload
    await tickets.apply(envelope, decided.ticket_id, lambda t: t.record_appeal_decision(decided))


async def sla_warning(envelope: Envelope[events.SlaWarning], tickets: EventsDep) -> None:
    warning = envelope.payload
    await tickets.apply(envelope, warning.ticket_id, lambda t: t.record_sla_warning(warning))


async def sla_breached(envelope: Envelope[events.SlaBreached], tickets: EventsDep) -> None:
    breached = envelope.payload
    await tickets.apply(envelope, breached.ticket_id, lambda t: t.escalate_on_breach(breached))


async def proactive_contact(
    envelope: Envelope[events.ProactiveContactRequested], desk: DeskDep
) -> None:
    await desk.proactive_contact(envelope)


async def incident_linked(envelope: Envelope[events.IncidentLinked], desk: DeskDep) -> None:
    await desk.incident_linked(envelope)


async def incident_resolved(envelope: Envelope[events.IncidentResolved], desk: DeskDep) -> None:
    await desk.incident_resolved(envelope)


def register(bus: Bus, intake: Intake) -> None:
    """Subscribe intake to contacts and to what other services do to tickets.

    Not to delivery receipts: notify keeps them, and the ticket view reads its log
    (``services.intake.notify_reader``).
    """
    bus.broker.context.set_global("intake", intake)
    bus.broker.context.set_global("ticket_events", TicketEvents(intake))
    bus.subscriber(events.ContactReceived)(contact_received)
    bus.subscriber(events.ChannelMessageReceived)(channel_message)
    bus.subscriber(events.TicketRouted)(ticket_routed)
    bus.subscriber(events.TicketBotAnswered)(ticket_bot_answered)
    bus.subscriber(events.NotificationFailed)(notification_failed)
    bus.subscriber(events.SurveySent)(survey_sent)
    bus.subscriber(events.SurveyWithdrawn)(survey_withdrawn)
    bus.subscriber(events.FeedbackReceived)(feedback_received)
    bus.subscriber(events.AppealFiled)(appeal_filed)
    bus.subscriber(events.AppealResolved)(appeal_resolved)
    bus.subscriber(events.SlaWarning)(sla_warning)
    bus.subscriber(events.SlaBreached)(sla_breached)


def register_incidents(bus: Bus, desk: IncidentDesk) -> None:
    """Subscribe intake to routing's proactive care: proactive contacts, incident links and
    incidents closed resolving their tickets."""
    bus.broker.context.set_global("incident_desk", desk)
    bus.subscriber(events.ProactiveContactRequested)(proactive_contact)
    bus.subscriber(events.IncidentLinked)(incident_linked)
    bus.subscriber(events.IncidentResolved)(incident_resolved)
