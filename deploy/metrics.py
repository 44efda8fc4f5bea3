"""What the dashboards and alert rules under ``deploy/observability`` may query, and the
check that they query nothing else.

A query on a metric nobody exports, or filtered by a label it does not carry, draws an
empty panel or an alert that never fires, silently: three of the desk dashboard's six
panels were empty so. The names come from the services' own Prometheus registries
(``exported``), from RabbitMQ's ``rabbitmq_prometheus`` plugin as Prometheus scrapes it
(``RABBITMQ_PER_OBJECT``) and from Prometheus itself (``up``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import CollectorRegistry

OBSERVABILITY = Path(__file__).resolve().parent / "observability"
DASHBOARDS = OBSERVABILITY / "grafana" / "dashboards"
RULES = OBSERVABILITY / "alerts.yaml"

Known = Mapping[str, frozenset[str]]
"""Metric (sample) name → the labels its series carry."""

TARGET_LABELS = frozenset({"job", "instance", "service"})
"""Labels Prometheus adds to every scraped series (``service``: prometheus.yaml's relabel)."""

_QUEUE = frozenset({"vhost", "queue"})
RABBITMQ_PER_OBJECT: Known = {
    name: _QUEUE
    for name in (
        "rabbitmq_queue_messages",
        "rabbitmq_queue_messages_ready",
        "rabbitmq_queue_messages_unacked",
        "rabbitmq_queue_consumers",
        "rabbitmq_queue_messages_published_total",
        "rabbitmq_queue_process_memory_bytes",
        "rabbitmq_queue_messages_bytes",
    )
} | {"rabbitmq_identity_info": frozenset({"rabbitmq_node", "rabbitmq_cluster"})}
"""Per-queue series of ``rabbitmq_prometheus`` on ``/metrics/per-object`` (prometheus.yaml's
``rabbitmq`` job; ``prometheus.return_per_object_metrics`` makes ``/metrics`` the same in
deploy/k8s): its ``queue_coarse_metrics`` and ``queue_metrics`` families, prefixed
``rabbitmq_``, labelled by ``vhost`` and ``queue``. The ``rabbitmq_detailed_*`` names are
only on ``/metrics/detailed``, which nothing scrapes."""

PROMETHEUS: Known = {"up": frozenset()}
"""Written by Prometheus for every target: 1 when its scrape answered."""

_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
}

KEYWORDS = frozenset(
    {"and", "or", "unless", "bool", "offset", "inf", "nan", "group_left", "group_right"}
)
"""Words of PromQL not followed by a parenthesis (functions are, so they are no metrics)."""
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_SELECTOR = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}")
_MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*\"")
_WORD = re.compile(r"(?<![\w.\"])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_DURATION = re.compile(r"\[[^\]]*\]")


def exported(registries: Iterable[CollectorRegistry]) -> dict[str, frozenset[str]]:
    """The sample names and labels these registries expose, whether or not any series has
    been written yet (a labelled metric shows none until its first use)."""
    known: dict[str, frozenset[str]] = {}
    for registry in registries:
        for collector in list(registry._collector_to_names):
            labels = frozenset(getattr(collector, "_labelnames", ()))
            describe = getattr(collector, "describe", collector.collect)
            for family in describe():
                for suffix in _SUFFIXES.get(family.type, ("",)):
                    extra = {"le"} if suffix == "_bucket" else set()
                    known[family.name + suffix] = labels | extra
    return known


@dataclass
class Refs:
    """What one PromQL expression reads."""

    metrics: dict[str, set[str]] = field(default_factory=dict)
    """Metric name → the labels its selector matches on."""
    grouped: set[str] = field(default_factory=set)
    """Labels named in ``by``/``without``/``on``/``ignoring``/``group_left``/``group_right``."""


def references(expr: str) -> Refs:
    """The metric names and labels in a PromQL expression (selectors, matchers, grouping)."""
    refs = Refs()
    expr = _STRING.sub('""', expr)
    for match in _GROUPING.finditer(expr):
        refs.grouped |= {label.strip() for label in match.group(2).split(",") if label.strip()}
    rest = _GROUPING.sub(" ", expr)
    for match in _SELECTOR.finditer(rest):
        labels = {m.group(1) for m in _MATCHER.finditer(match.group(2))}
        refs.metrics.setdefault(match.group(1) or "{}", set()).update(labels)
    bare = _DURATION.sub(" ", _SELECTOR.sub(" ", rest))
    for word in _WORD.findall(bare):
        if word not in KEYWORDS:
            refs.metrics.setdefault(word, set())
    return refs


def problems(expr: str, known: Known) -> list[str]:
    """Metric names no one exports, and labels their series do not carry."""
    refs = references(expr)
    errors = []
    carried = set(TARGET_LABELS)
    for name, labels in sorted(refs.metrics.items()):
        if name not in known:
            errors.append(f"{name}: no such metric")
            continue
        carried |= known[name]
        unknown = labels - known[name] - TARGET_LABELS
        errors += [f"{name}: no label {label}" for label in sorted(unknown)]
    errors += [f"no series here carries {label}" for label in sorted(refs.grouped - carried)]
    return errors


def dashboard_queries(folder: Path = DASHBOARDS) -> list[tuple[str, str]]:
    """(where, expr) for every panel target of every dashboard in ``folder``."""
    found = []
    for path in sorted(folder.glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets", []):
                found.append((f"{path.name}: {panel['title']}", str(target["expr"])))
    return found


def rule_queries(path: Path = RULES) -> list[tuple[str, str]]:
    """(where, expr) for every recording and alerting rule in a Prometheus rules file."""
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    return [
        (f"{path.name}: {rule.get('alert') or rule.get('record')}", str(rule["expr"]))
        for group in document["groups"]
        for rule in group["rules"]
    ]
