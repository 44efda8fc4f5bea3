"""Builders for events and envelopes, so tests state only what matters to them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, TypeVar

from contracts import events
from contracts.envelope import Envelope, Event

E = TypeVar("E", bound=Event)

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
TRAVELLER = events.Traveller(id="trav-42", name="Li Lei", language="zh-Hans")


def contact(**overrides: Any) -> events.ContactReceived:
    values: dict[str, Any] = {
        "channel": events.Channel.IN_APP,
        "channel_message_id": "app-msg-1",
        "traveller": TRAVELLER,
        "text": "我的航班CA1501被取消了",
        "received_at": T0,
    }
    return events.ContactReceived(**{**values, **overrides})


def envelope(payload: E, *, tenant: str = "acme", message_id: str | None = None) -> Envelope[E]:
    return Envelope[Any](
        message_id=message_id or uuid.uuid4().hex,
        correlation_id=getattr(payload, "ticket_id", "conv-1"),
        tenant_id=tenant,
        occurred_at=T0,
        schema_name=payload.schema_name,
        schema_version=payload.schema_version,
        payload=payload,
    )
