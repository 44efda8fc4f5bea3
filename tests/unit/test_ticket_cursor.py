"""The ticket list's cursor: what ``encode_cursor`` wrote comes back; a forged one is refused.

A cursor is only base64 JSON, so a caller can send any number in it: one the store
cannot hold (beyond 64 bits) used to reach the driver and answer 500.
"""

from __future__ import annotations

import base64

import orjson
import pytest

from runtime.paging import InvalidCursor
from services.intake.domain import Ticket
from services.intake.store import decode_cursor, encode_cursor
from tests.factories import T0, contact


def forged(value: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode()


def test_a_cursor_comes_back_as_written() -> None:
    ticket = Ticket.open(
        "acme", contact(), contact_id="c1", generation=0, language="en", tracking_url="u", now=T0
    )
    assert decode_cursor(encode_cursor(ticket)) == (ticket.opened_us, ticket.id)


@pytest.mark.parametrize(
    "position",
    [
        [1e300, "TC-1"],  # int() of it is far beyond what the store holds
        [2**64 - 1, "TC-1"],
        [-1, "TC-1"],
        [1.5, "TC-1"],
        [True, "TC-1"],
        ["17", "TC-1"],
        [17, {"$gt": ""}],
        [17, 3],
        [17],
    ],
)
def test_a_forged_cursor_is_invalid(position: object) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(forged(position))
