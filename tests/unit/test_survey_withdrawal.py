"""No survey for a resolution that no longer stands: reopened, resolved again, or closed
unresolved, whatever order the events arrive in (they travel on separate queues).

The domain decides from the facts (pure); the handlers, fed the events in both orders,
send no survey when the undoing event came first and withdraw it when it came after.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from contracts.envelope import Envelope
from runtime.clock import FakeClock
from runtime.signing import Signer
from services.feedback import subscribers
from services.feedback.domain.facts import TicketFacts
from services.feedback.domain.surveys import Survey, SurveyClosed, survey_id_for
from tests.factories import T0
from tests.fakes import FakeDatabase, RecordingOutbox
from tests.feedback_story import Desk, in_memory_feedback, traveller

# ------------------------------------------------------------------ the rule (pure)


def facts_of(desk: Desk) -> TicketFacts:
    facts = TicketFacts.blank("acme", "TC-1")
    for envelope in desk.envelopes:
        facts.apply(envelope.payload)
    return facts


def story(*steps: str) -> Desk:
    """TC-1 opened at minute 0, then each step a minute apart: resolved (1, 2, …),
    reopened, closed (from the status the step before left)."""
    desk = Desk()
    desk.opened("TC-1", 0, traveller("Li", "zh-Hans"))
    resolutions, status = 0, "assigned"
    for minute, step in enumerate(steps, start=1):
        if step == "resolved":
            resolutions += 1
            desk.resolved("TC-1", minute, count=resolutions)
        elif step == "reopened":
            desk.reopened("TC-1", minute)
        else:
            desk.closed("TC-1", minute, from_status=status)
        status = step
    return desk


@pytest.mark.parametrize("reverse", [False, True])
def test_a_reopen_after_a_resolution_undoes_it_in_either_order(reverse: bool) -> None:
    desk = story("resolved", "reopened")
    if reverse:
        desk.envelopes.reverse()
    assert facts_of(desk).resolution_undone(1)


def test_a_resolution_stands_until_something_undoes_it() -> None:
    assert not facts_of(story("resolved")).resolution_undone(1)
    assert not facts_of(story("resolved", "closed")).resolution_undone(1), (
        "closing a resolved ticket keeps its resolution"
    )


def test_closing_a_reopened_ticket_undoes_the_resolution_even_before_the_reopen_arrives() -> None:
    desk = story("resolved", "reopened", "closed")
    del desk.envelopes[2]  # the reopen is still on its queue
    assert facts_of(desk).resolution_undone(1)


@pytest.mark.parametrize("reverse", [False, True])
def test_resolved_again_only_the_latest_resolution_stands(reverse: bool) -> None:
    desk = story("resolved", "reopened", "resolved")
    if reverse:
        desk.envelopes.reverse()
    facts = facts_of(desk)
    assert (facts.resolution_undone(1), facts.resolution_undone(2)) == (True, False)


def test_a_later_resolution_undoes_an_earlier_one_before_the_reopen_arrives() -> None:
    desk = story("resolved", "reopened", "resolved")
    del desk.envelopes[2]
    assert facts_of(desk).resolution_undone(1)


def test_a_withdrawn_survey_refuses_a_rating_and_says_why() -> None:
    desk = story("resolved")
    survey = Survey.send("acme", desk.envelopes[-1].payload, url="https://s", now=T0)
    survey.withdraw(T0 + timedelta(minutes=5), "reopened")
    assert survey.state(T0 + timedelta(minutes=6)) == "withdrawn"
    with pytest.raises(SurveyClosed, match="reopened") as refused:
        survey.answer(csat=5, comment=None, now=T0 + timedelta(minutes=6))
    assert refused.value.code == "withdrawn"
    survey.withdraw(T0 + timedelta(days=20), "reopened")
    assert survey.state(T0 + timedelta(days=20)) == "withdrawn", "not expired: withdrawn"


def test_an_answered_survey_keeps_its_rating_when_the_ticket_reopens() -> None:
    desk = story("resolved")
    survey = Survey.send("acme", desk.envelopes[-1].payload, url="https://s", now=T0)
    survey.answer(csat=2, comment="no", now=T0 + timedelta(minutes=2))
    survey.withdraw(T0 + timedelta(minutes=5), "reopened")
    assert (survey.state(T0 + timedelta(minutes=6)), survey.csat) == ("answered", 2)


# ------------------------------------------------------------------ the handlers


class Handlers:
    """Feedback's subscribers over an in-memory store, fed envelopes one at a time."""

    def __init__(self) -> None:
        db, self.outbox, self.clock = FakeDatabase(), RecordingOutbox(), FakeClock(T0)

        self.feedback = in_memory_feedback(
            db, self.outbox, self.clock, Signer("withdrawal-test-secret-0123456789")
        )

    async def deliver(self, *envelopes: Envelope[Any]) -> None:
        handlers = {event: handler for event, handler in subscribers.SUBSCRIBERS}
        for envelope in envelopes:
            self.clock.advance(timedelta(seconds=1))
            await handlers[type(envelope.payload)](envelope, self.feedback)

    async def states(self) -> dict[int, str]:
        now = self.clock.now()
        surveys = await self.feedback.surveys_of("acme", "TC-1")
        return {s.resolution_count: s.state(now) for s in surveys}

    @property
    def sent(self) -> int:
        return self.outbox.routing_keys.count("survey.sent")


async def test_a_survey_sent_before_the_reopen_arrived_is_withdrawn_and_refuses_ratings() -> None:
    desk, handlers = story("resolved", "reopened"), Handlers()
    opened, resolved, reopened = desk.envelopes

    await handlers.deliver(opened, resolved)
    assert (handlers.sent, await handlers.states()) == (1, {1: "sent"})
    await handlers.deliver(reopened)

    assert await handlers.states() == {1: "withdrawn"}
    survey = await handlers.feedback.surveys.get("acme", survey_id_for("TC-1", 1))
    assert survey is not None
    link = survey.url.rsplit("/", 1)[1]
    with pytest.raises(SurveyClosed) as refused:
        await handlers.feedback.answer(link, csat=5, nps=None, comment=None)
    assert refused.value.code == "withdrawn"
    assert "feedback.received" not in handlers.outbox.routing_keys


async def test_no_survey_when_the_reopen_is_handled_before_the_resolution() -> None:
    desk, handlers = story("resolved", "reopened"), Handlers()
    opened, resolved, reopened = desk.envelopes

    await handlers.deliver(opened, reopened, resolved)

    assert (handlers.sent, await handlers.states()) == (0, {})


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (0, 3, 2, 1), (0, 3, 1, 2), (0, 2, 3, 1)])
async def test_resolved_then_closed_unresolved_leaves_no_open_survey(
    order: tuple[int, ...],
) -> None:
    desk, handlers = story("resolved", "reopened", "closed"), Handlers()

    await handlers.deliver(*(desk.envelopes[i] for i in order))

    assert set((await handlers.states()).values()) <= {"withdrawn"}
    if order.index(3) < order.index(1):
        assert handlers.sent == 0, "closed unresolved before the resolution came: none sent"


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (0, 3, 1, 2), (0, 2, 3, 1), (0, 3, 2, 1)])
async def test_resolved_again_sends_exactly_one_open_survey_for_the_latest_resolution(
    order: tuple[int, ...],
) -> None:
    desk, handlers = story("resolved", "reopened", "resolved"), Handlers()

    await handlers.deliver(*(desk.envelopes[i] for i in order))

    states = await handlers.states()
    assert [n for n, state in states.items() if state == "sent"] == [2]
    assert states.get(1, "withdrawn") == "withdrawn"
    sent = [m.body for m in handlers.outbox.messages if m.routing_key == "survey.sent"]
    assert sum(survey_id_for("TC-1", 2) in body for body in sent) == 1


async def test_a_reopen_handled_while_the_survey_was_being_sent_still_withdraws_it() -> None:
    """The reopen's handler looked for surveys before this one was stored, and this one
    was decided on facts read before the reopen was merged: the look after storing it sees
    the reopen."""
    desk, handlers = story("resolved", "reopened"), Handlers()
    opened, resolved, reopened = desk.envelopes
    await handlers.deliver(opened)
    stale = await handlers.feedback.record(resolved, "TC-1")
    await handlers.feedback.record(reopened, "TC-1")

    await handlers.feedback.send_survey(resolved, stale)

    assert await handlers.states() == {1: "withdrawn"}
