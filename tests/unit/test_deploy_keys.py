"""A Kubernetes deploy runs as production: with the keys from its secret it starts, and a
secret without them stops it at start-up instead of running on the public development keys."""

from __future__ import annotations

import base64
import shutil
from typing import Any

import pytest
from pydantic import ValidationError

from deploy import check
from runtime.settings import Settings

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl kustomize")


def environment(docs: list[dict[str, Any]], secret: bool) -> dict[str, str]:
    """What a service container gets from the ConfigMap (and the app secret) of an overlay."""
    env: dict[str, str] = {}
    for doc in docs:
        name = doc["metadata"]["name"]
        if doc["kind"] == "ConfigMap" and name.startswith("tripcare-config"):
            env.update(doc["data"])
        if secret and doc["kind"] == "Secret" and name.startswith("tripcare-app"):
            env.update({k: base64.b64decode(v).decode() for k, v in doc["data"].items()})
    return env


def settings_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(service="intake")


def test_the_dev_cluster_starts_as_production_with_its_own_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings_from(environment(check.render("dev"), secret=True), monkeypatch)
    assert (settings.env, settings.dev_login) == ("production", False)
    assert set(settings.staff_ring()).isdisjoint(settings.link_ring())


def test_a_production_deploy_whose_secret_lacks_the_keys_does_not_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    docs = check.render("prod")
    assert not [d for d in docs if d["kind"] == "Secret"], "prod secrets come from the manager"
    with pytest.raises(ValidationError, match="TRIPCARE_STAFF_KEYS"):
        settings_from(environment(docs, secret=False), monkeypatch)
