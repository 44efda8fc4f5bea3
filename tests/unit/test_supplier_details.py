"""A partner's event details as partner systems send them: numbers and booleans.

``"delay_minutes": 90`` used to be a 422 (``string_type``), so a partner had to quote
every number. Numbers and booleans are now taken and kept as the documented text
(``90``, never ``90.0``; ``true``/``false``), after the signature is verified on the
raw bytes; an object or an array is still a 422 naming the key, and nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from contracts.events import SupplierStatusChanged
from runtime.webhook_signature import HEADER
from services.routing.api import suppliers
from services.routing.care.domain.changes import Snapshot, material_change
from tests.unit.test_supplier_care import Care, signed
from tests.unit.test_supplier_edges import care_desk


@pytest.fixture
async def desk() -> AsyncIterator[tuple[Care, httpx.AsyncClient]]:
    care = Care()
    async with care_desk(care, suppliers.router) as http:
        yield care, http


def event(details: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "event_id": "ca-ev-7",
            "kind": "flight_delayed",
            "reference": "CA1501",
            "service_date": "2026-11-26",
            "details": details,
        }
    ).encode()


async def post(http: httpx.AsyncClient, raw: bytes, signature: str | None = None) -> httpx.Response:
    return await http.post(
        "/v1/suppliers/ca/events",
        content=raw,
        headers={HEADER: signature or signed(raw), "content-type": "application/json"},
    )


async def test_numbers_and_booleans_are_taken_as_their_documented_text(
    desk: tuple[Care, httpx.AsyncClient],
) -> None:
    care, http = desk
    raw = event(
        {
            "delay_minutes": 90,
            "gate": "C12",
            "terminal": 2,
            "rounded": 90.0,
            "fraction": 1.5,
            "tiny": 1e-7,
            "large": 1e21,
            "zero": -0.0,
            "rebooked": True,
            "meal": False,
        }
    )

    answer = await post(http, raw)

    assert answer.status_code == 202, answer.text
    [status] = care.published("supplier.status")
    assert status.payload.details == {
        "delay_minutes": "90",
        "gate": "C12",
        "terminal": "2",
        "rounded": "90",
        "fraction": "1.5",
        "tiny": "0.0000001",
        "large": "1000000000000000000000",
        "zero": "0",
        "rebooked": "true",
        "meal": "false",
    }


@pytest.mark.parametrize(
    ("value", "what"), [({"minutes": 90}, "an object"), ([90], "an array"), (None, "null")]
)
async def test_a_nested_or_null_detail_is_a_422_naming_the_key_and_writes_nothing(
    desk: tuple[Care, httpx.AsyncClient], value: object, what: str
) -> None:
    care, http = desk

    answer = await post(http, event({"gate": "C12", "delay_minutes": value}))

    assert answer.status_code == 422, answer.text
    [item] = answer.json()["detail"]
    assert item["loc"] == ["body", "details", "delay_minutes"]
    assert f"a string, a number or a boolean, not {what}" in item["msg"]
    assert care.wrote_nothing()


async def test_the_signature_covers_the_raw_number_not_its_text(
    desk: tuple[Care, httpx.AsyncClient],
) -> None:
    care, http = desk
    sent = event({"delay_minutes": 90})

    quoted = await post(http, event({"delay_minutes": "90"}), signed(sent))

    assert quoted.status_code == 401
    assert care.outbox.messages == []


def test_a_bus_partner_may_send_numbers_too() -> None:
    status = SupplierStatusChanged.model_validate(
        {
            "partner": "ca",
            "kind": "flight_delayed",
            "reference": "CA1501",
            "service_date": "2026-11-26",
            "details": {"delay_minutes": 120, "diverted": True},
            "reported_at": "2026-11-25T02:00:00Z",
        }
    )

    assert status.details == {"delay_minutes": "120", "diverted": "true"}


def test_a_numeric_delay_is_a_material_change_like_a_quoted_one() -> None:
    before = Snapshot(kind="flight_delayed", details={"delay_minutes": "60"})
    status = SupplierStatusChanged.model_validate(
        {
            "partner": "ca",
            "kind": "flight_delayed",
            "reference": "CA1501",
            "service_date": "2026-11-26",
            "details": {"delay_minutes": 120.0},
            "reported_at": "2026-11-25T02:00:00Z",
        }
    )

    after = Snapshot(kind="flight_delayed", details=status.details)

    assert material_change(before, after) == "delay 60 → 120 min"
