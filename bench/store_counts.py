"""Store commands per contact and store batch sizes, from the services' own /metrics.

The stack runs with ``TRIPCARE_STORE_COMMAND_METRICS=1`` (a PyMongo command
listener counting ``store_commands_total``); ``store_batch_size`` is always there.
A snapshot is taken before a phase and after it drained; the difference, divided by
the phase's new tickets, is what one contact cost each service's store client
(follow-ups, duplicates and background loops such as the outbox sweeper and the
SLA scheduler included, as in #9's count).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

ENV = {"TRIPCARE_STORE_COMMAND_METRICS": "1"}
Snapshot = dict[str, dict[str, float]]
"""Per service: ``command:<name>`` → count, ``collection:<collection>.<name>`` → count,
``batches:<collection>:<kind>`` → number of
batches and ``ops:<collection>:<kind>`` → operations they carried."""


def parse(text: str) -> dict[str, float]:
    counts: dict[str, float] = defaultdict(float)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "store_commands_total":
                counts[f"command:{labels['command']}"] += sample.value
            elif sample.name == "store_collection_commands_total":
                counts[f"collection:{labels['collection']}.{labels['command']}"] += sample.value
            elif sample.name == "store_batch_size_count":
                counts[f"batches:{labels['collection']}:{labels['kind']}"] += sample.value
            elif sample.name == "store_batch_size_sum":
                counts[f"ops:{labels['collection']}:{labels['kind']}"] += sample.value
    return dict(counts)


async def snapshot(http: httpx.AsyncClient, urls: dict[str, str]) -> Snapshot:
    """Each service's counters now (a service that does not answer is left out)."""
    taken: Snapshot = {}
    for service, url in urls.items():
        try:
            response = await http.get(f"{url}/metrics", timeout=10)
            response.raise_for_status()
        except httpx.HTTPError:
            continue
        taken[service] = parse(response.text)
    return taken


def per_contact(before: Snapshot, after: Snapshot, contacts: int) -> dict[str, Any]:
    """Commands per contact per service and command, and the mean batch size per collection."""
    if contacts <= 0:
        return {}
    commands: dict[str, dict[str, float]] = {}
    by_collection: dict[str, dict[str, float]] = {}
    batches: dict[str, dict[str, dict[str, float]]] = {}
    for service, now in after.items():
        then = before.get(service, {})
        delta = {key: value - then.get(key, 0.0) for key, value in now.items()}
        by_command = {
            key.split(":", 1)[1]: round(value / contacts, 2)
            for key, value in sorted(delta.items())
            if key.startswith("command:") and value > 0
        }
        commands[service] = {"total": round(sum(by_command.values()), 2), **by_command}
        by_collection[service] = {
            key.split(":", 1)[1]: round(value / contacts, 2)
            for key, value in sorted(delta.items())
            if key.startswith("collection:") and value > 0
        }
        batches[service] = {
            key.split(":", 1)[1]: {
                "batches": value,
                "mean_size": round(delta[f"ops:{key.split(':', 1)[1]}"] / value, 2),
            }
            for key, value in sorted(delta.items())
            if key.startswith("batches:") and value > 0
        }
    total = round(sum(c["total"] for c in commands.values()), 2)
    return {
        "commands_per_contact": commands,
        "total": total,
        "by_collection": by_collection,
        "batches": batches,
    }


def markdown(store: dict[str, Any], contacts: int) -> list[str]:
    """Lines for the recorded section (empty when nothing was counted)."""
    if not store:
        return []
    commands = store["commands_per_contact"]
    lines = [
        "",
        f"Store commands per new ticket ({contacts} new tickets): "
        + ", ".join(f"{s} {c['total']}" for s, c in commands.items())
        + f"; {store['total']} in all.",
    ]
    sizes = [
        f"{service} {name} {b['mean_size']} ({b['batches']:.0f})"
        for service, by_name in store["batches"].items()
        for name, b in by_name.items()
    ]
    if sizes:
        lines.append("Mean store batch size (batches): " + ", ".join(sizes) + ".")
    return lines
