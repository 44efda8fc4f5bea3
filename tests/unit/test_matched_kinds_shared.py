"""Which references a disruption is matched by is one table, ``contracts.references.
MATCHED_KINDS``: routing clusters and finds bookings by it, and intake names the disrupted
flight or train on a proactive ticket by it. Intake used to keep its own reversed copy, which
a kind added to the shared table would not have reached."""

from __future__ import annotations

import pytest

from contracts.events import BookingReference, ReferenceKind
from contracts.references import MATCHED_KINDS
from services.intake.domain import Ticket
from tests.factories import T0
from tests.unit.test_proactive_tickets import request


def opened(resource: str, reference: str) -> Ticket:
    disruption = request().model_copy(update={"resource": resource, "reference": reference})
    return Ticket.open_proactive("acme", disruption, tracking_url="http://i/t", now=T0)


@pytest.mark.parametrize(("kind", "resource"), list(MATCHED_KINDS.items()))
def test_each_matched_kind_is_named_on_the_proactive_ticket(
    kind: ReferenceKind, resource: str
) -> None:
    ticket = opened(resource, "G1234")

    assert ticket.references[0] == BookingReference(kind=kind, value="G1234")


def test_a_kind_the_shared_table_matches_is_the_one_intake_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(MATCHED_KINDS, ReferenceKind.HOTEL_CONFIRMATION, "hotel")

    ticket = opened("hotel", "HX12345")

    assert ticket.references == [
        BookingReference(kind=ReferenceKind.HOTEL_CONFIRMATION, value="HX12345"),
        BookingReference(kind=ReferenceKind.ORDER, value="bk-7"),
    ]


def test_a_resource_no_table_matches_names_only_the_booking() -> None:
    ticket = opened("hotel", "HX12345")

    assert ticket.references == [BookingReference(kind=ReferenceKind.ORDER, value="bk-7")]
