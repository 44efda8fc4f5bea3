"""How the traveller endpoints answer: a page in the traveller's language for browsers, JSON for
API clients; bodies read only after the link was checked.

Traveller endpoints are reached through signed links and answer in kind: a
browser (``Accept: text/html``, form posts) gets plain HTML pages in the
traveller's language; API clients (JSON) keep getting JSON.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from runtime.errors import parse_body
from runtime.pages import is_form, wants_html
from runtime.signing import TokenExpired
from services.feedback.domain.language import page_language
from services.feedback.pages.traveller import Pages
from services.feedback.service import Feedback

M = TypeVar("M", bound=BaseModel)
HTML_OR_JSON: dict[str, Any] = {"content": {"text/html": {}, "application/json": {}}}


async def parsed(model: type[M], request: Request) -> M:
    """A JSON body checked before anything else, as FastAPI does for a declared body."""
    return parse_body(model, await request.body())


def form_value(form: Any, name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


def form_number(text: str) -> int | str | None:
    """A form field's digits as the number a JSON body would hold (anything else stays text,
    which the model refuses): a form has only text, JSON has types."""
    if text.isascii() and text.isdigit() and len(text) <= 6:
        return int(text)
    return text or None


def body_doc(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schema},
                "application/x-www-form-urlencoded": {"schema": schema},
            },
        }
    }


def html(pages: Pages, name: str, language: str, code: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(pages.render(name, language, **values), status_code=code)


def notice(pages: Pages, language: str, key: str, code: int, **link: str) -> HTMLResponse:
    words = pages.words(language)
    return html(
        pages,
        "notice",
        language,
        code,
        heading=words[f"{key}_title"],
        text=words[f"{key}_text"],
        link=link.get("href"),
        link_label=link.get("label"),
    )


async def bad_link(
    pages: Pages, request: Request, exc: Exception, what: str, feedback: Feedback
) -> Response:
    """Expired links answer 410, forged or unknown ones 404 — as a page or as JSON. An
    expired link's page speaks its traveller's language, else the browser's."""
    expired = isinstance(exc, TokenExpired)
    code = status.HTTP_410_GONE if expired else status.HTTP_404_NOT_FOUND
    if wants_html(request.headers.get("accept")) or is_form(request.headers.get("content-type")):
        language = await feedback.expired_link_language(exc) or page_language(
            None, request.headers.get("accept-language")
        )
        return notice(pages, language, "expired" if expired else "unknown", code)
    detail = f"this {what} link has expired" if expired else f"unknown {what} link"
    return JSONResponse({"detail": detail}, status_code=code)
