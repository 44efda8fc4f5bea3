"""Fixtures: the real broker and store for integration tests, the four services for e2e.

RabbitMQ comes from ``AMQP_URL`` (started with ``rabbitmq-server -detached``
when it is local and down). The store comes from ``MONGO_URL``, or else an
nx-27017 (or, with ``TRIPCARE_TEST_STORE=secantus``, a SecantusDB) started on a
free port for this session. Every test gets its own
namespace, so queue, exchange and database names never collide.
"""

from __future__ import annotations

import imaplib
import json
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
from pymongo import AsyncMongoClient

from contracts.events import ALL_EVENTS
from contracts.topology import SUBSCRIPTIONS, Topology
from deploy import check, dovecot, local
from runtime.auth import Principal, Role, issue_token
from runtime.settings import Settings
from runtime.signing import Signer
from runtime.store import Document, mongo_client


@pytest.fixture(scope="module", params=check.OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    """A k8s overlay's manifests as ``kubectl kustomize`` renders them, once per test module
    and overlay (``deploy.check.render``); a test that changes them changes a copy."""
    return check.render(request.param)


@pytest.fixture(scope="session")
def amqp_url() -> str:
    url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    local.ensure_rabbitmq(url)
    return url


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``MONGO_URL``, or a store of ``TRIPCARE_TEST_STORE`` (nx: nx-27017, the default;
    secantus: SecantusDB) started on a free port for this session (``make test STORE=…``)."""
    if url := os.environ.get("MONGO_URL"):
        yield url
        return
    kind = os.environ.get("TRIPCARE_TEST_STORE") or "nx"
    port = local.free_port()
    data = tmp_path_factory.mktemp(kind)
    process = local.start_store(port, data / "data", data / f"{kind}.log", kind)
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
        topology.announced_exchange,
        topology.admission_exchange,
    ):
        await channel.exchange_delete(exchange)
    await connection.close()


@dataclass(frozen=True)
class ImapServer:
    """A Dovecot of this test's own: one mailbox user, plain IMAP on 127.0.0.1."""

    host: str
    port: int
    username: str
    password: str

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver a mail the way a mail server would put it in the mailbox (IMAP APPEND)."""
        with imaplib.IMAP4(self.host, self.port) as client:
            client.login(self.username, self.password)
            status, detail = client.append(folder, "", None, raw)
            assert status == "OK", detail


@pytest.fixture
def imap_server() -> Iterator[ImapServer]:
    """Debian's dovecot-imapd with a throw-away configuration (``deploy/dovecot.py``), in a
    directory of /tmp (pytest's own are closed to the ``dovecot`` user when run as root).
    """
    if not dovecot.available():
        pytest.skip("dovecot is not installed: apt-get install dovecot-imapd (.ci/run does)")
    port = local.free_port()
    root = Path(tempfile.mkdtemp(prefix="tripcare-dovecot-"))
    try:
        dovecot.start(root, port, {"support": "imap-secret"})
        local.wait_for(lambda: local.port_open("127.0.0.1", port), 20, "dovecot")
        yield ImapServer("127.0.0.1", port, "support", "imap-secret")
    finally:
        dovecot.stop(root)
        shutil.rmtree(root, ignore_errors=True)


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


STACK_STAFF_KEYS = {"e2e-staff": "e2e-staff-key-0123456789abcdef0123"}
STACK_LINK_KEYS = {"e2e-links": "e2e-link-key-0123456789abcdef01234"}
STACK_KEYS_ENV = {
    "TRIPCARE_STAFF_KEYS": json.dumps(STACK_STAFF_KEYS),
    "TRIPCARE_LINK_KEYS": json.dumps(STACK_LINK_KEYS),
}


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
            **STACK_KEYS_ENV,
        }
        self.ports = {name: local.free_port() for name in local.SERVICES}
        self.env["TRIPCARE_NOTIFY_URL"] = self.url("notify")
        self.env["TRIPCARE_CONSOLE_ROUTING_URL"] = self.url("routing")
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
        token = issue_token(Signer(STACK_STAFF_KEYS), principal, timedelta(hours=1))
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
        """SIGTERM, and its exit code; one that will not stop in 30 s is killed, then raised."""
        process = self.processes.pop(service)
        process.terminate()
        try:
            return process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
            raise

    def stop_all(self) -> None:
        """Every service stops (or is killed) before any failure to stop is raised."""
        stuck = []
        for service in list(self.processes):
            try:
                self.stop(service)
            except subprocess.TimeoutExpired:
                stuck.append(service)
        if stuck:
            raise RuntimeError(f"killed after 30 s of SIGTERM: {', '.join(stuck)}")


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
