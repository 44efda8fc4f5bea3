"""The broker on Kubernetes boots with what compose's boots with (part of ``make deploy-check``).

Compose's RabbitMQ loads ``deploy/rabbitmq/definitions.json`` (exchanges, quorum queues,
bindings and the policies: DLQ cap, leader placement) and ``users.json`` (the user the
services and KEDA connect as) at boot. The Cluster Operator creates neither: it makes a random
default user of its own, so without the same files the services' ``AMQP_URL`` names a user
nobody created and they exit at start, and the DLQs have no cap. The RabbitmqCluster must
therefore load a definitions folder holding the topology ConfigMap (the same document) and the
``tripcare-rabbitmq-users`` Secret that ``python -m deploy.secrets`` makes (compose's user and
permissions, a random password).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from deploy import secrets

DEPLOY = Path(__file__).resolve().parent
COMPOSE_TOPOLOGY = DEPLOY / "rabbitmq" / "definitions.json"
TOPOLOGY_KINDS = ("vhosts", "exchanges", "queues", "bindings", "policies")


def config_settings(text: str) -> dict[str, str]:
    """``key = value`` lines of a rabbitmq.conf fragment, comments left out."""
    found = {}
    for line in text.splitlines():
        key, sep, value = line.split("#", 1)[0].partition("=")
        if sep:
            found[key.strip()] = value.strip()
    return found


def broker_errors(docs: list[dict[str, Any]]) -> list[str]:
    errors = []
    for broker in (d for d in docs if d["kind"] == "RabbitmqCluster"):
        errors += _cluster_errors(broker, docs)
    return errors


def _cluster_errors(broker: dict[str, Any], docs: list[dict[str, Any]]) -> list[str]:
    where = f"RabbitmqCluster {broker['metadata']['name']}"
    config = config_settings(broker["spec"].get("rabbitmq", {}).get("additionalConfig", ""))
    folder = config.get("definitions.local.path") or config.get("load_definitions")
    backend = config.get("definitions.import_backend", "local_filesystem")
    if folder is None or backend != "local_filesystem":
        return [f"{where}: loads no definitions"]
    mounted = _mounted(broker, folder)
    maps = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
    topologies = [
        json.loads(value)
        for kind, name, key in mounted
        if kind == "configMap" and name in maps
        for item, value in maps[name].get("data", {}).items()
        if key in (None, item)
    ]
    errors = [] if topologies else [f"{where}: no ConfigMap with the topology in {folder}"]
    for topology in topologies:
        errors += [f"{where}: {e}" for e in topology_errors(topology)]
    if ("secret", secrets.BROKER_USERS) not in {(kind, name) for kind, name, _ in mounted}:
        errors.append(
            f"{where}: no {secrets.BROKER_USERS} Secret in {folder} "
            "(the user the services and KEDA connect as)"
        )
    users = next(
        s for s in secrets.generate("check") if s["metadata"]["name"] == secrets.BROKER_USERS
    )
    return errors + user_errors(json.loads(users["stringData"]["users.json"]))


def _mounted(broker: dict[str, Any], folder: str) -> list[tuple[str, str, str | None]]:
    """(``configMap`` or ``secret``, its name, the key mounted or None for all) per volume the
    rabbitmq container mounts in the definitions folder."""
    template = broker["spec"].get("override", {}).get("statefulSet", {}).get("spec", {})
    pod = template.get("template", {}).get("spec", {})
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    found: list[tuple[str, str, str | None]] = []
    for container in pod.get("containers", []):
        if container.get("name") != "rabbitmq":
            continue
        for mount in container.get("volumeMounts", []):
            volume = volumes.get(mount["name"], {})
            inside = mount["mountPath"].rstrip("/") == folder.rstrip("/") or mount[
                "mountPath"
            ].startswith(folder.rstrip("/") + "/")
            if inside and "configMap" in volume:
                found.append(("configMap", volume["configMap"]["name"], mount.get("subPath")))
            elif inside and "secret" in volume:
                found.append(("secret", volume["secret"]["secretName"], mount.get("subPath")))
    return found


def _canonical(items: list[Any]) -> list[str]:
    return sorted(json.dumps(item, sort_keys=True) for item in items)


def topology_errors(topology: dict[str, Any]) -> list[str]:
    """Every part of the topology compose loads, the policies included, and nothing else."""
    compose = json.loads(COMPOSE_TOPOLOGY.read_text())
    return [
        f"{kind} differ from deploy/rabbitmq/definitions.json (make deploy-definitions)"
        for kind in TOPOLOGY_KINDS
        if _canonical(topology.get(kind, [])) != _canonical(compose.get(kind, []))
    ]


def user_errors(users: dict[str, Any]) -> list[str]:
    """Compose's users (name, tags, hashing) and permissions; the password is the cluster's."""
    compose = json.loads(secrets.COMPOSE_USERS.read_text())

    def who(document: dict[str, Any]) -> list[str]:
        return _canonical(
            [{k: v for k, v in u.items() if k != "password_hash"} for u in document["users"]]
        )

    errors = []
    if who(users) != who(compose):
        errors.append("users.json users differ from deploy/rabbitmq/users.json")
    if _canonical(users.get("permissions", [])) != _canonical(compose["permissions"]):
        errors.append("users.json permissions differ from deploy/rabbitmq/users.json")
    return errors
