"""Live updates for open consoles: ticket events from the bus, fanned out as server-sent events.

Every intake process binds its own exclusive, auto-deleted queue to ``ticket.#``,
so each replica sees every ticket event (the work queues are competing
consumers, which would show each event to one replica only). The queue holds
no state worth keeping: a console that misses an event reloads its list on the
next one, on reconnect, and quietly every 15 s (``static/console.js``). A console is
registered and the queue bound before its stream's response starts, so the reload
the browser makes on ``open`` never precedes the binding.

An event intake itself consumes (``ticket.routed``…) reaches this queue and
intake's work queue at the same time; consoles are told only once the ticket
records the message as processed, so the list they reload already shows it. That
wait reads the ticket, so it is only taken for a tenant with a console open: with
none, an event is dropped here at once (it used to cost intake three store reads per
new ticket, #20).

Even dropped, three events a contact cost a replica ~1 ms of CPU and the broker a
delivery each (docs/benchmarks.md, #20), so the queue is bound to ``ticket.#`` only
while a console is connected to this replica (``FeedBinding``): bound as a console
connects, unbound by the next look after the last one has gone.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from faststream import AckPolicy
from faststream.rabbit import RabbitQueue

from runtime.bus import Bus
from runtime.periodic import Periodic
from runtime.startup import failure

log = logging.getLogger(__name__)

KEEPALIVE_S = 15.0
STREAM_MAX_S = 300.0
"""A stream ends after this and the browser reconnects: no request outlives a deploy by much."""
BACKLOG = 100
APPLIED_WAIT_S = 5.0
"""How long an event intake consumes is held back waiting for intake's own commit of it."""
APPLIED_POLL_S = 0.1
RECONCILE_S = 10.0
"""How often the binding is set to what the consoles need (and restored after a reconnect)."""
TICKET_EVENTS = "ticket.#"
Applied = Callable[[str, str, str], Awaitable[bool]]
Listening = Callable[[], Awaitable[None]]
Listener = asyncio.Queue[dict[str, str]]


class LiveFeed:
    """Per-tenant fan-out to the event streams of connected consoles."""

    def __init__(self) -> None:
        self._listeners: dict[str, set[Listener]] = defaultdict(set)
        self.on_listen: Listening | None = None
        """Called as a console connects: the feed's queue must take ticket events now."""

    def listening(self, tenant_id: str) -> bool:
        """Whether any console of the tenant is connected to this process."""
        return bool(self._listeners.get(tenant_id))

    def anyone(self) -> bool:
        """Whether any console at all is connected to this process."""
        return any(self._listeners.values())

    def publish(self, tenant_id: str, item: dict[str, str]) -> None:
        for listener in self._listeners.get(tenant_id, ()):
            if listener.qsize() < BACKLOG:
                listener.put_nowait(item)

    async def listen(self, tenant_id: str) -> Listener:
        """Register a console and bind the feed's queue before its response starts: the
        browser's ``open`` (and the list reload it triggers) then comes after the binding,
        so no event between that reload and the stream's start is lost."""
        listener: Listener = asyncio.Queue()
        self._listeners[tenant_id].add(listener)
        if self.on_listen is not None:
            await self.on_listen()
        return listener

    def leave(self, tenant_id: str, listener: Listener) -> None:
        self._listeners[tenant_id].discard(listener)

    async def stream(
        self,
        tenant_id: str,
        listener: Listener,
        keepalive_s: float = KEEPALIVE_S,
        max_s: float = STREAM_MAX_S,
    ) -> AsyncGenerator[str, None]:
        """Event-stream lines: a ``ticket`` event per bus event, comments to keep alive."""
        loop = asyncio.get_running_loop()
        ends = loop.time() + max_s
        try:
            yield "retry: 1000\n\n"
            while (left := ends - loop.time()) > 0:
                try:
                    item = await asyncio.wait_for(listener.get(), min(keepalive_s, left))
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                yield f"event: ticket\ndata: {json.dumps(item)}\n\n"
        finally:
            self.leave(tenant_id, listener)


class FeedBinding(Periodic):
    """Keeps the feed's queue bound to ticket events while a console listens here, and
    unbound otherwise (a worker: ``start`` after the bus, ``stop`` before it)."""

    def __init__(
        self, bus: Bus, queue: RabbitQueue, feed: LiveFeed, every_s: float = RECONCILE_S
    ) -> None:
        super().__init__(
            "console-feed-binding",
            every_s,
            self.reconcile,
            failure="console feed binding not set",
        )
        self.bus = bus
        self.queue = queue
        self.feed = feed

    async def listening(self) -> None:
        """A console connected: bind now (idempotent), so it misses nothing from here on."""
        try:
            await self.bind(True)
        except Exception as exc:  # the console still opens; the next look binds
            log.warning("console feed not bound: %s", failure(exc))

    async def bind(self, wanted: bool) -> None:
        queue = await self.bus.broker.declare_queue(self.queue)
        exchange = await self.bus.broker.declare_exchange(self.bus.events_exchange)
        if wanted:
            await queue.bind(exchange, routing_key=TICKET_EVENTS)
        else:
            await queue.unbind(exchange, routing_key=TICKET_EVENTS)

    async def reconcile(self) -> None:
        """What the consoles need now (and after a reconnect, whatever FastStream restored)."""
        await self.bind(self.feed.anyone())


def subscribe_feed(bus: Bus, feed: LiveFeed, applied: Applied) -> FeedBinding:
    """This process's private queue for every ticket event, fed to the consoles; the
    returned worker keeps it bound only while a console is connected.

    ``applied(tenant, ticket_id, message_id)`` says whether the ticket has
    taken in a message intake consumes.
    """
    consumed = {event.schema_name for event in bus.subscribed}
    pending: set[asyncio.Task[None]] = set()

    async def when_applied(
        tenant: str, ticket_id: str, message_id: str, item: dict[str, str]
    ) -> None:
        for _ in range(int(APPLIED_WAIT_S / APPLIED_POLL_S)):
            if await applied(tenant, ticket_id, message_id):
                break
            await asyncio.sleep(APPLIED_POLL_S)
        feed.publish(tenant, item)

    queue = RabbitQueue(
        f"{bus.topology.events_exchange}.console.{uuid.uuid4().hex[:12]}",
        exclusive=True,
        auto_delete=True,
        durable=False,
        routing_key=TICKET_EVENTS,
    )

    @bus.broker.subscriber(queue, bus.events_exchange, ack_policy=AckPolicy.ACK_FIRST)
    async def ticket_event(body: dict[str, Any]) -> None:
        payload = body.get("payload") or {}
        tenant, ticket_id = body.get("tenant_id"), payload.get("ticket_id")
        if not (isinstance(tenant, str) and isinstance(ticket_id, str)):
            return
        if not feed.listening(tenant):
            return
        kind, message_id = str(body.get("schema_name")), str(body.get("message_id"))
        item = {"kind": kind, "ticket_id": ticket_id}
        if kind not in consumed:
            feed.publish(tenant, item)
            return
        task = asyncio.create_task(when_applied(tenant, ticket_id, message_id, item))
        pending.add(task)
        task.add_done_callback(pending.discard)

    binding = FeedBinding(bus, queue, feed)
    feed.on_listen = binding.listening
    return binding
