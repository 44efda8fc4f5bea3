"""Traveller pages: Jinja2 templates shared by every language, words from per-language catalogs.

The layout is written once (``templates/*.html``); each language has a message
catalog (``templates/messages/<lang>.json``) with the same keys, so a fix to
the form reaches all four languages and a missing key fails loudly (tests check
the catalogs agree). Pages are plain HTML forms: no JavaScript, no cookies.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from contracts.languages import FALLBACK_LANGUAGE, LANGUAGES

TEMPLATES = Path(__file__).parent / "templates"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class Pages:
    def __init__(self, root: Path = TEMPLATES) -> None:
        self._env = Environment(
            loader=FileSystemLoader(root),
            undefined=StrictUndefined,
            autoescape=select_autoescape(["html"]),
        )
        self.catalogs: dict[str, dict[str, str]] = {
            language: json.loads((root / "messages" / f"{language}.json").read_text("utf-8"))
            for language in LANGUAGES
        }

    def words(self, language: str) -> dict[str, str]:
        return self.catalogs.get(language) or self.catalogs[FALLBACK_LANGUAGE]

    def render(self, name: str, language: str, **values: Any) -> str:
        if language not in self.catalogs:
            language = FALLBACK_LANGUAGE
        template = self._env.get_template(f"{name}.html")
        return template.render(lang=language, t=self.words(language), **values)


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
