"""Security headers on every response; a Content Security Policy on every page.

Pages (consoles, dashboard, traveller pages) load scripts and stylesheets only
from their own service and run no inline script. Their few inline ``<style>``
blocks carry a nonce fresh for each response (``csp_nonce()`` in templates), so
an injected style or script element does nothing; the OpenAPI page (``/docs``,
``runtime.api_docs``) too. Responses that set their own policy keep it (the monthly
report's inline SVG charts). HSTS is sent outside
development, where the services sit behind HTTPS.

Pages and JSON answers are ``Cache-Control: no-store`` unless they say otherwise: a
traveller's page sits under the link that is their credential and shows their messages,
and a staff page or answer holds travellers' data, so no browser cache (a shared device)
or proxy keeps them. Scripts and stylesheets stay cacheable.
"""

from __future__ import annotations

import secrets
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "Content-Security-Policy"
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
DOCUMENT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
"""For a generated document without script or forms (inline SVG carries style attributes)."""
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=63072000; includeSubDomains"

_nonce: ContextVar[str] = ContextVar("csp_nonce", default="")


def csp_nonce() -> str:
    """The nonce of the response being rendered (a template global)."""
    return _nonce.get()


class SecurityHeaders:
    """Plain ASGI middleware (no BaseHTTPMiddleware, so the nonce reaches the endpoint)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        token = _nonce.set(nonce)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._decorate(MutableHeaders(scope=message), nonce)
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            _nonce.reset(token)

    def _decorate(self, headers: MutableHeaders, nonce: str) -> None:
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        if self.hsts:
            headers.setdefault("Strict-Transport-Security", HSTS)
        content_type = headers.get("content-type", "")
        page = content_type.startswith("text/html")
        headers.setdefault(CSP, PAGE_POLICY.format(nonce=nonce) if page else API_POLICY)
        if page or content_type.startswith("application/json"):
            headers.setdefault("Cache-Control", "no-store")
