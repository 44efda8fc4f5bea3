"""The broker on Kubernetes boots with what compose's boots with: the topology, the DLQ cap and
the other policies from deploy/rabbitmq/definitions.json, and the user the services and KEDA
connect as, its password from a Secret (deploy/check.py, make deploy-check)."""

from __future__ import annotations

import base64
import copy
import json
import shutil
from typing import Any
from urllib.parse import urlsplit

import pytest

from deploy import broker_check, check, secrets

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl kustomize")


def cluster(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (found,) = [d for d in docs if d["kind"] == "RabbitmqCluster"]
    return found


def pod(docs: list[dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = cluster(docs)["spec"]["override"]["statefulSet"]["spec"]["template"]
    return spec["spec"]


def generated() -> dict[str, dict[str, str]]:
    """One run of ``python -m deploy.secrets``: each Secret's values by its name."""
    return {s["metadata"]["name"]: s["stringData"] for s in secrets.generate("tripcare-dev")}


def test_every_overlay_loads_the_definitions_compose_loads(rendered: list[dict[str, Any]]) -> None:
    assert check.broker_errors(rendered) == []


def test_a_broker_that_loads_no_definitions_is_reported(rendered: list[dict[str, Any]]) -> None:
    docs = copy.deepcopy(rendered)
    config = cluster(docs)["spec"]["rabbitmq"]
    config["additionalConfig"] = "\n".join(
        line for line in config["additionalConfig"].splitlines() if "definitions" not in line
    )
    assert "RabbitmqCluster tripcare-rabbitmq: loads no definitions" in check.broker_errors(docs)


def test_a_topology_without_the_dlq_cap_is_reported(rendered: list[dict[str, Any]]) -> None:
    docs = copy.deepcopy(rendered)
    (config,) = [
        d for d in docs if d["kind"] == "ConfigMap" and "rabbitmq" in d["metadata"]["name"]
    ]
    (key,) = config["data"]
    topology = json.loads(config["data"][key])
    topology["policies"] = [p for p in topology["policies"] if not p["name"].endswith("-dlq")]
    config["data"][key] = json.dumps(topology)
    errors = check.broker_errors(docs)
    assert any("policies differ from deploy/rabbitmq/definitions.json" in e for e in errors)


def test_a_broker_without_the_users_secret_is_reported(rendered: list[dict[str, Any]]) -> None:
    docs = copy.deepcopy(rendered)
    spec = pod(docs)
    spec["volumes"] = [v for v in spec["volumes"] if "secret" not in v]
    mounts = spec["containers"][0]["volumeMounts"]
    names = {v["name"] for v in spec["volumes"]}
    mounts[:] = [m for m in mounts if m["name"] in names]
    errors = check.broker_errors(docs)
    assert f"RabbitmqCluster tripcare-rabbitmq: no {secrets.BROKER_USERS} Secret in" in errors[0]


def test_the_generated_user_is_compose_s_with_the_password_the_services_use() -> None:
    made = generated()
    users = json.loads(made[secrets.BROKER_USERS]["users.json"])
    assert broker_check.user_errors(users) == []
    amqp = urlsplit(made[secrets.APP]["AMQP_URL"])
    management = urlsplit(made[secrets.BROKER_MANAGEMENT]["host"])
    (user,) = users["users"]
    assert user["name"] == amqp.username == management.username
    assert amqp.password == management.password
    stored = base64.b64decode(user["password_hash"])
    assert secrets.password_hash(str(amqp.password), stored[:4]) == user["password_hash"]


def test_a_user_without_compose_s_permissions_is_reported() -> None:
    users = json.loads(generated()[secrets.BROKER_USERS]["users.json"])
    users["permissions"][0]["configure"] = "^$"
    assert broker_check.user_errors(users) == [
        "users.json permissions differ from deploy/rabbitmq/users.json"
    ]


def test_password_hashes_are_rabbitmq_s_salted_sha256() -> None:
    compose = json.loads((check.DEPLOY / "rabbitmq" / "users.json").read_text())
    stored = compose["users"][0]["password_hash"]
    salt = base64.b64decode(stored)[:4]
    assert secrets.password_hash("tripcare-local", salt) == stored
