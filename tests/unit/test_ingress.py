"""The public Ingress routes every public operation of the four OpenAPI documents to its own
service, and exposes nothing that answers without a token (deploy/check.py, make deploy-check)."""

from __future__ import annotations

import copy
import shutil
from typing import Any

import pytest

from deploy import check

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl kustomize")


@pytest.fixture(scope="module", params=check.OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return check.render(request.param)


def public(operation: check.Operation) -> tuple[str, str, str]:
    return (operation.method.upper(), operation.path, operation.service)


def ingress(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    (found,) = [doc for doc in docs if doc["kind"] == "Ingress"]
    paths: list[dict[str, Any]] = found["spec"]["rules"][0]["http"]["paths"]
    return paths


def test_the_public_surface_is_what_travellers_gateways_and_partners_call() -> None:
    surface = {public(op) for op in check.operations() if op.public}
    assert {
        ("GET", "/track/{token}", "intake"),
        ("GET", "/t/{code}", "intake"),
        ("GET", "/v1/track/{token}", "intake"),
        ("POST", "/v1/contacts", "intake"),
        ("POST", "/v1/channels/{channel}/contacts", "intake"),
        ("POST", "/v1/gateway/token", "intake"),
        ("GET", "/v1/surveys/{token}", "feedback"),
        ("POST", "/v1/appeals/{token}", "feedback"),
        ("POST", "/v1/suppliers/{partner}/events", "routing"),
        ("GET", "/v1/inbox/{traveller_id}", "notify"),
    } <= surface
    assert not {op for op in surface if op[1] in ("/metrics", "/healthz", "/v1/tickets")}


def test_every_public_operation_is_routed_to_its_own_service(
    rendered: list[dict[str, Any]],
) -> None:
    assert check.ingress_errors(rendered) == []


def test_a_public_route_missing_from_the_ingress_is_reported(
    rendered: list[dict[str, Any]],
) -> None:
    docs = copy.deepcopy(rendered)
    paths = ingress(docs)
    paths[:] = [rule for rule in paths if rule["path"] != "/v1/appeals"]
    errors = check.ingress_errors(docs)
    assert errors == [
        "Ingress: GET /v1/appeals/{token} (feedback) is routed to nothing",
        "Ingress: POST /v1/appeals/{token} (feedback) is routed to nothing",
    ]


def test_a_route_to_the_wrong_service_or_a_catch_all_is_reported(
    rendered: list[dict[str, Any]],
) -> None:
    docs = copy.deepcopy(rendered)
    paths = ingress(docs)
    for rule in paths:
        if rule["path"] == "/v1/inbox":
            rule["backend"]["service"]["name"] = "intake"
    paths.append({"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "routing"}}})
    errors = check.ingress_errors(docs)
    assert "Ingress: GET /v1/inbox/{traveller_id} (notify) is routed to intake" in errors
    assert "Ingress: GET /metrics (routing) answers without a token and is routed" in errors


def test_pods_behind_the_ingress_must_be_open_to_the_controller(
    rendered: list[dict[str, Any]],
) -> None:
    docs = copy.deepcopy(rendered)
    for doc in docs:
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] == "routing":
            doc["spec"]["template"]["metadata"]["labels"][check.PUBLIC_LABEL] = "false"
    assert check.ingress_errors(docs) == [
        'Ingress: routing\'s pods lack tripcare.io/public: "true"'
    ]


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/v1/track/abc", "prefix"),
        ("/v1/track", "prefix"),
        ("/v1/tracks", None),
        ("/v1/track/abc/exact", "exact"),
        ("/v1/track/abc/exact/more", "longer"),
    ],
)
def test_paths_match_as_kubernetes_matches_them(path: str, service: str | None) -> None:
    rules = [
        {"path": "/v1/track", "pathType": "Prefix", "backend": {"service": {"name": "prefix"}}},
        {
            "path": "/v1/track/abc/exact",
            "pathType": "Exact",
            "backend": {"service": {"name": "exact"}},
        },
        {
            "path": "/v1/track/abc/exact",
            "pathType": "Prefix",
            "backend": {"service": {"name": "longer"}},
        },
    ]
    assert check.routed_to(rules, path) == service
