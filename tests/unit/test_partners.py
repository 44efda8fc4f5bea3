"""Supplier partners' secrets (issue #18): at most two active, rotation, the environment as
the bootstrap of a partner nobody registered, and secrets never shown after creation."""

from __future__ import annotations

import pytest

from runtime.clock import FakeClock
from runtime.store import Repository
from services.routing.care.domain.partners import (
    PartnerRegistration,
    TooManySecrets,
    UnknownSecret,
    fingerprint,
)
from services.routing.care.domain.suppliers import SupplierSettings
from services.routing.care.partners import PartnerSecrets
from tests.factories import T0
from tests.fakes import FakeDatabase, RecordingOutbox

ENV = SupplierSettings.model_validate({"partners": {"ca": {"secrets": ["env-new", "env-old"]}}})


def test_a_first_registration_keeps_the_environments_one_secret_and_takes_one_more() -> None:
    registration = PartnerRegistration.new("ca", ["env-new"], T0)
    registration.add_secret("s-1", "fresh", "ops", T0)

    assert registration.active == ["env-new", "fresh"]
    with pytest.raises(TooManySecrets):
        registration.add_secret("s-2", "third", "ops", T0)
    registration.revoke("env-1", T0)
    assert registration.active == ["fresh"]
    with pytest.raises(UnknownSecret):
        registration.revoke("env-1", T0)


def test_a_secret_is_shown_by_fingerprint_only() -> None:
    registration = PartnerRegistration.new("ca", [], T0)
    added = registration.add_secret("s-1", "fresh-secret", "ops", T0)
    assert added.fingerprint == fingerprint("fresh-secret") != "fresh-secret"
    assert "fresh-secret" not in repr(added)


async def test_the_store_is_authoritative_once_a_partner_is_registered() -> None:
    repo = Repository(
        FakeDatabase(),  # type: ignore[arg-type]
        "partners",
        PartnerRegistration,
        RecordingOutbox(),
        FakeClock(T0),
    )
    secrets = PartnerSecrets(repo, ENV)
    assert await secrets.active("ca") == ["env-new", "env-old"]
    assert await secrets.active("nobody") is None
    assert secrets.environment("ca") == ["env-new", "env-old"]
    assert secrets.environment("nobody") == []

    registration = PartnerRegistration.new("ca", secrets.environment("ca"), T0)
    registration.revoke("env-2", T0)
    registration.add_secret("s-1", "fresh", "ops", T0)
    await repo.add(registration)
    assert await secrets.active("ca") == ["env-new", "fresh"], "env-old revoked"

    registration.revoke("env-1", T0)
    registration.revoke("s-1", T0)
    await repo.save(registration)
    assert await secrets.active("ca") == [], "registered with no secret: refused"
