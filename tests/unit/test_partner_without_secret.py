"""A registered partner whose every secret was revoked is told so, not "signature does not
match": it could only have believed its own signing broken. Still a 401, with nothing
written, no secret shown, and the same answer however (or whether) the request was signed,
so it tells nothing a forger could use; a partner with a secret left is answered as before.
"""

from __future__ import annotations

import pytest

from runtime.clock import FakeClock
from services.routing.care.domain.partners import PartnerRegistration
from services.routing.care.domain.suppliers import SUPPLIER_SCOPE, SupplierSettings
from services.routing.care.ingress import Refused
from services.routing.care.service import ProactiveCare
from services.routing.care.store import NONCES, PARTNERS, SUPPLIER_REPORTS
from tests.factories import T0
from tests.fakes import FakeDatabase, RecordingOutbox
from tests.unit.test_supplier_care import OLD_SECRET, SECRET, body, proactive_care, signed

SETTINGS = SupplierSettings.model_validate({"partners": {"ca": {"secrets": [SECRET, OLD_SECRET]}}})


async def registered(*, revoke_all: bool) -> tuple[ProactiveCare, FakeDatabase]:
    db, outbox = FakeDatabase(), RecordingOutbox()
    care = proactive_care(db, outbox, FakeClock(T0), SETTINGS, partners=True)
    registration = PartnerRegistration.new("ca", [SECRET], T0)
    if revoke_all:
        registration.revoke("env-1", T0)
    await care.partners.registrations.add(registration)  # type: ignore[union-attr]
    return care, db


@pytest.mark.parametrize("signature", ["its old secret", "another secret", "unsigned"])
async def test_a_partner_with_no_active_secret_is_told_it_has_none(signature: str) -> None:
    care, db = await registered(revoke_all=True)
    raw = body()
    header = {
        "its old secret": signed(raw, SECRET),
        "another secret": signed(raw, "someone-elses-secret"),
        "unsigned": None,
    }[signature]

    with pytest.raises(Refused) as refused:
        await care.receive_signed("ca", raw, header)

    assert refused.value.status == 401
    detail = str(refused.value.detail)
    assert "no active signing secret" in detail
    assert "'ca'" in detail
    assert "does not match" not in detail
    assert SECRET not in detail
    assert OLD_SECRET not in detail
    assert not db[SUPPLIER_REPORTS].docs
    assert not db[NONCES].docs
    [stored] = db[PARTNERS].docs.values()
    assert (stored["tenant_id"], stored["secrets"]) == (SUPPLIER_SCOPE, [])


async def test_a_partner_with_a_secret_left_still_hears_a_mismatch() -> None:
    care, _ = await registered(revoke_all=False)
    raw = body()

    with pytest.raises(Refused) as refused:
        await care.receive_signed("ca", raw, signed(raw, "someone-elses-secret"))

    assert (refused.value.status, refused.value.detail) == (401, "signature does not match")
