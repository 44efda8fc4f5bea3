"""A hotel chain's own words reach its guests: a stay the hotel cancelled
(``hotel_cancelled``), a check-in it moved (``hotel_date_change``, to ``new_date``) and a
closure for maintenance (``hotel_closed``). The first two were unknown kinds, kept for the
operator and told to nobody; a hotel notice speaks of a stay, never of a flight."""

from __future__ import annotations

from datetime import datetime

import pytest

from contracts import events
from contracts.events import Channel, NextStep, Traveller
from contracts.languages import LANGUAGES
from services.routing.care.domain.suppliers import KINDS, normalise_kind
from tests.factories import T0, envelope
from tests.unit.test_disruption_notice_times import notice, rendered
from tests.unit.test_supplier_care import Care, body, run_disruption


@pytest.mark.parametrize(
    ("sent", "kind"),
    [
        ("hotel_cancelled", "hotel_cancelled"),
        ("HOTEL_CANCELED", "hotel_cancelled"),
        ("stay_cancelled", "hotel_cancelled"),
        ("reservation_cancelled", "hotel_cancelled"),
        ("hotel_date_change", "hotel_date_change"),
        ("check-in date change", "hotel_date_change"),
        ("hotel_maintenance", "hotel_closed"),
        ("hotel_closure", "hotel_closed"),
    ],
)
def test_a_hotel_chain_s_kinds_are_known(sent: str, kind: str) -> None:
    assert normalise_kind(sent) == kind
    assert KINDS[kind].resource == "hotel"


async def test_a_stay_the_hotel_cancelled_tells_its_guest() -> None:
    desk = Care()
    stay = events.BookingSegment(
        kind="hotel",
        reference="SHA-HILTON-01",
        starts_at=datetime.fromisoformat("2026-11-25T15:00+08:00"),
        ends_at=datetime.fromisoformat("2026-11-28T12:00+08:00"),
    )
    booking = events.BookingUpserted(
        booking_id="bk-stay",
        traveller=Traveller(id="trav-stay"),
        channel=Channel.IN_APP,
        segments=[stay],
        updated_at=T0,
    )
    await desk.care.booking_upserted(envelope(booking))

    await run_disruption(desk, body(kind="STAY_CANCELLED", reference="sha-hilton-01"))

    [told] = desk.published("proactive.contact")
    assert (told.payload.kind, told.payload.next_step) == ("hotel_cancelled", NextStep.REBOOKING)


def hotel(language: str, kind: str, **details: str) -> events.DisruptionNotice:
    return notice(language, **details).model_copy(
        update={"kind": kind, "reference": "SHA-HILTON-01", "next_step": KINDS[kind].next_step}
    )


@pytest.mark.parametrize(
    ("language", "cancelled", "moved"),
    [
        (
            "en",
            "Your hotel (SHA-HILTON-01) has cancelled your stay for 26 Nov 2026.",
            "Your hotel (SHA-HILTON-01) has moved your stay of 26 Nov 2026 to 28 Nov 2026.",
        ),
        (
            "zh-Hans",
            "您2026年11月26日入住的酒店（SHA-HILTON-01）已取消您的住宿。",
            "您2026年11月26日入住的酒店（SHA-HILTON-01）已将您的住宿改至2026年11月28日。",
        ),
        (
            "zh-Hant",
            "您2026年11月26日入住的飯店（SHA-HILTON-01）已取消您的住宿。",
            "您2026年11月26日入住的飯店（SHA-HILTON-01）已將您的住宿改至2026年11月28日。",
        ),
        (
            "ja",
            "2026年11月26日 ご宿泊のホテル（SHA-HILTON-01）がご宿泊をキャンセルしました。",
            "2026年11月26日 ご宿泊のホテル（SHA-HILTON-01）"
            "がご宿泊日を2026年11月28日に変更しました。",
        ),
    ],
)
def test_the_notice_tells_a_cancelled_or_moved_stay(
    language: str, cancelled: str, moved: str
) -> None:
    assert cancelled in rendered(hotel(language, "hotel_cancelled"))
    assert moved in rendered(hotel(language, "hotel_date_change", new_date="2026-11-28"))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", [k for k, info in KINDS.items() if info.resource == "hotel"])
def test_a_hotel_notice_speaks_of_a_stay(language: str, kind: str) -> None:
    text = rendered(hotel(language, kind, new_date="2026-11-28")).lower()

    words = ("flight", "depart", "gate", "航班", "起飞", "起飛", "便", "出発", "搭乗")
    assert [word for word in words if word in text] == []
    assert "2026-11" not in text
