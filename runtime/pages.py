"""Server-rendered pages: content negotiation, the reader's language, one word table per page set.

Consoles, the dashboard and traveller pages are HTML rendered by the service
that owns the data (no separate front-end build). Each page set keeps its words
in one JSON table ``{key: {language: text}}``, so a missing translation is a
load-time error, not a blank on screen.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi import status as http
from fastapi.responses import FileResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from contracts.languages import FALLBACK_LANGUAGE, LANGUAGES, supported_language
from contracts.text import bidi_closed, is_web_url
from runtime.headers import csp_nonce

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
LANGUAGE_COOKIE = "tripcare_lang"
"""Staff pages remember a language picked with ``?lang=``."""


def _quality(part: str) -> tuple[str, float]:
    kind, _, params = part.strip().partition(";")
    quality = 1.0
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
    return kind.strip().lower(), quality


def wants_html(accept: str | None) -> bool:
    """A browser (text/html preferred over JSON) gets the page; API clients keep JSON."""
    offered = dict(_quality(part) for part in (accept or "").split(",") if part.strip())
    html = offered.get("text/html", 0.0)
    return html > 0 and html > offered.get("application/json", 0.0)


def is_form(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() in FORM_TYPES


def reader_language(request: Request) -> str:
    """A staff page's: ``?lang=``, the remembered choice, Accept-Language."""
    remembered = supported_language(request.cookies.get(LANGUAGE_COOKIE))
    return traveller_language(request, remembered)


def traveller_language(request: Request, preferred: str | None) -> str:
    """A traveller's page: ``?lang=``, ``preferred`` (theirs), Accept-Language. Never the
    staff pages' cookie, which the host serving both would send with a traveller's link."""
    chosen = supported_language(request.query_params.get("lang")) or supported_language(preferred)
    if chosen:
        return chosen
    ranked = sorted(
        (_quality(part) for part in request.headers.get("accept-language", "").split(",")),
        key=lambda item: -item[1],
    )
    for tag, quality in ranked:
        if quality > 0 and (found := supported_language(tag)):
            return found
    return FALLBACK_LANGUAGE


class WordTable:
    """One page set's words: ``{key: {language: text}}``, every key in every language.

    Several tables make one: each later table adds its keys and rewords earlier
    ones (a page set's own table over the staff bar's shared words).
    """

    def __init__(self, *paths: Path) -> None:
        table: dict[str, dict[str, str]] = {}
        for path in paths:
            table.update(_load_words(path))
        self.by_language = {
            lang: {key: row[lang] for key, row in table.items()} for lang in LANGUAGES
        }

    def __call__(self, language: str) -> dict[str, str]:
        return self.by_language.get(language) or self.by_language[FALLBACK_LANGUAGE]


def _load_words(path: Path) -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = json.loads(path.read_text("utf-8"))
    missing = [
        f"{key}/{lang}" for key, row in table.items() for lang in LANGUAGES if lang not in row
    ]
    if missing:
        raise ValueError(f"{path.name}: missing translations {', '.join(missing[:10])}")
    return table


def template_environment(*roots: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(root) for root in roots]),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html"]),
        finalize=bidi_closed,
    )
    env.globals["csp_nonce"] = csp_nonce
    env.tests["web_url"] = is_web_url  # `{% if link is web_url %}`: the only kind made an href
    return env


def render(env: Environment, name: str, words: WordTable, language: str, **values: Any) -> str:
    return env.get_template(name).render(lang=language, t=words(language), **values)


def serve_static(api: APIRouter, root: Path, files: dict[str, tuple[str, str]]) -> None:
    """``GET /static/{name}`` for a fixed list of files (name → path under ``root``, media
    type): the pages work offline, and nothing outside the list can be asked for."""

    @api.get("/static/{name}")
    async def static(name: str) -> Response:
        if name not in files:
            raise HTTPException(http.HTTP_404_NOT_FOUND, "no such file")
        path, media_type = files[name]
        return FileResponse(root / path, media_type=media_type)
