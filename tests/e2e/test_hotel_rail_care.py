"""A hotel chain and a rail operator, through HTTP only, as their integration engineers
would: the operator registers each partner and hands it a secret; the booking system puts
stays (check-in to check-out) and train legs; the partners sign their events.

An overbooking on one night reaches the guests staying that night (checked in that day, or
mid-stay), not the one arriving the next day nor the one who left the day before, in each
tenant apart, in the guest's language and with no flight or departure in it; a re-send is a
duplicate, a reused event_id another event is refused, the hotel cancelling the stay is a new
revision on the same ticket. A platform change reaches the train's traveller; bad stays and
an unknown kind are answered as such. A closure of several nights is one event and one
incident: each guest staying any of its nights hears once, the span in their language."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import orjson
import pytest

from runtime import webhook_signature
from tests.conftest import Stack
from tests.polling import until

pytestmark = pytest.mark.e2e
CHINA = timezone(timedelta(hours=8))
OPERATOR = Stack.token("ops", "admin", ("tripcare",))
ADMINS = {t: Stack.token(f"admin-{t}", "admin", (t,)) for t in ("acme", "globex")}
AGENTS = {t: Stack.token(f"agent-{t}", tenants=(t,)) for t in ("acme", "globex")}


def at(day: datetime, days: int, clock: str) -> str:
    hour, minute = (int(part) for part in clock.split(":"))
    return (day + timedelta(days=days)).replace(hour=hour, minute=minute).isoformat()


def stay(today: datetime, check_in: int, check_out: int | None) -> dict[str, Any]:
    segment = {
        "kind": "Hotel",
        "reference": "SHA-HILTON-01",
        "starts_at": at(today, check_in, "15:00"),
    }
    if check_out is not None:
        leaves = "20:00" if check_out == check_in else "12:00"  # a day room: 0 nights
        segment["ends_at"] = at(today, check_out, leaves)
    return segment


class Partner:
    def __init__(self, http: httpx.AsyncClient, routing: str, name: str, secret: str) -> None:
        self.http, self.url, self.secret = http, f"{routing}/v1/suppliers/{name}/events", secret

    async def send(self, event: dict[str, Any], skew_s: int = 0) -> httpx.Response:
        raw = orjson.dumps(event)
        header = webhook_signature.sign(self.secret, int(time.time()) + skew_s, raw)
        headers = {"X-TripCare-Signature": header, "content-type": "application/json"}
        return await self.http.post(self.url, content=raw, headers=headers)


async def register(http: httpx.AsyncClient, routing: str, name: str) -> Partner:
    created = await http.post(f"{routing}/v1/partners/{name}/secrets", headers=OPERATOR)
    assert created.status_code == 201, created.text
    return Partner(http, routing, name, created.json()["secret"])


async def book(
    http: httpx.AsyncClient, routing: str, tenant: str, booking: str, **body: Any
) -> int:
    put = await http.put(f"{routing}/v1/bookings/{booking}", headers=ADMINS[tenant], json=body)
    return put.status_code


async def notices(http: httpx.AsyncClient, notify: str, tenant: str, traveller: str) -> list[str]:
    inbox = await http.get(f"{notify}/v1/inbox/{traveller}", headers=AGENTS[tenant])
    assert inbox.status_code == 200, inbox.text
    found = [n for n in inbox.json() if n["template"] == "disruption_notice"]
    return sorted((n["body"] for n in found), key=len)


GUESTS = {  # booking: tenant, traveller's language, check-in and check-out (days from today)
    "g-arriving": ("acme", "en", 1, 3),
    "g-mid": ("acme", "zh-Hans", -2, 2),
    "g-gone": ("acme", "en", -3, -1),
    "g-day-room": ("acme", "ja", 0, 0),
    "g-other": ("globex", "zh-Hant", 0, 1),
}


async def hotel_guests(http: httpx.AsyncClient, routing: str, today: datetime) -> None:
    for booking, (tenant, language, check_in, check_out) in GUESTS.items():
        traveller = {"id": f"trav-{booking}", "language": language}
        segments = [stay(today, check_in, check_out)]
        created = await book(
            http, routing, tenant, booking, traveller=traveller, channel="in_app", segments=segments
        )
        assert created == 201, booking
    bad = {"traveller": {"id": "trav-bad"}, "channel": "in_app"}
    backwards = await book(http, routing, "acme", "g-bad", **bad, segments=[stay(today, 2, 1)])
    far = {"kind": "hotel", "reference": "SHA-HILTON-01", "starts_at": "9999-12-30T15:00:00+08:00"}
    distant = await book(http, routing, "acme", "g-bad", **bad, segments=[far])
    assert (backwards, distant) == (422, 422)
    gone = await http.get(f"{routing}/v1/bookings/g-bad", headers=AGENTS["acme"])
    assert gone.status_code == 404


@dataclass(frozen=True)
class Desk:
    http: httpx.AsyncClient
    routing: str
    notify: str

    async def told(self, incident_id: str, tenant: str, count: int) -> dict[str, Any] | None:
        """The tenant's view once ``count`` of its travellers heard the latest revision."""
        got = await self.http.get(
            f"{self.routing}/v1/incidents/{incident_id}", headers=AGENTS[tenant]
        )
        view = got.json() if got.status_code == 200 else {"travellers": []}
        done = [t for t in view["travellers"] if t["notified_revision"] == view.get("revision")]
        return view if len(done) == count else None

    async def notices(self, tenant: str, traveller: str, count: int = 1) -> list[str] | None:
        found = await notices(self.http, self.notify, tenant, traveller)
        return found if len(found) == count else None


OVERBOOKED = {
    "event_id": "hilton-77",
    "kind": "HOTEL_OVERBOOKED",
    "reference": " sha-hilton-01 ",
    "details": {"walked_to": "SHA-MARRIOTT-02"},
}


async def hotel_reports(hotel: Partner, tonight: str) -> str:
    """The overbooking is taken once; a re-send, a reused event_id, an unknown kind and a
    year 9999 are answered as such. Returns the incident's id."""
    overbooked = {**OVERBOOKED, "service_date": tonight}
    first = await hotel.send(overbooked)
    assert first.status_code == 202, first.text
    again = await hotel.send(overbooked, skew_s=1)
    assert (again.status_code, again.json()["outcome"]) == (200, "duplicate")
    reused = await hotel.send({**overbooked, "kind": "hotel_closed"}, skew_s=2)
    assert reused.status_code == 409
    odd = (
        await hotel.send({**overbooked, "event_id": "hilton-78", "kind": "hotel_on_fire"})
    ).json()
    assert (odd["known_kind"], odd["incident_id"]) == (False, None)
    year = await hotel.send({**overbooked, "event_id": "hilton-79", "service_date": "9999-12-31"})
    assert year.status_code == 422
    return str(first.json()["incident_id"])


async def guests_staying_tonight_are_told(desk: Desk, incident_id: str) -> None:
    acme = await until(lambda: desk.told(incident_id, "acme", 2), 60)
    globex = await until(lambda: desk.told(incident_id, "globex", 1), 60)
    assert sorted(t["booking_id"] for t in acme["travellers"]) == ["g-day-room", "g-mid"]
    assert [t["booking_id"] for t in globex["travellers"]] == ["g-other"]
    assert acme["details"]["walked_to"] == "SHA-MARRIOTT-02"
    mid_stay = [t["priority"] for t in acme["travellers"] if t["booking_id"] == "g-mid"]
    assert mid_stay == ["critical"]

    [mid] = await until(lambda: desk.notices("acme", "trav-g-mid"), 60)
    assert "入住的酒店（SHA-HILTON-01）超售" in mid
    assert not [w for w in ("航班", "起飞", "登机") if w in mid]
    [day_room] = await until(lambda: desk.notices("acme", "trav-g-day-room"), 60)
    assert "オーバーブッキング" in day_room
    assert "便" not in day_room
    [other] = await until(lambda: desk.notices("globex", "trav-g-other"), 60)
    assert "超額訂房" in other
    assert await notices(desk.http, desk.notify, "acme", "trav-g-other") == []


async def test_a_hotel_chain_and_a_rail_operator(stack: Stack) -> None:
    routing, notify = stack.url("routing"), stack.url("notify")
    today = datetime.now(CHINA).replace(second=0, microsecond=0)
    async with httpx.AsyncClient(timeout=30) as http:
        desk = Desk(http, routing, notify)
        hotel = await register(http, routing, "hilton")
        rail = await register(http, routing, "cr")
        await hotel_guests(http, routing, today)
        train = {"kind": "train", "reference": "G1234", "starts_at": at(today, 1, "08:00")}
        rider = {"id": "trav-rail", "language": "zh-Hans"}
        booked = await book(
            http, routing, "acme", "r-1", traveller=rider, channel="in_app", segments=[train]
        )
        assert booked == 201

        incident_id = await hotel_reports(hotel, today.date().isoformat())
        await guests_staying_tonight_are_told(desk, incident_id)

        cancelled = {**OVERBOOKED, "event_id": "hilton-80", "kind": "stay_cancelled"}
        sent = await hotel.send({**cancelled, "service_date": today.date().isoformat()})
        assert sent.json()["incident_id"] == incident_id
        both = await until(lambda: desk.notices("acme", "trav-g-mid", 2), 60)
        assert "已取消您的住宿" in "".join(both)

        platform = {
            "event_id": "cr-1",
            "kind": "PLATFORM_CHANGE",
            "reference": "g1234",
            "service_date": (today + timedelta(days=1)).date().isoformat(),
            "details": {"platform": "7", "gate": "A3"},
        }
        assert (await rail.send(platform)).status_code == 202
        [rail_notice] = await until(lambda: desk.notices("acme", "trav-rail"), 60)
        assert "站台 7" in rail_notice
        assert "检票口：A3" in rail_notice
        assert not [w for w in ("航班", "起飞", "登机") if w in rail_notice]

        for booking in ("g-arriving", "g-gone"):
            assert await notices(http, notify, "acme", f"trav-{booking}") == []


CLOSURE_GUESTS = {  # booking: traveller's language, check-in and check-out (days from today)
    "c-through": ("zh-Hans", -1, 4),
    "c-last-night": ("ja", 2, 3),
    "c-after": ("en", 3, 5),
}


async def test_a_closure_of_several_nights_is_one_incident_and_one_notice_per_guest(
    stack: Stack,
) -> None:
    """A typhoon closes the hotel tonight and the next two nights: one event, one incident;
    each guest staying any of those nights is told once, the span in their language; the
    closure extended by a night is a revision that reaches the guest arriving then."""
    routing, notify = stack.url("routing"), stack.url("notify")
    today = datetime.now(CHINA).replace(second=0, microsecond=0)
    night = [(today + timedelta(days=n)).date().isoformat() for n in range(4)]
    async with httpx.AsyncClient(timeout=30) as http:
        desk = Desk(http, routing, notify)
        hotel = await register(http, routing, "hilton")
        for booking, (language, check_in, check_out) in CLOSURE_GUESTS.items():
            traveller = {"id": f"trav-{booking}", "language": language}
            segments = [stay(today, check_in, check_out)]
            put = await book(
                http,
                routing,
                "acme",
                booking,
                traveller=traveller,
                channel="in_app",
                segments=segments,
            )
            assert put == 201, booking

        typhoon = {"event_id": "hilton-t1", "kind": "hotel_closure", "reference": "SHA-HILTON-01"}
        flight = {**typhoon, "event_id": "x", "kind": "flight_cancelled"}
        refused = await hotel.send(
            {**flight, "service_date": night[0], "last_service_date": night[1]}
        )
        assert refused.status_code == 422, refused.text
        sent = await hotel.send(
            {**typhoon, "service_date": night[0], "last_service_date": night[2]}
        )
        assert sent.status_code == 202, sent.text
        incident_id = sent.json()["incident_id"]

        view = await until(lambda: desk.told(incident_id, "acme", 2), 60)
        assert sorted(t["booking_id"] for t in view["travellers"]) == ["c-last-night", "c-through"]
        assert view["last_service_date"] == night[2]
        [through] = await until(lambda: desk.notices("acme", "trav-c-through"), 60)
        assert "共3晚入住的酒店（SHA-HILTON-01）暂停营业" in through
        assert f"日至{night[2][:4]}年" in through
        assert "までの3泊" in "".join(
            await until(lambda: desk.notices("acme", "trav-c-last-night"), 60)
        )

        longer = {
            **typhoon,
            "event_id": "hilton-t2",
            "service_date": night[0],
            "last_service_date": night[3],
        }
        assert (await hotel.send(longer)).json()["incident_id"] == incident_id
        [after] = await until(lambda: desk.notices("acme", "trav-c-after"), 60)
        assert "the nights of" in after
        assert len(await until(lambda: desk.notices("acme", "trav-c-through", 2), 60)) == 2
