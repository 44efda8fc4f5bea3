"""A too-long string is refused in characters, wherever it is and whether optional or not.

pydantic checks a length given after a validator (``Annotated[Line, Field(max_length=64)]
| None``) as a sequence's: "Value should have at most 64 items". ``contracts.text``'s
``one_line``, ``free_text`` and ``web_url`` put the length first, so every field says
"String should have at most 64 characters" (``string_too_long``). This walks every model
of the contracts and the four services, as their JSON Schemas publish them, sends each
string with a ``maxLength`` one character too many, and reads the error at that string.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from contracts.events import ALL_EVENTS
from services.feedback.main import bootstrap as feedback
from services.intake.main import bootstrap as intake
from services.notify.main import bootstrap as notify
from services.routing.main import bootstrap as routing
from tests.unit.test_intake_admission import (  # noqa: F401 (fixtures)
    CONTACT,
    FIXTURES,
    Ingress,
    ingress,
)

Step = tuple[str, str]
"""Where a string sits: ("field", name), ("item", ""), ("value", ""), ("key", "")."""


def our_models() -> list[type[BaseModel]]:
    """Every model the contracts and the four services define, once all are imported."""
    for bootstrap in (intake, routing, notify, feedback):
        bootstrap()
    assert ALL_EVENTS
    found: dict[str, type[BaseModel]] = {}
    pending = list(BaseModel.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        ours = model.__module__.split(".")[0] in ("contracts", "services")
        if ours and not model.__pydantic_generic_metadata__["parameters"]:
            found[f"{model.__module__}.{model.__qualname__}"] = model
    return [found[name] for name in sorted(found)]


def bounded_strings(
    schema: dict[str, Any], defs: dict[str, Any], path: tuple[Step, ...], seen: frozenset[str]
) -> Iterator[tuple[tuple[Step, ...], int]]:
    """Each string with a ``maxLength`` below ``schema``: where it is, and its limit."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            yield from bounded_strings(defs[name], defs, path, seen | {name})
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            yield from bounded_strings(branch, defs, path, seen)
    if schema.get("type") == "string" and "maxLength" in schema:
        yield path, schema["maxLength"]
    yield from _inside(schema, defs, path, seen)


def _inside(
    schema: dict[str, Any], defs: dict[str, Any], path: tuple[Step, ...], seen: frozenset[str]
) -> Iterator[tuple[tuple[Step, ...], int]]:
    """The bounded strings of an object's fields, an array's items, a map's keys and values."""
    for name, field in schema.get("properties", {}).items():
        yield from bounded_strings(field, defs, (*path, ("field", name)), seen)
    if isinstance(schema.get("items"), dict):
        yield from bounded_strings(schema["items"], defs, (*path, ("item", "")), seen)
    values = [schema.get("additionalProperties"), *schema.get("patternProperties", {}).values()]
    for value in values:
        if isinstance(value, dict):
            yield from bounded_strings(value, defs, (*path, ("value", "")), seen)
    if "maxLength" in schema.get("propertyNames", {}):
        yield (*path, ("key", "")), schema["propertyNames"]["maxLength"]


def sent_at(path: tuple[Step, ...], value: str) -> tuple[Any, tuple[Any, ...]]:
    """A body holding only ``value`` at ``path``, and the ``loc`` pydantic gives it."""
    if not path:
        return value, ()
    (kind, name), rest = path[0], path[1:]
    inner, loc = sent_at(rest, value)
    if kind == "field":
        return {name: inner}, (name, *loc)
    if kind == "item":
        return [inner], (0, *loc)
    if kind == "value":
        return {"k": inner}, ("k", *loc)
    return {value: "v"}, (value, "[key]")


def wordings(model: type[BaseModel]) -> Iterator[tuple[str, list[str]]]:
    """Each bounded string of ``model`` and the error types a value one too long gets."""
    schema = model.model_json_schema()
    for path, limit in bounded_strings(schema, schema.get("$defs", {}), (), frozenset()):
        body, loc = sent_at(path, "x" * (limit + 1))
        try:
            model.model_validate_json(json.dumps(body))
        except ValidationError as refused:
            types = [error["type"] for error in refused.errors() if error["loc"] == loc]
        else:
            types = []
        yield f"{model.__name__}.{'.'.join(name or kind for kind, name in path)}", types


def test_every_bounded_string_of_every_model_is_refused_in_characters() -> None:
    checked = {where: types for model in our_models() for where, types in wordings(model)}

    optional = {"ContactIn.subject", "Traveller.name", "AgentIn.name", "RatingIn.comment"}
    assert optional | {"TransferIn.reason", "ChannelConfigIn.token"} <= checked.keys()
    assert {where: t for where, t in checked.items() if t != ["string_too_long"]} == {}


@pytest.mark.parametrize(
    ("changes", "loc", "limit"),
    [
        ({"subject": "s" * 1_000}, ["body", "subject"], 500),
        ({"category_hint": "c" * 65}, ["body", "category_hint"], 64),
        ({"traveller": {"id": "t-1", "name": "n" * 201}}, ["body", "traveller", "name"], 200),
    ],
)
async def test_a_too_long_optional_contact_field_is_a_422_in_characters(
    ingress: Ingress,  # noqa: F811
    changes: dict[str, Any],
    loc: list[str],
    limit: int,
) -> None:
    answer = await ingress.http.post(
        "/v1/contacts", json={**CONTACT, **changes}, headers=ingress.gateway
    )

    assert answer.status_code == 422, answer.text
    [item] = answer.json()["detail"]
    assert item["loc"] == loc
    assert item["msg"] == f"String should have at most {limit} characters"


async def test_a_too_long_optional_field_of_a_channel_payload_is_a_422_in_characters(
    ingress: Ingress,  # noqa: F811
) -> None:
    chat = json.loads((FIXTURES / "web_chat.json").read_bytes())

    answer = await ingress.chat(json.dumps({**chat, "device": "d" * 201}).encode())

    assert answer.status_code == 422, answer.text
    [item] = answer.json()["detail"]
    assert item["loc"] == ["body", "device"]
    assert item["msg"] == "String should have at most 200 characters"
