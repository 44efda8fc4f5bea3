"""The alert rules ship with the deployment: a Prometheus rules file that prometheus.yaml
loads and compose mounts, with an alert for each failure the ops runbooks answer, each
naming its runbook. (What the rules query is held to what exists in
``test_observability_queries``.)"""

from __future__ import annotations

import re
from typing import Any

import httpx
import yaml
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from deploy.metrics import OBSERVABILITY, RULES
from runtime.ops import ops_router

DEPLOY = OBSERVABILITY.parent
DOCS = DEPLOY.parent / "docs"
EXPECTED = {
    "DeadLetteredMessagesWaiting",
    "MessagesDeadLettered",
    "WorkQueueBacklogGrowing",
    "OutboxBacklog",
    "SlaTimersLagging",
    "SlaTimersFailing",
    "NotifyDeliveriesFailing",
    "ServiceDown",
    "ServiceNotReady",
    "IntakeServerErrors",
    "IntakeShedding",
}


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_prometheus_loads_the_rules_file_compose_mounts() -> None:
    config = yaml.safe_load((OBSERVABILITY / "prometheus.yaml").read_text())
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    mounts = compose["services"]["prometheus"]["volumes"]

    assert config["rule_files"] == ["/etc/prometheus/alerts.yaml"]
    assert "./observability/alerts.yaml:/etc/prometheus/alerts.yaml:ro" in mounts


def test_each_failure_the_runbooks_answer_has_its_alert() -> None:
    assert {rule["alert"] for rule in rules()} == EXPECTED


def test_every_alert_has_a_severity_a_summary_and_a_runbook_that_exists() -> None:
    operations = (DOCS / "operations.md").read_text()
    for rule in rules():
        name = rule["alert"]
        assert rule["labels"]["severity"] in {"page", "ticket"}, name
        assert rule["annotations"]["summary"], name
        page, _, anchor = rule["annotations"]["runbook"].partition("#")
        assert page == "docs/operations.md", name
        headings = {
            re.sub(r"[^\w\- ]", "", line.lstrip("# ").lower()).replace(" ", "-")
            for line in operations.splitlines()
            if line.startswith("#")
        }
        assert anchor in headings, f"{name}: no runbook heading for #{anchor}"


def test_every_expression_has_balanced_brackets_and_a_duration_for_its_alert() -> None:
    for rule in rules():
        expr = rule["expr"]
        for open_, close in ("()", "{}", "[]"):
            assert expr.count(open_) == expr.count(close), rule["alert"]
        assert str(rule.get("for", "0m")).rstrip("ms").isdigit(), rule["alert"]


async def test_readyz_leaves_each_checks_answer_on_metrics_for_the_not_ready_alert() -> None:
    registry = CollectorRegistry()

    async def readiness() -> dict[str, bool]:
        return {"started": True, "store": False, "broker": True}

    app = FastAPI()
    app.include_router(ops_router(registry, readiness))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as http:
        assert (await http.get("/readyz")).status_code == 503

    assert registry.get_sample_value("readiness_check", {"check": "store"}) == 0
    assert registry.get_sample_value("readiness_check", {"check": "broker"}) == 1
