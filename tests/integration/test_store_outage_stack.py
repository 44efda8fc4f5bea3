"""The store goes down under the running four services and comes back on the same port:
liveness stays green, readiness and its metric say ``store``, intake answers contacts 503
with ``Retry-After`` (never a 500), and once the store is back the consumers carry on
without a restart and no contact is lost."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy import local
from tests.conftest import Stack
from tests.polling import until

pytestmark = pytest.mark.integration
AGENT = Stack.token("agent-7")


class Store:
    """An nx-27017 of this test's own, which the test may kill and start again."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = local.free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def start(self) -> None:
        self.process = local.start_store(self.port, self.root / "data", self.root / "nx.log")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)
        self.process = None


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    own = Store(tmp_path / "store")
    own.start()
    yield own
    if own.process is not None:
        own.process.terminate()
        own.process.wait(10)


@pytest.fixture
def mongo_url(store: Store) -> str:
    return store.url


def contact(message_id: str, traveller: str) -> dict[str, Any]:
    return {
        "channel": "in_app",
        "channel_message_id": message_id,
        "traveller": {"id": traveller, "name": "Li Lei", "language": "en"},
        "text": "My flight CA1501 was cancelled, please rebook me",
    }


async def while_down(http: httpx.AsyncClient, stack: Stack) -> None:
    """Liveness green, readiness and its metric say ``store``, the watched gauges are there."""
    for service in local.SERVICES:
        base = stack.url(service)
        assert (await http.get(f"{base}/healthz")).status_code == 200, service
        ready = await http.get(f"{base}/readyz")
        assert ready.status_code == 503, (service, ready.text)
        assert ready.json()["checks"]["store"] is False, (service, ready.text)
        metrics = (await http.get(f"{base}/metrics")).text
        assert 'readiness_check{check="store"} 0.0' in metrics, service
        for watched in ("outbox_backlog ", "outbox_overdue "):
            assert f"\n{watched}" in metrics, (service, watched)
        if service == "routing":
            assert "\nsla_timer_lag_seconds_bucket{" in metrics


def warnings_read_well(stack: Stack) -> None:
    """Every WARNING or ERROR line names its service, holds no driver dump, and an
    unreachable store's line says where to look."""
    for service in local.SERVICES:
        for line in (stack.logs / f"{service}.log").read_text().splitlines():
            entry = json.loads(line)
            if entry["level"] not in {"WARNING", "ERROR", "CRITICAL"}:
                continue
            assert entry["service"] == service, entry
            # the driver's whole error (its topology description) is no line to read at 03:00
            assert "Topology Description" not in entry["msg"], entry
            if "unreachable" in entry["msg"] and "answered 503" not in entry["msg"]:
                assert "docs/operations.md#store-failover" in entry["msg"], entry


async def test_a_store_outage_is_answered_503_and_recovered_without_a_restart(
    store: Store, stack: Stack
) -> None:
    intake = stack.url("intake")
    async with httpx.AsyncClient(timeout=30) as http:
        gateway = await stack.api_key(http, scopes=["contacts:write", "inbox:read"])
        before = await http.post(
            f"{intake}/v1/contacts", json=contact("outage-1", "trav-1"), headers=gateway
        )
        assert before.status_code == 201, before.text
        store.kill()

        refused = await http.post(
            f"{intake}/v1/contacts", json=contact("outage-2", "trav-2"), headers=gateway
        )
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"].isdigit()
        await while_down(http, stack)
        await asyncio.sleep(15)
        store.start()

        async def all_ready() -> bool:
            answers = [await http.get(f"{stack.url(s)}/readyz") for s in local.SERVICES]
            return all(answer.status_code == 200 for answer in answers)

        await until(all_ready, 30)
        again = await http.post(
            f"{intake}/v1/contacts", json=contact("outage-2", "trav-2"), headers=gateway
        )
        assert again.status_code == 201, again.text

        for ticket_id in (before.json()["ticket_id"], again.json()["ticket_id"]):

            async def routed(ticket_id: str = ticket_id) -> bool:
                answer = await http.get(f"{intake}/v1/tickets/{ticket_id}", headers=AGENT)
                return bool(answer.json()["status"] == "routed")

            await until(routed, 60)

    stack.stop_all()
    warnings_read_well(stack)


async def test_contacts_in_flight_as_the_store_dies_are_answered_and_none_is_lost(
    store: Store, stack: Stack
) -> None:
    """Contacts sent while the store is killed under them: each is answered 201 or 503
    (never a 500), a 201 is a ticket that gets routed once the store is back, and a 503
    sent again is taken."""
    intake = stack.url("intake")
    async with httpx.AsyncClient(timeout=30) as http:
        gateway = await stack.api_key(http, scopes=["contacts:write"])

        async def send(n: int, at_once: bool = False) -> httpx.Response:
            await asyncio.sleep(0 if at_once else n * 0.02)
            return await http.post(
                f"{intake}/v1/contacts", json=contact(f"race-{n}", f"trav-{n}"), headers=gateway
            )

        sending = asyncio.gather(*(send(n) for n in range(40)))
        await asyncio.sleep(0.3)
        store.kill()
        answers = await sending
        statuses = [a.status_code for a in answers]
        assert set(statuses) <= {201, 503}, [a.text for a in answers]
        assert 201 in statuses, "the store died before any contact was taken"
        await asyncio.sleep(5)
        store.start()

        async def all_ready() -> bool:
            answers = [await http.get(f"{stack.url(s)}/readyz") for s in local.SERVICES]
            return all(answer.status_code == 200 for answer in answers)

        await until(all_ready, 30)
        tickets = []
        for n, answer in enumerate(answers):
            if answer.status_code == 503:
                answer = await send(n, at_once=True)
            assert answer.status_code in {200, 201}, answer.text
            tickets.append(answer.json()["ticket_id"])
        assert len(set(tickets)) == 40

        async def all_routed() -> bool:
            for ticket_id in tickets:
                found = await http.get(f"{intake}/v1/tickets/{ticket_id}", headers=AGENT)
                if found.json().get("status") != "routed":
                    return False
            return True

        await until(all_routed, 90)
