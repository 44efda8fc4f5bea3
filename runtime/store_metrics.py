"""What the store costs, on the service's Prometheus registry.

``store_commands_total`` counts every command the driver sends. It takes a PyMongo
command listener, so it is off unless ``TRIPCARE_STORE_COMMAND_METRICS`` is set (the
load bench sets it to report store commands per contact).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter
from pymongo import monitoring


class CommandCounter(monitoring.CommandListener):
    """Counts the commands sent, per database and command name."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._counter = Counter(
            "store_commands",
            "Commands sent to the store",
            ["database", "command"],
            registry=registry,
        )

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self._counter.labels(database=event.database_name, command=event.command_name).inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        """Only starts are counted."""

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        """Only starts are counted."""
