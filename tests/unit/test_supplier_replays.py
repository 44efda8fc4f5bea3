"""A partner's signed request taken once is a 409 replay however its header is rewritten.

The replay check remembered the raw ``X-TripCare-Signature`` header, while verification
reads it loosely (hex in any case, spaces, any order, extra or unknown parts): the same
signed body with the same timestamp, its MAC upper-cased or a junk ``v1=`` added, verified
again and was answered as a partner's re-send (200) instead of the documented 409. The
request is now remembered by what the signature covers: partner, timestamp and body.
"""

from __future__ import annotations

import pytest

from runtime.nonces import KEEP
from services.routing.care.ingress import Ingress, Refused
from services.routing.care.store import NONCES
from tests.unit.test_supplier_care import OLD_SECRET, Care, body, signed

SIGNED = signed(body())
STAMP, MAC = SIGNED.split(",")
REWRITTEN = [
    f"{STAMP},{MAC.upper().replace('V1=', 'v1=')}",
    f"{STAMP}, {MAC}",
    f"{MAC},{STAMP}",
    f"{SIGNED},v1={'0' * 64}",
    f"{SIGNED},v0=legacy",
]


@pytest.mark.parametrize("header", REWRITTEN)
async def test_the_same_signed_request_with_its_header_rewritten_is_a_replay(header: str) -> None:
    care = Care()
    outcome, _ = await care.care.receive_signed("ca", body(), SIGNED)
    assert outcome is Ingress.ACCEPTED
    with pytest.raises(Refused) as refused:
        await care.care.receive_signed("ca", body(), header)
    assert (refused.value.status, refused.value.detail) == (
        409,
        "replayed: this signature was already used",
    )
    assert len(care.db[NONCES].docs) == 1


async def test_a_re_send_signed_anew_is_still_a_duplicate_not_a_replay() -> None:
    care = Care()
    await care.care.receive_signed("ca", body(), SIGNED)
    at = int(STAMP.removeprefix("t="))
    for header in (signed(body(), at=at + 1), signed(body(), OLD_SECRET, at + 2)):
        outcome, _ = await care.care.receive_signed("ca", body(), header)
        assert outcome is Ingress.DUPLICATE
    assert KEEP.total_seconds() > 300  # remembered longer than the signature verifies
