"""``Provided``: a subscriber's dependency that bootstrap put on the broker's context.

Use it as FastStream's ``Context``::

    async def on_ticket_routed(
        envelope: Envelope[events.TicketRouted],
        notifier: Annotated[Notifier, Provided("notifier")],
    ) -> None: ...

    bus.broker.context.set_global("notifier", notifier)  # in bootstrap

FastStream's own ``Context`` is looked up by a synchronous function, which
fast_depends runs in a worker thread for every message of an async subscriber:
about 80 µs of CPU per message here, a third of FastStream's whole consumer path
(``python bench/subscriber_context.py``). ``Provided`` is the same lookup, awaited
on the event loop.
"""

from __future__ import annotations

from typing import Any

from faststream._internal.context import Context


class _Awaited(Context):
    """FastStream's context lookup as a coroutine, so fast_depends awaits it in place."""

    async def use(self, /, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        return super().use(**kwargs)


def Provided(name: str) -> Any:
    """The object bootstrap set with ``broker.context.set_global(name, …)``."""
    return _Awaited(name)


def Carried(header: str) -> Any:
    """The header ``header`` of the message being handled, None on a message without it."""
    return _Awaited(header, prefix="message.headers.", default=None)
