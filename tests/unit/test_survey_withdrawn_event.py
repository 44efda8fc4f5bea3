"""A withdrawn survey is announced (``survey.withdrawn``, exactly once, with what undid its
resolution) and is no NPS ask for the traveller's cadence.

The rules are pure (``TicketFacts.undoing_of``, ``Survey.withdraw``, ``TravellerPulse``);
the handlers, over an in-memory store, show the event leaves through the outbox once
however often the undoing event is delivered.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts import events
from contracts.envelope import Envelope
from services.feedback.domain.surveys import Survey
from services.feedback.domain.traveller_pulse import TravellerPulse
from tests.factories import T0
from tests.feedback_story import Desk, traveller
from tests.unit.test_survey_withdrawal import Handlers, facts_of, story

CADENCE = timedelta(days=90)

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


# ------------------------------------------------------------------ the NPS cadence (pure)


def pulse() -> TravellerPulse:
    return TravellerPulse.blank("acme", "trav-Li")


def test_an_nps_ask_keeps_the_traveller_from_being_asked_again_within_the_cadence() -> None:
    asked = pulse()
    asked.asked("S-TC-1-1", T0)
    assert not asked.nps_due(T0 + timedelta(days=30), CADENCE)
    assert asked.nps_due(T0 + CADENCE, CADENCE)


@pytest.mark.parametrize("withdrawn_first", [False, True])
def test_a_withdrawn_survey_is_no_nps_ask_in_either_order(withdrawn_first: bool) -> None:
    asked = pulse()
    steps = [lambda: asked.asked("S-TC-1-1", T0), lambda: asked.withdrawn("S-TC-1-1", T0)]
    for step in reversed(steps) if withdrawn_first else steps:
        step()
    asked.asked("S-TC-1-1", T0)  # the ask recorded again (a redelivery): still withdrawn

    assert asked.nps_due(T0 + timedelta(days=1), CADENCE)


def test_the_cadence_counts_from_the_last_ask_that_stands() -> None:
    asked = pulse()
    asked.asked("S-TC-1-1", T0)
    asked.asked("S-TC-2-1", T0 + timedelta(days=95))
    asked.withdrawn("S-TC-2-1", T0 + timedelta(days=95))

    assert asked.nps_due(T0 + timedelta(days=96), CADENCE)
    assert not asked.nps_due(T0 + timedelta(days=96), timedelta(days=100)), "T0's ask stands"


def test_an_ask_recorded_before_asks_were_kept_per_survey_still_counts() -> None:
    legacy = TravellerPulse.model_validate(
        {"_id": "acme/trav-Li", "tenant_id": "acme", "traveller_id": "trav-Li",
         "last_nps_asked_at": T0}
    )  # fmt: skip
    assert not legacy.nps_due(T0 + timedelta(days=1), CADENCE)


def test_the_pulse_keeps_a_bounded_memory_of_asks() -> None:
    asked = pulse()
    for day in range(50):
        asked.asked(f"S-TC-{day}-1", T0 + timedelta(days=day))
    assert len(asked.asks) == TravellerPulse.ASKS_KEPT
    assert asked.last_asked_at == T0 + timedelta(days=49)


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


async def test_the_next_ticket_asks_for_nps_when_the_last_ask_was_withdrawn() -> None:
    """Li's first survey asked NPS and was withdrawn by the reopen: it was never a chance to
    answer, so Li's next ticket, days later, asks again."""
    handlers, first = Handlers(), story("resolved", "reopened")
    await handlers.deliver(*first.envelopes)
    handlers.clock.advance(timedelta(days=3))
    later = Desk(prefix="n")
    later.opened("TC-2", 0, traveller("Li", "zh-Hans"))
    later.resolved("TC-2", 1, count=1)

    await handlers.deliver(*later.envelopes)

    second = await handlers.feedback.surveys.get("acme", "S-TC-2-1")
    assert second is not None
    assert second.ask_nps


async def test_an_answered_nps_survey_still_counts_for_the_cadence() -> None:
    handlers, first = Handlers(), story("resolved")
    await handlers.deliver(*first.envelopes)
    survey = await handlers.feedback.surveys.get("acme", "S-TC-1-1")
    assert survey is not None
    assert survey.ask_nps
    later = Desk(prefix="n")
    later.opened("TC-2", 0, traveller("Li", "zh-Hans"))
    later.resolved("TC-2", 1, count=1)

    await handlers.deliver(*later.envelopes)

    second = await handlers.feedback.surveys.get("acme", "S-TC-2-1")
    assert second is not None
    assert not second.ask_nps
