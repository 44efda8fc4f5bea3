"""RabbitMQ definitions (exchanges, quorum queues, DLQs, bindings, policies) from the topology.

``python -m deploy.definitions > deploy/rabbitmq/definitions.json``

The broker in compose loads this file at boot, so the topology exists before
any service starts. It is generated from the same code the services declare
with (``runtime.bus``), because a queue declared with different arguments
than it already has fails with PRECONDITION_FAILED; ``make deploy-check``
fails when the committed file is stale.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from contracts.topology import ANNOUNCED, SUBSCRIPTIONS, Topology
from runtime.bus import UNROUTED_KEPT
from runtime.settings import Settings

VHOST = "/"
DLQ_MAX_LENGTH = 1_000_000
"""Beyond this a DLQ refuses more; at-least-once dead-lettering then holds messages upstream."""


def definitions(namespace: str = "tripcare", delivery_limit: int | None = None) -> dict[str, Any]:
    """The broker definitions document for one namespace."""
    topology = Topology(namespace)
    limit = delivery_limit if delivery_limit is not None else Settings().delivery_limit
    exchanges = [
        _exchange(
            topology.events_exchange, "topic", {"alternate-exchange": topology.unrouted_exchange}
        ),
        _exchange(topology.dead_letter_exchange, "direct", {}),
        _exchange(topology.unrouted_exchange, "fanout", {}),
        _exchange(topology.announced_exchange, "fanout", {}),
        _exchange(topology.admission_exchange, "fanout", {}),
    ]
    queues = [_queue(topology.unrouted_queue, {"x-max-length": UNROUTED_KEPT})]
    bindings = [_binding(topology.unrouted_exchange, topology.unrouted_queue, "")]
    for event in ANNOUNCED:
        bindings.append(
            _binding(
                topology.events_exchange,
                topology.announced_exchange,
                event.schema_name,
                destination_type="exchange",
            )
        )
    for service, subscribed in SUBSCRIPTIONS.items():
        for event in subscribed:
            name = topology.queue(service, event)
            dlq = topology.dead_letter_queue(service, event)
            queues.append(
                _queue(
                    name,
                    {
                        "x-dead-letter-exchange": topology.dead_letter_exchange,
                        "x-dead-letter-routing-key": name,
                        "x-dead-letter-strategy": "at-least-once",
                        "x-overflow": "reject-publish",
                        "x-delivery-limit": limit,
                    },
                )
            )
            queues.append(_queue(dlq, {}))
            bindings.append(_binding(topology.events_exchange, name, event.schema_name))
            bindings.append(_binding(topology.dead_letter_exchange, dlq, name))
    prefix = namespace.replace("-", "\\-")
    policies = [
        {
            "vhost": VHOST,
            "name": f"{namespace}-dlq",
            "pattern": f"^{prefix}\\..+\\.dlq$",
            "apply-to": "queues",
            "priority": 10,
            "definition": {
                "max-length": DLQ_MAX_LENGTH,
                "overflow": "reject-publish",
                "queue-leader-locator": "balanced",
            },
        },
        {
            "vhost": VHOST,
            "name": f"{namespace}-queues",
            "pattern": f"^{prefix}\\.",
            "apply-to": "queues",
            "priority": 0,
            "definition": {"queue-leader-locator": "balanced"},
        },
    ]
    return {
        "vhosts": [{"name": VHOST}],
        "exchanges": exchanges,
        "queues": queues,
        "bindings": bindings,
        "policies": policies,
    }


def _exchange(name: str, kind: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "vhost": VHOST,
        "type": kind,
        "durable": True,
        "auto_delete": False,
        "internal": False,
        "arguments": arguments,
    }


def _queue(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "vhost": VHOST,
        "durable": True,
        "auto_delete": False,
        "arguments": {"x-queue-type": "quorum", **arguments},
    }


def _binding(
    source: str, destination: str, routing_key: str, *, destination_type: str = "queue"
) -> dict[str, Any]:
    return {
        "source": source,
        "vhost": VHOST,
        "destination": destination,
        "destination_type": destination_type,
        "routing_key": routing_key,
        "arguments": {},
    }


def render() -> str:
    """The committed file's exact text."""
    return json.dumps(definitions(), indent=2) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
