"""Supplier ingress and proactive care on in-memory stores: signatures (each refusal),
correlation across tenants, redeliveries, and clustering of contacts."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import bson
import httpx
import orjson
import pytest
from pydantic import ValidationError

from contracts import events
from contracts.envelope import Envelope, Event
from contracts.events import BookingReference, Channel, Priority, ReferenceKind, Traveller
from runtime import webhook_signature
from runtime.clock import FakeClock
from runtime.store import Repository
from services.routing.care.domain.incidents import AffectedTraveller, Disruption, TenantIncident
from services.routing.care.domain.partners import PartnerRegistration
from services.routing.care.domain.suppliers import SupplierReport, SupplierSettings
from services.routing.care.domain.trips import Trip
from services.routing.care.ingress import Ingress, Refused
from services.routing.care.partners import PartnerSecrets
from services.routing.care.service import ProactiveCare
from services.routing.care.store import (
    AFFECTED,
    DISRUPTIONS,
    INCIDENTS,
    NONCES,
    PARTNERS,
    SUPPLIER_REPORTS,
    TRIPS,
    UNKNOWN_EVENTS,
    CareStore,
)
from tests.factories import T0, envelope
from tests.fakes import FakeDatabase, RecordingOutbox

SECRET, OLD_SECRET = "ca-secret-2026-11", "ca-secret-2026-05"
DAY = date(2026, 11, 26)
BY_NAME = {e.schema_name: e for e in events.ALL_EVENTS}


def proactive_care(
    db: FakeDatabase,
    outbox: RecordingOutbox,
    clock: FakeClock,
    settings: SupplierSettings,
    *,
    partners: bool = False,
) -> ProactiveCare:
    """Proactive care on in-memory stores, as the care tests (and routing's) build it;
    ``partners``: with the registered partners' secrets (``/v1/partners``)."""

    def repo(name: str, model: type[Any]) -> Repository[Any]:
        return Repository(db, name, model, outbox, clock)  # type: ignore[arg-type]

    store = CareStore(
        db,  # type: ignore[arg-type]
        trips=repo(TRIPS, Trip),
        disruptions=repo(DISRUPTIONS, Disruption),
        incidents=repo(INCIDENTS, TenantIncident),
        affected=repo(AFFECTED, AffectedTraveller),
    )
    secrets = PartnerSecrets(repo(PARTNERS, PartnerRegistration), settings) if partners else None
    return ProactiveCare(store, repo(SUPPLIER_REPORTS, SupplierReport), clock, settings, secrets)


class Care:
    def __init__(self) -> None:
        self.db = FakeDatabase()
        self.outbox = RecordingOutbox()
        self.clock = FakeClock(T0)
        settings = SupplierSettings.model_validate(
            {"partners": {"ca": {"secrets": [SECRET, OLD_SECRET]}}}
        )
        self.care = proactive_care(self.db, self.outbox, self.clock, settings)

    def wrote_nothing(self) -> bool:
        """No report, no nonce and nothing on the bus: a refused request is never half-written."""
        reports, nonces = self.db[SUPPLIER_REPORTS].docs, self.db[NONCES].docs
        return not reports and not nonces and self.outbox.messages == []

    def published(self, schema: str) -> list[Envelope[Any]]:
        """Outbox messages of one schema, once each (nothing clears the fake's outboxes)."""
        model = BY_NAME[schema]
        unique = {m.message_id: m for m in self.outbox.messages if m.routing_key == schema}
        return [
            Envelope[model].model_validate_json(m.body)  # type: ignore[valid-type]
            for m in unique.values()
        ]

    async def book(self, tenant: str, n: int, hours: float = 30) -> None:
        for i in range(n):
            booking = events.BookingUpserted(
                booking_id=f"{tenant}-bk-{i}",
                traveller=Traveller(id=f"{tenant}-trav-{i}", language="en"),
                channel=Channel.IN_APP,
                segments=[
                    events.BookingSegment(
                        kind="flight", reference="CA1501", starts_at=T0 + timedelta(hours=hours)
                    )
                ],
                updated_at=T0,
            )
            await self.care.booking_upserted(envelope(booking, tenant=tenant))


def body(**overrides: Any) -> bytes:
    event = {
        "event_id": "ca-ev-1",
        "kind": "FLIGHT_CANCELED",
        "reference": "CA1501",
        "service_date": DAY.isoformat(),
        "details": {"reason": "weather"},
        **overrides,
    }
    return orjson.dumps(event)


def signed(raw: bytes, secret: str = SECRET, at: int | None = None) -> str:
    return webhook_signature.sign(secret, at if at is not None else int(T0.timestamp()), raw)


async def post_details(
    http: httpx.AsyncClient, details: dict[str, Any], kind: str = "flight_delayed"
) -> httpx.Response:
    """Partner ca's event of ``kind`` with these ``details``, signed and posted to routing
    (written by ``json``: orjson writes 64-bit integers only, and a test sends ``10**30``)."""
    raw = json.dumps({**orjson.loads(body(kind=kind)), "details": details}).encode()
    headers = {webhook_signature.HEADER: signed(raw), "content-type": "application/json"}
    return await http.post("/v1/suppliers/ca/events", content=raw, headers=headers)


async def on_the_bus(care: Care, details: dict[str, str], kind: str = "flight_delayed") -> None:
    """Partner ca's event of ``kind`` with these ``details``, as the bus hands it to ``care``."""
    status = events.SupplierStatusChanged(
        partner="ca",
        kind=kind,
        reference="CA1501",
        service_date=T0.date(),
        details=details,
        reported_at=T0,
    )
    await care.care.supplier_status(envelope(status, tenant="_suppliers"))


# ---------------------------------------------------------------- signatures


async def test_a_validly_signed_event_is_accepted_and_put_on_the_bus() -> None:
    desk = Care()
    outcome, report = await desk.care.receive_signed("ca", body(), signed(body()))
    assert (outcome, report.id) == (Ingress.ACCEPTED, "ca:ca-ev-1")
    [status] = desk.published("supplier.status")
    assert (status.tenant_id, status.payload.kind, status.payload.event_id) == (
        "_suppliers",
        "FLIGHT_CANCELED",
        "ca-ev-1",
    )


async def test_the_previous_secret_still_verifies_during_rotation() -> None:
    desk = Care()
    outcome, _ = await desk.care.receive_signed("ca", body(), signed(body(), OLD_SECRET))
    assert outcome is Ingress.ACCEPTED


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("wrong secret", 401),
        ("old timestamp", 401),
        ("tampered body", 401),
        ("no signature", 401),
        ("unknown partner", 401),
        ("not an event", 422),
    ],
)
async def test_refused_requests_write_nothing(case: str, status: int) -> None:
    desk = Care()
    raw, partner = body(), "ca"
    header: str | None = signed(raw)
    if case == "wrong secret":
        header = signed(raw, "someone-elses-secret")
    elif case == "old timestamp":
        header = signed(raw, at=int((T0 - timedelta(minutes=6)).timestamp()))
    elif case == "tampered body":
        raw = body(reference="CA9999")
    elif case == "no signature":
        header = None
    elif case == "unknown partner":
        partner = "zz"
    elif case == "not an event":
        raw = b'{"kind": "flight_cancelled"}'
        header = signed(raw)
    with pytest.raises(Refused) as refused:
        await desk.care.receive_signed(partner, raw, header)
    assert refused.value.status == status
    assert desk.wrote_nothing()


async def test_a_replayed_signature_is_refused() -> None:
    desk = Care()
    header = signed(body())
    await desk.care.receive_signed("ca", body(), header)
    with pytest.raises(Refused) as refused:
        await desk.care.receive_signed("ca", body(), header)
    assert refused.value.status == 409
    assert len(desk.published("supplier.status")) == 1


async def test_a_re_signed_resend_is_a_duplicate() -> None:
    desk = Care()
    await desk.care.receive_signed("ca", body(), signed(body()))
    desk.clock.advance(timedelta(seconds=30))
    later = signed(body(), at=int(desk.clock.now().timestamp()))
    outcome, _ = await desk.care.receive_signed("ca", body(), later)
    assert outcome is Ingress.DUPLICATE
    assert len(desk.published("supplier.status")) == 1


# ---------------------------------------------------------------- bookings on the bus


def booking_message(segment: dict[str, str], updated_at: str = "2026-11-25T02:00:00Z") -> bytes:
    payload = {
        "booking_id": "bk-1",
        "traveller": {"id": "trav-1"},
        "channel": "in_app",
        "segments": [segment],
        "updated_at": updated_at,
    }
    return orjson.dumps(
        {
            "message_id": "m-1",
            "correlation_id": "bk-1",
            "tenant_id": "acme",
            "occurred_at": "2026-11-25T02:00:00Z",
            "schema_name": "booking.upserted",
            "schema_version": 1,
            "payload": payload,
        }
    )


@pytest.mark.parametrize(
    ("segment", "field"),
    [
        ({"kind": "rocket", "reference": "X1", "starts_at": "2026-12-20T08:00:00Z"}, "kind"),
        (
            {
                "kind": "hotel",
                "reference": "H-88",
                "starts_at": "2026-12-20T14:00:00Z",
                "ends_at": "2026-12-10T12:00:00Z",
            },
            "ends_at",
        ),
    ],
)
def test_a_malformed_booking_on_the_bus_fails_validation_so_it_is_dead_lettered(
    segment: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        Envelope[events.BookingUpserted].model_validate_json(booking_message(segment))

    [error] = refused.value.errors()
    assert error["loc"] == ("payload", "segments", 0, field)


async def test_a_booking_dated_ahead_of_the_clock_is_refused_and_cannot_lock_the_booking() -> None:
    desk = Care()
    segment = events.BookingSegment(kind="Flight", reference="CA1501", starts_at=T0)
    ahead = events.BookingUpserted(
        booking_id="bk-1",
        traveller=Traveller(id="trav-1"),
        channel=Channel.IN_APP,
        segments=[segment],
        updated_at=T0 + timedelta(minutes=6),
    )
    cancelled = events.BookingCancelled(booking_id="bk-1", cancelled_at=T0 + timedelta(days=1))

    with pytest.raises(ValidationError, match="updated_at"):
        await desk.care.booking_upserted(envelope(ahead))
    with pytest.raises(ValidationError, match="cancelled_at"):
        await desk.care.booking_cancelled(envelope(cancelled))
    await desk.care.booking_upserted(envelope(ahead.model_copy(update={"updated_at": T0})))

    [trip] = desk.db[TRIPS].docs.values()
    assert (trip["status"], trip["segments"][0]["resource"]) == ("active", "flight")


# ---------------------------------------------------------------- correlation


async def run_disruption(desk: Care, raw: bytes, at: int = 0) -> None:
    """Ingress → supplier.status → disruption.revised, as the bus would deliver them."""
    seen = {m.message_id for m in desk.outbox.messages}
    header = signed(raw, at=int(T0.timestamp()) + at)
    try:
        await desk.care.receive_signed("ca", raw, header)
    except Refused:
        return
    for status in desk.published("supplier.status"):
        if status.message_id not in seen:
            await desk.care.supplier_status(status)
    for revised in desk.published("disruption.revised"):
        if revised.message_id not in seen:
            await desk.care.disruption_revised(revised)


async def test_a_cancelled_flight_reaches_every_booked_traveller_in_their_own_tenant() -> None:
    desk = Care()
    await desk.book("acme", 30)
    await desk.book("globex", 20)
    await run_disruption(desk, body())
    requests = desk.published("proactive.contact")
    assert len(requests) == 50
    assert {r.payload.incident_id for r in requests} == {
        r.payload.incident_id for r in desk.published("incident.opened")
    }
    assert len({r.payload.incident_id for r in requests}) == 1
    for request in requests:
        assert request.payload.traveller.id.startswith(request.tenant_id + "-")
        assert request.payload.priority is Priority.HIGH  # departs in 30 h
    opened = desk.published("incident.opened")
    assert sorted(o.tenant_id for o in opened) == ["acme", "globex"]
    views = {d["tenant_id"]: d["affected"] for d in desk.db[INCIDENTS].docs.values()}
    assert views == {"acme": 30, "globex": 20}
    for collection in desk.db.values():  # what the fake keeps, a real server must take
        for doc in collection.docs.values():
            bson.encode(doc)


async def test_three_deliveries_of_the_same_event_change_nothing_more() -> None:
    desk = Care()
    await desk.book("acme", 5)
    await run_disruption(desk, body())
    await run_disruption(desk, body(), at=1)  # re-sent by the partner, signed anew
    revised = desk.published("disruption.revised")
    status = desk.published("supplier.status")
    for message in (*status, *revised):  # and the bus redelivering everything
        if message.schema_name == "supplier.status":
            await desk.care.supplier_status(message)
        else:
            await desk.care.disruption_revised(message)
    assert len(desk.published("proactive.contact")) == 5
    assert len(revised) == 1


async def test_a_growing_delay_tells_travellers_only_of_material_changes() -> None:
    desk = Care()
    await desk.book("acme", 2, hours=4)
    for i, minutes in enumerate((60, 90, 120, 150, 240)):
        raw = body(
            event_id=f"ev-{minutes}",
            kind="flight_delayed",
            service_date=T0.date().isoformat(),  # departs in 4 h: today
            details={"delay_minutes": str(minutes)},
        )
        await run_disruption(desk, raw, at=i)
    requests = desk.published("proactive.contact")
    assert sorted({r.payload.details["delay_minutes"] for r in requests}) == ["120", "240", "60"]
    assert len(requests) == 6
    assert {r.payload.priority for r in requests} == {Priority.CRITICAL}  # departs within 4 h
    assert len(desk.db[DISRUPTIONS].docs) == 1


async def test_unknown_kinds_are_stored_and_reported_not_crashed_on() -> None:
    desk = Care()
    await run_disruption(desk, body(kind="volcanic_ash_advisory"))
    assert [d["kind"] for d in desk.db[UNKNOWN_EVENTS].docs.values()] == ["volcanic_ash_advisory"]
    assert desk.published("disruption.revised") == []


# ---------------------------------------------------------------- clustering


def opened(ticket_id: str, tenant: str, *refs: str, proactive: bool = False) -> Envelope[Any]:
    return envelope(
        events.TicketOpened(
            ticket_id=ticket_id,
            channel=Channel.IN_APP,
            traveller=Traveller(id=f"{tenant}-colleague-{ticket_id}"),
            text="CA1501 取消了怎么办",
            references=[BookingReference(kind=ReferenceKind.FLIGHT, value=r) for r in refs],
            proactive=proactive,
            opened_at=T0,
        ),
        tenant=tenant,
    )


async def test_contacts_naming_the_flight_are_linked_to_the_open_incident() -> None:
    desk = Care()
    await desk.book("acme", 3)
    await run_disruption(desk, body(service_date=T0.date().isoformat()))
    incident = desk.published("disruption.revised")[0].payload.incident_id
    first = opened("TC-1", "acme", "CA1501")
    assert await desk.care.cluster(first) == incident
    assert await desk.care.cluster(first) == incident  # redelivered
    assert await desk.care.cluster(opened("TC-2", "initech", "ca1501")) == incident
    assert await desk.care.cluster(opened("TC-3", "acme", "MU5101")) is None
    linked = desk.published("incident.linked")
    assert sorted((m.tenant_id, m.payload.ticket_id) for m in linked) == [
        ("acme", "TC-1"),
        ("initech", "TC-2"),
    ]
    acme = desk.db[INCIDENTS].docs[TenantIncident.key(incident, "acme")]
    assert acme["linked_tickets"] == ["TC-1"]


async def test_departs_in_reads_the_itinerary() -> None:
    desk = Care()
    await desk.book("acme", 1, hours=3)
    assert await desk.care.departs_in("acme", "acme-trav-0") == timedelta(hours=3)
    assert await desk.care.departs_in("globex", "acme-trav-0") is None


def test_the_event_list_knows_every_new_schema() -> None:
    names = {e.schema_name for e in events.ALL_EVENTS}
    assert {
        "booking.cancelled",
        "disruption.revised",
        "incident.opened",
        "incident.updated",
        "proactive.contact",
        "ticket.disruption_notice",
        "incident.linked",
    } <= names
    assert json.loads(body())["kind"] == "FLIGHT_CANCELED"
    assert issubclass(events.DisruptionNotice, Event)


async def test_a_partner_on_the_bus_is_handled_like_one_over_http() -> None:
    desk = Care()
    await desk.book("acme", 2)
    status = events.SupplierStatusChanged(
        partner="ca",
        kind="flight-cancelled",
        reference="ca1501",
        service_date=DAY,
        reported_at=T0,
    )
    await desk.care.supplier_status(envelope(status, tenant="ca-ops"))  # any tenant id
    for revised in desk.published("disruption.revised"):
        assert revised.tenant_id == "_suppliers"
        await desk.care.disruption_revised(revised)
    assert len(desk.published("proactive.contact")) == 2
