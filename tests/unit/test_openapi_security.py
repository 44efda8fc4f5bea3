"""The OpenAPI documents say how each operation's caller authenticates.

They declared the 401/403 of staff tokens, gateway tokens and keys but no security
scheme, so Swagger UI had no Authorize button and a generated client did not know what
to send. The schemes and each operation's requirement are derived from the route's
dependencies (``runtime.error_docs``, as its 401/403 are); a public route declares none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI

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
SIGNED_BODIES = {"routing POST /v1/suppliers/{partner}/events"}
"""401 for a body not signed with the partner's secret: a signature per request, no
credential a client could be given once (docs/suppliers.md)."""
PUBLIC = {
    "intake GET /healthz",
    "intake GET /v1/track/{token}",
    "intake POST /v1/track/{token}/not-helped",
    "intake GET /v1/files/{token}",
    "intake POST /v1/callbacks/wechat/{tenant}",
    "routing GET /readyz",
    "notify GET /metrics",
    "feedback GET /v1/surveys/{token}",
    "feedback POST /v1/appeals/{token}",
}


@pytest.fixture(scope="module")
def documents() -> dict[str, Document]:
    return {name: bootstrap().openapi() for name, bootstrap in SERVICES.items()}


def operations(documents: dict[str, Document]) -> Iterator[tuple[str, Document, Document]]:
    """Every operation of every service: its name, itself, and its service's document."""
    for service, document in documents.items():
        for path, item in document["paths"].items():
            for method, operation in item.items():
                yield f"{service} {method.upper()} {path}", operation, document


def test_every_operation_answering_401_requires_credentials_of_a_declared_scheme(
    documents: dict[str, Document],
) -> None:
    wrong = {}
    for name, operation, document in operations(documents):
        if "401" not in operation["responses"] or name in SIGNED_BODIES:
            continue
        schemes = document["components"].get("securitySchemes", {})
        required = operation.get("security", [])
        if not required or any(not r or r.keys() - schemes.keys() for r in required):
            wrong[name] = required

    assert wrong == {}


def test_public_operations_require_no_credentials(documents: dict[str, Document]) -> None:
    secured = {
        name
        for name, operation, _ in operations(documents)
        if "401" not in operation["responses"] and "security" in operation
    }
    named = {name for name, operation, _ in operations(documents) if name in PUBLIC}

    assert secured == set()
    assert named == PUBLIC
    assert not any("security" in op for name, op, _ in operations(documents) if name in PUBLIC)


def test_no_document_requires_credentials_of_everyone(documents: dict[str, Document]) -> None:
    assert not any("security" in document for document in documents.values())


def test_staff_endpoints_take_a_bearer_token_and_the_inbox_also_a_gateway_token(
    documents: dict[str, Document],
) -> None:
    notify_paths = documents["notify"]["paths"]
    schemes = documents["notify"]["components"]["securitySchemes"]
    intake_paths = documents["intake"]["paths"]
    key = documents["intake"]["components"]["securitySchemes"]["gatewayKey"]

    assert notify_paths["/v1/notifications"]["get"]["security"] == [{"staffToken": []}]
    assert notify_paths["/v1/inbox/{traveller_id}"]["get"]["security"] == [
        {"staffToken": []},
        {"gatewayToken": []},
    ]
    assert {s["type"] + " " + s["scheme"] for s in schemes.values()} == {"http bearer"}
    assert intake_paths["/v1/contacts"]["post"]["security"] == [{"gatewayKey": []}]
    assert intake_paths["/v1/gateway/token"]["post"]["security"] == [{"gatewayKey": []}]
    assert (key["type"], key["in"], key["name"]) == ("apiKey", "header", "X-Api-Key")


def test_credentials_are_not_also_declared_as_header_parameters(
    documents: dict[str, Document],
) -> None:
    doubled = {
        name
        for name, operation, _ in operations(documents)
        for parameter in operation.get("parameters", [])
        if parameter["name"].lower() in {"authorization", "x-api-key"}
    }

    assert doubled == set()
