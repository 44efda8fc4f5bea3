"""The four services' edges without a store or broker: the apps as ``bootstrap`` builds them,
over ASGI (no lifespan), for requests refused before anything is read or written.

A token that is not one — a non-ASCII character after the dot, above all — is a clear
4xx on every surface that takes one; pages carry CSP (and, outside development, HSTS
and Secure cookies).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from runtime.auth import Principal, Role, issue_token
from runtime.headers import CSP
from runtime.settings import DEV_LINK_KEYS, DEV_STAFF_KEYS, Settings
from runtime.signing import Signer
from runtime.staff_session import COOKIE
from services.feedback import main as feedback_main
from services.intake import main as intake_main
from services.notify import main as notify_main
from services.routing import main as routing_main

BAD_TOKENS = ["abc.ü", "eyJhbGciOiJIUzI1NiJ9.e30.ü", "ü", "x.y.z", "a" * 5000]
REAL_KEYS = {
    "TRIPCARE_STAFF_KEYS": json.dumps({"s1": "an-edge-test-staff-key-0123456789abc"}),
    "TRIPCARE_LINK_KEYS": json.dumps({"l1": "an-edge-test-link-key-0123456789abcd"}),
    "TRIPCARE_SECRETS_KEY": "YW4tZWRnZS10ZXN0LXNlY3JldHMta2V5LTAxMjM0NTY=",
}
Apps = dict[str, httpx.AsyncClient]


def client(app: FastAPI, https: bool = False) -> httpx.AsyncClient:
    base = "https://tripcare.test" if https else "http://tripcare.test"
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base)


@pytest.fixture(scope="module")
async def apps() -> AsyncIterator[Apps]:
    """The four services in development, as ``make up`` runs them."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TRIPCARE_SUPPLIER_PARTNERS", '{"demo-air": {"secrets": ["partner-secret"]}}')
        env.setenv("TRIPCARE_DEV_LOGIN", "1")
        built: dict[str, FastAPI] = {
            "intake": intake_main.bootstrap(),
            "routing": routing_main.bootstrap(),
            "notify": notify_main.bootstrap(),
            "feedback": feedback_main.bootstrap(),
        }
    clients = {name: client(app) for name, app in built.items()}
    yield clients
    for name, app in built.items():
        await clients[name].aclose()
        await app.state.runtime.client.close()


@pytest.fixture(scope="module")
async def production() -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    """Intake and feedback as a Kubernetes deploy runs them (TRIPCARE_ENV=production)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TRIPCARE_ENV", "production")
        for name, value in REAL_KEYS.items():
            env.setenv(name, value)
        built = {"intake": intake_main.bootstrap(), "feedback": feedback_main.bootstrap()}
    clients = {name: client(app, https=True) for name, app in built.items()}
    yield clients.__getitem__
    for name, app in built.items():
        await clients[name].aclose()
        await app.state.runtime.client.close()


def staff(signer: Signer, role: Role = Role.MANAGER) -> str:
    principal = Principal(id="mgr-1", role=role, tenants=["acme"])
    return issue_token(signer, principal, timedelta(hours=1))


# ------------------------------------------------------------------ tokens that are not tokens


@pytest.mark.parametrize("token", BAD_TOKENS)
async def test_a_bad_bearer_token_is_401_on_every_service(apps: Apps, token: str) -> None:
    for service, path in [
        ("intake", "/v1/tickets"),
        ("routing", "/v1/queues"),
        ("notify", "/v1/inbox/trav-42"),
        ("notify", "/v1/notifications?ticket_id=TC-1"),
        ("feedback", "/v1/metrics"),
    ]:
        bearer = f"Bearer {token}".encode()
        answer = await apps[service].get(path, headers={"Authorization": bearer})
        assert (service, answer.status_code) == (service, 401), answer.text
        assert answer.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("token", BAD_TOKENS)
async def test_a_bad_traveller_link_is_a_clear_4xx_as_json_and_as_a_page(
    apps: Apps, token: str
) -> None:
    intake, feedback = apps["intake"], apps["feedback"]
    page = {"Accept": "text/html"}
    answers = [
        await intake.get(f"/v1/track/{token}"),
        await intake.post(f"/v1/track/{token}/not-helped"),
        await intake.get(f"/track/{token}", headers=page),
        await intake.post(f"/track/{token}/not-helped", headers=page),
        await feedback.get(f"/v1/surveys/{token}"),
        await feedback.get(f"/v1/surveys/{token}", headers=page),
        await feedback.post(f"/v1/surveys/{token}", json={"csat": 5}),
        await feedback.get(f"/v1/appeals/{token}", headers=page),
        await feedback.post(f"/v1/appeals/{token}", json={"reason": "not solved at all"}),
    ]
    assert [a.status_code for a in answers] == [404] * len(answers)


@pytest.mark.parametrize("token", BAD_TOKENS)
async def test_a_bad_staff_cookie_leads_to_sign_in_and_a_bad_pasted_token_is_refused(
    apps: Apps, token: str
) -> None:
    for service, path in [("intake", "/console"), ("feedback", "/dashboard")]:
        cookie = f"{COOKIE}={token}".encode()
        answer = await apps[service].get(path, headers={"Cookie": cookie})
        assert (answer.status_code, answer.headers["location"]) == (
            303,
            f"/console/login?next={path}",
        )
    login = await apps["intake"].post("/console/login", data={"token": token})
    assert login.status_code == 401
    assert COOKIE not in login.cookies


@pytest.mark.parametrize(
    "signature",
    ["t=1700000000,v1=ü", "t=" + "9" * 5000 + ",v1=" + "a" * 64, "t=²,v1=" + "a" * 64],
)
async def test_a_malformed_supplier_signature_is_401(apps: Apps, signature: str) -> None:
    answer = await apps["routing"].post(
        "/v1/suppliers/demo-air/events",
        content=b'{"kind": "flight_cancelled", "reference": "CA1501"}',
        headers={"X-TripCare-Signature": signature.encode(), "content-type": "application/json"},
    )
    assert answer.status_code == 401, answer.text


async def test_a_staff_token_signed_with_a_link_key_opens_nothing(apps: Apps) -> None:
    forged = staff(Signer(DEV_LINK_KEYS), Role.ADMIN)
    answer = await apps["intake"].get("/v1/tickets", headers={"Authorization": f"Bearer {forged}"})
    assert answer.status_code == 401


# ------------------------------------------------------------------ headers and cookies


async def test_pages_carry_a_nonce_csp_and_their_inline_styles_the_nonce(apps: Apps) -> None:
    pages = [
        await apps["intake"].get("/console/login"),
        await apps["intake"].get("/track/abc.ü", headers={"Accept": "text/html"}),
        await apps["feedback"].get("/console/login"),
    ]
    nonces = set()
    for page in pages:
        policy = page.headers[CSP]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        nonce = policy.split("'nonce-")[1].split("'")[0]
        nonces.add(nonce)
        assert page.text.count("<style") == page.text.count(f'<style nonce="{nonce}">')
        # The sign-in page sends its origin with its own form (login CSRF check); no other.
        login = page.url.path == "/console/login"
        assert page.headers["referrer-policy"] == ("same-origin" if login else "no-referrer")
        assert "strict-transport-security" not in page.headers
    assert len(nonces) == len(pages)


async def test_pages_and_json_are_kept_by_no_cache_static_files_are(apps: Apps) -> None:
    """A traveller's page or its JSON holds their messages under a URL that is their
    credential: no browser cache (a shared or kiosk device, back after "that did not help")
    or proxy keeps it. The consoles' scripts and stylesheets stay cacheable."""
    page = {"Accept": "text/html"}
    intake, feedback = apps["intake"], apps["feedback"]
    kept_by_none = [
        await intake.get("/track/abc.x", headers=page),
        await intake.get("/v1/track/abc.x"),
        await feedback.get("/v1/surveys/abc.x", headers=page),
        await feedback.get("/v1/appeals/abc.x"),
        await intake.get("/console/login"),
        await intake.get("/openapi.json"),
    ]
    for answer in kept_by_none:
        assert (answer.url.path, answer.headers.get("cache-control")) == (
            answer.url.path,
            "no-store",
        )
    stylesheet = await intake.get("/console/static/console.css")
    assert stylesheet.status_code == 200
    assert "no-store" not in stylesheet.headers.get("cache-control", "")


async def test_development_cookies_are_not_secure_so_http_localhost_works(apps: Apps) -> None:
    signed_in = await apps["intake"].post(
        "/console/login", data={"token": staff(Signer(DEV_STAFF_KEYS))}
    )
    assert signed_in.status_code == 303
    assert "secure" not in signed_in.headers["set-cookie"].lower()


async def test_outside_development_cookies_are_secure_and_pages_send_hsts(
    production: Callable[[str], httpx.AsyncClient],
) -> None:
    keys = json.loads(REAL_KEYS["TRIPCARE_STAFF_KEYS"])
    for service in ("intake", "feedback"):
        signed_in = await production(service).post(
            "/console/login", data={"token": staff(Signer(keys))}
        )
        assert signed_in.status_code == 303
        cookie = signed_in.headers["set-cookie"].lower()
        assert all(flag in cookie for flag in ("secure", "httponly", "samesite=strict"))
        assert signed_in.headers["strict-transport-security"].startswith("max-age=")
    refused = await production("intake").post(
        "/console/login", data={"sub": "x", "role": "admin", "tenant": "acme"}
    )
    assert refused.status_code == 422


def test_production_will_not_start_on_the_development_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRIPCARE_ENV", "production")
    with pytest.raises(ValueError, match="TRIPCARE_STAFF_KEYS"):
        intake_main.bootstrap()
    with pytest.raises(ValueError, match="TRIPCARE_STAFF_KEYS"):
        Settings(service="routing")
