"""The ticket view's timeline: the ticket's own steps with notify's delivered notices merged in."""

from __future__ import annotations

from datetime import timedelta

from contracts import events
from services.intake.domain.deliveries import Delivered, with_deliveries
from tests.factories import T0, TRAVELLER
from tests.unit.test_ticket import opened_ticket


def delivered(template: str, after: timedelta, **extra: object) -> Delivered:
    return Delivered.model_validate(
        {
            "recipient": TRAVELLER.id,
            "channel": "email",
            "template": template,
            "language": "en",
            "delivered_at": (T0 + after).isoformat(),
            **extra,
        }
    )


def test_each_delivered_notice_is_a_step_in_time_order_after_what_caused_it() -> None:
    ticket = opened_ticket()
    steps = with_deliveries(
        ticket.timeline,
        [
            delivered("ticket_routed", timedelta(seconds=9)),
            delivered("ticket_acknowledged", timedelta(0)),
        ],
    )
    kinds = [s.kind for s in steps]
    assert kinds.count("notified") == 2
    assert steps[-1].summary == "ticket_routed delivered via email"
    assert [s.at for s in steps] == sorted(s.at for s in steps)
    first_notice = kinds.index("notified")
    assert "acknowledged" in kinds[:first_notice], "a tie keeps the ticket's step first"


def test_a_skipped_channel_and_its_fallback_are_on_the_timeline() -> None:
    skipped = [events.SkippedChannel(channel="wecom", reason="no wecom gateway configured")]
    step = with_deliveries(
        [],
        [
            delivered(
                "ticket_acknowledged",
                timedelta(seconds=1),
                channel="in_app",
                skipped=[s.model_dump() for s in skipped],
            )
        ],
    )[0]
    assert step.summary == (
        "ticket_acknowledged delivered via in_app "
        "(wecom skipped: no wecom gateway configured; fell back to in_app)"
    )
    assert step.details == {
        "recipient": TRAVELLER.id,
        "language": "en",
        "skipped": "wecom skipped: no wecom gateway configured",
    }


def test_a_naive_time_read_back_from_the_store_sorts_as_utc() -> None:
    ticket = opened_ticket()
    naive = [s.model_copy(update={"at": s.at.replace(tzinfo=None)}) for s in ticket.timeline]
    steps = with_deliveries(naive, [delivered("ticket_routed", timedelta(seconds=-1))])
    assert steps[0].kind == "notified"
