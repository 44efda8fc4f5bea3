"""The OpenAPI page (``/docs``) loads nothing from a CDN and runs under the pages' CSP; it is
served in development (``make up``) and, in production, only when asked for.

It loaded ``swagger-ui-dist@5`` from a CDN — a floating major version, no integrity hash,
no CSP on the page, in production too — where every other page loads only its own
service's files. ``/openapi.json`` stays served everywhere.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from runtime.headers import CSP
from services.routing import main as routing_main
from tests.unit.test_auth_edges import REAL_KEYS, client


def routing(monkeypatch: pytest.MonkeyPatch, **env: str) -> FastAPI:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return routing_main.bootstrap()


@pytest.fixture
async def served() -> AsyncIterator[list[FastAPI]]:
    apps: list[FastAPI] = []
    yield apps
    for app in apps:
        await app.state.runtime.client.close()


async def test_in_development_the_page_loads_only_its_own_services_files_under_csp(
    monkeypatch: pytest.MonkeyPatch, served: list[FastAPI]
) -> None:
    app = routing(monkeypatch)
    served.append(app)
    async with client(app) as http:
        page = await http.get("/docs")
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        fetched = [await http.get(asset) for asset in assets]
        spec = await http.get("/openapi.json")

    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    assert len(assets) == 4
    assert all(asset.startswith("/docs/") for asset in assets), assets
    assert "<script>" not in page.text, "no inline script: the CSP allows none"
    policy = page.headers[CSP]
    assert "script-src 'self';" in policy
    assert "http" not in policy, "no other origin"
    assert [answer.status_code for answer in fetched] == [200] * len(assets)
    script = next(a for a, f in zip(assets, fetched, strict=True) if a.endswith(".js"))
    assert script.endswith("swagger-ui-bundle.js")
    assert spec.status_code == 200
    assert spec.json()["info"]["title"]


async def test_in_production_the_page_is_off_unless_enabled_and_the_spec_stays(
    monkeypatch: pytest.MonkeyPatch, served: list[FastAPI]
) -> None:
    off = routing(monkeypatch, TRIPCARE_ENV="production", **REAL_KEYS)
    on = routing(monkeypatch, TRIPCARE_API_DOCS="true")
    served.extend([off, on])
    async with client(off) as http_off, client(on) as http_on:
        hidden = [await http_off.get(path) for path in ("/docs", "/redoc")]
        asset = await http_off.get("/docs/swagger-ui-bundle.js")
        spec = await http_off.get("/openapi.json")
        shown = await http_on.get("/docs")

    assert [answer.status_code for answer in hidden] == [404, 404]
    assert asset.status_code == 404
    assert spec.status_code == 200
    assert shown.status_code == 200


async def test_redoc_and_its_cdn_script_are_gone_everywhere(
    monkeypatch: pytest.MonkeyPatch, served: list[FastAPI]
) -> None:
    app = routing(monkeypatch)
    served.append(app)
    async with client(app) as http:
        redoc = await http.get("/redoc")

    assert redoc.status_code == 404
