"""Credentials sent the way each running service's OpenAPI document declares are accepted.

A generated client (or Swagger UI's Authorize) builds its request from
``components.securitySchemes`` alone: a bearer token in ``Authorization``, an API key
in the header the scheme names. Each scheme is tried on an operation requiring it.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import Stack

pytestmark = pytest.mark.e2e


def sent_as_declared(scheme: dict[str, Any], credential: str) -> dict[str, str]:
    """The header a client reading only ``scheme`` would send ``credential`` in."""
    if scheme["type"] == "http" and scheme["scheme"] == "bearer":
        return {"Authorization": f"Bearer {credential}"}
    assert (scheme["type"], scheme["in"]) == ("apiKey", "header"), scheme
    return {scheme["name"]: credential}


async def document(http: httpx.AsyncClient, stack: Stack, service: str) -> dict[str, Any]:
    answer = await http.get(f"{stack.url(service)}/openapi.json")
    assert answer.status_code == 200
    found: dict[str, Any] = answer.json()
    return found


def requires(spec: dict[str, Any], path: str, method: str, scheme: str) -> dict[str, Any]:
    """The declared scheme, after checking the operation lists it as an alternative."""
    assert {scheme: []} in spec["paths"][path][method]["security"]
    declared: dict[str, Any] = spec["components"]["securitySchemes"][scheme]
    return declared


async def test_each_declared_scheme_sent_as_declared_is_accepted(four_services: Stack) -> None:
    tenant = "sec-" + uuid.uuid4().hex[:8]
    staff = Stack.token("ops", "admin", (tenant,))["Authorization"].removeprefix("Bearer ")
    async with httpx.AsyncClient(timeout=30) as http:
        key = (await four_services.api_key(http, tenant, scopes=["inbox:read"]))["X-Api-Key"]
        intake, notify, routing, feedback = [
            await document(http, four_services, s)
            for s in ("intake", "notify", "routing", "feedback")
        ]
        intake_url, notify_url = four_services.url("intake"), four_services.url("notify")

        keys = await http.get(
            f"{intake_url}/v1/admin/api-keys",
            headers=sent_as_declared(
                requires(intake, "/v1/admin/api-keys", "get", "staffToken"), staff
            ),
        )
        traded = await http.post(
            f"{intake_url}/v1/gateway/token",
            headers=sent_as_declared(
                requires(intake, "/v1/gateway/token", "post", "gatewayKey"), key
            ),
        )
        inbox = "/v1/inbox/{traveller_id}"
        by_gateway = await http.get(
            f"{notify_url}/v1/inbox/trav-1",
            headers=sent_as_declared(
                requires(notify, inbox, "get", "gatewayToken"), traded.json()["access_token"]
            ),
        )
        by_staff = await http.get(
            f"{notify_url}/v1/inbox/trav-1",
            headers=sent_as_declared(requires(notify, inbox, "get", "staffToken"), staff),
        )
        queues = await http.get(
            f"{four_services.url('routing')}/v1/queues",
            headers=sent_as_declared(requires(routing, "/v1/queues", "get", "staffToken"), staff),
        )
        appeals = await http.get(
            f"{four_services.url('feedback')}/v1/appeals",
            params={"ticket_id": "T-none"},
            headers=sent_as_declared(requires(feedback, "/v1/appeals", "get", "staffToken"), staff),
        )

    answers = [keys, traded, by_gateway, by_staff, queues, appeals]
    assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers]
    assert by_gateway.json() == by_staff.json() == []
