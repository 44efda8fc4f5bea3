"""Bodies over the limit are 413 whether Content-Length declares them or they stream in
chunks (``runtime.web.BodySizeLimit``), never a 400 from the body parser."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel

from runtime.errors import StrictJsonRoute
from runtime.web import BodySizeLimit, install_error_handlers

LIMIT = 1_000
BIG = b'{"text": "' + b"x" * 3_000 + b'"}'


class Contact(BaseModel):
    text: str


def app() -> FastAPI:
    api = APIRouter(route_class=StrictJsonRoute)

    @api.post("/declared")
    async def declared(body: Contact) -> int:
        return len(body.text)

    @api.post("/by-hand")
    async def by_hand(request: Request) -> int:
        return len(await request.body())

    service = FastAPI()
    service.include_router(api)
    install_error_handlers(service)
    service.add_middleware(BodySizeLimit, max_bytes=LIMIT)
    return service


async def chunks(body: bytes, size: int = 256) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


@pytest.mark.parametrize("path", ["/declared", "/by-hand"])
async def test_a_chunked_body_over_the_limit_is_413_like_a_declared_one(path: str) -> None:
    transport = httpx.ASGITransport(app=app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        declared = await http.post(path, content=BIG, headers={"content-type": "application/json"})
        chunked = await http.post(
            path, content=chunks(BIG), headers={"content-type": "application/json"}
        )

    assert "content-length" not in chunked.request.headers
    assert (declared.status_code, chunked.status_code) == (413, 413)
    refused = {"title": "payload too large", "detail": f"the limit is {LIMIT} bytes"}
    assert chunked.json() == declared.json() == refused
