"""The envelope every message on the bus travels in.

The body of each AMQP message is one JSON ``Envelope``; the payload is an
``Event`` from :mod:`contracts.events`. Consumers ignore unknown fields, so
adding an optional field is compatible; anything else is a new schema version.
An envelope whose ``schema_name``/``schema_version`` are not those of the event its
consumer reads does not validate: a future version, or another event on the queue, is
dead-lettered at once instead of being read as the version the consumer knows. Nor does
one holding a time without its UTC offset: consumers compare every time with aware ones,
so it could only fail on each delivery until the delivery limit gave it up.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import cache
from typing import Any, ClassVar, Generic, Self, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Event(BaseModel):
    """Base of every integration event payload.

    ``schema_name`` doubles as the routing key on the events exchange.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    schema_name: ClassVar[str]
    schema_version: ClassVar[int] = 1


P = TypeVar("P", bound=Event)


class Envelope(BaseModel, Generic[P]):
    """Message metadata plus one event payload."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    message_id: str = Field(min_length=1, description="Unique per message; the idempotency key.")
    correlation_id: str = Field(description="The ticket or conversation the message belongs to.")
    causation_id: str | None = Field(default=None, description="Message id that caused this one.")
    tenant_id: str = Field(min_length=1, description="Enterprise customer owning the data.")
    occurred_at: datetime
    schema_name: str
    schema_version: int
    traceparent: str | None = Field(default=None, description="W3C trace context.")
    tracestate: str | None = None
    payload: P

    @model_validator(mode="after")
    def _names_its_payload(self) -> Self:
        payload = self.payload
        if isinstance(payload, Event) and (self.schema_name, self.schema_version) != (
            payload.schema_name,
            payload.schema_version,
        ):
            raise ValueError(
                f"schema {self.schema_name!r} version {self.schema_version} is not "
                f"{payload.schema_name!r} version {payload.schema_version}, the event read here"
            )
        return self

    @model_validator(mode="after")
    def _times_have_zones(self) -> Self:
        if naive := list(times_without_zone(self)):
            raise ValueError(f"time without its UTC offset: {', '.join(naive)}")
        return self


def times_without_zone(value: object, path: str = "") -> Iterator[str]:
    """Where ``value`` (a model, list or time) holds a time without its UTC offset."""
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            yield path
    elif isinstance(value, BaseModel):
        for name in _fields_with_times(type(value)):
            yield from times_without_zone(getattr(value, name), f"{path}.{name}".lstrip("."))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from times_without_zone(item, f"{path}.{index}")


@cache
def _fields_with_times(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``model`` whose type can hold a time: every envelope is checked, so
    the walk skips the text and number fields once and for all."""
    return tuple(n for n, f in model.model_fields.items() if _may_hold_time(f.annotation))


def _may_hold_time(annotation: object) -> bool:
    if annotation is Any or isinstance(annotation, TypeVar):
        return True
    if isinstance(annotation, type) and issubclass(annotation, datetime | BaseModel):
        return True
    return any(_may_hold_time(arg) for arg in get_args(annotation))
