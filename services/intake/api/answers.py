"""How intake's writes answer: 503 before writing when saturated."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request
from fastapi import status as http
from fastapi.responses import JSONResponse

from runtime.admission import Admission, AtCapacity, request_age


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
