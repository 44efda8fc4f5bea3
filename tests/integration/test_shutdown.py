"""SIGTERM any one service while contacts flow: nothing is lost and nothing doubles.

Gateways retry a contact until intake accepts it (same channel message id),
as real gateways do; every other hop is the system's own at-least-once path.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from tests.conftest import Stack

pytestmark = pytest.mark.integration
CONTACTS = 40
RATE_PER_S = 10


async def post_until_accepted(
    http: httpx.AsyncClient, stack: Stack, gateway: dict[str, str], n: int
) -> str:
    """A gateway's retry loop: until intake answers, for at most a minute."""
    body = {
        "channel": "web_chat",
        "channel_message_id": f"chat-{n}",
        "traveller": {"id": f"trav-{n}", "language": "en"},
        "text": f"Where is my refund for order {1000 + n}?",
    }
    deadline = asyncio.get_running_loop().time() + 60
    while asyncio.get_running_loop().time() < deadline:
        try:
            response = await http.post(
                f"{stack.url('intake')}/v1/contacts", json=body, headers=gateway
            )
        except httpx.TransportError:
            await asyncio.sleep(0.2)
            continue
        if response.status_code < 500:
            assert response.status_code in (200, 201), response.text
            return str(response.json()["ticket_id"])
        await asyncio.sleep(0.2)
    raise AssertionError(f"contact {n} was never accepted")


async def restart(stack: Stack, service: str) -> bool:
    """SIGTERM, wait for exit, start again; True if shutdown ran to its end."""
    await asyncio.to_thread(stack.stop, service)
    log = (stack.logs / f"{service}.log").read_text()
    await asyncio.to_thread(stack.start, service)
    return f'"msg":"{service} stopped"' in log


async def settled(http: httpx.AsyncClient, stack: Stack, ticket_id: str, n: int) -> Counter[str]:
    """Wait until the ticket is routed and both notices are delivered; return what was sent."""
    headers = {"X-Tenant-Id": "acme", **Stack.token("agent-7")}
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        log = await http.get(
            f"{stack.url('notify')}/v1/notifications",
            params={"ticket_id": ticket_id},
            headers=headers,
        )
        ticket = await http.get(f"{stack.url('intake')}/v1/tickets/{ticket_id}", headers=headers)
        sent = Counter(item["template"] for item in log.json()["items"])
        notified = [e for e in ticket.json()["timeline"] if e["kind"] == "notified"]
        if ticket.json()["status"] == "routed" and len(sent) == 2 and len(notified) >= 2:
            return sent
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(
                f"contact {n} ({ticket_id}) never settled: {sent}, {ticket.json()['status']}"
            )
        await asyncio.sleep(0.2)


@pytest.mark.parametrize("victim", ["intake", "routing", "notify", "feedback"])
async def test_sigterm_while_contacts_flow_loses_and_doubles_nothing(
    stack: Stack, victim: str
) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        key = await stack.api_key(http)

        async def gateway() -> list[str]:
            tickets = []
            for n in range(CONTACTS):
                tickets.append(await post_until_accepted(http, stack, key, n))
                await asyncio.sleep(1 / RATE_PER_S)
            return tickets

        flowing = asyncio.create_task(gateway())
        await asyncio.sleep(CONTACTS / RATE_PER_S / 3)
        clean = await restart(stack, victim)
        tickets = await flowing

        assert clean, f"{victim} did not finish its graceful shutdown on SIGTERM"
        assert len(set(tickets)) == CONTACTS
        for n, ticket_id in enumerate(tickets):
            sent = await settled(http, stack, ticket_id, n)
            assert sent == Counter({"ticket_acknowledged": 1, "ticket_routed": 1}), ticket_id
