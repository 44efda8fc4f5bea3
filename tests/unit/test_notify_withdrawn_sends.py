"""A withdrawn survey's messages that have not gone out never go out, on any channel.

The withdrawal used to mark only the in-app item: a survey e-mail or IM message still
pending (first attempt, retry, rate-limit slot) went out after it, with a link that
answers 410. Now such a delivery ends ``withdrawn`` (the delivery log shows it). The
dispatcher and the withdrawal both write the delivery, each with a versioned write: a
withdrawal stored before the claim makes the claim lose (nothing is sent); one stored
after it finds the attempt under way, which goes out once and keeps its outcome; a
failed one is neither retried nor handed to the next channel.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx

from contracts import events
from contracts.events import ReplyChannel, Traveller
from runtime.clock import FakeClock
from runtime.store import Repository
from services.notify.channels.registry import Channels
from services.notify.channels.sender import Outgoing, SendFailed
from services.notify.config import NotifySettings
from services.notify.dispatcher import Dispatcher
from services.notify.domain.delivery import Delivery, DeliveryStatus
from services.notify.domain.outcome import Outcome
from services.notify.render import Renderer
from services.notify.service import Notifier
from tests.factories import T0, envelope
from tests.fakes import FakeDatabase, RecordingOutbox
from tests.unit.test_notify_api import ACME, notify_app

LI = Traveller(
    id="trav-42", language="en", email="li@acme.example", preferred_channel=ReplyChannel.EMAIL
)
WITHDRAWN_AT = T0 + timedelta(minutes=5)
SURVEY = "S-TC-9-1"


class Gateway:
    """An e-mail channel that records what it sent; ``during_send`` runs inside the send
    (a withdrawal arriving while the attempt is under way); ``fail`` makes it refuse."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []
        self.during_send: Callable[[], Awaitable[None]] | None = None
        self.fail: Outcome | None = None

    async def send(self, message: Outgoing) -> str | None:
        if self.during_send is not None:
            await self.during_send()
        if self.fail is not None:
            raise SendFailed("gateway said no", self.fail)
        self.sent.append(message)
        return f"<{message.delivery_id}@mail.test>"


class Desk:
    """Notify's consumer side and dispatcher over one in-memory store."""

    def __init__(self, db: FakeDatabase | None = None) -> None:
        self.clock = FakeClock(T0)
        self.outbox = RecordingOutbox()
        deliveries: Repository[Delivery] = Repository(
            db or FakeDatabase(),  # type: ignore[arg-type]
            "deliveries",
            Delivery,
            self.outbox,
            self.clock,
        )
        self.gateway = Gateway()
        channels = Channels(NotifySettings(smtp_host=""), self.clock)
        channels.use(ReplyChannel.EMAIL, self.gateway)
        self.woken: list[str] = []
        self.notifier = Notifier(
            deliveries,
            Renderer(),
            self.clock,
            available=channels.available,
            on_pending=lambda d: self.woken.append(d.id),
        )
        settings = NotifySettings(smtp_host="", rate_limit=1, rate_window_s=300)
        self.dispatcher = Dispatcher(
            deliveries, channels, Renderer(), self.clock, settings, jitter=lambda: 0.0
        )

    async def survey_sent(self, survey_id: str = SURVEY) -> Delivery:
        (delivery,) = await self.notifier.notify(envelope(sent(survey_id), message_id=survey_id))
        return delivery

    async def withdraw(self, survey_id: str = SURVEY) -> None:
        await self.notifier.survey_withdrawn(envelope(withdrawn(survey_id)))

    async def dispatch(self) -> None:
        await self.dispatcher._serve(("acme", LI.id, ReplyChannel.EMAIL))

    async def stored(self, delivery_id: str) -> Delivery:
        found = await self.notifier.deliveries.get("acme", delivery_id)
        assert found is not None
        return found

    async def log(self) -> list[dict[str, Any]]:
        transport = httpx.ASGITransport(app=notify_app(self.notifier, self.clock))
        async with httpx.AsyncClient(transport=transport, base_url="http://notify") as http:
            answer = await http.get("/v1/notifications", params={"ticket_id": "TC-9"}, headers=ACME)
        assert answer.status_code == 200, answer.text
        return list(answer.json()["items"])


def sent(survey_id: str) -> events.SurveySent:
    return events.SurveySent(
        survey_id=survey_id,
        ticket_id="TC-9",
        traveller=LI,
        survey_url=f"https://care.example/v1/surveys/{survey_id}-token",
        sent_at=T0,
    )


def withdrawn(survey_id: str) -> events.SurveyWithdrawn:
    return events.SurveyWithdrawn(
        survey_id=survey_id,
        ticket_id="TC-9",
        traveller=LI,
        reason="reopened",
        withdrawn_at=WITHDRAWN_AT,
    )


async def test_a_pending_survey_mail_ends_withdrawn_and_is_never_sent() -> None:
    desk = Desk()
    delivery = await desk.survey_sent()

    await desk.withdraw()
    await desk.dispatch()

    assert desk.gateway.sent == []
    (entry,) = await desk.log()
    assert (entry["id"], entry["status"]) == (delivery.id, "withdrawn")
    assert (entry["withdrawn_at"], entry["attempts"]) == ("2026-11-25T02:05:00Z", 0)
    assert "notification.failed" not in desk.outbox.routing_keys


async def test_a_survey_mail_waiting_for_its_retry_is_not_retried() -> None:
    desk = Desk()
    delivery = await desk.survey_sent()
    desk.gateway.fail = Outcome.TEMPORARY
    await desk.dispatch()
    assert (await desk.stored(delivery.id)).status is DeliveryStatus.PENDING

    await desk.withdraw()
    desk.gateway.fail = None
    desk.clock.advance(timedelta(hours=1))
    await desk.dispatch()

    assert desk.gateway.sent == []
    stored = await desk.stored(delivery.id)
    assert (stored.status, stored.attempts, stored.due_ms) == (DeliveryStatus.WITHDRAWN, 1, None)


async def test_a_survey_mail_held_for_a_rate_limit_slot_is_not_sent_when_it_opens() -> None:
    desk = Desk()
    await desk.notifier.notify(envelope(sent("S-TC-9-0"), message_id="earlier"))
    await desk.dispatch()  # the one message the window allows
    delivery = await desk.survey_sent()
    await desk.dispatch()
    held = await desk.stored(delivery.id)
    assert (held.status, held.next_attempt_at is not None) == (DeliveryStatus.PENDING, True)

    await desk.withdraw()
    desk.clock.advance(timedelta(minutes=10))
    await desk.dispatch()

    assert [m.delivery_id for m in desk.gateway.sent] != [held.id]
    assert len(desk.gateway.sent) == 1, "only the earlier message"
    assert (await desk.stored(delivery.id)).status is DeliveryStatus.WITHDRAWN


async def test_a_survey_whose_withdrawal_came_first_is_stored_withdrawn_and_never_queued() -> None:
    desk = Desk()
    await desk.withdraw()

    delivery = await desk.survey_sent()
    await desk.dispatch()

    assert desk.woken == [], "the dispatcher is not told of it"
    assert desk.gateway.sent == []
    assert (await desk.stored(delivery.id)).status is DeliveryStatus.WITHDRAWN


async def test_a_withdrawal_between_the_dispatchers_read_and_its_claim_wins() -> None:
    """The dispatcher read the delivery pending; the withdrawal is stored before its claim:
    the claim's versioned write loses and nothing is sent."""
    desk = Desk()
    delivery = await desk.survey_sent()
    deliveries = desk.notifier.deliveries
    save = deliveries.save

    async def withdrawal_first(aggregate: Delivery, *args: Any, **kwargs: Any) -> None:
        if aggregate.status is DeliveryStatus.SENDING and not desk.outbox.messages:
            deliveries.save = save  # type: ignore[method-assign]
            await desk.withdraw()
        await save(aggregate, *args, **kwargs)

    deliveries.save = withdrawal_first  # type: ignore[method-assign]
    await desk.dispatch()

    assert desk.gateway.sent == []
    assert (await desk.stored(delivery.id)).status is DeliveryStatus.WITHDRAWN


async def test_a_withdrawal_after_the_claim_lets_that_attempt_go_out_once_and_keeps_it() -> None:
    """Claimed means under way: the message goes out (its link then answers 410); the log
    says delivered, withdrawn after, though the withdrawal moved the version meanwhile."""
    desk = Desk()
    delivery = await desk.survey_sent()
    desk.gateway.during_send = desk.withdraw

    await desk.dispatch()
    desk.gateway.during_send = None
    desk.clock.advance(timedelta(hours=1))
    await desk.dispatch()

    assert [m.delivery_id for m in desk.gateway.sent] == [delivery.id]
    stored = await desk.stored(delivery.id)
    assert (stored.status, stored.withdrawn_at) == (DeliveryStatus.DELIVERED, WITHDRAWN_AT)
    assert stored.message_id == f"<{delivery.id}@mail.test>"
    assert desk.outbox.routing_keys == ["notification.delivered"]


async def test_an_attempt_under_way_that_fails_is_not_retried_nor_handed_on() -> None:
    for outcome in (Outcome.TEMPORARY, Outcome.PERMANENT):
        desk = Desk()
        delivery = await desk.survey_sent()
        desk.gateway.during_send, desk.gateway.fail = desk.withdraw, outcome

        await desk.dispatch()
        desk.clock.advance(timedelta(hours=1))
        await desk.dispatch()

        stored = await desk.stored(delivery.id)
        assert (stored.status, stored.attempts) == (DeliveryStatus.WITHDRAWN, 1), outcome
        assert stored.next_delivery(desk.clock.now()) is None
        assert desk.outbox.routing_keys == [], "no notification.failed: no fallback"


async def after(turns: int, step: Awaitable[None]) -> None:
    for _ in range(turns):
        await asyncio.sleep(0)
    await step


async def test_whatever_the_interleaving_nothing_goes_out_once_the_state_says_withdrawn() -> None:
    """The dispatcher's claim and the withdrawal race on a store that interleaves them at
    random: either the claim came first (sent once, delivered, marked withdrawn) or the
    withdrawal did (withdrawn, nothing sent); never sent twice, never lost in ``sending``."""
    orders = set()
    for seed in range(150):
        chaos = random.Random(seed)
        desk = Desk(FakeDatabase(chaos))
        delivery = await desk.survey_sent()

        await asyncio.gather(after(chaos.randint(0, 40), desk.dispatch()), desk.withdraw())

        stored = await desk.stored(delivery.id)
        assert stored.withdrawn_at == WITHDRAWN_AT, seed
        if desk.gateway.sent:
            assert len(desk.gateway.sent) == 1, seed
            assert stored.status is DeliveryStatus.DELIVERED, seed
        else:
            assert stored.status is DeliveryStatus.WITHDRAWN, seed
        orders.add(stored.status)
    assert orders == {DeliveryStatus.DELIVERED, DeliveryStatus.WITHDRAWN}


async def test_a_digest_led_by_the_withdrawn_survey_carries_the_others_on() -> None:
    """The survey led a digest with a later reply; withdrawn while that attempt was under
    way, which then failed: the digest is retried, not ended, so the reply is not lost."""
    desk = Desk()
    await desk.notifier.notify(envelope(sent("S-TC-9-0"), message_id="earlier"))
    await desk.dispatch()  # the window's one slot
    survey = await desk.survey_sent()
    desk.clock.advance(timedelta(seconds=1))
    reply = events.TicketReplied(
        ticket_id="TC-9", channel=events.Channel.EMAIL, traveller=LI, author="agent-7",
        message="an update", first_response=False, replied_at=T0,
    )  # fmt: skip
    (update,) = await desk.notifier.notify(envelope(reply, message_id="r1"))
    desk.clock.advance(timedelta(minutes=10))
    desk.gateway.during_send, desk.gateway.fail = desk.withdraw, Outcome.TEMPORARY

    await desk.dispatch()
    desk.gateway.during_send, desk.gateway.fail = None, None
    desk.clock.advance(timedelta(minutes=10))
    await desk.dispatch()

    assert [m.delivery_id for m in desk.gateway.sent][1:] == [survey.id]
    assert "an update" in desk.gateway.sent[-1].body
    assert (await desk.stored(update.id)).status is DeliveryStatus.DIGESTED
