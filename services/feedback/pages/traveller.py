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

from contracts.languages import FALLBACK_LANGUAGE, LANGUAGES
from runtime.pages import template_environment

TEMPLATES = Path(__file__).parents[1] / "templates"


class Pages:
    def __init__(self, root: Path = TEMPLATES) -> None:
        self._env = template_environment(root)
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
