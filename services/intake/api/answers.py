"""How intake's writes answer: once per Idempotency-Key, and 503 before writing when saturated."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import HTTPException, Request
from fastapi import status as http
from fastapi.responses import JSONResponse

from runtime.admission import Admission, AtCapacity, request_age
from runtime.errors import invalid
from runtime.idempotency import IdempotencyConflict, IdempotentRequests

Produce = Callable[[], Awaitable[tuple[int, Any]]]
"""A write and its answer (status, JSON body)."""


async def once(
    idempotency: IdempotentRequests, scope: str, key: str | None, request: str, produce: Produce
) -> JSONResponse:
    """Run ``produce``; with a key, a retry gets the first answer (a different request: 422)."""
    try:
        if key is None:
            code, body = await produce()
        else:
            code, body = await idempotency.run(
                scope=scope, key=key, request=request, produce=produce
            )
    except IdempotencyConflict as exc:
        if exc.status == http.HTTP_422_UNPROCESSABLE_CONTENT:
            raise invalid(exc.detail, ("header", "Idempotency-Key")) from exc
        raise HTTPException(exc.status, exc.detail) from exc
    return JSONResponse(body, status_code=code)


async def admitted(
    admission: Admission,
    produce: Callable[[], Awaitable[JSONResponse]],
    request: Request,
) -> JSONResponse:
    """Shed load with 503 + Retry-After before anything is written, rather than queue
    requests here until the gateway times out; 429 is the key's own rate, this the desk's.
    ``request``: its ``X-Request-Start`` tells how long it waited before intake read it."""
    age = request_age(request.headers.get("x-request-start"), time.time())
    try:
        with admission.admit(age):
            return await produce()
    except AtCapacity as exc:
        raise HTTPException(
            http.HTTP_503_SERVICE_UNAVAILABLE,
            f"intake is at capacity: retry after {exc.retry_after_s} s",
            headers={"Retry-After": str(exc.retry_after_s)},
        ) from exc
