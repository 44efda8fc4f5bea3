"""While the store is unreachable, the APIs answer 503 + Retry-After (not a 500 with a
traceback in the log) and /readyz says so before the readiness probe gives up (3 s)."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pymongo.errors import ServerSelectionTimeoutError

from runtime import service
from runtime.logging import JsonFormatter
from runtime.service import ServiceRuntime
from runtime.settings import Settings
from runtime.web import install_error_handlers


def app_whose_store_is_gone() -> FastAPI:
    api = APIRouter()

    @api.get("/v1/tickets")
    async def tickets() -> None:
        raise ServerSelectionTimeoutError("127.0.0.1:27117: [Errno 111] Connection refused")

    @api.post("/v1/track/{token}/not-helped")
    async def not_helped(token: str) -> None:
        raise ServerSelectionTimeoutError("127.0.0.1:27117: [Errno 111] Connection refused")

    app = FastAPI()
    app.include_router(api)
    install_error_handlers(app)
    return app


async def test_a_request_that_finds_the_store_gone_is_a_503_to_retry() -> None:
    transport = httpx.ASGITransport(app=app_whose_store_is_gone(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        answer = await client.get("/v1/tickets")

    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert answer.json() == {
        "title": "service unavailable",
        "detail": "the store is unreachable: retry after 5 s",
    }


async def test_the_503_is_logged_with_its_route_but_no_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The line said "answered 503: POST ServerSelectionTimeoutError": not which API."""
    transport = httpx.ASGITransport(app=app_whose_store_is_gone(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        answer = await client.post("/v1/track/tok-secret-1/not-helped?sig=sig-secret-2")

    assert answer.status_code == 503
    assert caplog.messages == [
        "store unreachable, answered 503: POST /v1/track/{token}/not-helped "
        "(ServerSelectionTimeoutError)"
    ]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_readiness_answers_store_false_within_its_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The driver's server selection waits 5 s: readiness used to wait as long."""
    monkeypatch.setattr(service, "READINESS_TIMEOUT_S", 0.3)
    runtime = ServiceRuntime(
        Settings(mongo_url=f"mongodb://127.0.0.1:{closed_port()}/"), outbox_collections=[]
    )
    started = time.monotonic()

    checks = await runtime.readiness()

    assert time.monotonic() - started < 2.5
    assert checks == {"started": False, "store": False, "broker": False}
    await runtime.client.close()


async def test_the_503_line_names_the_ticket_of_its_route(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An agent's reply that found the store gone was logged without the ticket it was for:
    the line of ``/v1/tickets/{ticket_id}/…`` carries ``ticket_id`` as a field."""
    api = APIRouter()

    @api.post("/v1/tickets/{ticket_id}/reply")
    async def reply(ticket_id: str) -> None:
        raise ServerSelectionTimeoutError("127.0.0.1:27117: [Errno 111] Connection refused")

    app = FastAPI()
    app.include_router(api)
    install_error_handlers(app)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        answer = await client.post("/v1/tickets/TC-ABCDEFGHIJKL/reply")
        junk = await client.post("/v1/tickets/not-a-ticket/reply")

    assert (answer.status_code, junk.status_code) == (503, 503)
    lines = [json.loads(JsonFormatter("intake").format(record)) for record in caplog.records]
    assert lines[0]["ticket_id"] == "TC-ABCDEFGHIJKL"
    assert "ticket_id" not in lines[1]
