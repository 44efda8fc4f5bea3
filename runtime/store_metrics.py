"""What the store costs, on the service's Prometheus registry.

``store_batch_size`` shows the group commit at work (``runtime/store_batches.py``):
how many loads or writes each command carried, per collection.
``store_commands_total`` counts every command the driver sends, and
``store_collection_commands_total`` the same by collection (which lookups a contact
costs, #20). They take a PyMongo command listener, so they are off unless
``TRIPCARE_STORE_COMMAND_METRICS`` is set (the load bench sets it to report store
commands per contact).
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Histogram
from pymongo import monitoring

BATCH_BUCKETS = (1, 2, 3, 5, 10, 20, 50, 100, 200, 500)


class BatchSizes:
    """Operations per store command, per collection and kind (``load``, ``write``)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._histogram = Histogram(
            "store_batch_size",
            "Operations one store command carried (group commit)",
            ["collection", "kind"],
            buckets=BATCH_BUCKETS,
            registry=registry,
        )

    def observer(self, collection: str, kind: str) -> Callable[[float], None]:
        return self._histogram.labels(collection=collection, kind=kind).observe


class CommandCounter(monitoring.CommandListener):
    """Counts the commands sent, per database and command name."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._counter = Counter(
            "store_commands",
            "Commands sent to the store",
            ["database", "command"],
            registry=registry,
        )
        self._by_collection = Counter(
            "store_collection_commands",
            "Commands sent to the store, by the collection they name",
            ["database", "collection", "command"],
            registry=registry,
        )

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        self._counter.labels(database=event.database_name, command=name).inc()
        collection = event.command.get(name)
        self._by_collection.labels(
            database=event.database_name,
            collection=collection if isinstance(collection, str) else "",
            command=name,
        ).inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        """Only starts are counted."""

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        """Only starts are counted."""
