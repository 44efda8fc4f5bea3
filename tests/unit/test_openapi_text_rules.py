"""Every text field of every JSON request body has rules of what it may hold, as the four
OpenAPI documents publish them: an enum, a format (dates, times) or a pattern —
``one_line``, ``free_text``, ``secret`` and the id patterns all refuse control characters.

A plain ``str`` with only a length let a line break into the IMAP folder and username of a
mailbox, and ``../../x`` into an attachment's id; a field added like that fails here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from services.feedback.main import bootstrap as feedback
from services.intake.main import bootstrap as intake
from services.notify.main import bootstrap as notify
from services.routing.main import bootstrap as routing
from tests.unit.test_openapi_bounds import FORMATS_BOUNDED_BY_THEMSELVES, METHODS


def any_text(schema: dict[str, Any]) -> bool:
    return (
        schema.get("type") == "string"
        and not {"enum", "const", "pattern"} & schema.keys()
        and schema.get("format") not in FORMATS_BOUNDED_BY_THEMSELVES
    )


def unruled(
    schema: Any, where: str, components: dict[str, Any], seen: frozenset[str]
) -> Iterator[str]:
    """Where a string in ``schema`` may be any text at all."""
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            yield from unruled(components[name], f"{where}<{name}>", components, seen | {name})
        return
    if any_text(schema):
        yield f"{where}: a string that may hold anything"
    parts = [
        (branch, where) for key in ("anyOf", "oneOf", "allOf") for branch in schema.get(key, [])
    ]
    parts += [(field, f"{where}.{name}") for name, field in schema.get("properties", {}).items()]
    parts += [(schema.get(key), f"{where}[]") for key in ("items", "additionalProperties")]
    for part, here in parts:
        yield from unruled(part, here, components, seen)


def json_bodies(document: dict[str, Any]) -> Iterator[str]:
    components = document.get("components", {}).get("schemas", {})
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            for media, body in operation.get("requestBody", {}).get("content", {}).items():
                if "json" in media:
                    where = f"{method.upper()} {path} body"
                    yield from unruled(body.get("schema"), where, components, frozenset())


@pytest.mark.parametrize("bootstrap", [intake, routing, notify, feedback])
def test_every_text_field_of_a_json_body_has_its_rules(bootstrap: Callable[[], FastAPI]) -> None:
    assert list(json_bodies(bootstrap().openapi())) == []
