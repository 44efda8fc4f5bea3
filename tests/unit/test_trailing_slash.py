"""A path with a trailing slash is the same endpoint as without (``runtime.web.TrailingSlash``).

FastAPI answered ``POST /v1/contacts/`` with an empty 307 to ``/v1/contacts``, which most
HTTP clients do not follow for a POST with a body: the gateway's contact was lost behind a
status it did not expect. Every service now routes both spellings alike and redirects none.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from runtime.web import TrailingSlash
from services.feedback.main import bootstrap as feedback
from services.intake.main import bootstrap as intake
from services.notify.main import bootstrap as notify
from services.routing.main import bootstrap as routing

SERVICES: dict[str, Callable[[], FastAPI]] = {
    "intake": intake,
    "routing": routing,
    "notify": notify,
    "feedback": feedback,
}
PROBES = {
    "intake": ("POST", "/v1/contacts", {"channel": "in_app", "text": "my flight"}),
    "routing": ("PUT", "/v1/policy", {"bot_enabled": False}),
    "notify": ("POST", "/v1/inbox/trav-42/N-1/read", None),
    "feedback": ("GET", "/v1/metrics", None),
}
"""One endpoint per service that answers without a store: 401, no credentials sent."""


async def answers(app: FastAPI, method: str, path: str, body: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        return await http.request(method, path, json=body)


@pytest.mark.parametrize("service", list(SERVICES))
async def test_a_trailing_slash_reaches_the_same_endpoint_not_a_redirect(service: str) -> None:
    app = SERVICES[service]()
    method, path, body = PROBES[service]

    plain = await answers(app, method, path, body)
    slashed = await answers(app, method, path + "/", body)
    health = await answers(app, "GET", "/healthz/", None)

    assert plain.status_code == 401
    assert (slashed.status_code, slashed.json()) == (plain.status_code, plain.json())
    assert health.status_code == 200


@pytest.mark.parametrize("service", list(SERVICES))
async def test_no_route_ends_in_a_slash_and_an_unknown_path_is_a_404(service: str) -> None:
    """A route declared ``/x/`` could not be reached once slashes are dropped."""
    app = SERVICES[service]()
    paths = [route.path for route in app.routes if isinstance(route, APIRoute)]

    missing = await answers(app, "POST", "/v1/nothing-here/", {"a": 1})

    assert [path for path in paths if path.endswith("/")] == []
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found"}


async def test_an_encoded_slash_at_the_end_stays_part_of_the_id() -> None:
    """Ids may end in ``/`` (a traveller id from a customer's system): sent as ``%2F``, as
    docs/api.md asks, it is the id's; a literal ``/`` at the end is the path's, not the id's."""
    inner = FastAPI(redirect_slashes=False)

    @inner.get("/v1/inbox/{traveller_id:path}")
    async def inbox(traveller_id: str) -> str:
        return traveller_id

    app = TrailingSlash(inner)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        encoded = await http.get("/v1/inbox/a%2F")
        literal = await http.get("/v1/inbox/a/")
        both = await http.get("/v1/inbox/a%2F/")

    assert (encoded.json(), literal.json(), both.json()) == ("a/", "a", "a/")
