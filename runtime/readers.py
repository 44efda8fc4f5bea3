"""Reading another service's HTTP API: the trace goes on, a short timeout, no failure passed on.

Consoles and dashboards show what another service owns (routing's case file and
suggested answers, its open incidents) by calling that service's public API
with the signed-in person's own token, so it checks tenant and role as for any
call. Such a read only adds to a page: when the other service is down, slow or
answers garbage, the page still renders without it. So ``ReaderSession.get``
answers None for any status but 200 and raises ``Unavailable`` when there is
no usable answer at all; a reader catches that once per page and shows less.

A write that depends on what another service knows (a transfer's queue or
agent) must tell "there is no such thing" from "no answer": ``ReaderSession.lookup``
answers None only for a 404 and raises ``Unavailable`` for any other status, and
the write is refused rather than made on a guess.

Each request is a client span, a child of the handler's, and carries the W3C
``traceparent``/``tracestate``, so the other service's spans join the same trace.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from runtime.telemetry import current_trace_context, trace_headers

DEFAULT_TIMEOUT_S = 2.0
_tracer = trace.get_tracer(__name__)


class Unavailable(Exception):
    """The other service gave no usable answer: unreachable, too slow, or not JSON."""


class ReaderSession:
    """One page's reads from one service, over one connection pool."""

    def __init__(self, http: httpx.AsyncClient, service: str) -> None:
        self.http = http
        self.service = service

    async def get(self, path: str, **params: str | int) -> Any:
        """The JSON of a 200 answer; None for any other status."""
        response = await self._send(path, params)
        return self._json(path, response) if response.status_code == 200 else None

    async def lookup(self, path: str, **params: str | int) -> Any:
        """The JSON of a 200 answer, None for a 404; any other status is ``Unavailable``."""
        response = await self._send(path, params)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise Unavailable(f"{self.service} answered {path} with {response.status_code}")
        return self._json(path, response)

    async def _send(self, path: str, params: dict[str, str | int]) -> httpx.Response:
        with _tracer.start_as_current_span(f"GET {self.service}", kind=SpanKind.CLIENT) as span:
            span.set_attribute("http.request.method", "GET")
            span.set_attribute("server.address", self.http.base_url.host)
            try:
                response = await self.http.get(
                    path, params=params or None, headers=trace_headers(*current_trace_context())
                )
            except httpx.HTTPError as exc:
                raise Unavailable(f"{self.service}: {exc!r}") from exc
            span.set_attribute("http.response.status_code", response.status_code)
            return response

    def _json(self, path: str, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise Unavailable(f"{self.service} answered {path} with no JSON") from exc


class ServiceReader:
    """A read-only client of one service's API; each subclass reads one kind of thing.

    ``transport`` is for tests (``httpx.MockTransport``); a real reader opens a
    connection pool per page read, as the pages read rarely.
    """

    service = "service"
    """The service read, as logs and span names call it."""

    def __init__(
        self,
        base_url: str,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.transport = transport

    @asynccontextmanager
    async def session(self, token: str, **headers: str) -> AsyncIterator[ReaderSession]:
        """Reads as the signed-in person (their bearer token), with any extra headers."""
        async with httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}", **headers},
            timeout=self.timeout_s,
            transport=self.transport,
        ) as http:
            yield ReaderSession(http, self.service)
