"""Staff sign-in for the browser consoles: the API's signed staff token, kept in a cookie.

The cookie holds the same signed token ``python -m runtime.auth`` issues, so
role, tenants and expiry are checked exactly as for bearer calls. It is
HttpOnly and SameSite=Strict: another site can neither read it nor make the
browser send it with a forged form post; outside development it is also Secure.
SameSite is the registrable domain, not the origin: a page on another port of the host
or on a sibling host (``evil.example.com`` beside ``console.example.com``) is the same
site, and its forged post carries the cookie. So every staff form post (sign-in, sign-out,
the console's actions) is taken only from this origin (``same_site``: ``Origin``, else
``Referer``), 403 otherwise; sign-in needs no cookie at all (login CSRF: the browser
signed into the attacker's session). Staff pages and the sign-in page answer
``Referrer-Policy: same-origin`` (not ``no-referrer``): under ``no-referrer`` a browser
sends ``Origin: null`` even with a page's own form, and they hold no token to leak.
``TRIPCARE_DEV_LOGIN`` adds a form that mints a token for any id, role and tenant —
for local runs and browser tests only (refused outside development).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi import status as http
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from runtime.auth import PURPOSE, Principal, Role, Scope, issue_token
from runtime.clock import Clock
from runtime.errors import StrictJsonRoute
from runtime.pages import WordTable, reader_language, render, template_environment
from runtime.signing import Signer, TokenError
from runtime.web import TENANT_PATTERN

COOKIE = "tripcare_staff"
TENANT_COOKIE = "tripcare_tenant"
"""The tenant a person with several last picked (``?tenant=``)."""
SESSION_TTL = timedelta(hours=12)
LOGIN_PATH = "/console/login"
TEMPLATES = Path(__file__).parent / "templates"


class StaffSession:
    """Reads and writes the staff cookie; serves the sign-in page of one service."""

    def __init__(
        self, signer: Signer, clock: Clock, *, dev_login: bool, home: str, secure: bool = False
    ) -> None:
        self.signer = signer
        self.clock = clock
        self.dev_login = dev_login
        self.home = home
        self.secure = secure
        """Cookies only over HTTPS: every environment but development."""
        self._env = template_environment(TEMPLATES)
        self._words = WordTable(TEMPLATES / "login.json")

    def principal(self, request: Request) -> Principal | None:
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        try:
            claims = self.signer.verify(token, purpose=PURPOSE, now=self.clock.now())
            return Principal(id=claims.sub, role=Role(claims.role or ""), tenants=claims.tenants)
        except (TokenError, ValueError):
            return None

    def scope(self, request: Request) -> Scope | None:
        """The signed-in person acting for ``?tenant=``, the tenant they last picked, or their
        first; None for a tenant that is not theirs."""
        principal = self.principal(request)
        if principal is None:
            return None
        remembered = request.cookies.get(TENANT_COOKIE)
        if remembered not in principal.tenants:
            remembered = principal.tenants[0]
        wanted = request.query_params.get("tenant") or remembered
        if wanted not in principal.tenants:
            return None
        return Scope(principal=principal, tenant=wanted)

    def login_redirect(self, request: Request, back: str | None = None) -> RedirectResponse:
        """To sign-in, then back to this page; a form post (a session that ran out while the
        form was open) comes back to ``back``, the page it was posted from, else home: its
        own path answers no GET."""
        path = request.url.path if request.method in ("GET", "HEAD") else back or self.home
        target = quote(path, safe="/")
        return RedirectResponse(f"{LOGIN_PATH}?next={target}", status_code=303)

    def _page(self, request: Request, code: int = 200, error: str | None = None) -> HTMLResponse:
        language = reader_language(request)
        body = render(
            self._env,
            "login.html",
            self._words,
            language,
            dev_login=self.dev_login,
            next=_safe_next(request.query_params.get("next"), self.home),
            error=error,
            roles=[role.value for role in Role],
        )
        return HTMLResponse(body, status_code=code, headers={"Referrer-Policy": "same-origin"})

    def remember(self, response: Response, name: str, value: str) -> None:
        """A preference cookie (language, tenant), Secure like the session."""
        response.set_cookie(name, value, samesite="strict", path="/", secure=self.secure)

    def _signed_in(self, token: str, next_url: str) -> Response:
        response = RedirectResponse(next_url, status_code=303)
        response.set_cookie(
            COOKIE,
            token,
            max_age=int(SESSION_TTL.total_seconds()),
            httponly=True,
            secure=self.secure,
            samesite="strict",
            path="/",
        )
        return response

    def router(self) -> APIRouter:
        api = APIRouter(include_in_schema=False, route_class=StrictJsonRoute)

        @api.get(LOGIN_PATH)
        async def login_page(request: Request) -> HTMLResponse:
            return self._page(request)

        @api.post(LOGIN_PATH, dependencies=[Depends(same_site)])
        async def login(
            request: Request,
            token: Annotated[str, Form()] = "",
            sub: Annotated[str, Form()] = "",
            role: Annotated[str, Form()] = "",
            tenant: Annotated[str, Form()] = "",
            next: Annotated[str, Form()] = "",
        ) -> Response:
            words = self._words(reader_language(request))
            target = _safe_next(next, self.home)
            if token.strip():
                try:
                    self.signer.verify(token.strip(), purpose=PURPOSE, now=self.clock.now())
                except TokenError:
                    return self._page(request, 401, words["error_token"])
                return self._signed_in(token.strip(), target)
            if not self.dev_login:
                return self._page(request, 422, words["error_no_token"])
            if not (sub.strip() and role in {r.value for r in Role} and _tenant_ok(tenant)):
                return self._page(request, 422, words["error_dev_fields"])
            principal = Principal(id=sub.strip(), role=Role(role), tenants=[tenant])
            return self._signed_in(issue_token(self.signer, principal, SESSION_TTL), target)

        @api.post("/console/logout", dependencies=[Depends(same_site)])
        async def logout() -> Response:
            response = RedirectResponse(LOGIN_PATH, status_code=303)
            response.delete_cookie(
                COOKIE, path="/", secure=self.secure, httponly=True, samesite="strict"
            )
            return response

        return api


def same_site(request: Request) -> None:
    """A form post's ``Origin`` (else ``Referer``) names this host (``Host``, or the proxy's
    ``X-Forwarded-Host``), or the post is refused: a cross-site or opaque (``null``) one. A
    post with neither is no browser's (browsers send ``Origin`` on every cross-site POST)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return
    forwarded = request.headers.get("x-forwarded-host", "").split(",")[0]
    hosts = {request.headers.get("host", "").lower(), forwarded.strip().lower()} - {""}
    if urlsplit(source).netloc.lower() not in hosts:
        raise HTTPException(http.HTTP_403_FORBIDDEN, "cross-site form post refused")


def _tenant_ok(tenant: str) -> bool:
    return re.fullmatch(TENANT_PATTERN, tenant) is not None


def _safe_next(candidate: str | None, home: str) -> str:
    """Only same-site paths: a sign-in link must not bounce the person to another site."""
    if candidate and candidate.startswith("/") and not candidate.startswith("//"):
        return candidate
    return home
