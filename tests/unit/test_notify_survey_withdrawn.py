"""Notify and a withdrawn survey: the traveller's inbox item shows it withdrawn (no longer
actionable), in whichever order ``survey.sent`` and ``survey.withdrawn`` arrive (they
travel on separate queues), and nobody is sent anything for it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from contracts import events
from runtime.clock import FakeClock
from services.notify import store
from services.notify.domain.delivery import Delivery
from services.notify.domain.notices import notices_for
from services.notify.domain.recipients import Directory
from services.notify.render import Renderer
from services.notify.service import Notifier
from tests.factories import T0, TRAVELLER, envelope
from tests.fakes import RecordingOutbox
from tests.unit.test_handlers import repository
from tests.unit.test_notify_api import gateway, notify_app

WITHDRAWN_AT = T0 + timedelta(minutes=5)


def sent(survey_id: str = "S-TC-9-1") -> events.SurveySent:
    return events.SurveySent(
        survey_id=survey_id,
        ticket_id="TC-9",
        traveller=TRAVELLER,
        survey_url=f"https://care.example/v1/surveys/{survey_id}-token",
        sent_at=T0,
    )


def withdrawn(survey_id: str = "S-TC-9-1") -> events.SurveyWithdrawn:
    return events.SurveyWithdrawn(
        survey_id=survey_id,
        ticket_id="TC-9",
        traveller=TRAVELLER,
        reason="reopened",
        withdrawn_at=WITHDRAWN_AT,
    )


def test_a_withdrawal_tells_nobody() -> None:
    assert notices_for(withdrawn(), "acme", Directory()) == []


def test_a_delivery_keeps_the_first_withdrawal() -> None:
    delivery = Delivery.model_validate(
        {"_id": "N-1", "tenant_id": "acme", "ticket_id": "TC-9", "recipient": "trav-42",
         "channel": "in_app", "template": "survey", "language": "en", "subject": "s",
         "body": "b", "status": "delivered", "source_message_id": "m-1", "created_at": T0}
    )  # fmt: skip
    delivery.withdraw(WITHDRAWN_AT)
    delivery.withdraw(WITHDRAWN_AT + timedelta(hours=1))
    assert delivery.withdrawn_at == WITHDRAWN_AT


async def inbox(notifier: Notifier) -> dict[str, dict[str, Any]]:
    """The traveller's survey items as the app reads them, by survey link."""
    transport = httpx.ASGITransport(app=notify_app(notifier, FakeClock(T0)))
    async with httpx.AsyncClient(transport=transport, base_url="http://notify") as http:
        items = (await http.get(f"/v1/inbox/{TRAVELLER.id}", headers=gateway())).json()
    return {item["link"].rsplit("/", 1)[1]: item for item in items}


def notifier() -> Notifier:
    return Notifier(repository(Delivery, RecordingOutbox()), Renderer(), FakeClock(T0))


async def test_the_inbox_shows_a_survey_withdrawn_after_it_was_sent() -> None:
    notify = notifier()
    await notify.notify(envelope(sent("S-TC-9-1"), message_id="sent-1"))
    await notify.notify(envelope(sent("S-TC-9-2"), message_id="sent-2"))

    for _ in range(2):  # delivered twice: nothing more
        await notify.survey_withdrawn(envelope(withdrawn("S-TC-9-1"), message_id="w-1"))

    items = await inbox(notify)
    assert len(items) == 2, "nothing was sent for the withdrawal"
    assert items["S-TC-9-1-token"]["withdrawn_at"] is not None
    assert items["S-TC-9-2-token"]["withdrawn_at"] is None, "the other survey stays open"


async def test_a_withdrawal_that_arrives_before_its_survey_still_withdraws_it() -> None:
    notify = notifier()

    await notify.survey_withdrawn(envelope(withdrawn(), message_id="w-1"))
    await notify.notify(envelope(sent(), message_id="sent-1"))

    (item,) = (await inbox(notify)).values()
    assert (item["template"], item["withdrawn_at"]) == ("survey", "2026-11-25T02:05:00Z")


async def test_withdrawals_are_kept_for_their_surveys_lifetime_then_forgotten() -> None:
    """``withdrawn_surveys`` got one document per withdrawal forever; now the cleanup drops
    those past ``WITHDRAWN_SURVEY_KEEP`` (a survey link's 14 days): no survey.sent or
    fallback that late can still offer a survey that works."""
    notify = notifier()
    now = notify.clock.now()
    for survey_id, days in (("S-old", 15), ("S-recent", 13)):
        event = withdrawn(survey_id).model_copy(update={"withdrawn_at": now - timedelta(days)})
        await notify.survey_withdrawn(envelope(event, message_id=survey_id))

    assert await notify.forget_withdrawn_surveys() == 1
    assert await notify.forget_withdrawn_surveys() == 0

    kept = notify.deliveries.collection.database[store.WITHDRAWN_SURVEYS]
    assert [doc["_id"] async for doc in kept.find({})] == ["acme/S-recent"]
