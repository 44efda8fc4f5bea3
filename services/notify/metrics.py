"""Notify's delivery metrics, on the service's Prometheus registry.

Counted where the dispatcher stores an attempt's outcome, by where that left the delivery:
sent, waiting for a retry, or failed for good on its channel (the next channel of its
route, if any, takes over); and where a bounce fails a sent mail (``Notifier.bounced``),
which the dispatcher never sees. The dispatcher's hand is read from its memory at scrape time,
never from the store.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge

from services.notify.domain.delivery import Delivery, DeliveryStatus

INTERRUPTED = "interrupted"
"""The outcome of an attempt whose lease ran out (its process died) before it had one."""

BOUNCED = "bounced"
"""The outcome of a sent mail that came back undelivered (already counted as sent)."""


class DeliveryMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self._sent = Counter(
            "notify_deliveries_sent",
            "Deliveries a channel took (in-app inbox items are stored, not sent, and not counted)",
            ("channel",),
            registry=registry,
        )
        self._retried = Counter(
            "notify_delivery_retries",
            "Failed attempts followed by another one after back-off, by the attempt's outcome "
            "(temporary, or interrupted: no outcome before its lease ran out)",
            ("channel", "outcome"),
            registry=registry,
        )
        self._failed = Counter(
            "notify_deliveries_failed",
            "Deliveries given up on their channel, by the last attempt's outcome (permanent: "
            "refused; temporary or interrupted: attempts used up; bounced: a sent mail came "
            "back); the next channel takes over",
            ("channel", "outcome"),
            registry=registry,
        )

    def recorded(self, delivery: Delivery, outcome: str) -> None:
        """An attempt's ``outcome`` was stored: count it by the delivery's status after it."""
        if delivery.status is DeliveryStatus.DELIVERED:
            self._sent.labels(delivery.channel).inc()
        elif delivery.status is DeliveryStatus.PENDING:
            self._retried.labels(delivery.channel, outcome).inc()
        elif delivery.status is DeliveryStatus.FAILED:
            self._failed.labels(delivery.channel, outcome).inc()

    def watch(self, serving: Callable[[], int], queued: Callable[[], int]) -> None:
        """The dispatcher's recipients (tenant, recipient, channel) in hand, read at scrape."""
        hand = Gauge(
            "notify_dispatch_recipients",
            "Recipients on one channel the dispatcher is sending to (serving) or has found "
            "due and not started yet (queued)",
            ("state",),
            registry=self.registry,
        )
        hand.labels("serving").set_function(serving)
        hand.labels("queued").set_function(queued)
