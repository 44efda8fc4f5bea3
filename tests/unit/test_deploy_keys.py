"""A Kubernetes deploy runs as production: with the keys ``python -m deploy.secrets`` makes it
starts, and a secret without them stops it at start-up instead of running on the public
development keys."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from pydantic import ValidationError

from deploy import check, secrets
from runtime.settings import Settings

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl kustomize")


def environment(docs: list[dict[str, Any]], secret: list[dict[str, Any]]) -> dict[str, str]:
    """What a service container gets from the ConfigMap of an overlay and its app secret."""
    env: dict[str, str] = {}
    for doc in docs:
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"].startswith("tripcare-config"):
            env.update(doc["data"])
    for doc in secret:
        if doc["metadata"]["name"] == "tripcare-app":
            env.update(doc["stringData"])
    return env


def settings_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(service="intake")


def test_a_cluster_starts_as_production_with_its_generated_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = environment(check.render("dev"), secrets.generate("tripcare-dev"))
    settings = settings_from(app, monkeypatch)
    assert (settings.env, settings.dev_login) == ("production", False)
    assert set(settings.staff_ring()).isdisjoint(settings.link_ring())


def test_a_production_deploy_whose_secret_lacks_the_keys_does_not_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    docs = check.render("prod")
    assert not [d for d in docs if d["kind"] == "Secret"], "prod secrets come from the manager"
    with pytest.raises(ValidationError, match="TRIPCARE_STAFF_KEYS"):
        settings_from(environment(docs, []), monkeypatch)
