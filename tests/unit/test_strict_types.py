"""Every service's write bodies take JSON's own types: nothing is coerced.

FastAPI validates a body's parsed JSON in pydantic's lax mode, which would turn
``"yes"`` into ``true``, ``"993"`` into a port and ``true`` into a rate of 1.0. Every
boolean and number of a body any service takes is strict (``StrictBool``,
``StrictInt``, ``StrictFloat``; a whole number is still a valid float), and every
instant, date and time of day is ISO text (``Instant``, ``Day``, ``TimeOfDay``: lax mode
reads a number as a Unix time or as seconds), so the wrong type is a 422 naming the
field, like an out-of-range value, and nothing is written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import date, datetime, time, timedelta
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import httpx
import pytest
from annotated_types import BaseMetadata
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

from contracts.text import WrittenAsText
from runtime.auth import Principal, Role, issue_token
from services.feedback.api.models import AppealIn, RatingIn
from services.feedback.main import bootstrap as feedback
from services.intake.main import bootstrap as intake
from services.notify.main import bootstrap as notify
from services.routing.main import bootstrap as routing
from tests.unit.test_error_answers import all_routes

MAILBOX = {"host": "imap.example", "username": "support", "password": "secret"}
WECHAT = {
    "token": "callback-token",
    "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "receiver_id": "wx1234567890abcdef",
}


def lax(annotation: Any, where: str, strict: bool, seen: set[type]) -> Iterator[str]:
    """Where a boolean, number, instant, date or time in ``annotation`` would be coerced
    from another type."""
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *metadata = get_args(annotation)
        yield from lax(base, where, strict or _strict(metadata), seen)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for name, field in annotation.model_fields.items():
            yield from lax(field.annotation, f"{where}.{name}", _strict(field.metadata), seen)
    elif annotation in (bool, int, float, datetime, date, time):
        if not strict:
            yield where
    elif origin in (Union, UnionType):
        for arg in get_args(annotation):
            yield from lax(arg, where, strict, seen)
    else:
        for arg in get_args(annotation):
            yield from lax(arg, f"{where}[]", False, seen)


def _strict(metadata: list[Any]) -> bool:
    return any(
        isinstance(m, WrittenAsText)
        or (isinstance(m, BaseMetadata) and getattr(m, "strict", False))
        for m in metadata
    )


@pytest.mark.parametrize("bootstrap", [intake, routing, notify, feedback])
def test_every_boolean_and_number_a_service_is_sent_is_strict(bootstrap: Any) -> None:
    app = bootstrap()
    bodies = [
        (route.path, route.body_field.field_info.annotation)
        for route in all_routes(app.router.routes)
        if isinstance(route, APIRoute) and route.body_field is not None
    ]

    seen: set[type] = set()
    assert [where for path, body in bodies for where in lax(body, path, False, seen)] == []


@pytest.mark.parametrize("model", [RatingIn, AppealIn])
def test_a_json_body_a_handler_reads_itself_is_strict_too(model: type[BaseModel]) -> None:
    """Feedback's traveller answers are JSON or an HTML form; the JSON one is a model."""
    assert list(lax(model, model.__name__, False, set())) == []


@pytest.fixture(scope="module")
def intake_app() -> FastAPI:
    """Intake as bootstrap builds it: a refused body never reaches a handler or a store."""
    return intake()


@asynccontextmanager
async def admin_of(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``app`` signed in as acme's admin, answers kept even for a 5xx."""
    principal = Principal(id="ops-1", role=Role.ADMIN, tenants=["acme"])
    token = issue_token(app.state.runtime.staff_signer, principal, timedelta(hours=1))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://service",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        yield client


@pytest.fixture
async def admin(intake_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with admin_of(intake_app) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path", "body", "loc"),
    [
        ("PUT", "/v1/admin/mailboxes/support", {**MAILBOX, "port": "993"}, ["port"]),
        ("PUT", "/v1/admin/mailboxes/support", {**MAILBOX, "tls": "yes"}, ["tls"]),
        (
            "PUT",
            "/v1/admin/mailboxes/support",
            {**MAILBOX, "poll_interval_s": "60"},
            ["poll_interval_s"],
        ),
        ("POST", "/v1/admin/api-keys", {"name": "app", "rate_per_s": True}, ["rate_per_s"]),
        (
            "PUT",
            "/v1/admin/channels/wechat",
            {**WECHAT, "passive_reply": 1},
            ["passive_reply"],
        ),
    ],
)
async def test_an_intake_admin_value_of_the_wrong_json_type_is_a_422_naming_the_field(
    admin: httpx.AsyncClient, method: str, path: str, body: dict[str, Any], loc: list[Any]
) -> None:
    answer = await admin.request(method, path, json=body)

    assert answer.status_code == 422, answer.text
    [item] = answer.json()["detail"]
    assert item["loc"] == ["body", *loc]
    assert item["msg"].startswith("Input should be a valid")
