"""A traveller id from a customer's system may hold a slash: intake takes it, notify's inbox
serves it (percent-encoded) and routing's itinerary does too. Intake used to answer 201 and
"deliver" the acknowledgement to an inbox that ``GET /v1/inbox/a%2Fb`` could not reach."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import Stack
from tests.polling import until

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("traveller_id", ["a/b", "旅客/../42", "crm:7/N-1/read"])
async def test_a_traveller_id_with_a_slash_reaches_its_inbox_and_itinerary(
    four_services: Stack, traveller_id: str
) -> None:
    tenant = "ids-" + uuid.uuid4().hex[:8]
    admin = Stack.token("ops", "admin", (tenant,))
    encoded = quote(traveller_id, safe="")
    async with httpx.AsyncClient(timeout=30) as http:
        key = await four_services.api_key(http, tenant, scopes=["contacts:write", "inbox:read"])
        traded = await http.post(f"{four_services.url('intake')}/v1/gateway/token", headers=key)
        app = {"Authorization": f"Bearer {traded.json()['access_token']}"}
        contact = {
            "channel": "in_app",
            "channel_message_id": "ids-" + uuid.uuid4().hex[:8],
            "traveller": {"id": traveller_id, "language": "en"},
            "text": "My flight CA1501 is cancelled",
        }
        created = await http.post(
            f"{four_services.url('intake')}/v1/contacts", json=contact, headers=key
        )
        assert created.status_code == 201, created.text
        inbox = f"{four_services.url('notify')}/v1/inbox/{encoded}"

        async def acknowledged() -> list[dict[str, Any]] | None:
            answer = await http.get(inbox, headers=app)
            assert answer.status_code == 200, answer.text
            found = [m for m in answer.json() if m["template"] == "ticket_acknowledged"]
            return found or None

        [ack] = await until(acknowledged)
        read = await http.post(f"{inbox}/{ack['id']}/read", headers=app)
        assert (read.status_code, read.json()["read_at"] is not None) == (200, True)

        departs = datetime.now(UTC) + timedelta(days=2)
        segment = {"kind": "flight", "reference": "CA1501", "starts_at": departs.isoformat()}
        booking = {"traveller": {"id": traveller_id}, "channel": "in_app", "segments": [segment]}
        put = await http.put(
            f"{four_services.url('routing')}/v1/bookings/BK-IDS-1", json=booking, headers=admin
        )
        assert put.status_code == 201, put.text
        itinerary = await http.get(
            f"{four_services.url('routing')}/v1/travellers/{encoded}/itinerary", headers=admin
        )
        assert itinerary.status_code == 200, itinerary.text
        assert [s["booking_id"] for s in itinerary.json()] == ["BK-IDS-1"]
