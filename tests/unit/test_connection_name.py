"""Each process names its AMQP connection (``<namespace>.<service>@<host>:<pid>``), so an
operator finds a service's connection in ``rabbitmqctl list_connections pid
client_properties`` or the management UI (to close it, or see who holds a channel)
instead of matching source ports against ``ss -tnp``."""

from __future__ import annotations

import os
import socket
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CollectorRegistry

from contracts.topology import Topology
from runtime.bus import Bus, named_connection_url
from runtime.settings import Settings
from runtime.telemetry import setup_tracing


def name_in(url: str) -> list[str]:
    return parse_qs(urlsplit(url).query).get("name", [])


def test_the_url_names_the_connection_and_keeps_the_rest() -> None:
    url = named_connection_url("amqp://u:p@rabbit:5672/vh?heartbeat=30", "tripcare.notify@pod-1:7")
    assert name_in(url) == ["tripcare.notify@pod-1:7"]
    parts = urlsplit(url)
    assert (parts.netloc, parts.path) == ("u:p@rabbit:5672", "/vh")
    assert parse_qs(parts.query)["heartbeat"] == ["30"]


def test_a_name_the_operator_gave_is_kept() -> None:
    url = named_connection_url("amqp://rabbit/?name=mine", "tripcare.notify@pod-1:7")
    assert name_in(url) == ["mine"]


def test_every_bus_connects_under_its_service_host_and_pid() -> None:
    bus = Bus(
        Settings(service="routing", namespace="qa"),
        Topology("qa"),
        registry=CollectorRegistry(),
        tracer_provider=setup_tracing("routing"),
    )
    url = bus.broker._connection_kwargs["url"]  # what FastStream hands aio_pika.connect_robust
    assert name_in(url) == [f"qa.routing@{socket.gethostname()}:{os.getpid()}"]
