"""RabbitMQ through FastStream: topology, consumer policy, publishing with confirms.

- Every consumed event has its own durable quorum queue with a dead-letter
  exchange, ``x-delivery-limit`` and at-least-once dead-lettering.
- Messages are persistent and published with confirms; the events exchange has
  an alternate exchange so an unbound routing key is kept, not dropped, except
  for announced events (``contracts.topology.ANNOUNCED``), which no service is
  owed: they are routed to an exchange with no queue, and dropped there when
  no listener has bound them.
- Consumers run under ``runtime.consumer_policy``: ack after the commit, malformed
  messages and bodies over ``max_message_bytes`` dead-lettered at once, failing handlers
  requeued with back-off until the delivery limit, messages held while the store is
  unreachable.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from faststream import BaseMiddleware
from faststream.message import StreamMessage
from faststream.middlewares import AckPolicy
from faststream.rabbit import (
    Channel,
    ExchangeType,
    QueueType,
    RabbitBroker,
    RabbitExchange,
    RabbitQueue,
)
from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware
from faststream.rabbit.prometheus import RabbitPrometheusMiddleware
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

from contracts.envelope import Event
from contracts.topology import ANNOUNCED, Topology
from runtime import reconnect_logs
from runtime.aggregate import OutboxMessage
from runtime.consumer_policy import ConsumerPolicy, DeadLetters, LoggedOnce
from runtime.settings import Settings
from runtime.telemetry import (
    attach,
    carried,
    context_from,
    detach,
    records_spans,
    trace_headers,
)

log = logging.getLogger(__name__)
BROKER_LOG = logging.getLogger(f"{__name__}.broker")
"""FastStream's own lines (a failure outside the consumer policy, with its traceback and the
message's queue and id), through the service's JSON handler instead of FastStream's coloured
text on stdout; its per-message ``Received``/``Processed`` lines are DEBUG. A handler's
failure the policy logged is not repeated here (``LoggedOnce``)."""
BROKER_LOG.addFilter(LoggedOnce())


reconnect_logs.install(BROKER_LOG)

Handler = Callable[..., Awaitable[Any]]
H = TypeVar("H", bound=Handler)

PUBLISHED_HEADER = "x-published-ms"
"""When the message was published (epoch milliseconds; AMQP's own timestamp is in whole
seconds): a consumer tells the time it waited in its queue from the time its commit waited
in an outbox before it (``runtime.lag_reports``)."""
UNROUTED_KEPT = 100_000
"""Events nobody subscribes to are kept for inspection, the oldest dropped beyond this."""


def named_connection_url(amqp_url: str, name: str) -> str:
    """``amqp_url`` asking the broker to show the connection as ``name`` (aiormq sends the
    URL's ``name`` as the client property ``connection_name``), so ``rabbitmqctl
    list_connections pid client_properties`` and the management UI say whose it is; a name
    the operator put in ``AMQP_URL`` is kept."""
    parts = urlsplit(amqp_url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key == "name" for key, _ in query):
        return amqp_url
    return urlunsplit(parts._replace(query=urlencode([*query, ("name", name)])))


def published_at(stamp: object) -> datetime | None:
    """The publication time ``Bus.publish`` stamped (its ``PUBLISHED_HEADER``), None on a
    message without one (a publisher of before the stamp, a tool)."""
    if not isinstance(stamp, int) or isinstance(stamp, bool):
        return None
    return datetime.fromtimestamp(stamp / 1000, UTC)


class CarriedTraceConsumer(BaseMiddleware):
    """Each message is handled in the trace its ``traceparent`` header names, when the
    OpenTelemetry middleware is left out (``records_spans``): logs and the events it
    raises keep the trace id, and no span is built."""

    async def consume_scope(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        headers = msg.headers
        token = attach(carried(headers.get("traceparent"), headers.get("tracestate")))
        try:
            return await call_next(msg)
        finally:
            detach(token)


CONNECTION_LOGGERS = ("aiormq.connection", "aio_pika.robust_connection")
"""Their lines on a failed first connection: an ERROR without the broker's address, and a
reconnection the failed start does not make."""


@contextmanager
def _silenced(names: tuple[str, ...]) -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class Bus:
    """One service's view of the broker: its queues, its subscribers, its publisher."""

    def __init__(
        self,
        settings: Settings,
        topology: Topology,
        *,
        registry: CollectorRegistry,
        tracer_provider: TracerProvider,
    ) -> None:
        self.settings = settings
        self.topology = topology
        self.service = settings.service
        self._recorded = records_spans(tracer_provider)
        self._queues: dict[str, str] = {}
        self._lost = False
        self.dead_letters = DeadLetters(
            registry,
            settings.delivery_limit,
            lambda key: self._queues.get(key, key),
        )
        tracing = (
            RabbitTelemetryMiddleware(tracer_provider=tracer_provider)
            if self._recorded
            else CarriedTraceConsumer
        )
        self.broker = RabbitBroker(
            named_connection_url(
                settings.amqp_url,
                f"{topology.namespace}.{self.service}@{socket.gethostname()}:{os.getpid()}",
            ),
            default_channel=Channel(prefetch_count=settings.prefetch, on_return_raises=True),
            graceful_timeout=settings.graceful_timeout_s,
            reconnect_interval=1.0,
            log_level=logging.DEBUG,
            logger=BROKER_LOG,
            on_close=(self._connection_lost,),
            on_reconnected=(self._connection_restored,),
            middlewares=(
                # the trace outside the policy: its lines (a message held, failed again,
                # dead-lettered) carry the trace id of the message they are about
                tracing,
                ConsumerPolicy(
                    settings.store_retry_budget_s, self.dead_letters, settings.max_message_bytes
                ),
                RabbitPrometheusMiddleware(registry=registry, app_name=f"tripcare_{self.service}"),
            ),
        )
        self.events_exchange = RabbitExchange(
            topology.events_exchange,
            type=ExchangeType.TOPIC,
            durable=True,
            arguments={"alternate-exchange": topology.unrouted_exchange},
        )
        self.admission_exchange = RabbitExchange(
            topology.admission_exchange, type=ExchangeType.FANOUT, durable=True
        )
        """Notify's acknowledgement-lag reports to every intake (``runtime.lag_reports``)."""
        self._subscribed: list[type[Event]] = []
        self._announced = frozenset(event.schema_name for event in ANNOUNCED)

    @property
    def subscribed(self) -> tuple[type[Event], ...]:
        return tuple(self._subscribed)

    def queue(self, event: type[Event]) -> RabbitQueue:
        name = self.topology.queue(self.service, event)
        return RabbitQueue(
            name,
            queue_type=QueueType.QUORUM,
            durable=True,
            routing_key=event.schema_name,
            arguments={
                "x-dead-letter-exchange": self.topology.dead_letter_exchange,
                "x-dead-letter-routing-key": name,
                "x-dead-letter-strategy": "at-least-once",
                "x-overflow": "reject-publish",
                "x-delivery-limit": self.settings.delivery_limit,
            },
        )

    def subscriber(self, event: type[Event]) -> Callable[[H], H]:
        """Register a typed handler for one event on this service's queue for it."""
        self._subscribed.append(event)
        self._queues[event.schema_name] = self.topology.queue(self.service, event)
        register = self.broker.subscriber(
            self.queue(event), self.events_exchange, ack_policy=AckPolicy.NACK_ON_ERROR
        )

        def decorate(handler: H) -> H:
            register(handler)
            return handler

        return decorate

    async def start(self) -> None:
        """Connect, declare dead-letter and alternate routes, then start consuming. A start
        that fails closes what it opened, so it can be tried again (``runtime.startup``,
        whose line per failed attempt says what the client library's would)."""
        try:
            with _silenced(CONNECTION_LOGGERS):
                await self.broker.connect()
            self._lost = False  # a failed start's close said lost; this is a new connection
            await self._declare_support_topology()
            await self.broker.start()
        except BaseException:
            await self.broker.stop()
            raise

    async def stop(self) -> None:
        """Stop consuming; in-flight handlers get ``graceful_timeout`` to finish."""
        await self.broker.stop()

    async def _declare_support_topology(self) -> None:
        topology = self.topology
        dlx = await self.broker.declare_exchange(
            RabbitExchange(topology.dead_letter_exchange, type=ExchangeType.DIRECT, durable=True)
        )
        unrouted = await self.broker.declare_exchange(
            RabbitExchange(topology.unrouted_exchange, type=ExchangeType.FANOUT, durable=True)
        )
        events_exchange = await self.broker.declare_exchange(self.events_exchange)
        announced = await self.broker.declare_exchange(
            RabbitExchange(topology.announced_exchange, type=ExchangeType.FANOUT, durable=True)
        )
        for event in ANNOUNCED:
            await announced.bind(events_exchange, routing_key=event.schema_name)
        # Notify's lag reports (runtime.lag_reports) are published here whether or not an
        # intake listens yet; publishing to a missing exchange would close the channel.
        await self.broker.declare_exchange(self.admission_exchange)
        parked = await self.broker.declare_queue(
            RabbitQueue(
                topology.unrouted_queue,
                queue_type=QueueType.QUORUM,
                durable=True,
                arguments={"x-max-length": UNROUTED_KEPT},
            )
        )
        await parked.bind(unrouted)
        for event in self._subscribed:
            dlq = await self.broker.declare_queue(
                RabbitQueue(
                    topology.dead_letter_queue(self.service, event),
                    queue_type=QueueType.QUORUM,
                    durable=True,
                )
            )
            await dlq.bind(dlx, routing_key=topology.queue(self.service, event))

    async def publish(self, message: OutboxMessage) -> None:
        """Publish one outbox message, persistent, and wait for the broker's confirm.

        Mandatory, so a message no queue took fails the publish, except an announced
        one: that nobody listens to a receipt is no failure. The trace it was raised in
        goes in its headers: through the OpenTelemetry middleware's publishing span when
        spans are recorded, else as they were stored; so does the time of publication
        (``PUBLISHED_HEADER``)."""
        token = (
            attach(context_from(message.traceparent, message.tracestate))
            if self._recorded and message.traceparent
            else None
        )
        carried_headers: dict[str, Any] = (
            {} if self._recorded else trace_headers(message.traceparent, message.tracestate)
        )
        carried_headers[PUBLISHED_HEADER] = int(time.time() * 1000)
        try:
            await self.broker.publish(
                message.body.encode(),
                exchange=self.events_exchange,
                routing_key=message.routing_key,
                persist=True,
                mandatory=message.routing_key not in self._announced,
                message_id=message.message_id,
                correlation_id=message.correlation_id,
                content_type="application/json",
                message_type=message.routing_key,
                headers=carried_headers,
            )
        finally:
            if token is not None:
                detach(token)

    def _connection_lost(self, _connection: object, _reason: BaseException | None) -> None:
        self._lost = True

    def _connection_restored(self, _connection: object) -> None:
        self._lost = False

    async def is_connected(self) -> bool:
        """False at once while the connection is known lost (closed and not yet restored
        with its channels): a load balancer probing every second gets its 503 then, not
        after the ping's 2 s. Otherwise the ping, which waits for a connection coming up."""
        if self._lost:
            return False
        try:
            return bool(await self.broker.ping(timeout=2.0))
        except Exception:
            return False
