"""A stopping service gives the broker its grace, not forever."""

from __future__ import annotations

import asyncio

from runtime.service import ServiceRuntime
from runtime.settings import Settings


class Unanswering:
    """A bus whose broker stopped answering: stopping it never returns."""

    def __init__(self) -> None:
        self.asked = False

    async def stop(self) -> None:
        self.asked = True
        await asyncio.Event().wait()


class Relay:
    """The outbox relay, which bounds its own drain (``OutboxRelay.stop``)."""

    def __init__(self) -> None:
        self.stopped = False

    async def stop(self) -> None:
        self.stopped = True


async def test_a_broker_that_stopped_answering_does_not_keep_a_stopping_service_alive() -> None:
    runtime = ServiceRuntime(
        Settings(service="intake", namespace="unit", graceful_timeout_s=0.2),
        outbox_collections=(),
    )
    bus, relay = Unanswering(), Relay()
    runtime.bus, runtime.relay = bus, relay  # type: ignore[assignment]

    await asyncio.wait_for(runtime.stop(), 5)  # returns after its grace, or fails here

    assert bus.asked
    assert relay.stopped  # the outbox is still offered its drain
