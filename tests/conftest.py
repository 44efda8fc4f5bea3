"""Fixtures: the real broker and store for integration tests, the four services for e2e.

RabbitMQ comes from ``AMQP_URL`` (started with ``rabbitmq-server -detached``
when it is local and down). The store comes from ``MONGO_URL``, or else an
nx-27017 started on a free port for this session. Every test gets its own
namespace, so queue, exchange and database names never collide.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import aio_pika
import httpx
import pytest
from pymongo import AsyncMongoClient

from contracts.events import ALL_EVENTS
from contracts.topology import SUBSCRIPTIONS, Topology
from deploy import local
from runtime.auth import Principal, Role, issue_token
from runtime.settings import Settings
from runtime.signing import Signer
from runtime.store import Document, mongo_client


@pytest.fixture(scope="session")
def amqp_url() -> str:
    url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    local.ensure_rabbitmq(url)
    return url


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if url := os.environ.get("MONGO_URL"):
        yield url
        return
    port = local.free_port()
    data = tmp_path_factory.mktemp("nx")
    process = local.start_store(port, data, data / "nx.log")
    try:
        yield f"mongodb://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
async def namespace(amqp_url: str) -> AsyncIterator[str]:
    """A fresh name prefix; its queues and exchanges are deleted after the test."""
    name = "t" + uuid.uuid4().hex[:12]
    yield name
    await delete_namespace(amqp_url, name)


async def delete_namespace(amqp_url: str, name: str) -> None:
    topology = Topology(name)
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    for service in (*SUBSCRIPTIONS, "itest"):
        for event in ALL_EVENTS:
            await channel.queue_delete(topology.queue(service, event))
            await channel.queue_delete(topology.dead_letter_queue(service, event))
    await channel.queue_delete(topology.unrouted_queue)
    for exchange in (
        topology.events_exchange,
        topology.dead_letter_exchange,
        topology.unrouted_exchange,
    ):
        await channel.exchange_delete(exchange)
    await connection.close()


@pytest.fixture
def settings(amqp_url: str, mongo_url: str, namespace: str) -> Settings:
    return Settings(
        service="itest",
        amqp_url=amqp_url,
        mongo_url=mongo_url,
        namespace=namespace,
        delivery_limit=2,
        outbox_sweep_interval_s=0.2,
        outbox_grace_s=0.5,
    )


@pytest.fixture
async def mongo(mongo_url: str) -> AsyncIterator[AsyncMongoClient[Document]]:
    client = mongo_client(mongo_url)
    yield client
    await client.close()


STACK_SECRET = "e2e-signing-secret-0123456789abcdef"


class Stack:
    """The four services as separate processes, as `make up` runs them."""

    def __init__(self, amqp_url: str, mongo_url: str, namespace: str, logs: Path) -> None:
        self.env = {
            "AMQP_URL": amqp_url,
            "MONGO_URL": mongo_url,
            "TRIPCARE_NAMESPACE": namespace,
            "TRIPCARE_OUTBOX_GRACE_S": "1.0",
            "TRIPCARE_OUTBOX_SWEEP_INTERVAL_S": "0.5",
            "TRIPCARE_GRACEFUL_TIMEOUT_S": "10",
            "TRIPCARE_SIGNING_SECRET": STACK_SECRET,
        }
        self.ports = {name: local.free_port() for name in local.SERVICES}
        self.logs = logs
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    @staticmethod
    def token(
        sub: str, role: str = "agent", tenants: tuple[str, ...] = ("acme",)
    ) -> dict[str, str]:
        """Authorization header of a staff member of these tenants."""
        principal = Principal(id=sub, role=Role(role), tenants=list(tenants))
        token = issue_token(Signer(STACK_SECRET), principal, timedelta(hours=1))
        return {"Authorization": f"Bearer {token}"}

    async def api_key(
        self, http: httpx.AsyncClient, tenant: str = "acme", **body: object
    ) -> dict[str, str]:
        """X-Api-Key header of a new gateway of ``tenant``."""
        created = await http.post(
            f"{self.url('intake')}/v1/admin/api-keys",
            json={"name": "test-gateway", **body},
            headers=self.token("ops", "admin", (tenant,)),
        )
        assert created.status_code == 201, created.text
        return {"X-Api-Key": created.json()["key"]}

    def start(self, service: str) -> None:
        self.processes[service] = local.start_service(
            service, self.ports[service], self.env, self.logs / f"{service}.log"
        )
        local.wait_for(lambda: local.ready(self.ports[service]), 60, f"{service} /readyz")

    def start_all(self) -> None:
        for service in local.SERVICES:
            self.start(service)

    def stop(self, service: str) -> int:
        process = self.processes.pop(service)
        process.terminate()
        return process.wait(30)

    def stop_all(self) -> None:
        for service in list(self.processes):
            self.stop(service)


@pytest.fixture
def stack(amqp_url: str, mongo_url: str, namespace: str, tmp_path: Path) -> Iterator[Stack]:
    running = Stack(amqp_url, mongo_url, namespace, tmp_path)
    running.start_all()
    try:
        yield running
    finally:
        running.stop_all()


@pytest.fixture(scope="module")
async def intake_only(
    amqp_url: str, mongo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    """Intake alone, shared by a module's API tests (each test uses its own tenant)."""
    name = "t" + uuid.uuid4().hex[:12]
    running = Stack(amqp_url, mongo_url, name, tmp_path_factory.mktemp("intake"))
    running.start("intake")
    try:
        yield running
    finally:
        running.stop_all()
        await delete_namespace(amqp_url, name)


EDGE_PARTNER, EDGE_PARTNER_SECRET = "edge-air", "edge-air-secret-2026-12"
"""A supplier partner the shared four-service stack knows (bad-input suite, fuzzing)."""


@pytest.fixture(scope="module")
async def four_services(
    amqp_url: str, mongo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    """The four services, shared by a module's tests (each test uses its own tenant)."""
    name = "t" + uuid.uuid4().hex[:12]
    running = Stack(amqp_url, mongo_url, name, tmp_path_factory.mktemp("services"))
    running.env["TRIPCARE_SUPPLIER_PARTNERS"] = (
        f'{{"{EDGE_PARTNER}": {{"secrets": ["{EDGE_PARTNER_SECRET}"]}}}}'
    )
    try:
        running.start_all()
        yield running
    finally:
        running.stop_all()
        await delete_namespace(amqp_url, name)
