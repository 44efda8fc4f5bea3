"""A pod waiting for an unreachable store or broker (``TRIPCARE_STARTUP_RETRY_S``) plus the
start itself fits its startupProbe: otherwise the kubelet kills a pod that is still waiting,
and a short outage turns into a crash loop (deploy/startup_check.py, make deploy-check)."""

from __future__ import annotations

import copy
import shutil
from typing import Any

import pytest

from deploy import check, startup_check

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl kustomize")


def container(docs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (deployment,) = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == name]
    found: dict[str, Any] = deployment["spec"]["template"]["spec"]["containers"][0]
    return found


def settings(docs: list[dict[str, Any]]) -> dict[str, str]:
    (config,) = [
        d
        for d in docs
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith(check.SETTINGS)
    ]
    data: dict[str, str] = config["data"]
    return data


def test_every_overlay_waits_inside_its_startup_probes(rendered: list[dict[str, Any]]) -> None:
    assert startup_check.startup_errors(rendered) == []


def test_a_startup_probe_shorter_than_the_wait_is_reported(
    rendered: list[dict[str, Any]],
) -> None:
    docs = copy.deepcopy(rendered)
    container(docs, "notify")["startupProbe"].update(periodSeconds=2, failureThreshold=30)

    assert startup_check.startup_errors(docs) == [
        "Deployment notify: startupProbe allows 60 s, less than TRIPCARE_STARTUP_RETRY_S 60 s "
        "+ 30 s to start"
    ]


def test_a_longer_wait_in_the_config_map_is_reported_on_every_deployment(
    rendered: list[dict[str, Any]],
) -> None:
    docs = copy.deepcopy(rendered)
    settings(docs)["TRIPCARE_STARTUP_RETRY_S"] = "100"

    errors = startup_check.startup_errors(docs)

    assert len(errors) == len(check.SERVICES)
    assert (
        "Deployment intake: startupProbe allows 120 s, less than TRIPCARE_STARTUP_RETRY_S "
        "100 s + 30 s to start" in errors
    )


def test_the_default_wait_counts_when_the_config_map_has_none(
    rendered: list[dict[str, Any]],
) -> None:
    docs = copy.deepcopy(rendered)
    del settings(docs)["TRIPCARE_STARTUP_RETRY_S"]
    probe = container(docs, "routing")["startupProbe"]
    probe.update(periodSeconds=10, failureThreshold=8, initialDelaySeconds=5)

    assert startup_check.startup_errors(docs) == [
        "Deployment routing: startupProbe allows 85 s, less than TRIPCARE_STARTUP_RETRY_S 60 s "
        "+ 30 s to start"
    ]


def test_a_deployment_without_a_startup_probe_is_reported(
    rendered: list[dict[str, Any]],
) -> None:
    docs = copy.deepcopy(rendered)
    del container(docs, "feedback")["startupProbe"]

    assert startup_check.startup_errors(docs) == ["Deployment feedback: no startupProbe"]
