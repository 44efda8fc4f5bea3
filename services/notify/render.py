"""Jinja2 templates per language under ``templates/<lang>/<name>.j2``.

Each template sets ``subject`` with ``{% set %}`` and renders the body. A
missing translation falls back to English. A notice naming a ``queue`` also gets
``team``: that queue's team as travellers should read it, in the template's language; one
naming a ``priority`` (``previous_priority``) also gets ``priority_name``
(``previous_priority_name``): the priority as staff read it in that language. A notice
telling staff of a routing has routing's ``reason`` written in its language
(``domain/routing_reasons.py``); an agent's own reason for a transfer stays theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    UndefinedError,
    select_autoescape,
)

from contracts.languages import FALLBACK_LANGUAGE
from contracts.teams import DEFAULT_TEAM_NAMES, TeamNames, team_name
from contracts.text import bidi_closed
from services.notify.domain.delivery import Delivery
from services.notify.domain.notice import Notice, Rendered
from services.notify.domain.priorities import priority_text
from services.notify.domain.routing_reasons import routing_reason_text
from services.notify.domain.templates import ASSIGNED, DIGEST, ESCALATED

TEMPLATES = Path(__file__).parent / "templates"
PRIORITIES = ("priority", "previous_priority")
"""Values holding a priority code, each shown by its ``<value>_name`` in the language."""
ROUTING_REASONS = frozenset({ASSIGNED, ESCALATED})
"""Templates whose ``reason`` is routing's (``ticket.routed.reason``), not a person's words."""


class Renderer:
    def __init__(self, root: Path = TEMPLATES, team_names: TeamNames = DEFAULT_TEAM_NAMES) -> None:
        self._team_names = team_names
        self._env = Environment(
            loader=FileSystemLoader(root),
            undefined=StrictUndefined,
            autoescape=select_autoescape(default=False),
            keep_trailing_newline=False,
            finalize=bidi_closed,
        )

    def render(self, notice: Notice) -> Rendered:
        return self._render(notice.template, notice.language, notice.values)

    def again(self, delivery: Delivery, language: str) -> Rendered:
        """A stored notice in ``language`` (a digest's), from its template and values: what a
        person wrote (an agent's reply) stays as written. One already in it, one stored
        without its values, or whose values an updated template no longer fits, as stored."""
        stored = Rendered(delivery.language, delivery.subject, delivery.body)
        if delivery.language == language or not delivery.values:
            return stored
        try:
            return self._render(delivery.template, language, delivery.values)
        except UndefinedError:
            return stored

    def restate(self, delivery: Delivery) -> Rendered:
        """A stored notice rendered again, in its own language, from its values as they are now
        (a routing notice without its passed answer time)."""
        return self._render(delivery.template, delivery.language, delivery.values)

    def digest(self, language: str, values: Mapping[str, Any]) -> Rendered:
        """One message standing for several notices to the same person."""
        return self._render(DIGEST, language, values)

    def _render(self, name: str, language: str, values: Mapping[str, Any]) -> Rendered:
        try:
            template = self._env.get_template(f"{language}/{name}.j2")
        except TemplateNotFound:
            language = FALLBACK_LANGUAGE
            template = self._env.get_template(f"{language}/{name}.j2")
        context = dict(values)
        if "queue" in context:
            context["team"] = team_name(context["queue"], language, self._team_names)
        for key in PRIORITIES:
            if key in context:
                context[f"{key}_name"] = priority_text(context[key], language)
        if name in ROUTING_REASONS and "reason" in context:
            context["reason"] = routing_reason_text(context["reason"], language)
        module = template.make_module(context)
        return Rendered(
            language=language,
            subject=str(getattr(module, "subject", "")).strip(),
            body=str(module).strip(),
        )
