"""A flight is one flight however its number is padded: a traveller who wrote ``NH0920`` got
a second, proactive ticket when routing's disruption of ``NH920`` arrived, and a follow-up
naming ``NH920`` did not thread with the ticket that named ``NH0920``. Intake's booking keys
and the disruption join now match references in the form routing's care does
(``contracts.references.canonical_reference``); the ticket shows what the traveller wrote."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts.events import BookingReference, Channel, ReferenceKind
from services.intake.domain import Ticket
from services.intake.domain.proactive import joining_ticket
from services.intake.service import Outcome
from tests.factories import T0, contact, envelope
from tests.unit.test_disruption_joins import disruption, own_ticket, round_trips
from tests.unit.test_proactive_tickets import Desk
from tests.unit.test_threading import finds_from_now, intake


def flight(value: str) -> list[BookingReference]:
    return [BookingReference(kind=ReferenceKind.FLIGHT, value=value)]


@pytest.mark.parametrize(("written", "disrupted"), [("NH0920", "NH920"), ("NH920", "NH0920")])
def test_the_disruption_joins_the_ticket_whatever_the_padding(written: str, disrupted: str) -> None:
    ticket = own_ticket(text=f"{written}?", references=flight(written))

    assert joining_ticket([ticket], disruption(reference=disrupted)) is ticket


async def joined_with_round_trips(written: str) -> tuple[Desk, Ticket, Ticket, int]:
    """The traveller's ticket naming ``written``, the disruption of NH920 told, and the
    store round trips the telling took."""
    desk = Desk()
    own, _ = await desk.intake.receive_contact(
        "acme", contact(channel_message_id="mail-1", text=f"{written} is delayed, can I rebook?")
    )
    round_trips(desk)
    told = await desk.desk.proactive_contact(envelope(disruption(), message_id="m-1"))
    return desk, own, told, round_trips(desk)


async def test_a_disruption_of_nh920_joins_the_ticket_that_named_nh0920() -> None:
    desk, own, told, trips = await joined_with_round_trips("NH0920")

    assert told.id == own.id
    assert len(desk.db["tickets"].docs) == 1, "no second ticket for an agent to merge"
    assert trips == (await joined_with_round_trips("NH920"))[3], "no extra round trip (#20)"
    stored = Ticket.model_validate(desk.db["tickets"].docs[own.id])
    assert stored.incident_id == "INC-NH920"
    assert [r.value for r in stored.references] == ["NH0920"], "as the traveller wrote it"
    assert stored.reference_values == ["NH920"]


def test_only_a_flight_number_loses_its_zeros() -> None:
    """A train's are its own (``G0012`` is not ``G12``), and an order number is no flight."""
    ticket = own_ticket(references=[BookingReference(kind=ReferenceKind.TRAIN, value="G0012")])
    assert ticket.reference_values == ["G0012"]
    order = own_ticket(references=[BookingReference(kind=ReferenceKind.ORDER, value="AB001234")])
    assert order.reference_values == ["AB001234"]


@pytest.mark.parametrize(("first", "then"), [("NH0920", "NH920"), ("NH920", "NH0920")])
async def test_a_follow_up_naming_the_flight_padded_or_not_threads(first: str, then: str) -> None:
    desk, clock, db = intake()
    opened, _ = await desk.receive_contact("acme", contact(references=flight(first)))
    clock.advance(timedelta(hours=5))
    finds = finds_from_now(db)
    by_phone = contact(
        channel=Channel.PHONE,
        channel_message_id="call-1",
        conversation_key="call-1",
        references=flight(then),
        received_at=T0 + timedelta(hours=5),
    )

    joined, outcome = await desk.receive_contact("acme", by_phone)

    assert (outcome, joined.id) == (Outcome.FOLLOWED_UP, opened.id)
    assert len(finds()) == 2, "one read of the keys, one of the tickets (#20)"
    assert [r.value for r in joined.references] == [first, then], "each as written"
    assert joined.reference_values == ["NH920"]


async def test_a_ticket_keyed_before_is_rekeyed_by_a_follow_up_in_its_own_conversation() -> None:
    """No migration: a ticket stored with ``NH0920`` as written keeps that key until its
    conversation's next message re-keys it (docs/api.md, threading by booking)."""
    desk, clock, db = intake()
    opened, _ = await desk.receive_contact(
        "acme", contact(conversation_key="s1", references=flight("NH0920"))
    )
    db["tickets"].docs[opened.id]["reference_values"] = ["NH0920"]  # as stored before
    keys = db["ticket_keys"].docs
    new_key, old_key = (f"r|acme|{opened.traveller.id}|{r}" for r in ("NH920", "NH0920"))
    keys[old_key] = {**keys.pop(new_key), "_id": old_key}
    clock.advance(timedelta(minutes=5))

    _, outcome = await desk.receive_contact(
        "acme", contact(conversation_key="s1", channel_message_id="m2", text="Any news?")
    )

    assert outcome is Outcome.FOLLOWED_UP
    assert [m.split("|", 1)[1] for m in keys[new_key]["tickets"]] == [opened.id]
