"""A partner midway through a rotation in ``TRIPCARE_SUPPLIER_PARTNERS`` (two secrets) keeps
both when the operator moves it to the admin API.

The first registration carried only the environment's first secret over (``env-1``): a
partner still signing with the old one, as the overlap lets it, was refused (401) from the
moment the operator created its first secret over the API. Now every environment secret is
carried over (``env-1``, ``env-2``); with two active, a third is the usual 409, and the
operator revokes the one the partner no longer signs with (``DELETE …/env-2``, which
registers the partner with the other) before adding one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from runtime.webhook_signature import HEADER
from services.routing.api import partners, suppliers
from services.routing.care.domain.partners import PartnerRegistration
from services.routing.care.domain.suppliers import SupplierSettings
from tests.factories import T0
from tests.unit.test_supplier_care import OLD_SECRET, SECRET, Care, body, proactive_care, signed
from tests.unit.test_supplier_edges import admin_of, care_desk

OPERATOR = admin_of("tripcare")
SECRETS = "/v1/partners/ca/secrets"


class Registered(Care):
    """Care with ``ca`` rotating in the environment and partners registered over the API."""

    def __init__(self) -> None:
        super().__init__()
        settings = SupplierSettings.model_validate(
            {"partners": {"ca": {"secrets": [SECRET, OLD_SECRET]}}}
        )
        self.care = proactive_care(self.db, self.outbox, self.clock, settings, partners=True)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with care_desk(Registered(), partners.router, suppliers.router) as client:
        yield client


async def accepts(http: httpx.AsyncClient, secret: str, event_id: str) -> int:
    raw = body(event_id=event_id)
    headers = {HEADER: signed(raw, secret), "content-type": "application/json"}
    return (await http.post("/v1/suppliers/ca/events", content=raw, headers=headers)).status_code


def test_a_first_registration_carries_every_environment_secret() -> None:
    registration = PartnerRegistration.new("ca", [SECRET, OLD_SECRET], T0)

    assert registration.active == [SECRET, OLD_SECRET]
    assert [s.id for s in registration.secrets] == ["env-1", "env-2"]


async def test_a_partner_midway_through_a_rotation_is_not_cut_off(
    http: httpx.AsyncClient,
) -> None:
    third = await http.post(SECRETS, headers=OPERATOR)

    assert third.status_code == 409, third.text
    assert "env-2" in third.json()["detail"]
    assert await accepts(http, OLD_SECRET, "ev-old") == 202, "the old secret still signs"
    assert await accepts(http, SECRET, "ev-new") == 202

    revoked = await http.delete(f"{SECRETS}/env-2", headers=OPERATOR)
    assert revoked.status_code == 204, revoked.text
    assert await accepts(http, OLD_SECRET, "ev-old-2") == 401
    assert await accepts(http, SECRET, "ev-new-2") == 202

    made = await http.post(SECRETS, headers=OPERATOR)
    assert made.status_code == 201, made.text
    listed = (await http.get("/v1/partners/ca", headers=OPERATOR)).json()
    assert [s["id"] for s in listed["secrets"]] == ["env-1", made.json()["id"]]
    assert await accepts(http, made.json()["secret"], "ev-fresh") == 202
    assert await accepts(http, SECRET, "ev-new-3") == 202
