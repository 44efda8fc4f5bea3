"""Write the JSON Schema of every event envelope and an AsyncAPI 3.0 document.

Usage: ``python -m contracts.export docs`` (``make contracts``). The files are
generated from the pydantic models, never edited by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from contracts.envelope import Envelope, Event
from contracts.events import ALL_EVENTS
from contracts.topology import ANNOUNCED, PUBLICATIONS, SUBSCRIPTIONS, Topology

_ANNOUNCED_NOTE = (
    " Announced: published for outside subscribers, consumed by no TripCare service; bind a"
    " queue of your own with this routing key. Unheard, it is dropped, not kept."
)


def schema_file(event: type[Event]) -> str:
    return f"{event.schema_name}.v{event.schema_version}.json"


def envelope_schema(event: type[Event]) -> dict[str, Any]:
    schema = Envelope[event].model_json_schema()  # type: ignore[valid-type]
    schema["title"] = f"{event.schema_name} v{event.schema_version}"
    schema["$id"] = f"https://tripcare.example/schemas/{schema_file(event)}"
    return schema


def asyncapi(topology: Topology) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for event in ALL_EVENTS:
        key = event.schema_name.replace(".", "_")
        messages[key] = {
            "name": event.schema_name,
            "title": f"{event.schema_name} v{event.schema_version}",
            "summary": (event.__doc__ or "").strip().splitlines()[0] if event.__doc__ else "",
            "contentType": "application/json",
            "payload": {"$ref": f"schemas/{schema_file(event)}"},
        }
        channels[key] = {
            "address": event.schema_name,
            "description": f"Routing key {event.schema_name} on the {topology.events_exchange} "
            "topic exchange." + (_ANNOUNCED_NOTE if event in ANNOUNCED else ""),
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
            "bindings": {
                "amqp": {
                    "is": "routingKey",
                    "exchange": {
                        "name": topology.events_exchange,
                        "type": "topic",
                        "durable": True,
                    },
                }
            },
        }
    operations: dict[str, Any] = {}
    for action, table in (("send", PUBLICATIONS), ("receive", SUBSCRIPTIONS)):
        for service, events in table.items():
            for event in events:
                key = event.schema_name.replace(".", "_")
                operation: dict[str, Any] = {
                    "action": action,
                    "channel": {"$ref": f"#/channels/{key}"},
                    "summary": f"{service} {action}s {event.schema_name}",
                }
                if action == "receive":
                    operation["bindings"] = {
                        "amqp": {"queue": topology.queue(service, event), "ack": True}
                    }
                operations[f"{service}_{action}_{key}"] = operation
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "TripCare integration events",
            "version": "1",
            "description": "Every message is a JSON envelope (message id, correlation id, "
            "causation id, tenant id, occurred-at, schema name and version, W3C trace "
            "context) around one event payload. Queues are durable quorum queues with "
            f"dead-lettering to {topology.dead_letter_exchange}.",
        },
        "servers": {
            "local": {"host": "127.0.0.1:5672", "protocol": "amqp", "protocolVersion": "0.9.1"}
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def main(out: Path) -> None:
    schemas = out / "schemas"
    schemas.mkdir(parents=True, exist_ok=True)
    for event in ALL_EVENTS:
        text = json.dumps(envelope_schema(event), indent=2, ensure_ascii=False, sort_keys=True)
        (schemas / schema_file(event)).write_text(text + "\n")
    document = yaml.safe_dump(asyncapi(Topology()), sort_keys=False, allow_unicode=True)
    (out / "asyncapi.yaml").write_text(document)
    print(f"wrote {len(ALL_EVENTS)} schemas to {schemas} and {out / 'asyncapi.yaml'}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
