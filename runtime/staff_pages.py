"""Staff pages (intake's console, feedback's dashboard) on one base: bar, words, cookies.

``templates/staff_base.html`` is every staff page's skeleton: the header bar
(brand, who is signed in, language links, sign-out) with its style, a skip
link and the main landmark; a page set extends it and fills its blocks
(``head``, ``body``, and where it needs them ``brand``, ``who``,
``tenant_pick``, ``body_attributes``, ``after_main``). The bar's words are in
``templates/staff.json``; the page set's own table comes on top of them.
Sign-in itself is ``runtime.staff_session``.

Staff pages answer ``Referrer-Policy: same-origin`` (every other page ``no-referrer``):
their forms' posts are refused unless their ``Origin`` is this site's
(``staff_session.same_site``), and under ``no-referrer`` a browser posts a page's own form
as ``Origin: null``. Their addresses hold no credential, and no other origin is sent them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from runtime.auth import Scope
from runtime.pages import LANGUAGE_COOKIE, WordTable, reader_language, render, template_environment
from runtime.staff_session import TEMPLATES, TENANT_COOKIE, StaffSession

BASE = "staff_base.html"
BAR_WORDS = TEMPLATES / "staff.json"
OWN_ORIGIN = {"Referrer-Policy": "same-origin"}
"""So the page's own form posts carry its ``Origin`` (``same_site``)."""


class StaffPages:
    """One service's staff page set: its templates over the base, its words over the bar's."""

    def __init__(self, session: StaffSession, templates: Path, words: Path) -> None:
        self.session = session
        self.env = template_environment(templates, TEMPLATES)
        self.words = WordTable(BAR_WORDS, words)

    def render(
        self,
        request: Request,
        name: str,
        code: int = 200,
        *,
        scope: Scope | None = None,
        **values: Any,
    ) -> HTMLResponse:
        """The page in the reader's language; a language picked with ``?lang=`` (and, for a
        ``scope``, a tenant picked with ``?tenant=``) is remembered in a cookie."""
        language = reader_language(request)
        body = render(self.env, name, self.words, language, home=self.session.home, **values)
        response = HTMLResponse(body, status_code=code, headers=OWN_ORIGIN)
        if request.query_params.get("lang") == language:
            self.session.remember(response, LANGUAGE_COOKIE, language)
        if scope is not None and request.query_params.get("tenant") == scope.tenant:
            self.session.remember(response, TENANT_COOKIE, scope.tenant)
        return response
