"""A traveller's page language: their own, the one they wrote in, the browser's, else English."""

from __future__ import annotations

from contracts.events import Traveller
from contracts.languages import FALLBACK_LANGUAGE, supported_language


def page_language(traveller: Traveller | None, accept_language: str | None = None) -> str:
    """The traveller's preference, the language they wrote in, the browser's, else English."""
    tags = [traveller.language, traveller.detected_language] if traveller else []
    tags += [part.split(";")[0] for part in (accept_language or "").split(",")]
    for tag in tags:
        if language := supported_language(tag):
            return language
    return FALLBACK_LANGUAGE
