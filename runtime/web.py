"""HTTP conventions shared by the services' APIs."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from pymongo.errors import ConnectionFailure
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.errors import MAX_MESSAGE, install_validation_handlers, printable
from runtime.logging import ticket_field
from runtime.store import NotFound

log = logging.getLogger(__name__)

STORE_RETRY_AFTER_S = 5
"""What a request that found the store unreachable tells its caller to wait: about a
replica-set election (docs/operations.md, "Store failover")."""

MAX_ECHO = 64
"""A 404 names the id it did not find (from the path), cut to this: enough for any id
TripCare makes, not an echo of whatever was sent."""
TENANT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

TenantId = Annotated[
    str,
    Header(
        alias="X-Tenant-Id",
        pattern=TENANT_PATTERN,
        description="The enterprise customer the caller acts for; other tenants' data is 404.",
    ),
]


def problem(status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"title": title, "detail": printable(detail, MAX_MESSAGE)}, status_code=status
    )


def install_error_handlers(app: FastAPI) -> None:
    install_validation_handlers(app)

    @app.exception_handler(BodyTooLarge)
    async def body_too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        return too_large(exc)

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return problem(404, "not found", printable(str(exc), MAX_ECHO))

    @app.exception_handler(ConnectionFailure)
    async def store_unreachable(request: Request, exc: ConnectionFailure) -> JSONResponse:
        """The store is down or electing: a 503 the caller retries, not a 500 and a
        traceback per request (the request wrote nothing it would not write again). The
        line names the route's template, never the path: a path may carry a link's token."""
        route = getattr(request.scope.get("route"), "path", "an unrouted path")
        log.warning(
            "store unreachable, answered 503: %s %s (%s)",
            request.method,
            route,
            type(exc).__name__,
            extra={"ticket_id": ticket_field(request.path_params.get("ticket_id"))},
        )
        answer = problem(
            503,
            "service unavailable",
            f"the store is unreachable: retry after {STORE_RETRY_AFTER_S} s",
        )
        answer.headers["Retry-After"] = str(STORE_RETRY_AFTER_S)
        return answer


def publish_schemas(app: FastAPI, models: Sequence[type[BaseModel]]) -> None:
    """Add ``models`` to the OpenAPI document's ``components/schemas``, for request bodies a
    route reads itself and documents with ``openapi_extra`` (``#/components/schemas/Name``)."""
    if not models:
        return
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            _, found = models_json_schema(
                [(model, "validation") for model in models],
                ref_template="#/components/schemas/{model}",
            )
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for name, schema in found.get("$defs", {}).items():
                schemas.setdefault(name, schema)
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]


def schema_ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


class BodyTooLarge(StarletteHTTPException):
    """A body that streamed past the limit. An HTTPException, as FastAPI's body parser
    re-raises those and answers any other error of reading the body with a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the limit is {limit} bytes")


def too_large(exc: BodyTooLarge) -> JSONResponse:
    return problem(413, "payload too large", str(exc.detail))


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` with 413, counting what actually arrives.

    Content-Length is checked up front; chunked bodies are counted as they stream, and
    the ``BodyTooLarge`` raised inside the app is answered by ``install_error_handlers``.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        larger: Sequence[tuple[re.Pattern[str], int]] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = tuple(larger)
        """Paths that take more (e-mail with attachments, replies with files)."""

    def _limit(self, path: str) -> int:
        return next((size for pattern, size in self.larger if pattern.match(path)), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope.get("path", ""))
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await too_large(BodyTooLarge(limit))(scope, receive, send)
            return
        seen = 0

        async def counting() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
            return message

        await self.app(scope, counting, send)


class TrailingSlash:
    """Serve ``/v1/contacts/`` as ``/v1/contacts``, whatever the method.

    Starlette answers a path that differs from a route by a trailing slash with an empty 307,
    which most clients do not follow for a POST with a body; a gateway's contact was lost
    behind it. So trailing slashes are not part of any path (no route declares one, and
    the app redirects none: a path that is still unknown is a plain 404). Only literal
    slashes go: an id sent ending in ``%2F`` keeps its slash.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = without_trailing_slash(scope)
        await self.app(scope, receive, send)


def without_trailing_slash(scope: Scope) -> Scope:
    """The scope with the literal slashes at the end of its path dropped (``/`` stays)."""
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    kept = raw.rstrip(b"/") or b"/"
    dropped = len(raw) - len(kept)
    if not dropped:
        return scope
    return {**scope, "path": scope["path"][:-dropped], "raw_path": kept}
