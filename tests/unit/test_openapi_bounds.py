"""Every inbound model has bounds on every field, as the four OpenAPI documents publish them.

Walks each request body (every content type, channel payloads included) and each
query parameter: strings need ``maxLength`` (or an enum), arrays ``maxItems``,
maps ``maxProperties``, numbers a lower and an upper bound. A field added without
one fails here, before a fuzzer or a traveller finds what it lets through.
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

FORMATS_BOUNDED_BY_THEMSELVES = {"date-time", "date", "time", "duration", "binary"}
METHODS = {"get", "post", "put", "delete", "patch"}


def unbounded(
    schema: Any, where: str, components: dict[str, Any], seen: frozenset[str]
) -> Iterator[str]:
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        yield from _referenced(schema["$ref"], where, components, seen)
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            yield from unbounded(branch, where, components, seen)
    if "enum" in schema or "const" in schema:
        return
    kind = schema.get("type")
    if kind == "string":
        yield from _string(schema, where)
    elif kind == "array":
        yield from _array(schema, where, components, seen)
    elif kind == "object":
        yield from _object(schema, where, components, seen)
    elif kind in ("integer", "number"):
        yield from _number(schema, where)


def _referenced(
    ref: str, where: str, components: dict[str, Any], seen: frozenset[str]
) -> Iterator[str]:
    """A component once per path through it: recursive models end where they loop."""
    name = ref.rsplit("/", 1)[-1]
    if name not in seen:
        yield from unbounded(components[name], f"{where}<{name}>", components, seen | {name})


def _string(schema: dict[str, Any], where: str) -> Iterator[str]:
    if "maxLength" not in schema and schema.get("format") not in FORMATS_BOUNDED_BY_THEMSELVES:
        yield f"{where}: a string without maxLength"


def _array(
    schema: dict[str, Any], where: str, components: dict[str, Any], seen: frozenset[str]
) -> Iterator[str]:
    if "maxItems" not in schema and "prefixItems" not in schema:
        yield f"{where}: an array without maxItems"
    yield from unbounded(schema.get("items", {}), f"{where}[]", components, seen)
    for n, item in enumerate(schema.get("prefixItems", [])):
        yield from unbounded(item, f"{where}[{n}]", components, seen)


def _object(
    schema: dict[str, Any], where: str, components: dict[str, Any], seen: frozenset[str]
) -> Iterator[str]:
    values = schema.get("additionalProperties")
    if isinstance(values, dict):
        if "maxProperties" not in schema:
            yield f"{where}: a map without maxProperties"
        yield from unbounded(values, f"{where}{{}}", components, seen)
    for name, field in schema.get("properties", {}).items():
        yield from unbounded(field, f"{where}.{name}", components, seen)


def _number(schema: dict[str, Any], where: str) -> Iterator[str]:
    low = "minimum" in schema or "exclusiveMinimum" in schema
    high = "maximum" in schema or "exclusiveMaximum" in schema
    if not (low and high):
        yield f"{where}: a number without both bounds"


def inbound_fields(document: dict[str, Any]) -> Iterator[str]:
    components = document.get("components", {}).get("schemas", {})
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            here = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    where = f"{here} ?{parameter['name']}"
                    yield from unbounded(parameter["schema"], where, components, frozenset())
            for media, body in operation.get("requestBody", {}).get("content", {}).items():
                where = f"{here} body ({media})"
                yield from unbounded(body.get("schema", {}), where, components, frozenset())


@pytest.mark.parametrize("bootstrap", [intake, routing, notify, feedback])
def test_every_inbound_field_is_bounded(bootstrap: Callable[[], FastAPI]) -> None:
    assert list(inbound_fields(bootstrap().openapi())) == []


@pytest.mark.parametrize("bootstrap", [intake, routing, feedback])
def test_every_request_body_publishes_its_schema(bootstrap: Callable[[], FastAPI]) -> None:
    document = bootstrap().openapi()

    missing = [
        f"{method.upper()} {path} ({media})"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
        for media, body in operation.get("requestBody", {}).get("content", {}).items()
        if "schema" not in body
    ]

    assert missing == []
