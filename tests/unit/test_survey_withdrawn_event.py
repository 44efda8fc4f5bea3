"""A withdrawn survey is announced (``survey.withdrawn``, exactly once, with what undid its
resolution).

The rules are pure (``TicketFacts.undoing_of``, ``Survey.withdraw``);
the handlers, over an in-memory store, show the event leaves through the outbox once
however often the undoing event is delivered.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts import events
from contracts.envelope import Envelope
from services.feedback.domain.surveys import Survey
from tests.factories import T0
from tests.unit.test_survey_withdrawal import Handlers, facts_of, story

# ------------------------------------------------------------------ why it was withdrawn


@pytest.mark.parametrize(
    ("steps", "dropped", "reason"),
    [
        (("resolved", "reopened"), None, "reopened"),
        (("resolved", "reopened", "resolved"), None, "reopened"),
        (("resolved", "reopened", "resolved"), 2, "resolved_again"),
        (("resolved", "reopened", "closed"), 2, "closed_unresolved"),
        (("resolved", "reopened", "closed"), None, "reopened"),
    ],
)
def test_the_facts_say_what_undid_a_resolution(
    steps: tuple[str, ...], dropped: int | None, reason: str
) -> None:
    """``dropped``: the envelope still on its queue (the reopen, in these stories)."""
    desk = story(*steps)
    if dropped is not None:
        del desk.envelopes[dropped]
    assert facts_of(desk).undoing_of(1) == reason


def test_a_standing_resolution_has_nothing_undoing_it() -> None:
    assert facts_of(story("resolved")).undoing_of(1) is None
    assert facts_of(story("resolved", "closed")).undoing_of(1) is None


def sent_survey(*, ask_nps: bool = False) -> Survey:
    survey = Survey.send(
        "acme", story("resolved").envelopes[-1].payload, url="https://s", now=T0, ask_nps=ask_nps
    )
    survey.take_events()
    return survey


def test_withdrawing_an_open_survey_announces_it_once_with_the_reason() -> None:
    survey = sent_survey()

    survey.withdraw(T0 + timedelta(minutes=5), "reopened")
    survey.withdraw(T0 + timedelta(minutes=6), "closed_unresolved")

    (withdrawn,) = survey.take_events()
    assert isinstance(withdrawn, events.SurveyWithdrawn)
    assert (withdrawn.survey_id, withdrawn.ticket_id, withdrawn.reason) == (
        survey.id,
        "TC-1",
        "reopened",
    )
    assert (withdrawn.withdrawn_at, withdrawn.traveller) == (
        T0 + timedelta(minutes=5),
        survey.traveller,
    )


def test_an_answered_survey_is_not_withdrawn_and_announces_nothing() -> None:
    survey = sent_survey()
    survey.answer(csat=4, comment=None, now=T0 + timedelta(minutes=1))
    survey.take_events()

    survey.withdraw(T0 + timedelta(minutes=5), "reopened")

    assert survey.take_events() == []


# ------------------------------------------------------------------ the handlers


def withdrawals(handlers: Handlers) -> list[str]:
    return [m.body for m in handlers.outbox.messages if m.routing_key == "survey.withdrawn"]


async def test_a_reopen_publishes_survey_withdrawn_once_even_when_delivered_again() -> None:
    desk, handlers = story("resolved", "reopened"), Handlers()
    opened, resolved, reopened = desk.envelopes

    await handlers.deliver(opened, resolved, reopened, reopened)

    (body,) = withdrawals(handlers)
    withdrawn = Envelope[events.SurveyWithdrawn].model_validate_json(body).payload
    assert (withdrawn.survey_id, withdrawn.reason) == ("S-TC-1-1", "reopened")


async def test_closing_it_after_the_reopen_withdraws_nothing_more() -> None:
    desk, handlers = story("resolved", "reopened", "closed"), Handlers()

    await handlers.deliver(*desk.envelopes)

    assert len(withdrawals(handlers)) == 1


async def test_no_withdrawal_is_announced_for_a_survey_never_sent() -> None:
    desk, handlers = story("resolved", "reopened"), Handlers()
    opened, resolved, reopened = desk.envelopes

    await handlers.deliver(opened, reopened, resolved)

    assert withdrawals(handlers) == []
