"""A decided appeal tells the traveller once, as the appeal's outcome, on their channel.

The resolution that decides an appeal raised ``ticket.resolved`` (notify: "your request is
resolved") and feedback's ``appeal.resolved`` ("the outcome of your appeal"), the same
message twice. Intake now says on ``ticket.resolved`` which pending appeal it decides
(``appeal_id``, ``appeal_number``, ``appeal_level``), and notify tells the traveller the
appeal's outcome from it, on the ticket's channel as any resolution; feedback says which
resolution decided an appeal (``resolution_count``), and notify tells ``appeal.resolved``
only when none did: a close or a merge. The new resolution's survey stays
(docs/feedback.md: the appeal's outcome gets its own survey).
"""

from __future__ import annotations

from datetime import timedelta

from contracts import events
from contracts.events import AppealLevel, Traveller
from runtime.clock import FakeClock
from services.feedback.domain.appeals import AppealStatus
from services.notify.domain.delivery import Delivery
from services.notify.domain.notices import notices_for
from services.notify.domain.recipients import Directory, Role
from services.notify.render import Renderer
from services.notify.service import Notifier
from tests.factories import T0, envelope
from tests.fakes import RecordingOutbox
from tests.unit.test_feedback import appeal, filed, resolved, ticket
from tests.unit.test_handlers import repository

BOOKER = Traveller(id="booker-1", language="en")
MAILED = Traveller(id="email:li@acme.example", language="en", email="li@acme.example")


def decision(**appeal_fields: object) -> events.TicketResolved:
    """The resolution after an appeal, for a traveller who wrote by e-mail with no preference."""
    fields = {"appeal_id": "A-TC-1-1", "appeal_number": 1, "appeal_level": AppealLevel.EXPERT}
    update = {"traveller": MAILED.model_copy(update={"booker": BOOKER}), **fields, **appeal_fields}
    return resolved(count=2).model_copy(update={**update, "message": "Refund approved."})


def outcome(resolution_count: int | None, outcome: str = "answered") -> events.AppealResolved:
    return events.AppealResolved(
        appeal_id="A-TC-1-1",
        ticket_id="TC-1",
        traveller=MAILED,
        appeal_number=1,
        level=AppealLevel.EXPERT,
        outcome=outcome,
        message="Refund approved." if resolution_count else None,
        decided_by="expert-1",
        decided_at=T0,
        resolution_count=resolution_count,
    )


def told(notices: list[object]) -> list[tuple[Role, str, str]]:
    return [(n.role, n.recipient.id, n.template) for n in notices]  # type: ignore[attr-defined]


def test_the_resolution_deciding_an_appeal_tells_the_traveller_its_outcome() -> None:
    traveller, booker = notices_for(decision(), "acme", Directory())
    rendered = Renderer().render(traveller)

    assert told([traveller, booker]) == [
        (Role.TRAVELLER, MAILED.id, "appeal_resolved"),
        (Role.BOOKER, "booker-1", "ticket_resolved_booker"),
    ]
    assert traveller.origin is events.Channel.EMAIL
    assert "senior specialist team has reviewed your appeal" in rendered.body
    assert "resolved again" in rendered.body
    assert rendered.body.endswith("Refund approved.")


def test_an_appeal_decided_by_a_resolution_is_not_told_twice() -> None:
    assert notices_for(outcome(resolution_count=2), "acme", Directory()) == []


def test_an_appeal_decided_by_a_close_or_merge_is_told_from_feedbacks_event() -> None:
    for how in ("closed", "merged"):
        (notice,) = notices_for(outcome(None, how), "acme", Directory())
        assert (notice.template, notice.recipient.id) == ("appeal_resolved", MAILED.id)


def test_an_older_appeal_decision_by_a_resolution_is_left_to_the_resolution() -> None:
    """Before ``resolution_count``: a resolution's code as the outcome, never closed/merged."""
    assert notices_for(outcome(None, "answered"), "acme", Directory()) == []


async def test_the_traveller_gets_one_notice_by_mail_for_both_events() -> None:
    notifier = Notifier(
        repository(Delivery, RecordingOutbox()),
        Renderer(),
        FakeClock(T0),
        available=frozenset({events.ReplyChannel.EMAIL}),
    )
    sent = [
        *await notifier.notify(envelope(decision())),
        *await notifier.notify(envelope(outcome(resolution_count=2))),
    ]

    mine = [(d.template, d.channel) for d in sent if d.recipient == MAILED.id]
    assert mine == [("appeal_resolved", events.ReplyChannel.EMAIL)]


def test_intake_names_the_appeal_its_resolution_decides() -> None:
    appealed = ticket()
    appealed.resolve(code="rebooked", message="ok", agent="agent-7", now=T0)
    appealed.appeal(filed(), now=T0 + timedelta(hours=1))
    appealed.take_events()

    appealed.resolve(code="refunded", message="ok", agent="expert-1", now=T0 + timedelta(hours=2))
    (decided,) = [e for e in appealed.take_events() if isinstance(e, events.TicketResolved)]

    assert (decided.appeal_id, decided.appeal_number, decided.appeal_level) == (
        "A-x-1",
        1,
        AppealLevel.EXPERT,
    )


def test_a_resolution_with_no_appeal_pending_names_none() -> None:
    plain = ticket()
    plain.resolve(code="rebooked", message="ok", agent="agent-7", now=T0)
    (event,) = [e for e in plain.take_events() if isinstance(e, events.TicketResolved)]

    assert (event.appeal_id, event.appeal_number, event.appeal_level) == (None, None, None)


def test_feedback_says_which_resolution_decided_an_appeal_and_none_for_a_closure() -> None:
    by_resolution, by_closure = appeal(1, AppealStatus.FILED), appeal(2, AppealStatus.FILED)

    by_resolution.decide_by_resolution(resolved(count=2))
    by_closure.decide_by_closure("closed", "agent-7", T0)

    (first,) = by_resolution.take_events()
    (second,) = by_closure.take_events()
    assert (first.resolution_count, second.resolution_count) == (2, None)  # type: ignore[attr-defined]
