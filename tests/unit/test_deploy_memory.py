"""Routing's memory request covers what it was measured to use (530–650 MB RSS), so the
scheduler does not pack it onto a node that cannot hold it (deploy/check.py, make deploy-check)."""

from __future__ import annotations

import copy
import shutil
from typing import Any

import pytest

from deploy import check

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl kustomize")


def resources(docs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (deployment,) = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == name]
    found: dict[str, Any] = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]
    return found


@pytest.mark.parametrize(
    ("quantity", "size"),
    [("768Mi", 768 * 2**20), ("1Gi", 2**30), ("700M", 700e6), ("1.5Gi", 1.5 * 2**30), (512, 512)],
)
def test_memory_quantities_are_read_as_kubernetes_reads_them(quantity: str, size: float) -> None:
    assert check.quantity_bytes(quantity) == size


def test_every_overlay_gives_routing_at_least_its_measured_memory(
    rendered: list[dict[str, Any]],
) -> None:
    memory = resources(rendered, "routing")
    request_floor, limit_floor = check.MEMORY_FLOORS["routing"]
    assert check.quantity_bytes(memory["requests"]["memory"]) >= request_floor
    assert check.quantity_bytes(memory["limits"]["memory"]) >= limit_floor
    assert not [e for e in check.policy_errors(rendered) if "memory" in e]


def test_a_routing_request_below_the_floor_is_reported(rendered: list[dict[str, Any]]) -> None:
    docs = copy.deepcopy(rendered)
    resources(docs, "routing")["requests"]["memory"] = "256Mi"
    resources(docs, "routing")["limits"]["memory"] = "768Mi"
    errors = check.policy_errors(docs)
    assert any("routing: memory request 256Mi below" in e for e in errors)
    assert any("routing: memory limit 768Mi below" in e for e in errors)
