"""Who hears of an event, and with which template: one notice per person told.

The traveller (and their booker) hear of their ticket's steps, appeals and
disruptions here; staff hear of assignments, transfers and
escalations (``routed_notices``) and of SLA warnings and breaches (``sla_notices``).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta, timezone

from contracts import events
from contracts.envelope import Event
from contracts.events import AppealLevel
from contracts.local_time import local_date, local_span, local_text
from contracts.teams import EXPERT_QUEUE
from services.notify.domain.local_time import partner_time
from services.notify.domain.notice import Notice, language_of, traveller_name
from services.notify.domain.recipients import Directory, Role
from services.notify.domain.routed_notices import routed_notices, transferred_notices
from services.notify.domain.sla_notices import sla_breached_notices, sla_warning_notices
from services.notify.domain.templates import (
    ACKNOWLEDGED,
    APPEAL_FILED,
    APPEAL_RESOLVED,
    BOT_ANSWERED,
    DISRUPTION,
    REPLIED,
    RESOLVED,
    RESOLVED_FOR_BOOKER,
    SURVEY,
)

RESOLVED_AGAIN = "resolved"
"""The outcome ``appeal_resolved`` reads as "resolved again" (anything but closed or merged)."""
DECIDED_WITHOUT_RESOLUTION = frozenset({"closed", "merged"})
MINUTES = re.compile(r"[0-9]+(\.[0-9]+)?")
"""A delay a notice can tell in any language: a number of minutes in ASCII digits."""
"""Feedback's outcomes of an appeal decided by closing or merging its ticket."""


def notices_for(event: Event, tenant_id: str, directory: Directory) -> list[Notice]:
    """Everyone an event calls for telling, each with their own template."""
    match event:
        case events.TicketRouted():
            return routed_notices(event, tenant_id, directory)
        case events.TicketTransferred():
            return transferred_notices(event, directory)
        case events.SlaWarning():
            return sla_warning_notices(event, tenant_id, directory)
        case events.SlaBreached():
            return sla_breached_notices(event, tenant_id, directory)
    return _traveller_notices(event)


def _traveller_notices(event: Event) -> list[Notice]:
    """The traveller's (and their booker's) notices: their ticket, appeals and disruptions."""
    match event:
        case events.TicketAcknowledged():
            return _acknowledged(event)
        case events.TicketBotAnswered():
            return _bot_answered(event)
        case events.TicketReplied():
            return _replied(event)
        case events.TicketResolved():
            return _resolved(event)
        case events.SurveySent():
            values = {"ticket_id": event.ticket_id, "link": event.survey_url}
            return [
                Notice(event.ticket_id, event.traveller, SURVEY, values, survey_id=event.survey_id)
            ]
        case events.AppealFiled():
            return _appeal_filed(event)
        case events.AppealResolved():
            return _appeal_resolved(event)
        case events.DisruptionNotice():
            return _disruption(event)
    return []


def _acknowledged(event: events.TicketAcknowledged) -> list[Notice]:
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


def _bot_answered(event: events.TicketBotAnswered) -> list[Notice]:
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


def _replied(event: events.TicketReplied) -> list[Notice]:
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


def _resolved(event: events.TicketResolved) -> list[Notice]:
    """A resolution deciding an appeal tells the traveller the appeal's outcome: one notice
    (``appeal.resolved`` is then told by nobody), on the ticket's channel as any resolution."""
    values = {"ticket_id": event.ticket_id, "message": event.message}
    template, told = RESOLVED, values
    if event.appeal_level is not None:
        template = APPEAL_RESOLVED
        told = {**values, **_reviewers(event.appeal_level), "outcome": RESOLVED_AGAIN}
    notices = [Notice(event.ticket_id, event.traveller, template, told, origin=event.channel)]
    if booker := event.traveller.booker:
        for_booker = {**values, "traveller": traveller_name(event)}
        notices.append(
            Notice(event.ticket_id, booker, RESOLVED_FOR_BOOKER, for_booker, Role.BOOKER)
        )
    return notices


def _reviewers(level: AppealLevel) -> dict[str, str]:
    """Who reviews an appeal, for its notices: the expert desk is named as its team (the
    renderer's ``team``), as the routed notice names it, never "our expert team"."""
    return {"level": level.value, "queue": EXPERT_QUEUE}


def _appeal_filed(event: events.AppealFiled) -> list[Notice]:
    values = {
        "ticket_id": event.ticket_id,
        **_reviewers(event.level),
        "appeal_number": str(event.appeal_number),
    }
    return [Notice(event.ticket_id, event.traveller, APPEAL_FILED, values)]


def _appeal_resolved(event: events.AppealResolved) -> list[Notice]:
    """Only an appeal a close or merge decided: the resolution that decides one tells it
    (``_resolved``). An older event without ``resolution_count`` shows which by its outcome."""
    if event.resolution_count is not None or event.outcome not in DECIDED_WITHOUT_RESOLUTION:
        return []
    values = {
        "ticket_id": event.ticket_id,
        **_reviewers(event.level),
        "outcome": event.outcome,
        "message": event.message or "",
    }
    return [Notice(event.ticket_id, event.traveller, APPEAL_RESOLVED, values)]


def _disruption(event: events.DisruptionNotice) -> list[Notice]:
    """Times in the place's own offset and the traveller's language (``local_time``), the
    travel date (a hotel's span of nights) as that language writes dates."""
    language, offset = language_of(event.traveller), event.departs_utc_offset_min
    departs = event.departs_at.astimezone(timezone(timedelta(minutes=offset or 0)))
    values = {
        "ticket_id": event.ticket_id,
        "name": event.traveller.name or "",
        "kind": event.kind,
        "reference": event.reference,
        "service_date": local_span(event.service_date, event.last_service_date, language),
        "departs": local_text(departs, language),
        "delay": _minutes(event.details.get("delay_minutes", "")),
        "gate": event.details.get("gate", ""),
        "terminal": event.details.get("terminal", ""),
        "platform": event.details.get("platform", ""),
        "diverted_to": event.details.get("diverted_to", ""),
        "new_date": _day(event.details.get("new_date", ""), language),
        "new_departure": partner_time(event.details.get("new_departure", ""), language, offset),
        "next_step": event.next_step.value,
        "on_schedule": "yes" if event.on_schedule else "",
        "link": event.tracking_url,
    }
    told = Notice(event.ticket_id, event.traveller, DISRUPTION, values, origin=event.channel)
    return [replace(told, revision=event.revision)]


def _day(value: str, language: str) -> str:
    """A partner's ``new_date`` as the language writes dates (``28 Nov 2026``, 2026年11月28日);
    one that is not a date is shown as sent."""
    try:
        return local_date(date.fromisoformat(value.strip()), language)
    except ValueError:
        return value


def _minutes(delay: str) -> str:
    """A partner's delay as the notice tells it: a positive number of minutes (``90``,
    ``1.5``), else '' and the notice says "is delayed" without one. ``nan``, ``TBD`` or
    ``about 90`` read "delayed by nan minutes" or, in Chinese, "延误约about 90分钟"."""
    value = delay.strip()
    if not MINUTES.fullmatch(value) or not value.strip("0."):
        return ""
    return value
