"""No cluster overlay carries secret values: they are made per cluster by ``python -m
deploy.secrets`` (or the secret manager), and ``make deploy-check`` fails on a committed one."""

from __future__ import annotations

import copy
import shutil
from typing import Any

import pytest
import yaml

from deploy import check, secrets

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl kustomize")


def deployment(docs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (found,) = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == name]
    return found


def test_no_overlay_commits_a_secret_value(rendered: list[dict[str, Any]]) -> None:
    assert not [d for d in rendered if d["kind"] == "Secret"]
    assert check.secret_errors(rendered) == []


def test_a_committed_secret_is_reported(rendered: list[dict[str, Any]]) -> None:
    docs = [
        *rendered,
        {"kind": "Secret", "metadata": {"name": "tripcare-app"}, "data": {"AMQP_URL": "eA=="}},
    ]
    assert check.secret_errors(docs) == [
        "Secret tripcare-app: committed values; create it with python -m deploy.secrets "
        "or the secret manager"
    ]


def test_keys_and_credentials_in_a_configmap_or_env_are_reported(
    rendered: list[dict[str, Any]],
) -> None:
    docs = copy.deepcopy(rendered)
    config = next(d for d in docs if d["kind"] == "ConfigMap")
    config["data"]["TRIPCARE_STAFF_KEYS"] = '{"k1": "a-staff-key-anyone-can-read-000000"}'
    container = deployment(docs, "notify")["spec"]["template"]["spec"]["containers"][0]
    container["env"].append({"name": "MONGO_URL", "value": "mongodb://tripcare:pw@mongo:27017/"})
    errors = check.secret_errors(docs)
    assert f"ConfigMap {config['metadata']['name']}: TRIPCARE_STAFF_KEYS is a secret" in errors
    assert "Deployment notify: env MONGO_URL holds credentials" in errors


def test_generated_secrets_are_random_and_cover_what_the_manifests_reference(
    rendered: list[dict[str, Any]],
) -> None:
    first, second = (secrets.generate("tripcare-dev") for _ in range(2))
    assert {s["metadata"]["name"] for s in first} >= check.referenced_secrets(rendered)
    assert all(s["metadata"]["namespace"] == "tripcare-dev" for s in first)
    values = [v for s in first for v in s["stringData"].values()]
    assert not set(values) & {v for s in second for v in s["stringData"].values()}


def test_the_generated_manifests_are_yaml_kubectl_applies() -> None:
    docs = [d for d in yaml.safe_load_all(secrets.render("tripcare-dev")) if d]
    assert {(d["apiVersion"], d["kind"], d["type"]) for d in docs} == {("v1", "Secret", "Opaque")}
    assert [d["metadata"]["name"] for d in docs] == list(secrets.NAMES)
