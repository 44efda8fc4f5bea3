"""Login CSRF: another site must not sign a browser into the attacker's session.

The sign-in form needs no cookie (the console's other forms, checked the same way, are in
``test_consoles.py``), so it checks where the post came from: ``Origin`` (else ``Referer``) must be
this site; a cross-site or opaque (``null``) one is 403 and sets no cookie. A post with
neither is a client that is no browser (browsers send ``Origin`` on every POST). The sign-in
page lets the browser send its origin (``Referrer-Policy: same-origin``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from runtime.auth import Principal, Role, issue_token
from runtime.clock import FakeClock
from runtime.signing import Signer
from runtime.staff_session import COOKIE, StaffSession
from tests.factories import T0

SIGNER = Signer("login-origin-test-secret-0123456789abcdef")


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(StaffSession(SIGNER, FakeClock(T0), dev_login=False, home="/c").router())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake:8001") as client:
        yield client


def token() -> str:
    return issue_token(
        SIGNER, Principal(id="mallory", role=Role.AGENT, tenants=["acme"]), timedelta(1)
    )


async def sign_in(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await http.post("/console/login", data={"token": token()}, headers=headers)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://intake:8001"},
        {"Referer": "http://intake:8001/console/login?next=/c"},
        {},
    ],
    ids=["same-origin", "same-origin-referer", "no-browser"],
)
async def test_a_same_site_sign_in_is_taken(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    answer = await sign_in(http, headers)

    assert answer.status_code == 303
    assert COOKIE in answer.headers["set-cookie"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "http://intake:8002"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/login-csrf.html"},
        {"Origin": "https://evil.example", "Referer": "http://intake:8001/console/login"},
    ],
    ids=["other-site", "other-port", "opaque", "other-site-referer", "origin-wins"],
)
async def test_a_cross_site_sign_in_is_refused_and_sets_no_cookie(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    answer = await sign_in(http, headers)

    assert answer.status_code == 403
    assert COOKIE not in answer.headers.get("set-cookie", "")


async def test_the_sign_in_page_lets_its_own_form_send_its_origin(
    http: httpx.AsyncClient,
) -> None:
    """Under ``no-referrer`` (every other page) a browser posts ``Origin: null``."""
    page = await http.get("/console/login")

    assert page.headers["referrer-policy"] == "same-origin"
