"""Every public route of the four services, in-process, fed the same table of bad input.

``tests/e2e/test_bad_input.py`` checks hand-made cases against the running stack and
``tests/fuzz`` generates bodies from the OpenAPI documents; this module walks every
route each service's ``bootstrap`` mounts (APIs, pages, webhooks, admin) with one table
of malformed input — the wrong JSON types, null, arrays for objects, empty and
whitespace-only text, NUL and lone surrogates, bytes that are not UTF-8, very long text,
duplicate keys, deep nesting, the wrong or no Content-Type, bad path and query values,
missing and malformed credentials, HEAD and OPTIONS — and checks three things:

* no answer is a 5xx;
* a refusal is JSON (or a page) with ``detail``, and a 422 has the documented
  ``[{loc, msg, type}]`` shape;
* a refused write leaves the service's database as it was (nothing half-written).

The services run against this session's store (nx-27017, ``mongo_url``), without the
broker: their lifespans are not started, which a refused request never needs.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from wechatpy.crypto import PrpCrypto, _get_signature

from runtime import webhook_signature
from runtime.auth import Principal, Role, issue_token
from runtime.settings import Settings
from runtime.staff_session import COOKIE
from services.feedback.main import bootstrap as feedback
from services.intake.config import IntakeSettings
from services.intake.main import bootstrap as intake
from services.notify.config import NotifySettings
from services.notify.main import bootstrap as notify
from services.routing.config import RoutingSettings
from services.routing.main import bootstrap as routing
from tests.unit.test_error_answers import all_routes

pytestmark = pytest.mark.integration

TENANT, OPERATOR = "acme", "tripcare"
PARTNER, PARTNER_SECRET = "edge-air", "edge-air-secret-2026-12"
SUPPLIER_EVENTS = "/v1/suppliers/{partner}/events"
JSON = "application/json"
ORIGIN = "http://svc"
LEFT_OUT = {"/readyz", "/console/events"}
"""Readiness answers 503 here by design (the broker is not started); the console's live
feed streams until the client leaves."""

BODIES: list[tuple[str, bytes]] = [
    ("null", b"null"),
    ("array", b"[]"),
    ("string", b'"x"'),
    ("number", b"1"),
    ("no body", b""),
    ("not UTF-8", b'{"text": "\xff\xfe"}'),
    ("lone surrogate", b'{"text": "\\ud800"}'),
    ("NUL", b'{"text": "a\\u0000b"}'),
    ("NaN", b'{"text": NaN}'),
    ("deep arrays", b"[" * 5_000 + b"]" * 5_000),
    ("deep objects", b'{"a":' * 2_000 + b"1" + b"}" * 2_000),
    ("duplicate keys", b'{"a": 1, "a": {"b": null}}'),
    ("not JSON", b"text=hello"),
    ("truncated", b'{"text": "a'),
]
CONTENT_TYPES: list[str | None] = [JSON, "text/plain", "application/x-www-form-urlencoded", None]
FIELD_VALUES: list[tuple[str, Any]] = [
    ("null", None),
    ("array", []),
    ("object", {}),
    ("huge number", 10**30),
    ("boolean", True),
    ("empty", ""),
    ("whitespace", " \t\n "),
    ("lone surrogate", "\ud800"),
    ("NUL", "a\x00b"),
    ("100,000 characters", "x" * 100_000),
    ("bad date", "2026-02-30T25:61:00+99:00"),
]
PATH_VALUES = ["%2F", "a%2Fb", "%00", "%FF", "%ED%A0%80", "..", "%20", "x" * 3_000]
QUERY_VALUES = ["-1", "0", "99999999999999999999999", "abc", "", "%00", "%FF", "%ED%A0%80"]
QUERY_VALUES += ["2026-13-45", "1e400", "Mars/Phobos", "x" * 5_000]
AUTHORIZATIONS: list[bytes | None] = [
    None,
    b"Bearer",
    b"Bearer ",
    b"Bearer garbage",
    b"Bearer a.b.c",
    b"Basic Zm9vOmJhcg==",
    "Bearer é".encode(),
]
COOKIES: list[bytes | None] = [None, f"{COOKIE}=".encode(), f"{COOKIE}=garbage".encode()]
API_KEYS = [b"", b"garbage", b"x" * 5_000, "é".encode()]


@dataclass
class Service:
    name: str
    app: FastAPI
    http: httpx.AsyncClient
    headers: dict[str, str]
    operator: dict[str, str]
    failures: list[str] = field(default_factory=list)

    async def counts(self) -> dict[str, int]:
        db = self.app.state.runtime.db
        counts = {
            name: await db[name].count_documents({}) for name in await db.list_collection_names()
        }
        return {name: n for name, n in counts.items() if n}


SERVICES: dict[str, tuple[Callable[[Any], FastAPI], Callable[..., Settings]]] = {
    "intake": (intake, IntakeSettings),
    "routing": (routing, RoutingSettings),
    "notify": (notify, NotifySettings),
    "feedback": (feedback, Settings),
}


def staff(app: FastAPI, tenant: str) -> dict[str, str]:
    """An admin's bearer token, also as the consoles' session cookie."""
    principal = Principal(id="ops-1", role=Role.ADMIN, tenants=[tenant])
    token = issue_token(app.state.runtime.staff_signer, principal, timedelta(hours=1))
    return {"Authorization": f"Bearer {token}", "Cookie": f"{COOKIE}={token}", "Origin": ORIGIN}


def settings(name: str, mongo_url: str) -> Settings:
    namespace = "bad" + uuid.uuid4().hex[:10]
    make = SERVICES[name][1]
    if name == "routing":
        return make(
            service=name,
            namespace=namespace,
            mongo_url=mongo_url,
            supplier_partners={PARTNER: {"secrets": [PARTNER_SECRET]}},
            supplier_operator_tenant=OPERATOR,
        )
    return make(service=name, namespace=namespace, mongo_url=mongo_url)


@pytest.fixture(params=list(SERVICES))
async def service(request: pytest.FixtureRequest, mongo_url: str) -> AsyncIterator[Service]:
    async with running(request.param, mongo_url) as started:
        yield started


@pytest.fixture
async def intake_service(mongo_url: str) -> AsyncIterator[Service]:
    async with running("intake", mongo_url) as started:
        yield started


@asynccontextmanager
async def running(name: str, mongo_url: str) -> AsyncIterator[Service]:
    """One service on a database of its own, an admin's headers (and intake's gateway key)."""
    app = SERVICES[name][0](settings(name, mongo_url))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN, timeout=60) as http:
        headers = staff(app, TENANT)
        if name == "intake":
            app.state.limiter.acquire = lambda *_args, **_kwargs: 0.0  # no 429 before parsing
            created = await http.post(
                "/v1/admin/api-keys",
                json={"name": "gateway", "scopes": ["contacts:write", "inbox:read"]},
                headers=headers,
            )
            assert created.status_code == 201, created.text
            headers["X-Api-Key"] = created.json()["key"]
        yield Service(name, app, http, headers, staff(app, OPERATOR))
    await app.state.runtime.client.close()


# ---------------------------------------------------------------- the table


@dataclass(frozen=True)
class Case:
    """One request: what it is called in a failure, and how it is sent."""

    label: str
    method: str
    url: str
    content: bytes | None = None
    headers: dict[str, bytes | None] = field(default_factory=dict)


SCALARS = {"array": [], "integer": 1, "number": 1.0, "boolean": False}
FORMATS = {"date-time": "2026-01-01T00:00:00Z", "date": "2026-01-01"}


def sample(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> Any:
    """A plausible value of ``schema``: required properties only, so one bad field stands out."""
    if "$ref" in schema:
        return sample(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, depth + 1)
    options = [s for k in ("anyOf", "oneOf", "allOf") for s in schema.get(k, [])]
    if options:
        return sample(next(s for s in options if s.get("type") != "null"), defs, depth + 1)
    if "enum" in schema or "const" in schema:
        return schema.get("enum", [schema.get("const")])[0]
    if schema.get("default") is not None or depth > 8:
        return schema.get("default")
    kind = schema.get("type")
    if kind == "array" and schema.get("minItems"):
        return [sample(schema.get("items", {}), defs, depth + 1)] * schema["minItems"]
    if kind == "object" and schema.get("minProperties"):
        return {"normal": sample(schema.get("additionalProperties", {}), defs, depth + 1)}
    if kind == "object" or "properties" in schema:
        required = schema.get("required", [])
        props = schema.get("properties", {})
        return {k: sample(v, defs, depth + 1) for k, v in props.items() if k in required}
    if kind in SCALARS:
        return max(SCALARS[kind], schema.get("minimum", 1)) if kind == "integer" else SCALARS[kind]
    return FORMATS.get(schema.get("format", ""), "a" * max(1, schema.get("minLength", 1)))


def field_cases(
    method: str, url: str, schema: dict[str, Any], defs: dict[str, Any]
) -> Iterator[Case]:
    """Each property of an otherwise plausible body set to each bad value."""
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    base = sample(schema, defs)
    if not isinstance(base, dict):
        return
    for name in schema.get("properties", {}):
        for label, value in FIELD_VALUES:
            raw = json.dumps({**base, name: value}).encode("utf-8", "surrogatepass")
            yield Case(f"body.{name} {label}", method, url, raw, {"content-type": JSON.encode()})


def request_cases(path: str, method: str, operation: dict[str, Any]) -> Iterator[Case]:
    """Bad path values, credentials and query values, and the methods nobody documents."""
    url = re.sub(r"\{[^}]+\}", "x", path)
    for value in PATH_VALUES if "{" in path else []:
        last = path.rindex("{")
        bad = path[:last] + re.sub(r"^\{[^}]+\}", value, path[last:])
        yield Case(f"path {value[:12]}", method, re.sub(r"\{[^}]+\}", "x", bad))
    credentials = [
        *({"authorization": header, "x-api-key": None} for header in AUTHORIZATIONS),
        *({"authorization": None, "cookie": cookie} for cookie in COOKIES),
        *({"authorization": None, "x-api-key": key} for key in API_KEYS),
    ]
    for headers in credentials:
        yield Case(f"credentials {headers!r:.60}", method, url, None, headers)
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query":
            name = parameter["name"]
            for value in QUERY_VALUES:
                yield Case(f"query {name}={value[:12]}", method, f"{url}?{name}={value}")
            yield Case(f"query {name} twice", method, f"{url}?{name}=1&{name}=2")
    for extra in ("HEAD", "OPTIONS"):
        yield Case(extra, extra, url)


def route_cases(
    path: str, method: str, operation: dict[str, Any], defs: dict[str, Any]
) -> Iterator[Case]:
    """The table for one operation: its request, and for a write each bad body."""
    yield from request_cases(path, method, operation)
    if method in ("GET", "HEAD", "OPTIONS"):
        return
    url = re.sub(r"\{[^}]+\}", "x", path)
    for label, raw in BODIES:
        for content_type in CONTENT_TYPES:
            headers = {"content-type": content_type.encode() if content_type else None}
            yield Case(f"body {label} as {content_type}", method, url, raw, headers)
    content = operation.get("requestBody", {}).get("content", {})
    if (schema := content.get(JSON, {}).get("schema")) is not None:
        yield from field_cases(method, url, schema, defs)


def every_case(app: FastAPI) -> Iterator[Case]:
    spec = app.openapi()
    defs = spec.get("components", {}).get("schemas", {})
    for path, operations in spec["paths"].items():
        if path in LEFT_OUT:
            continue
        for method, operation in operations.items():
            yield from route_cases(path, method.upper(), operation, defs)
    for route in all_routes(app.router.routes):
        if isinstance(route, APIRoute) and route.path not in {*spec["paths"], *LEFT_OUT}:
            for method in sorted(set(route.methods or ()) - {"HEAD"}):
                yield from route_cases(route.path.replace(":path}", "}"), method, {}, defs)


# ---------------------------------------------------------------- the checks


def wrong_answer(answer: httpx.Response) -> str | None:
    """What is wrong with the answer to bad input, if anything."""
    if answer.status_code >= 500:
        return f"{answer.status_code} {answer.text[:200]}"
    if answer.status_code < 400 or answer.request.method == "HEAD":
        return None
    kind = answer.headers.get("content-type", "")
    if kind.startswith("text/html"):
        return None
    if not kind.startswith(JSON):
        return f"{answer.status_code} answered as {kind!r}"
    body = answer.json()
    if not isinstance(body, dict) or "detail" not in body:
        return f"{answer.status_code} without a detail: {answer.text[:200]}"
    if answer.status_code == 422:
        items = body["detail"]
        if not (
            isinstance(items, list)
            and items
            and all(set(i) == {"loc", "msg", "type"} for i in items)
        ):
            return f"422 not in the documented shape: {answer.text[:200]}"
    return None


def signed(case: Case, path: str) -> dict[str, bytes | None]:
    """A supplier event is signed as its partner would, so its body is read at all."""
    if not case.url.startswith(path.split("{", 1)[0]) or case.content is None:
        return case.headers
    signature = webhook_signature.sign(PARTNER_SECRET, int(time.time()), case.content)
    return {**case.headers, webhook_signature.HEADER.lower(): signature.encode()}


async def send(service: Service, case: Case) -> httpx.Response:
    url = case.url.replace("/suppliers/x/", f"/suppliers/{PARTNER}/")
    base = service.operator if "/partners" in url else service.headers
    headers: dict[str, bytes | None] = {k.lower(): v.encode() for k, v in base.items()}
    headers.update(signed(case, SUPPLIER_EVENTS))
    sent = {k.encode(): v for k, v in headers.items() if v is not None}
    return await service.http.request(case.method, url, content=case.content, headers=sent)


async def test_every_route_answers_bad_input_with_a_4xx_naming_it_and_writes_nothing(
    service: Service,
) -> None:
    for case in every_case(service.app):
        writes = case.method in ("POST", "PUT", "PATCH", "DELETE")
        before = await service.counts() if writes else {}
        answer = await send(service, case)
        wrong = wrong_answer(answer)
        if wrong is None and writes and answer.status_code >= 400:
            after = await service.counts()
            if after != before:
                changed = {
                    k: (before.get(k, 0), n) for k, n in after.items() if before.get(k, 0) != n
                }
                wrong = f"{answer.status_code} but wrote {changed}"
        if wrong is not None:
            service.failures.append(f"{case.method} {case.url[:80]} [{case.label}]: {wrong}")

    assert service.failures == [], "\n".join(service.failures[:80])


# ---------------------------------------------------------------- found by hand

DINGTALK = {
    "token": "callback-token",
    "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "receiver_id": "ding-corp-1",
}


def dingtalk_event(plain: str, nonce: str, stamp: str = "") -> tuple[str, dict[str, str]]:
    """A subscription event as DingTalk sends it: ``plain`` encrypted, the query signed (at
    ``stamp``, by default now)."""
    key = base64.b64decode(DINGTALK["encoding_aes_key"] + "=")
    encrypted = PrpCrypto(key).encrypt(plain, DINGTALK["receiver_id"]).decode()
    stamp = stamp or str(int(time.time()))
    signature = _get_signature(DINGTALK["token"], stamp, nonce, encrypted)
    query = f"signature={signature}&timestamp={stamp}&nonce={nonce}"
    return query, {"encrypt": encrypted}


@pytest.mark.parametrize(
    "plain",
    ['{"msgtype": "text", "text": {', '{"text": "a\\u0000"}', '{"a":' * 2_000 + "1" + "}" * 2_000],
    ids=["cut short", "NUL", "too deep"],
)
async def test_a_signed_dingtalk_event_that_decrypts_to_no_json_is_a_422_naming_it(
    intake_service: Service, plain: str
) -> None:
    """The decrypted event was parsed outside the handler's refusals: a 500."""
    http, admin = intake_service.http, intake_service.headers
    configured = await http.put("/v1/admin/channels/dingtalk", json=DINGTALK, headers=admin)
    assert configured.status_code == 201, configured.text
    before = await intake_service.counts()
    query, body = dingtalk_event(plain, uuid.uuid4().hex[:8])

    answer = await http.post(f"/v1/callbacks/dingtalk/{TENANT}?{query}", json=body)

    assert answer.status_code == 422, answer.text
    [item] = answer.json()["detail"]
    assert item["loc"] == ["body", "encrypt"]
    assert item["msg"].startswith("the decrypted event is not JSON")
    assert await intake_service.counts() == before
