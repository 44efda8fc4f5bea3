"""The error answers each operation of the OpenAPI documents declares, derived from its route.

A client generated from the documents must see the 4xx/5xx it will meet, with the body it
will get. Handlers rarely say so themselves; what gives those answers is what a route
depends on, so each is derived from that when the app is assembled (``declare_errors``):

- a dependency registered with ``answers`` (staff token, gateway token or key): its own;
- a path parameter: 404 (an unknown id, another tenant's, or a path that routes nowhere),
  unless the route answers a list: its path then filters (a traveller's inbox), and what
  matches nothing is an empty list; such a route that looks its path up declares its 404;
- a request body, declared or read by the handler (a POST, PUT or PATCH): 413
  (``BodySizeLimit``) and 422; any parameter: 422;
- ``Idempotency-Key``: 409 with ``Retry-After`` (the first request with that key still
  running) and 422;
- every route: 503 with ``Retry-After`` (the store unreachable, ``install_error_handlers``).

The same dependencies say how a caller authenticates: one registered with ``answers(...,
credentials=...)`` puts those security schemes in ``components.securitySchemes`` and, as
alternatives, in the operation's ``security``, so Swagger UI offers to authorize and a
generated client knows what to send; a route depending on none is public and declares none.

What a route declares itself (a 409's reason, a 410) is kept as it is. Every error answer
then carries a schema its real body matches: ``HTTPValidationError`` for 422 (the shape
``runtime.errors`` guarantees), ``HTTPError`` for the rest (``{"detail": "..."}`` of an
``HTTPException``, plus ``title`` where the runtime answers itself: ``runtime.web.problem``);
a page's HTML answer is a string.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any, TypeVar, get_origin

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.constants import REF_PREFIX
from fastapi.openapi.utils import (
    validation_error_definition,
    validation_error_response_definition,
)
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

F = TypeVar("F", bound=Callable[..., Any])
Document = dict[str, Any]

HTTP_ERROR: Document = {
    "title": "HTTPError",
    "type": "object",
    "description": "Every error answer but a 422: `detail` says what was wrong; `title` names "
    "the kind where the runtime answers itself (a store's 404, 413, the store's 503).",
    "properties": {
        "detail": {"title": "Detail", "type": "string"},
        "title": {"title": "Title", "type": "string"},
    },
    "required": ["detail"],
}
RETRY_AFTER: Document = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer"},
    },
}
RETRIED = frozenset({"429", "503"})

NOT_FOUND = "Nothing found at this path: an unknown id, or another tenant's."
TOO_LARGE = "The body is over the size limit (`TRIPCARE_MAX_BODY_BYTES`); nothing was read."
INVALID = "Validation Error"
STILL_RUNNING = (
    "The first request with this `Idempotency-Key` is still running: retry after `Retry-After` "
    "seconds for its answer."
)
STORE_DOWN = "The store is unreachable: retry after `Retry-After` seconds; nothing was written."
IDEMPOTENCY_HEADER = "idempotency-key"
BODY_METHODS = frozenset({"post", "put", "patch"})


@dataclass(frozen=True)
class Credential:
    """A way to authenticate: an OpenAPI security scheme, by its name and definition."""

    name: str
    scheme: Document = field(compare=False, hash=False)


_DEPENDENCY_ERRORS: dict[Callable[..., Any], dict[int, str]] = {}
_DEPENDENCY_CREDENTIALS: dict[Callable[..., Any], tuple[Credential, ...]] = {}


def answers(errors: Mapping[int, str], credentials: Sequence[Credential] = ()) -> Callable[[F], F]:
    """Register the error answers (status: why) a dependency gives, for every route using it,
    and the credentials it checks (any one of them lets the caller in)."""

    def register(dependency: F) -> F:
        _DEPENDENCY_ERRORS[dependency] = dict(errors)
        if credentials:
            _DEPENDENCY_CREDENTIALS[dependency] = tuple(credentials)
        return dependency

    return register


def _dependencies(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _dependencies(sub)


def _answers_a_list(route: APIRoute) -> bool:
    origin = get_origin(route.response_model)
    return isinstance(origin, type) and issubclass(origin, Sequence)


def route_errors(route: APIRoute, method: str, operation: Mapping[str, Any]) -> dict[str, str]:
    """The error answers (status: why) of one operation, from what its route depends on."""
    errors: dict[str, str] = {}

    def add(status: int, why: str) -> None:
        known = errors.get(str(status))
        errors[str(status)] = why if known is None or why in known else f"{known} {why}"

    for call in _dependencies(route.dependant):
        for status, why in _DEPENDENCY_ERRORS.get(call, {}).items():
            add(status, why)
    parameters = operation.get("parameters", [])
    if any(p.get("in") == "path" for p in parameters) and not _answers_a_list(route):
        add(404, NOT_FOUND)
    takes_body = "requestBody" in operation or method in BODY_METHODS
    if takes_body:
        add(413, TOO_LARGE)
    if parameters or takes_body:
        add(422, INVALID)
    if any(p.get("name", "").lower() == IDEMPOTENCY_HEADER for p in parameters):
        add(409, STILL_RUNNING)
    add(503, STORE_DOWN)
    return errors


def route_credentials(route: APIRoute) -> list[tuple[Credential, ...]]:
    """What a caller of ``route`` may send: each tuple one alternative, all of its credentials
    together (one from every authenticating dependency); none for a public route."""
    checked = {
        _DEPENDENCY_CREDENTIALS[call]
        for call in _dependencies(route.dependant)
        if call in _DEPENDENCY_CREDENTIALS
    }
    if not checked:
        return []
    return [
        tuple(dict.fromkeys(choice))
        for choice in product(*sorted(checked, key=lambda c: [x.name for x in c]))
    ]


def _schema_for(status: str, media_type: str) -> Document:
    if media_type != "application/json":
        return {"type": "string"}
    name = "HTTPValidationError" if status == "422" else "HTTPError"
    return {"$ref": REF_PREFIX + name}


def declare(operation: Document, errors: Mapping[str, str]) -> None:
    """Add ``errors`` not declared yet to ``operation``, and a schema to every error answer."""
    responses: Document = operation.setdefault("responses", {})
    for status, why in errors.items():
        responses.setdefault(status, {"description": why})
    for status, response in responses.items():
        if not (status.isdigit() and int(status) >= 400):
            continue
        content = response.get("content") or {"application/json": {}}
        response["content"] = content
        for media_type, body in content.items():
            body.setdefault("schema", _schema_for(status, media_type))
        if status in RETRIED or (status == "409" and STILL_RUNNING in errors.get(status, "")):
            response.setdefault("headers", RETRY_AFTER)


def secure(
    operation: Document, components: Document, alternatives: Sequence[tuple[Credential, ...]]
) -> None:
    """Declare on ``operation`` what its caller sends, and each credential's scheme."""
    if not alternatives:
        return
    operation["security"] = [{c.name: [] for c in choice} for choice in alternatives]
    schemes = components.setdefault("securitySchemes", {})
    for choice in alternatives:
        for credential in choice:
            schemes.setdefault(credential.name, credential.scheme)


def _operations(
    document: Document, routes: Sequence[BaseRoute]
) -> Iterator[tuple[APIRoute, str, Document]]:
    paths = document.get("paths", {})
    for route in routes:
        if not (isinstance(route, APIRoute) and route.include_in_schema):
            continue
        for method in sorted(route.methods or ()):
            operation = paths.get(route.path_format, {}).get(method.lower())
            if operation is not None:
                yield route, method.lower(), operation


def declare_errors(app: FastAPI, routes: Sequence[BaseRoute]) -> None:
    """Declare, in the app's OpenAPI document, the error answers of ``routes`` (a service's
    own: its routers', not the ops endpoints')."""
    build = app.openapi

    def openapi() -> Document:
        fresh = app.openapi_schema is None
        document = build()
        if fresh:
            components = document.setdefault("components", {})
            for route, method, operation in _operations(document, routes):
                declare(operation, route_errors(route, method, operation))
                secure(operation, components, route_credentials(route))
            schemas = components.setdefault("schemas", {})
            schemas.setdefault("HTTPError", HTTP_ERROR)
            schemas.setdefault("HTTPValidationError", validation_error_response_definition)
            schemas.setdefault("ValidationError", validation_error_definition)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
