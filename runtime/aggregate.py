"""Base of every aggregate: version for optimistic concurrency, raised events,
and the ids of messages already applied (the idempotent-consumer marks).

Both the marks and the outbox live inside the aggregate's own document, so one
document write commits the state change, the events it raises and the fact that
the causing message was handled (see DESIGN.md: nx-27017 has no retryable
writes and slow multi-document transactions).
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    model_validator,
)

from contracts.envelope import Event

WRITE_TOKENS = "_w"
"""Document field of the latest writes' tokens (``runtime/store_batches.py``), no model's."""


class OutboxMessage(BaseModel):
    """An envelope committed with its aggregate and not yet confirmed by the broker."""

    model_config = ConfigDict(frozen=True)

    message_id: str
    correlation_id: str
    routing_key: str
    body: str
    traceparent: str | None = None
    tracestate: str | None = None


class Aggregate(BaseModel):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, extra="ignore")

    PROCESSED_MEMORY: ClassVar[int] = 256

    id: str = Field(alias="_id")
    tenant_id: str
    version: int = 0
    processed: list[str] = Field(default_factory=list)
    outbox: list[OutboxMessage] = Field(default_factory=list)
    _events: list[Event] = PrivateAttr(default_factory=list)
    _write_tokens: list[str] = PrivateAttr(default_factory=list)
    """The stored document's write tokens, carried from its load to its next write."""

    @model_validator(mode="wrap")
    @classmethod
    def _keep_write_tokens(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        aggregate = handler(data)
        if isinstance(data, dict) and isinstance(tokens := data.get(WRITE_TOKENS), list):
            aggregate._write_tokens = tokens
        return aggregate

    def raise_event(self, event: Event) -> None:
        self._events.append(event)

    def take_events(self) -> list[Event]:
        events, self._events = self._events, []
        return events

    def has_processed(self, message_id: str) -> bool:
        return message_id in self.processed

    def mark_processed(self, message_id: str) -> None:
        """Remember the message; the oldest marks go once the memory is full.

        Redeliveries come within seconds or minutes, long before 256 newer
        messages for the same aggregate could push a mark out.
        """
        self.processed.append(message_id)
        del self.processed[: -self.PROCESSED_MEMORY]
