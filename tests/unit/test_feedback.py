"""Surveys and the metrics computed from per-ticket facts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts import events
from services.feedback.domain import (
    SURVEY_TTL,
    Survey,
    SurveyClosed,
    TicketFacts,
    compute_metrics,
    survey_id_for,
)
from tests.factories import T0, TRAVELLER


def resolved(count: int = 1, minutes: int = 10, first_response: int = 2) -> events.TicketResolved:
    return events.TicketResolved(
        ticket_id="TC-1",
        channel=events.Channel.EMAIL,
        traveller=TRAVELLER,
        resolution_code="answered",
        message="done",
        resolved_by="agent-7",
        opened_at=T0,
        first_response_at=T0 + timedelta(minutes=first_response),
        resolved_at=T0 + timedelta(minutes=minutes),
        resolution_count=count,
    )


def facts(
    ticket: str, *, frt: int | None, ttr: int | None, csat: int | None = None, reopens: int = 0
) -> TicketFacts:
    return TicketFacts(
        id=ticket,
        tenant_id="acme",
        opened_at=T0,
        first_response_at=T0 + timedelta(seconds=frt) if frt is not None else None,
        resolved_at=T0 + timedelta(seconds=ttr) if ttr is not None else None,
        csat=csat,
        reopens=reopens,
    )


def test_each_resolution_gets_its_own_survey() -> None:
    assert survey_id_for("TC-1", 1) != survey_id_for("TC-1", 2)


def test_a_survey_takes_one_answer_within_its_lifetime() -> None:
    survey = Survey.send("acme", resolved(), url="https://s/x", now=T0)
    assert isinstance(survey.take_events()[0], events.SurveySent)

    survey.answer(csat=4, comment="ok", now=T0 + timedelta(hours=1))
    (received,) = survey.take_events()
    assert isinstance(received, events.FeedbackReceived)
    assert received.csat == 4
    with pytest.raises(SurveyClosed, match="already"):
        survey.answer(csat=5, comment=None, now=T0 + timedelta(hours=2))


def test_an_expired_survey_refuses_answers() -> None:
    survey = Survey.send("acme", resolved(), url="https://s/x", now=T0)
    with pytest.raises(SurveyClosed, match="expired"):
        survey.answer(csat=5, comment=None, now=T0 + SURVEY_TTL + timedelta(seconds=1))


def test_facts_merge_events_in_any_order() -> None:
    fact = TicketFacts.blank("acme", "TC-1")
    fact.rated(events.FeedbackReceived(survey_id="s", ticket_id="TC-1", csat=2, received_at=T0))
    fact.resolved(resolved())
    fact.opened(
        events.TicketOpened(
            ticket_id="TC-1",
            channel=events.Channel.EMAIL,
            traveller=TRAVELLER,
            text="x",
            opened_at=T0,
        )
    )

    assert (fact.opened_at, fact.csat, fact.resolutions) == (T0, 2, 1)
    assert fact.first_response_at == T0 + timedelta(minutes=2)


def test_metrics_on_a_known_set_of_tickets() -> None:
    metrics = compute_metrics(
        [
            facts("a", frt=60, ttr=600, csat=5),
            facts("b", frt=120, ttr=1200, csat=2, reopens=1),
            facts("c", frt=30, ttr=None),
            facts("d", frt=None, ttr=None),
        ]
    )

    assert (metrics.tickets, metrics.resolved) == (4, 2)
    assert metrics.first_contact_resolution_rate == 0.5
    assert metrics.first_response_time_s.count == 3
    assert metrics.first_response_time_s.avg == 70.0
    assert metrics.first_response_time_s.p50 == 60.0
    assert metrics.first_response_time_s.p90 == 120.0
    assert metrics.resolution_time_s.avg == 900.0
    assert (metrics.csat.count, metrics.csat.avg, metrics.csat.satisfied_share) == (2, 3.5, 0.5)


def test_metrics_of_nothing_are_empty_not_zero() -> None:
    metrics = compute_metrics([])
    assert metrics.tickets == 0
    assert metrics.first_response_time_s.avg is None
    assert metrics.csat.avg is None
    assert metrics.first_contact_resolution_rate is None
