"""docs/api.md's table of channel payloads names every field each channel's model reads,
and marks exactly the optional ones with ``?``.

The DingTalk row left out ``senderId``, which the model requires: a gateway written
from the docs got a 422 ``body.senderId`` it could not have expected. Each row's
``{…}`` list is read here and compared with the payload model, nested models included.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from contracts.events import Channel
from services.intake.channels.payloads import JSON_PAYLOADS, WeChatPayload

API = Path(__file__).resolve().parents[2] / "docs" / "api.md"
MODELS: dict[Channel, type[BaseModel]] = {**JSON_PAYLOADS, Channel.WECHAT: WeChatPayload}
Fields = dict[str, tuple[bool, "Fields"]]
"""A documented field list: name → (optional, its nested fields)."""
ITEM = re.compile(r"\s*(\w+)(\[\])?")


def parse(spec: str, at: int = 0) -> tuple[Fields, int]:
    """``{a, b?, c{d, e?}, f[]?}`` from ``at`` (just inside the brace) to its closing brace."""
    found: Fields = {}
    while True:
        match = ITEM.match(spec, at)
        assert match, f"no field name at {spec[at:]!r}"
        at, nested = match.end(), {}
        if spec.startswith("{", at):
            nested, at = parse(spec, at + 1)
        optional = spec.startswith("?", at)
        found[match.group(1)] = (optional, nested)
        at += optional
        if spec.startswith("}", at):
            return found, at + 1
        assert spec.startswith(",", at), f"expected , or }} at {spec[at:]!r}"
        at += 1


def documented(channel: Channel) -> Fields:
    row = next(
        line
        for line in API.read_text(encoding="utf-8").splitlines()
        if line.startswith(f"| `{channel.value}` |")
    )
    body = row.split(" | ")[1]
    spec = next(span for span in re.findall(r"`([^`]+)`", body) if span.startswith("{"))
    fields, end = parse(spec, 1)
    assert end == len(spec), f"text after the field list: {spec[end:]!r}"
    return fields


def expected(model: type[BaseModel]) -> Fields:
    fields: Fields = {}
    for name, field in model.model_fields.items():
        nested = field.annotation
        inner = (
            expected(nested) if isinstance(nested, type) and issubclass(nested, BaseModel) else {}
        )
        fields[name] = (not field.is_required(), inner)
    return fields


@pytest.mark.parametrize("channel", sorted(MODELS, key=lambda c: c.value))
def test_the_channel_table_lists_each_models_fields_and_marks_the_optional_ones(
    channel: Channel,
) -> None:
    assert documented(channel) == expected(MODELS[channel])
