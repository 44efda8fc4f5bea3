"""The OpenAPI documents declare the error answers each operation gives, with their bodies.

A client generated from the documents used to see only 422 and a few hand-written 404s
and 409s: nothing of the 401/403 of every staff endpoint, the 404 of every id, the 413 of
every body, the 503 of a store outage (docs/api.md, "Limits and errors"). Each is now
derived from the route (``runtime.error_docs``), and each carries a schema the real
answer's body matches (schemathesis checks that too, in ``tests/fuzz``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Annotated, Any

import httpx
import jsonschema
import pytest
from fastapi import APIRouter, Body, FastAPI
from pydantic import BaseModel, Field
from pymongo.errors import AutoReconnect

from runtime.auth import Principal, Role, StaffScope, issue_token
from runtime.clock import SystemClock
from runtime.error_docs import declare_errors
from runtime.idempotency import IdempotencyKey
from runtime.settings import Settings
from runtime.signing import Signer
from runtime.store import NotFound
from runtime.web import BodySizeLimit, install_error_handlers
from services.feedback.main import bootstrap as feedback
from services.intake.main import bootstrap as intake
from services.notify.main import bootstrap as notify
from services.routing.main import bootstrap as routing

Document = dict[str, Any]
SERVICES: dict[str, Callable[[], FastAPI]] = {
    "intake": intake,
    "routing": routing,
    "notify": notify,
    "feedback": feedback,
}
BODY_METHODS = {"post", "put", "patch"}


@pytest.fixture(scope="module")
def documents() -> dict[str, Document]:
    return {name: bootstrap().openapi() for name, bootstrap in SERVICES.items()}


def operations(document: Document) -> Iterator[tuple[str, Document]]:
    """Every operation of the service's own routers (not /healthz, /readyz, /metrics)."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if "ops" not in operation.get("tags", []):
                yield f"{method.upper()} {path}", operation


def headers(operation: Document) -> set[str]:
    return {p["name"].lower() for p in operation.get("parameters", []) if p["in"] == "header"}


def answers_a_list(operation: Document) -> bool:
    success = operation["responses"].get("200", {}).get("content", {})
    return bool(success.get("application/json", {}).get("schema", {}).get("type") == "array")


def expected(method: str, operation: Document) -> set[str]:
    """What docs/api.md says such an operation may answer besides success."""
    wanted = {"503"}
    sent = headers(operation)
    if operation.get("security"):
        wanted |= {"401", "403"}
    if any(p["in"] == "path" for p in operation.get("parameters", [])):
        wanted |= {"422"} if answers_a_list(operation) else {"404", "422"}
    if "requestBody" in operation or method.lower() in BODY_METHODS:
        wanted |= {"413", "422"}
    if "idempotency-key" in sent:
        wanted |= {"409", "422"}
    return wanted


def test_every_operation_declares_the_errors_its_route_gives(
    documents: dict[str, Document],
) -> None:
    missing = {
        f"{service} {name}": sorted(expected(name.split()[0], op) - op["responses"].keys())
        for service, document in documents.items()
        for name, op in operations(document)
    }

    assert {name: codes for name, codes in missing.items() if codes} == {}


def test_every_declared_error_has_a_schema_for_each_of_its_media_types(
    documents: dict[str, Document],
) -> None:
    bare = []
    for service, document in documents.items():
        schemas = document["components"]["schemas"]
        for name, op in operations(document):
            for status, answer in op["responses"].items():
                if int(status) < 400:
                    continue
                content = answer.get("content", {})
                json_schema = content.get("application/json", {}).get("schema", {})
                ref = json_schema.get("$ref", "").removeprefix("#/components/schemas/")
                if not content or any("schema" not in body for body in content.values()):
                    bare.append(f"{service} {name} {status}")
                elif "application/json" in content and ref not in schemas:
                    bare.append(f"{service} {name} {status}: {json_schema}")

    assert bare == []


def test_both_contact_endpoints_declare_the_keys_rate_and_the_desks_capacity(
    documents: dict[str, Document],
) -> None:
    for path in ("/v1/contacts", "/v1/channels/{channel}/contacts"):
        answers = documents["intake"]["paths"][path]["post"]["responses"]

        assert {"429", "503"} <= answers.keys(), path
        assert answers["503"]["description"].startswith("Intake is saturated"), path


def test_retried_answers_say_when_to_retry(documents: dict[str, Document]) -> None:
    for _, op in operations(documents["intake"]):
        for status in {"429", "503"} & op["responses"].keys():
            assert "Retry-After" in op["responses"][status]["headers"]


def test_what_a_route_declares_itself_is_kept(documents: dict[str, Document]) -> None:
    close = documents["intake"]["paths"]["/v1/tickets/{ticket_id}/close"]["post"]["responses"]
    survey = documents["feedback"]["paths"]["/v1/surveys/{token}"]["post"]["responses"]
    events = documents["routing"]["paths"]["/v1/suppliers/{partner}/events"]["post"]

    assert close["409"]["description"] == "Not allowed in the ticket's status."
    assert survey["410"]["description"] == (
        "The link or the survey has expired, or it was withdrawn."
    )
    assert survey["409"]["description"] == "Already answered."
    assert events["responses"]["401"]["description"].startswith("Unknown partner")
    assert "HTTPValidationError" in str(close["422"]["content"])


def test_a_route_answering_a_list_filters_by_its_path_and_declares_no_404(
    documents: dict[str, Document],
) -> None:
    inbox = documents["notify"]["paths"]["/v1/inbox/{traveller_id}"]
    itinerary = documents["routing"]["paths"]["/v1/travellers/{traveller_id}/itinerary"]
    read = documents["notify"]["paths"]["/v1/inbox/{traveller_id}/{notification_id}/read"]

    assert "404" not in inbox["get"]["responses"]
    assert "404" not in itinerary["get"]["responses"]
    assert "404" in read["post"]["responses"]


def test_a_list_route_that_does_look_its_path_up_keeps_the_404_it_declares() -> None:
    api = APIRouter()

    @api.get("/partners/{partner}/secrets", responses={404: {"description": "No such partner."}})
    async def secrets(partner: str) -> list[str]:
        raise NotFound(partner)

    @api.get("/travellers/{traveller}/trips")
    async def trips(traveller: str) -> list[str]:
        return []

    app = FastAPI()
    app.include_router(api)
    declare_errors(app, api.routes)
    paths = app.openapi()["paths"]

    assert paths["/partners/{partner}/secrets"]["get"]["responses"]["404"]["description"] == (
        "No such partner."
    )
    assert "404" not in paths["/travellers/{traveller}/trips"]["get"]["responses"]


def declared(document: Document, path: str, method: str, answer: httpx.Response) -> None:
    """``answer``'s body matches the schema its operation declares for its status."""
    operation = document["paths"][path][method]
    schema = operation["responses"][str(answer.status_code)]["content"]["application/json"]
    jsonschema.validate(answer.json(), {**schema["schema"], "components": document["components"]})


class Thing(BaseModel):
    name: str = Field(max_length=20)


def runtime_answers_app() -> FastAPI:
    """The runtime's own error answers, on a route like the services' own."""
    api = APIRouter()

    @api.post("/things/{thing_id}")
    async def put_thing(
        thing_id: str,
        thing: Annotated[Thing, Body()],
        scope: StaffScope,
        key: IdempotencyKey = None,
    ) -> None:
        if thing_id == "gone":
            raise AutoReconnect("the primary stepped down")
        raise NotFound(thing_id)

    app = FastAPI()
    app.include_router(api)
    install_error_handlers(app)
    declare_errors(app, api.routes)
    app.add_middleware(BodySizeLimit, max_bytes=100)
    return app


def staff_token(tenant: str, role: Role = Role.AGENT) -> dict[str, str]:
    principal = Principal(id="agent-7", role=role, tenants=[tenant])
    token = issue_token(Signer(Settings().staff_ring()), principal, timedelta(minutes=5))
    return {"Authorization": f"Bearer {token}"}


async def test_the_runtimes_own_answers_match_what_is_declared() -> None:
    app = runtime_answers_app()
    document = app.openapi()
    app.state.runtime = SimpleNamespace(
        staff_signer=Signer(Settings().staff_ring()), clock=SystemClock()
    )
    token = staff_token("acme")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        answers = [
            await http.post("/things/x", json={"name": "a"}),
            await http.post("/things/x", json={"name": "a"}, headers=token),
            await http.post("/things/gone", json={"name": "a"}, headers=token),
            await http.post("/things/x", json={"name": "a" * 30}, headers=token),
            await http.post("/things/x", json={"name": "a" * 300}, headers=token),
            await http.post(
                "/things/x", json={"name": "a"}, headers={**token, "X-Tenant-Id": "other"}
            ),
        ]

    assert [a.status_code for a in answers] == [401, 404, 503, 422, 413, 403]
    for answer in answers:
        declared(document, "/things/{thing_id}", "post", answer)


async def test_a_services_refusals_match_what_is_declared(
    documents: dict[str, Document],
) -> None:
    app = routing()
    path = "/v1/queues/{queue_id}"
    manager = staff_token("acme", Role.MANAGER)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        answers = [
            await http.put("/v1/queues/vip", json={"name": "VIP"}),
            await http.put("/v1/queues/vip", json={"name": "VIP"}, headers=staff_token("acme")),
            await http.put("/v1/queues/vip", json={"name": 7}, headers=manager),
            await http.put("/v1/queues/vip", content=b"{" * 3_000_000, headers=manager),
        ]
    await app.state.runtime.client.close()

    assert [a.status_code for a in answers] == [401, 403, 422, 413]
    for answer in answers:
        declared(documents["routing"], path, "put", answer)
