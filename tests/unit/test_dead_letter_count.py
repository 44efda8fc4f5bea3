"""Every service counts the messages its consumers send to a dead-letter queue, by work
queue and the broker's reason, where the consumer policy gives them up: FastStream's
``status="error"`` also counts every transient failure that a redelivery then handled."""

from __future__ import annotations

from typing import Any

import pytest
from faststream.exceptions import RejectMessage
from prometheus_client import CollectorRegistry, generate_latest
from pydantic import BaseModel, ValidationError

from contracts import events
from contracts.topology import Topology
from runtime.bus import Bus
from runtime.consumer_policy import ConsumerPolicy, DeadLetters
from runtime.settings import Settings
from runtime.telemetry import setup_tracing

LIMIT = 2
QUEUE = "tripcare.routing.ticket.opened"


class Raw:
    def __init__(self, exchange: str, routing_key: str) -> None:
        self.exchange, self.routing_key = exchange, routing_key


class Message:
    def __init__(
        self, delivered_before: int = 0, exchange: str = "tripcare.events", key: str = ""
    ) -> None:
        self.message_id = "m-1"
        self.body = b"{}"
        self.headers: dict[str, Any] = {"x-delivery-count": delivered_before}
        self.raw_message = Raw(exchange, key or "ticket.opened")


def policy(registry: CollectorRegistry) -> ConsumerPolicy:
    return ConsumerPolicy(
        store_retry_budget_s=120,
        dead_letters=DeadLetters(registry, LIMIT, lambda key: f"tripcare.routing.{key}"),
    )


def count(registry: CollectorRegistry, reason: str, queue: str = QUEUE) -> float:
    labels = {"queue": queue, "reason": reason}
    return registry.get_sample_value("messages_dead_lettered_total", labels) or 0.0


async def consume(consumer: ConsumerPolicy, msg: Message, error: Exception) -> None:
    async def handler(_: Any) -> None:
        raise error

    scope = consumer(msg, context=None)
    await scope.consume_scope(handler, msg)  # type: ignore[arg-type]


def malformed() -> ValidationError:
    class Payload(BaseModel):
        ticket_id: str

    try:
        Payload.model_validate({})
    except ValidationError as exc:
        return exc
    raise AssertionError("an empty payload validates")


async def test_a_malformed_message_counts_as_rejected_on_its_work_queue() -> None:
    registry = CollectorRegistry()

    with pytest.raises(RejectMessage):
        await consume(policy(registry), Message(), malformed())

    assert count(registry, "rejected") == 1
    assert count(registry, "delivery_limit") == 0


async def test_a_failure_counts_only_on_the_last_delivery_the_queue_allows() -> None:
    registry = CollectorRegistry()
    consumer = policy(registry)

    for delivered_before in range(LIMIT):
        with pytest.raises(RuntimeError):
            await consume(consumer, Message(delivered_before), RuntimeError("transient"))
    assert count(registry, "delivery_limit") == 0, "redelivered, not dead-lettered"

    with pytest.raises(RuntimeError):
        await consume(consumer, Message(LIMIT), RuntimeError("poison"))
    assert count(registry, "delivery_limit") == 1


async def test_a_message_replayed_straight_to_its_queue_is_counted_on_that_queue() -> None:
    """``runtime.dlq replay --direct`` sends through the default exchange, the routing key
    being the queue's name."""
    registry = CollectorRegistry()

    with pytest.raises(RejectMessage):
        await consume(policy(registry), Message(exchange="", key=QUEUE), malformed())

    assert count(registry, "rejected") == 1


def test_every_bus_exports_the_counter_with_its_help() -> None:
    registry = CollectorRegistry()
    bus = Bus(
        Settings(service="routing", namespace="tripcare"),
        Topology("tripcare"),
        registry=registry,
        tracer_provider=setup_tracing("routing"),
    )

    @bus.subscriber(events.TicketOpened)
    async def on_opened(message: Any) -> None:
        """Registered only: nothing is consumed."""

    assert bus.dead_letters.queue_of("ticket.opened") == QUEUE
    assert "# HELP messages_dead_lettered_total " in generate_latest(registry).decode()
