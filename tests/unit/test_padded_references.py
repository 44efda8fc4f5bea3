"""A flight is one flight however its number is padded: a traveller who wrote ``NH0920`` got
a second, proactive ticket when routing's disruption of ``NH920`` arrived, and a follow-up
naming ``NH920`` did not thread with the ticket that named ``NH0920``. Intake's booking keys
and the disruption join now match references in the form routing's care does
(``contracts.references.canonical_reference``); the ticket shows what the traveller wrote."""

from __future__ import annotations

import pytest

from contracts.events import BookingReference, ReferenceKind
from services.intake.domain import Ticket
from services.intake.domain.proactive import joining_ticket
from tests.factories import contact, envelope
from tests.unit.test_disruption_joins import disruption, own_ticket, round_trips
from tests.unit.test_proactive_tickets import Desk


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
