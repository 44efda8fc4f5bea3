"""Notify's bus entrypoints: one typed subscriber per event, each handing it to a use case.

The ``Notifier`` and the ``LagReporter`` come from the broker's context, which
``register`` sets for the bus it subscribes (``runtime.context.Provided``).
"""

from __future__ import annotations

from typing import Annotated

from contracts import events
from contracts.envelope import Envelope
from runtime.bus import PUBLISHED_HEADER, Bus, published_at
from runtime.context import Carried, Provided
from runtime.lag_reports import LagReporter
from services.notify.service import Notifier

NotifierDep = Annotated[Notifier, Provided("notifier")]
LagsDep = Annotated[LagReporter, Provided("acknowledgement_lags")]
PublishedDep = Annotated[object, Carried(PUBLISHED_HEADER)]


async def ticket_acknowledged(
    envelope: Envelope[events.TicketAcknowledged],
    notifier: NotifierDep,
    lags: LagsDep,
    published_ms: PublishedDep,
) -> None:
    """Taken up now: how long it waited is intake's admission signal (``runtime.lag_reports``)."""
    lags.taken_up(envelope.payload.acknowledged_at, published_at(published_ms))
    await notifier.notify(envelope, patient=False)


async def ticket_routed(envelope: Envelope[events.TicketRouted], notifier: NotifierDep) -> None:
    await notifier.notify(envelope)


async def ticket_bot_answered(
    envelope: Envelope[events.TicketBotAnswered], notifier: NotifierDep
) -> None:
    await notifier.notify(envelope)


async def ticket_replied(envelope: Envelope[events.TicketReplied], notifier: NotifierDep) -> None:
    await notifier.notify(envelope)


async def ticket_transferred(
    envelope: Envelope[events.TicketTransferred], notifier: NotifierDep
) -> None:
    await notifier.notify(envelope)


async def ticket_resolved(envelope: Envelope[events.TicketResolved], notifier: NotifierDep) -> None:
    await notifier.notify(envelope)


async def survey_sent(envelope: Envelope[events.SurveySent], notifier: NotifierDep) -> None:
    await notifier.notify(envelope)


async def survey_withdrawn(
    envelope: Envelope[events.SurveyWithdrawn], notifier: NotifierDep
) -> None:
    await notifier.survey_withdrawn(envelope)


async def appeal_filed(envelope: Envelope[events.AppealFiled], notifier: NotifierDep) -> None:
    await notifier.notify(envelope)


async def appeal_resolved(envelope: Envelope[events.AppealResolved], notifier: NotifierDep) -> None:
    await notifier.notify(envelope)


async def sla_warning(envelope: Envelope[events.SlaWarning], notifier: NotifierDep) -> None:
    await notifier.notify(envelope)


async def sla_breached(envelope: Envelope[events.SlaBreached], notifier: NotifierDep) -> None:
    await notifier.notify(envelope)


async def disruption_notice(
    envelope: Envelope[events.DisruptionNotice], notifier: NotifierDep
) -> None:
    await notifier.disruption_notice(envelope)


async def notification_failed(
    envelope: Envelope[events.NotificationFailed], notifier: NotifierDep
) -> None:
    await notifier.fall_back(envelope)


async def notification_bounced(
    envelope: Envelope[events.NotificationBounced], notifier: NotifierDep
) -> None:
    await notifier.bounced(envelope)


def register(bus: Bus, notifier: Notifier, lags: LagReporter) -> None:
    """Subscribe notify to every event it tells people of, to its own failures and to the
    bounces of its mail."""
    bus.broker.context.set_global("notifier", notifier)
    bus.broker.context.set_global("acknowledgement_lags", lags)
    bus.subscriber(events.TicketAcknowledged)(ticket_acknowledged)
    bus.subscriber(events.TicketRouted)(ticket_routed)
    bus.subscriber(events.TicketBotAnswered)(ticket_bot_answered)
    bus.subscriber(events.TicketReplied)(ticket_replied)
    bus.subscriber(events.TicketTransferred)(ticket_transferred)
    bus.subscriber(events.TicketResolved)(ticket_resolved)
    bus.subscriber(events.SurveySent)(survey_sent)
    bus.subscriber(events.SurveyWithdrawn)(survey_withdrawn)
    bus.subscriber(events.AppealFiled)(appeal_filed)
    bus.subscriber(events.AppealResolved)(appeal_resolved)
    bus.subscriber(events.SlaWarning)(sla_warning)
    bus.subscriber(events.SlaBreached)(sla_breached)
    bus.subscriber(events.DisruptionNotice)(disruption_notice)
    bus.subscriber(events.NotificationFailed)(notification_failed)
    bus.subscriber(events.NotificationBounced)(notification_bounced)
