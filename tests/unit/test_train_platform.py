"""A rail operator's platform change reaches the travellers on the train: ``platform_change``
(and ``train_platform_change``, ``train_time_change``) is ``train_schedule_change``, and a
``platform`` detail is material, in the agents' summary and in the notice. It was an
unknown kind: kept for the operator, and nobody on the train was told."""

from __future__ import annotations

from datetime import datetime

import pytest

from contracts import events
from contracts.events import Channel, Traveller
from contracts.languages import LANGUAGES
from services.routing.care.domain.changes import Snapshot, material_change, summary_of
from services.routing.care.domain.suppliers import normalise_kind
from tests.factories import T0, envelope
from tests.unit.test_disruption_notice_times import notice, rendered
from tests.unit.test_supplier_care import DAY, Care, body, run_disruption


@pytest.mark.parametrize(
    "kind",
    ["platform_change", "PLATFORM-CHANGE", "train_platform_change", "train_time_change"],
)
def test_a_platform_change_is_a_train_schedule_change(kind: str) -> None:
    assert normalise_kind(kind) == "train_schedule_change"


def test_a_new_platform_is_material_and_summarised() -> None:
    before = Snapshot(kind="train_schedule_change", details={"platform": "5"})
    after = Snapshot(kind="train_schedule_change", details={"platform": "7"})

    assert material_change(before, after) == "platform now 7"
    assert material_change(after, after) is None
    assert summary_of("train_schedule_change", "G1234", DAY, {"platform": "7"}) == (
        "train platform or schedule change: G1234 on 2026-11-26 (platform 7)"
    )


async def test_each_platform_change_tells_the_train_s_travellers() -> None:
    desk = Care()
    segment = events.BookingSegment(
        kind="train", reference="g 1234", starts_at=datetime.fromisoformat("2026-11-26T07:30+08:00")
    )
    booking = events.BookingUpserted(
        booking_id="bk-rail",
        traveller=Traveller(id="trav-rail", language="zh-Hans"),
        channel=Channel.IN_APP,
        segments=[segment],
        updated_at=T0,
    )
    await desk.care.booking_upserted(envelope(booking))

    change = {"kind": "PLATFORM_CHANGE", "reference": "G1234"}
    await run_disruption(desk, body(**change, details={"platform": "5"}))
    await run_disruption(desk, body(**change, event_id="ca-ev-2", details={"platform": "7"}), 1)

    told = [
        (r.payload.kind, r.payload.details["platform"]) for r in desk.published("proactive.contact")
    ]
    assert told == [("train_schedule_change", "5"), ("train_schedule_change", "7")]
    assert desk.db["supplier_unknown_events"].docs == {}


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "Your train G1234 on 26 Nov 2026 has a platform or schedule change (platform 7)."),
        ("zh-Hans", "您2026年11月26日的列车G1234站台或时刻有变更（站台 7）。"),
        ("zh-Hant", "您2026年11月26日的列車G1234月台或時刻有變更（月台 7）。"),
        ("ja", "2026年11月26日の列車G1234ののりばまたは時刻が変更されました（のりば：7）。"),
    ],
)
def test_the_notice_names_the_new_platform(language: str, said: str) -> None:
    event = notice(language, platform="7").model_copy(
        update={"kind": "train_schedule_change", "reference": "G1234"}
    )

    assert said in rendered(event)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "Platform: 7."),
        ("zh-Hans", "站台：7。"),
        ("zh-Hant", "月台：7。"),
        ("ja", "のりば：7。"),
    ],
)
def test_a_delayed_train_s_new_platform_is_shown(language: str, said: str) -> None:
    event = notice(language, delay_minutes="20", platform="7").model_copy(
        update={"kind": "train_delayed", "reference": "G1234"}
    )

    assert said in rendered(event)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_flight_shows_no_platform(language: str) -> None:
    assert rendered(notice(language, platform="7")) == rendered(notice(language))
