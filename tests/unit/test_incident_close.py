"""Closing a tenant's incident over routing's API: by the id the caller knows."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from runtime.auth import Role
from runtime.idempotency import fingerprint
from services.routing.api import incidents
from tests.unit.test_supplier_care import Care, body, run_disruption
from tests.unit.test_supplier_edges import care_desk, staff_of


def manager_of(tenant: str) -> dict[str, str]:
    return staff_of(tenant, Role.MANAGER, "mgr-1")


@pytest.fixture
async def desk() -> AsyncIterator[tuple[Care, httpx.AsyncClient]]:
    care = Care()
    async with care_desk(care, incidents.router) as http:
        yield care, http


async def test_closing_an_unknown_incident_is_a_404_naming_the_id_the_caller_used(
    desk: tuple[Care, httpx.AsyncClient],
) -> None:
    _, http = desk

    answer = await http.post("/v1/incidents/INC-NOPE/close", headers=manager_of("acme"))

    assert answer.status_code == 404, answer.text
    assert "INC-NOPE" in answer.json()["detail"]
    assert "@" not in answer.text
    assert "acme" not in answer.text


async def opened_incident(care: Care, tenant: str = "acme") -> str:
    """A cancellation of CA1501 with one of ``tenant``'s travellers on it: its incident id."""
    await care.book(tenant, 1)
    await run_disruption(care, body(kind="flight_cancelled"))
    [incident] = await care.care.store.incidents_of(tenant, 10)
    return incident.incident_id


async def test_closing_with_resolve_linked_asks_intake_once_to_resolve_the_tenants_tickets(
    desk: tuple[Care, httpx.AsyncClient],
) -> None:
    care, http = desk
    incident_id = await opened_incident(care)
    await care.book("globex", 1)  # the same disruption's other tenant is not closed
    url, manager = f"/v1/incidents/{incident_id}/close", manager_of("acme")
    close = {"resolve_linked": True, "message": "CA1501 flies again at 14:30."}

    first = await http.post(url, json=close, headers={**manager, "Idempotency-Key": "k-1"})
    retried = await http.post(url, json=close, headers={**manager, "Idempotency-Key": "k-1"})
    again = await http.post(url, json=close, headers=manager)

    assert (first.status_code, retried.status_code, again.status_code) == (200, 200, 200)
    assert first.json() == retried.json()
    assert first.json()["resolution_message"] == "CA1501 flies again at 14:30."
    [resolved] = care.published("incident.resolved")
    assert resolved.tenant_id == "acme"
    assert (resolved.payload.incident_id, resolved.payload.resolved_by) == (incident_id, "mgr-1")
    assert resolved.payload.resolution_code == "incident_resolved"


@pytest.mark.parametrize(
    "stored",
    [
        '{"resolve_linked":true,"message":"%s","resolution_code":"incident_resolved"}',
        '{"resolve_linked":true,"message":"%s","messages":{},"resolution_code":"incident_resolved"}',
    ],
    ids=["before", "since"],
)
async def test_a_close_retried_across_a_release_gets_the_first_answer(
    desk: tuple[Care, httpx.AsyncClient], stored: str
) -> None:
    """A first attempt taken by code from before ``messages`` existed, or by code that
    filled it in as ``{}``: the retry of the same body is the same request, not a 422."""
    care, http = desk
    incident_id = await opened_incident(care)
    url, manager = f"/v1/incidents/{incident_id}/close", manager_of("acme")
    close, key = {"resolve_linked": True, "message": "CA1501 flies again."}, "k-old"
    first = await http.post(url, json=close, headers={**manager, "Idempotency-Key": key})
    [record] = care.db["idempotency"].docs.values()
    record["request"] = fingerprint("close-incident", incident_id, stored % close["message"])

    retried = await http.post(url, json=close, headers={**manager, "Idempotency-Key": key})

    assert retried.status_code == 200, retried.text
    assert retried.json() == first.json()
    assert len(care.published("incident.resolved")) == 1


async def test_an_incident_closed_without_resolving_may_be_closed_again_resolving(
    desk: tuple[Care, httpx.AsyncClient],
) -> None:
    care, http = desk
    incident_id = await opened_incident(care)
    url, manager = f"/v1/incidents/{incident_id}/close", manager_of("acme")

    plain = await http.post(url, headers=manager)
    assert plain.json()["resolution_message"] is None
    assert care.published("incident.resolved") == []
    resolving = await http.post(
        url,
        json={"resolve_linked": True, "message": "Done.", "resolution_code": "rebooked"},
        headers=manager,
    )

    assert resolving.status_code == 200, resolving.text
    assert resolving.json()["closed_at"] == plain.json()["closed_at"]
    assert [r.payload.resolution_code for r in care.published("incident.resolved")] == ["rebooked"]


@pytest.mark.parametrize(
    "close",
    [
        {"resolve_linked": True},
        {"message": "Sent to nobody?"},
        {"resolve_linked": True, "message": "   "},
    ],
)
async def test_a_resolution_without_its_message_or_a_message_without_it_is_a_422(
    desk: tuple[Care, httpx.AsyncClient], close: dict[str, object]
) -> None:
    care, http = desk
    incident_id = await opened_incident(care)

    answer = await http.post(
        f"/v1/incidents/{incident_id}/close", json=close, headers=manager_of("acme")
    )

    assert answer.status_code == 422, answer.text
    [incident] = await care.care.store.incidents_of("acme", 10)
    assert incident.closed_at is None
    assert care.published("incident.resolved") == []


async def test_a_resolving_close_carries_each_languages_text_to_intake(
    desk: tuple[Care, httpx.AsyncClient],
) -> None:
    """Written once per language: each traveller is told their own (intake picks it); the
    message for languages not written is English here, as no ``message`` was given."""
    care, http = desk
    incident_id = await opened_incident(care)
    texts = {"ja": "CA1503便に振り替えました。", "en": "You are rebooked on CA1503."}
    close = {"resolve_linked": True, "messages": texts}

    answer = await http.post(
        f"/v1/incidents/{incident_id}/close", json=close, headers=manager_of("acme")
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["resolution_message"] == texts["en"]
    assert answer.json()["resolution_messages"] == texts
    [resolved] = care.published("incident.resolved")
    assert (resolved.payload.message, resolved.payload.messages) == (texts["en"], texts)


@pytest.mark.parametrize(
    ("close", "loc"),
    [
        ({"resolve_linked": True, "messages": {"fr": "Oui"}}, ["body", "messages", "fr", "[key]"]),
        ({"resolve_linked": True, "messages": {"ja": "x" * 5_001}}, ["body", "messages", "ja"]),
        ({"resolve_linked": True, "messages": {}}, ["body"]),
        ({"messages": {"en": "Sent to nobody?"}}, ["body"]),
    ],
)
async def test_a_bad_language_or_texts_without_a_resolution_are_a_422_naming_them(
    desk: tuple[Care, httpx.AsyncClient], close: dict[str, object], loc: list[str]
) -> None:
    care, http = desk
    incident_id = await opened_incident(care)

    answer = await http.post(
        f"/v1/incidents/{incident_id}/close", json=close, headers=manager_of("acme")
    )

    assert answer.status_code == 422, answer.text
    assert [e["loc"] for e in answer.json()["detail"]] == [loc]
    [incident] = await care.care.store.incidents_of("acme", 10)
    assert incident.closed_at is None
    assert care.published("incident.resolved") == []
