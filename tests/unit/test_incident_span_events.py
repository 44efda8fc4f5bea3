"""``incident.opened`` and ``incident.updated`` carry a hotel span's last night. Outside
subscribers (a travel-risk desk, a status page) read those events only, and learned of a
three-night closure as its first night alone, and never of the span growing or shrinking.
The field is optional, so a message without it still reads (no new schema version)."""

from __future__ import annotations

from datetime import date

from contracts import events
from contracts.events import NextStep
from services.routing.care.domain.incidents import TenantIncident
from tests.factories import T0

FIRST, LAST = date(2026, 11, 26), date(2026, 11, 28)


def closed(revision: int, last: date | None) -> events.DisruptionRevised:
    return events.DisruptionRevised(
        incident_id="INC-H",
        partner="hilton",
        kind="hotel_closed",
        resource="hotel",
        reference="SHA-HILTON-01",
        service_date=FIRST,
        last_service_date=last,
        revision=revision,
        material=True,
        next_step=NextStep.REBOOKING,
        summary="hotel closed: SHA-HILTON-01",
        reported_at=T0,
    )


def test_the_opened_and_updated_events_carry_the_span() -> None:
    view = TenantIncident.open("acme", closed(1, LAST), 0, T0)
    view.revise(closed(1, LAST), 2, T0)
    view.revise(closed(2, date(2026, 11, 27)), 2, T0)

    raised = view.take_events()
    [opened] = [e for e in raised if isinstance(e, events.IncidentOpened)]
    updated = [e for e in raised if isinstance(e, events.IncidentUpdated)]
    assert opened.last_service_date == LAST
    assert [u.last_service_date for u in updated] == [LAST, date(2026, 11, 27)]


def test_one_night_carries_none() -> None:
    view = TenantIncident.open("acme", closed(1, None), 0, T0)
    view.revise(closed(1, None), 1, T0)
    assert all(
        e.last_service_date is None
        for e in view.take_events()
        if isinstance(e, events.IncidentOpened | events.IncidentUpdated)
    )


def test_a_message_without_the_span_still_reads() -> None:
    opened = events.IncidentOpened.model_validate(
        {"incident_id": "INC-H", "kind": "hotel_closed", "reference": "SHA-HILTON-01",
         "service_date": "2026-11-26", "affected": 1, "opened_at": T0.isoformat()}
    )  # fmt: skip
    assert opened.last_service_date is None
    assert events.IncidentOpened.schema_version == events.IncidentUpdated.schema_version == 1
