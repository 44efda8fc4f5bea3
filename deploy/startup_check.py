"""A starting pod's wait fits its startupProbe (part of ``make deploy-check``).

A process that starts while the store or the broker is unreachable waits for it
``TRIPCARE_STARTUP_RETRY_S`` (``runtime/startup.py``), not listening, then exits with status 3.
Its startupProbe must outlast that wait and the start itself (``START_ALLOWANCE_S``: imports,
routing's model, indexes, the first ``/healthz``), or the kubelet kills a pod that is still
waiting and a short outage becomes a crash loop with restarts backing off.
"""

from __future__ import annotations

from typing import Any

from runtime.settings import Settings

SETTINGS = "tripcare-config"
"""The services' ConfigMap (a generated name carries a hash suffix)."""
RETRY = "TRIPCARE_STARTUP_RETRY_S"
START_ALLOWANCE_S = 30
"""What a start may take once the store and broker answer: restarts took 2.2–10.7 s (routing
the slowest) from ``kill -9`` to ``/readyz`` (docs/benchmarks.md); room for slower nodes."""
PROBE_DEFAULTS = {"failureThreshold": 3, "periodSeconds": 10, "initialDelaySeconds": 0}
"""Kubernetes' defaults for the fields a probe leaves out."""


def probe_budget(probe: dict[str, Any]) -> float:
    """How long a startupProbe lets a container start before the kubelet kills it."""
    fields = {**PROBE_DEFAULTS, **probe}
    return float(
        fields["failureThreshold"] * fields["periodSeconds"] + fields["initialDelaySeconds"]
    )


def startup_errors(docs: list[dict[str, Any]]) -> list[str]:
    """Each Deployment's containers against the wait their ConfigMap (or the default) sets."""
    configs = [
        d["data"]
        for d in docs
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith(SETTINGS)
    ]
    default = float(Settings.model_fields["startup_retry_s"].default)
    wait = max((float(c.get(RETRY, default)) for c in configs), default=default)
    errors = []
    for deployment in (d for d in docs if d["kind"] == "Deployment"):
        name = deployment["metadata"]["name"]
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            errors += _container_errors(name, container, wait)
    return errors


def _container_errors(deployment: str, container: dict[str, Any], wait: float) -> list[str]:
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    if env.get(RETRY) is not None:
        wait = float(env[RETRY])
    probe = container.get("startupProbe")
    if probe is None:
        return [f"Deployment {deployment}: no startupProbe"]
    budget = probe_budget(probe)
    if budget < wait + START_ALLOWANCE_S:
        return [
            f"Deployment {deployment}: startupProbe allows {budget:g} s, less than "
            f"{RETRY} {wait:g} s + {START_ALLOWANCE_S} s to start"
        ]
    return []
