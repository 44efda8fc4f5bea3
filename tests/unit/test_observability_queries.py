"""Every dashboard panel and alert rule queries only metrics that exist, by labels they carry:
the services' own registries (each service bootstrapped as it runs, connecting to nothing),
RabbitMQ's per-object endpoint as Prometheus scrapes it, and Prometheus' ``up``.

Three of the desk dashboard's six panels were always empty: two read
``rabbitmq_detailed_queue_messages``, which only ``/metrics/detailed`` serves, and one filtered
FastStream's counter by a ``destination`` label it does not have."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram

from deploy.metrics import (
    PROMETHEUS,
    RABBITMQ_PER_OBJECT,
    Known,
    dashboard_queries,
    exported,
    problems,
    references,
    rule_queries,
)
from services.feedback import main as feedback_main
from services.intake import main as intake_main
from services.notify import main as notify_main
from services.routing import main as routing_main


@pytest.fixture(scope="module")
async def known() -> AsyncIterator[Known]:
    """What the four services export, as ``make up`` runs them, plus the broker and Prometheus."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TRIPCARE_STORE_COMMAND_METRICS", "1")
        apps = [m.bootstrap() for m in (intake_main, routing_main, notify_main, feedback_main)]
    registries = [app.state.runtime.registry for app in apps]
    yield {**exported(registries), **RABBITMQ_PER_OBJECT, **PROMETHEUS}
    for app in apps:
        await app.state.runtime.client.close()


def test_the_registries_yield_sample_names_and_labels_before_any_series_is_written() -> None:
    registry = CollectorRegistry()
    Counter("things", "Things", ("kind",), registry=registry)
    Histogram("waits_seconds", "Waits", registry=registry)

    names = exported([registry])

    assert names["things_total"] == {"kind"}
    assert names["waits_seconds_bucket"] == {"le"}
    assert "things" not in names, "a counter is queried by its _total"


def test_references_name_metrics_matchers_and_grouping_but_not_functions_or_values() -> None:
    refs = references(
        'histogram_quantile(0.95, sum by (le, app_name) (rate(a_bucket{x=~"b.c", y!="up"}[5m])))'
        " / on (job) group_left (queue) (b_total or vector(0)) > 2 and up == 0"
    )

    assert refs.metrics == {"a_bucket": {"x", "y"}, "b_total": set(), "up": set()}
    assert refs.grouped == {"le", "app_name", "job", "queue"}


def test_a_query_on_a_missing_metric_or_label_is_a_problem(known: Known) -> None:
    assert problems("sum(rabbitmq_detailed_queue_messages)", known) == [
        "rabbitmq_detailed_queue_messages: no such metric"
    ]
    assert problems('faststream_received_messages_total{destination="x"}', known) == [
        "faststream_received_messages_total: no label destination"
    ]


def test_the_code_exports_what_the_queries_rely_on(known: Known) -> None:
    for name in (
        "faststream_received_messages_total",
        "outbox_backlog",
        "sla_timer_failures_total",
        "sla_timer_lag_seconds_bucket",
        "messages_dead_lettered_total",
        "notify_deliveries_failed_total",
        "http_request_duration_seconds_count",
    ):
        assert name in known, name
    assert known["faststream_received_messages_total"] == {"app_name", "broker", "handler"}


@pytest.mark.parametrize(("where", "expr"), dashboard_queries(), ids=lambda v: str(v)[:60])
def test_every_dashboard_panel_queries_what_exists(known: Known, where: str, expr: str) -> None:
    assert problems(expr, known) == [], where


@pytest.mark.parametrize(("where", "expr"), rule_queries(), ids=lambda v: str(v)[:60])
def test_every_alert_rule_queries_what_exists(known: Known, where: str, expr: str) -> None:
    assert problems(expr, known) == [], where
