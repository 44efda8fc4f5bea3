"""Every time an envelope carries has its UTC offset, wherever it sits (contracts.envelope)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from contracts import events
from contracts.envelope import Envelope, times_without_zone
from tests.factories import contact

AWARE = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
NAIVE = datetime(2026, 12, 7, 9, 0)


def envelope(payload: events.ContactReceived, occurred_at: datetime = AWARE) -> dict[str, Any]:
    return {
        "message_id": "m1",
        "correlation_id": "c1",
        "tenant_id": "acme",
        "occurred_at": occurred_at.isoformat(),
        "schema_name": payload.schema_name,
        "schema_version": payload.schema_version,
        "payload": payload.model_dump(mode="json"),
    }


def test_an_envelope_with_every_time_zoned_validates() -> None:
    Envelope[events.ContactReceived].model_validate(envelope(contact(received_at=AWARE)))


class Stop(events.Event):
    schema_name = "stop.tested"
    at: datetime


class Trip(events.Event):
    schema_name = "trip.tested"
    stops: list[Stop]
    name: str


def trip_envelope(*times: datetime, occurred_at: datetime = AWARE) -> dict[str, Any]:
    trip = Trip(stops=[Stop(at=t) for t in times], name="x")
    return {
        "message_id": "m1",
        "correlation_id": "c1",
        "tenant_id": "acme",
        "occurred_at": occurred_at.isoformat(),
        "schema_name": trip.schema_name,
        "schema_version": trip.schema_version,
        "payload": trip.model_dump(mode="json"),
    }


@pytest.mark.parametrize("reader", [Envelope[Trip], Envelope[Any]])
def test_a_time_without_offset_is_refused_naming_where_it_is(reader: type[Envelope[Any]]) -> None:
    with pytest.raises(ValidationError, match="occurred_at"):
        reader.model_validate(trip_envelope(AWARE, occurred_at=NAIVE))


def test_a_payload_time_without_offset_is_refused_naming_where_it_is() -> None:
    with pytest.raises(ValidationError, match=r"payload\.stops\.1\.at"):
        Envelope[Trip].model_validate(trip_envelope(AWARE, NAIVE))


def test_the_walk_reaches_into_lists_of_models() -> None:
    trip = Trip(stops=[Stop(at=AWARE), Stop(at=NAIVE)], name="x")

    assert list(times_without_zone(trip)) == ["stops.1.at"]
