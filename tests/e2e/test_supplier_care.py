"""Issue #8's acceptance, through HTTP and the bus only: a cancelled flight with 50 booked
travellers in two tenants → 1 incident, 50 proactive tickets, 50 notices, each tenant seeing
only its own; the event three times changes nothing more; 20 follow-up contacts are linked,
and one bulk reply answers a tenant's tickets of the incident, each in its traveller's
language."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import orjson
import pytest

from contracts import events
from contracts.envelope import Envelope
from contracts.events import Channel, Traveller
from contracts.topology import Topology
from runtime import webhook_signature
from tests.conftest import Stack
from tests.polling import until

pytestmark = pytest.mark.e2e
SECRET, OLD_SECRET = "e2e-ca-secret-2026-11", "e2e-ca-secret-2026-05"
LANGUAGES = ("zh-Hans", "zh-Hant", "en", "ja")
TENANTS = {"acme": 30, "globex": 20}


@pytest.fixture
def supplier_stack(
    amqp_url: str, mongo_url: str, namespace: str, tmp_path: Path
) -> Iterator[Stack]:
    running = Stack(amqp_url, mongo_url, namespace, tmp_path)
    running.env["TRIPCARE_SUPPLIER_PARTNERS"] = orjson.dumps(
        {"ca": {"secrets": [SECRET, OLD_SECRET]}}
    ).decode()
    running.start_all()
    try:
        yield running
    finally:
        running.stop_all()


@pytest.fixture
async def exchange(
    supplier_stack: Stack, amqp_url: str, namespace: str
) -> AsyncIterator[aio_pika.abc.AbstractExchange]:
    """The events exchange, as the booking system publishes to it."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        yield await channel.get_exchange(Topology(namespace).events_exchange)


async def publish(exchange: aio_pika.abc.AbstractExchange, tenant: str, event: Any) -> None:
    message = Envelope[Any](
        message_id=uuid.uuid4().hex,
        correlation_id=getattr(event, "booking_id", "booking"),
        tenant_id=tenant,
        occurred_at=datetime.now(UTC),
        schema_name=event.schema_name,
        schema_version=event.schema_version,
        payload=event,
    )
    await exchange.publish(
        aio_pika.Message(
            message.model_dump_json().encode(),
            message_id=message.message_id,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        ),
        routing_key=event.schema_name,
    )


def traveller(tenant: str, i: int) -> Traveller:
    return Traveller(id=f"{tenant}-trav-{i}", name=f"T{i}", language=LANGUAGES[i % 4])


def signed_post(
    body: dict[str, Any], secret: str = SECRET, skew_s: int = 0
) -> tuple[bytes, dict[str, str]]:
    raw = orjson.dumps(body)
    header = webhook_signature.sign(secret, int(time.time()) + skew_s, raw)
    return raw, {"X-TripCare-Signature": header, "content-type": "application/json"}


@dataclass(frozen=True)
class Desk:
    """The test's HTTP side: the services it calls and each tenant's agent."""

    http: httpx.AsyncClient
    routing: str
    intake: str
    notify: str
    agents: dict[str, dict[str, str]]


async def publish_bookings(exchange: aio_pika.abc.AbstractExchange, departs: datetime) -> None:
    """Every traveller of both tenants booked on CA1501, then a hotel."""
    for tenant, count in TENANTS.items():
        for i in range(count):
            await publish(
                exchange,
                tenant,
                events.BookingUpserted(
                    booking_id=f"{tenant}-bk-{i}",
                    traveller=traveller(tenant, i),
                    channel=Channel.IN_APP,
                    segments=[
                        events.BookingSegment(kind="flight", reference="CA1501", starts_at=departs),
                        events.BookingSegment(
                            kind="hotel",
                            reference="SH-PUDONG-01",
                            starts_at=departs + timedelta(hours=4),
                            ends_at=departs + timedelta(days=2),
                        ),
                    ],
                    updated_at=datetime.now(UTC),
                ),
            )


async def partner_reports(desk: Desk, event: dict[str, Any]) -> str:
    """The partner's signed event opens the incident; replayed, forged, invalid and unknown
    events are answered as such. Returns the incident's id."""
    http, routing = desk.http, desk.routing
    raw, headers = signed_post(event)
    first = await http.post(f"{routing}/v1/suppliers/ca/events", content=raw, headers=headers)
    assert first.status_code == 202, first.text
    replayed = await http.post(f"{routing}/v1/suppliers/ca/events", content=raw, headers=headers)
    assert replayed.status_code == 409
    tampered = raw.replace(b"typhoon", b"tycoon")
    forged = await http.post(f"{routing}/v1/suppliers/ca/events", content=tampered, headers=headers)
    assert forged.status_code == 401
    raw_bad, bad_headers = signed_post({"kind": "flight_cancelled"})
    invalid = await http.post(
        f"{routing}/v1/suppliers/ca/events", content=raw_bad, headers=bad_headers
    )
    assert invalid.status_code == 422
    assert {tuple(e["loc"]) for e in invalid.json()["detail"]} == {
        ("body", "reference"),
        ("body", "service_date"),
    }
    raw_odd, odd_headers = signed_post({**event, "event_id": "odd-1", "kind": "ash_cloud"})
    odd = await http.post(f"{routing}/v1/suppliers/ca/events", content=raw_odd, headers=odd_headers)
    assert (odd.status_code, odd.json()["known_kind"]) == (202, False)
    admin = Stack.token("ops", "admin", ("tripcare",))
    tenant_admin = await http.get(
        f"{routing}/v1/suppliers/unknown-events", headers=Stack.token("ops", "admin")
    )
    assert tenant_admin.status_code == 403, "partners' events are the platform operator's"

    async def reported() -> list[Any]:
        got = await http.get(f"{routing}/v1/suppliers/unknown-events", headers=admin)
        return [e for e in got.json() if e["kind"] == "ash_cloud"]

    await until(reported)
    return str(first.json()["incident_id"])


async def each_tenant_sees_its_travellers(desk: Desk, incident_id: str) -> None:
    """One incident; each tenant's view lists only its own travellers, all told, all critical."""
    http, routing, agents = desk.http, desk.routing, desk.agents

    async def incident(tenant: str) -> dict[str, Any] | None:
        got = await http.get(f"{routing}/v1/incidents/{incident_id}", headers=agents[tenant])
        if got.status_code != 200:
            return None
        view = got.json()
        told = [t for t in view["travellers"] if t["notified_revision"] == 1]
        return view if len(told) == TENANTS[tenant] else None

    views = {t: await until(lambda t=t: incident(t), 60) for t in TENANTS}  # type: ignore[misc]
    for tenant, view in views.items():
        assert view["affected"] == TENANTS[tenant]
        assert {t["traveller_id"].split("-trav-")[0] for t in view["travellers"]} == {tenant}
        assert {t["priority"] for t in view["travellers"]} == {"critical"}  # leaves in 3 h
    for tenant in TENANTS:
        listed = await http.get(f"{routing}/v1/incidents", headers=agents[tenant])
        assert [i["id"] for i in listed.json()] == [incident_id]


async def notices(
    desk: Desk, tenant: str, i: int, as_tenant: str | None = None
) -> list[dict[str, Any]]:
    """A traveller's disruption notices, as an agent of ``as_tenant`` (default: theirs)."""
    inbox = await desk.http.get(
        f"{desk.notify}/v1/inbox/{tenant}-trav-{i}", headers=desk.agents[as_tenant or tenant]
    )
    assert inbox.status_code == 200, inbox.text
    return [n for n in inbox.json() if n["template"] == "disruption_notice"]


async def everyone_told(desk: Desk) -> bool:
    """Every traveller of both tenants has exactly one disruption notice."""
    for tenant, count in TENANTS.items():
        for i in range(count):
            if len(await notices(desk, tenant, i)) != 1:
                return False
    return True


async def read_in_their_own_languages(desk: Desk, feedback: str) -> None:
    """A proactive ticket's text is TripCare's English summary: once routed, its case and
    feedback's by-language slice are in the traveller's stated language, not English."""
    manager = Stack.token("mgr-acme", "manager")

    async def routed_languages() -> dict[str, int] | None:
        got = await desk.http.get(
            f"{feedback}/v1/metrics", params={"by": "queue,language"}, headers=manager
        )
        groups = got.json()["groups"]
        if any(g["key"]["queue"] == "unrouted" for g in groups):
            return None
        counts: Counter[str] = Counter()
        for group in groups:
            counts[group["key"]["language"]] += group["metrics"]["tickets"]
        return dict(counts) if counts.total() == TENANTS["acme"] else None

    assert await until(routed_languages, 60) == {"zh-Hans": 8, "zh-Hant": 8, "en": 7, "ja": 7}
    [zht] = await notices(desk, "acme", 1)
    case = await desk.http.get(
        f"{desk.routing}/v1/cases/{zht['ticket_id']}", headers=desk.agents["acme"]
    )
    assert (case.json()["language"], case.json()["language_confidence"]) == ("zh-Hant", None)


async def follow_up_contacts(desk: Desk, stack: Stack) -> dict[str, list[str]]:
    """Colleagues of the travellers write in about the flight: 12 at acme, 8 at globex."""
    contacts: dict[str, list[str]] = {t: [] for t in TENANTS}
    for tenant, count in (("acme", 12), ("globex", 8)):
        gateway = await stack.api_key(desk.http, tenant)
        for i in range(count):
            sent = await desk.http.post(
                f"{desk.intake}/v1/contacts",
                headers=gateway,
                json={
                    "channel": "in_app",
                    "channel_message_id": f"{tenant}-follow-{i}",
                    "traveller": {"id": f"{tenant}-colleague-{i}", "language": "en"},
                    "text": "Flight CA1501 was cancelled, how do I get home tonight?",
                },
            )
            assert sent.status_code == 201, sent.text
            contacts[tenant].append(sent.json()["ticket_id"])
    return contacts


async def all_linked(desk: Desk, tenant: str, tickets: list[str], incident_id: str) -> bool:
    for ticket_id in tickets:
        got = await desk.http.get(
            f"{desk.intake}/v1/tickets/{ticket_id}", headers=desk.agents[tenant]
        )
        if got.json()["incident_id"] != incident_id:
            return False
    return True


async def bulk_reply(desk: Desk, incident_id: str, contacts: dict[str, list[str]]) -> None:
    """globex answers its tickets of the incident at once, writing Chinese and Japanese
    once each and English for the rest; acme's are left alone."""
    http, intake, agents = desk.http, desk.intake, desk.agents
    texts = {"zh-Hans": "已为您改签至CA1503，详情随后发送。", "ja": "CA1503便に振り替えました。"}
    fallback = "We have rebooked you on CA1503; details follow."
    replied = await http.post(
        f"{intake}/v1/incidents/{incident_id}/reply",
        headers=agents["globex"],
        json={"message": fallback, "messages": texts},
    )
    assert replied.status_code == 200, replied.text
    answer = replied.json()
    assert len(answer["replied"]) == TENANTS["globex"] + len(contacts["globex"])
    assert set(contacts["globex"]) <= set(answer["replied"])
    assert not set(contacts["acme"]) & set(answer["replied"])
    told: Counter[str] = Counter()
    for ticket_id in answer["replied"]:
        got = await http.get(f"{intake}/v1/tickets/{ticket_id}", headers=agents["globex"])
        view = got.json()
        [text] = [e["details"]["message"] for e in view["timeline"] if e["kind"] == "replied"]
        assert text == texts.get(view["language"], fallback), (view["language"], text)
        told[text] += 1
    assert told == {texts["zh-Hans"]: 5, texts["ja"]: 5, fallback: 10 + len(contacts["globex"])}
    bad = await http.post(
        f"{intake}/v1/incidents/{incident_id}/reply",
        headers=agents["globex"],
        json={"messages": {"fr": "Vous êtes réservé sur CA1503."}},
    )
    assert (bad.status_code, bad.json()["detail"][0]["loc"]) == (
        422,
        ["body", "messages", "fr", "[key]"],
    )
    empty = await http.post(
        f"{intake}/v1/incidents/INC-NOTHING/reply",
        headers=agents["globex"],
        json={"message": "x"},
    )
    assert empty.status_code == 404
    blank = await http.post(
        f"{intake}/v1/incidents/{incident_id}/reply", headers=agents["acme"], json={}
    )
    assert blank.status_code == 422


async def test_a_cancelled_flight_with_50_travellers_in_two_tenants(
    supplier_stack: Stack, exchange: aio_pika.abc.AbstractExchange
) -> None:
    stack = supplier_stack
    departs = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    await publish_bookings(exchange, departs)
    agents = {t: Stack.token(f"agent-{t}", tenants=(t,)) for t in TENANTS}
    routing, intake, notify = stack.url("routing"), stack.url("intake"), stack.url("notify")
    flight = {"resource": "flight", "reference": "CA1501", "date": departs.date().isoformat()}

    async with httpx.AsyncClient(timeout=30) as http:
        desk = Desk(http, routing, intake, notify, agents)

        async def all_booked() -> bool:
            for tenant, count in TENANTS.items():
                found = await http.get(f"{routing}/v1/trips", params=flight, headers=agents[tenant])
                if len(found.json()) != count:
                    return False
            return True

        await until(all_booked, 60)

        event = {
            "event_id": "ca-2026-ops-77",
            "kind": "FLIGHT_CANCELED",
            "reference": "CA 1501",
            "service_date": departs.date().isoformat(),
            "details": {"reason": "typhoon"},
        }
        incident_id = await partner_reports(desk, event)
        await each_tenant_sees_its_travellers(desk, incident_id)

        await until(lambda: everyone_told(desk), 90)
        ja = (await notices(desk, "acme", 3))[0]
        assert ja["language"] == "ja"
        assert "CA1501" in ja["body"]
        assert "欠航" in ja["body"]
        assert await notices(desk, "globex", 0, as_tenant="acme") == []
        await read_in_their_own_languages(desk, stack.url("feedback"))

        for secret, skew in ((SECRET, 1), (OLD_SECRET, 2)):  # delivered three times in all
            raw, headers = signed_post(event, secret, skew)
            again = await http.post(
                f"{routing}/v1/suppliers/ca/events", content=raw, headers=headers
            )
            assert (again.status_code, again.json()["outcome"]) == (200, "duplicate")

        contacts = await follow_up_contacts(desk, stack)
        for tenant in TENANTS:
            await until(partial(all_linked, desk, tenant, contacts[tenant], incident_id), 60)
        acme_view = await http.get(f"{routing}/v1/incidents/{incident_id}", headers=agents["acme"])
        assert sorted(acme_view.json()["linked_tickets"]) == sorted(contacts["acme"])

        await asyncio.sleep(2)  # the duplicates had every chance to do something
        assert await everyone_told(desk)
        for tenant in TENANTS:
            view = (
                await http.get(f"{routing}/v1/incidents/{incident_id}", headers=agents[tenant])
            ).json()
            assert view["revision"] == 1

        await bulk_reply(desk, incident_id, contacts)
