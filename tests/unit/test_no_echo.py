"""Error answers name what is wrong, not what was sent: a 422 never quotes the input
(a time zone included), and a 404 names the id it did not find cut short."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from runtime.clock import FakeClock
from runtime.store import NotFound
from runtime.web import MAX_ECHO, install_error_handlers
from services.routing.sla.domain.calendars import BusinessHours
from tests.factories import T0
from tests.fakes import FakeDatabase
from tests.unit.test_gateway_keys import CONTACT, client, intake_replica, staff


async def test_an_unknown_traveller_time_zone_is_refused_without_quoting_it() -> None:
    contact = {**CONTACT, "traveller": {**CONTACT["traveller"], "time_zone": "Mars/Olympus"}}
    async with client(intake_replica(FakeDatabase(), FakeClock(T0))) as http:
        created = await http.post("/v1/admin/api-keys", json={"name": "app"}, headers=staff())
        key = created.json()["key"]
        answer = await http.post("/v1/contacts", json=contact, headers={"X-Api-Key": key})

    assert answer.status_code == 422
    (error,) = answer.json()["detail"]
    assert error["loc"] == ["body", "traveller", "time_zone"]
    assert "unknown time zone" in error["msg"]
    assert "Mars" not in answer.text


def test_an_unknown_business_hours_time_zone_is_refused_without_quoting_it() -> None:
    with pytest.raises(ValidationError) as refused:
        BusinessHours(time_zone="Mars/Olympus")

    (message,) = [error["msg"] for error in refused.value.errors()]
    assert "unknown time zone" in message
    assert "Mars" not in message


async def test_a_404_names_a_long_id_only_by_a_short_prefix() -> None:
    app = FastAPI()

    @app.get("/v1/tickets/{ticket_id}")
    async def ticket(ticket_id: str) -> None:
        raise NotFound(ticket_id)

    install_error_handlers(app)
    async with client(app) as http:
        answer = await http.get("/v1/tickets/" + "X" * 5_000)

    assert answer.status_code == 404
    detail = answer.json()["detail"]
    assert detail.startswith("XXXX")
    assert len(detail) <= MAX_ECHO
