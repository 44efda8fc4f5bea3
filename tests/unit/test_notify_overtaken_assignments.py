"""A notice that a ticket is yours goes out only while it is.

A ticket assigned to agent A and moved on before A's push went out (it waited for a retry,
a rate-limit slot, or was to be folded into a digest) — reassigned to B, transferred to a
queue, or resolved — still told A "TC-1 has been assigned to you". Notify now keeps the
newest holder the events it takes name (``ticket.routed``, ``ticket.transferred``,
``ticket.resolved``), and the dispatcher ends such a notice ``overtaken`` instead of
sending it, alone or in a digest.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts import events
from contracts.envelope import Event
from contracts.events import ReplyChannel, Traveller
from runtime.clock import FakeClock
from runtime.store import Repository
from services.notify.channels.registry import Channels
from services.notify.channels.sender import Outgoing, SendFailed
from services.notify.config import NotifySettings
from services.notify.dispatcher import Dispatcher
from services.notify.domain.assignment import Holder, holder_after, overtaken
from services.notify.domain.delivery import Delivery, DeliveryStatus
from services.notify.domain.notice import Notice, Rendered
from services.notify.domain.outcome import Outcome
from services.notify.domain.recipients import Directory, Role
from services.notify.domain.route import Hop
from services.notify.domain.templates import ASSIGNED, SLA_WARNING
from services.notify.render import Renderer
from services.notify.service import Notifier
from tests.factories import T0, TRAVELLER, envelope
from tests.fakes import FakeDatabase, RecordingOutbox
from tests.unit.test_notify import routed, transferred

SATO = Traveller(
    id="agent-7", language="en", email="sato@desk.example", preferred_channel=ReplyChannel.EMAIL
)
KIM = Traveller(
    id="agent-9", language="en", email="kim@desk.example", preferred_channel=ReplyChannel.EMAIL
)
MINUTES_2 = timedelta(minutes=2)
DIRECTORY = Directory(agents={SATO.id: SATO, KIM.id: KIM})


def resolved(at_minutes: int) -> events.TicketResolved:
    return events.TicketResolved(
        ticket_id="TC-1",
        channel=events.Channel.EMAIL,
        traveller=TRAVELLER,
        resolution_code="answered",
        message="Done.",
        resolved_by="agent-7",
        opened_at=T0,
        first_response_at=T0,
        resolved_at=T0 + timedelta(minutes=at_minutes),
        resolution_count=1,
    )


def assigned(assignee: str | None, at_minutes: int = 0, ticket_id: str = "TC-1") -> Event:
    event = routed(assignee=assignee)
    later = T0 + timedelta(minutes=at_minutes)
    return event.model_copy(update={"ticket_id": ticket_id, "routed_at": later})


# The pure rule


def delivery(template: str = ASSIGNED, recipient: Traveller = SATO) -> Delivery:
    notice = Notice("TC-1", recipient, template, {}, Role.AGENT)
    hops = [Hop(channel=ReplyChannel.EMAIL, address=recipient.email or "")]
    told = Rendered("en", "TC-1 assigned to you", "…")
    return Delivery.create("acme", notice, told, hops, source_message_id="m-1", now=T0)


def test_the_holder_after_each_event_that_says_who_holds_the_ticket() -> None:
    later = T0 + timedelta(minutes=5)
    assert holder_after(assigned("agent-9", 5)) == Holder("TC-1", "agent-9", later)
    assert holder_after(assigned(None, 5)) == Holder("TC-1", None, later)
    to_queue = transferred(to_assignee=None, transferred_at=later)
    assert holder_after(to_queue) == Holder("TC-1", None, later)
    assert holder_after(resolved(5)) == Holder("TC-1", None, later)


@pytest.mark.parametrize(
    ("holder", "stale"),
    [
        (None, False),  # no holder known yet: the notice is what notify knows
        (Holder("TC-1", "agent-7", T0), False),
        (Holder("TC-1", "agent-9", T0), True),  # reassigned
        (Holder("TC-1", None, T0), True),  # back in a queue, or resolved
    ],
)
def test_an_assignment_notice_is_overtaken_once_the_ticket_is_someone_elses(
    holder: Holder | None, stale: bool
) -> None:
    assert overtaken(delivery(), holder) is stale


def test_only_a_pending_notice_of_an_assignment_can_be_overtaken() -> None:
    nobody = Holder("TC-1", None, T0)
    assert not overtaken(delivery(SLA_WARNING), nobody)
    sent = delivery()
    sent.claim(T0, timedelta(seconds=30))
    assert not overtaken(sent, nobody)


# Through the consumer and the dispatcher


class Mailer:
    def __init__(self) -> None:
        self.sent: list[Outgoing] = []
        self.fail: Outcome | None = None

    async def send(self, message: Outgoing) -> str | None:
        if self.fail is not None:
            raise SendFailed("gateway said no", self.fail)
        self.sent.append(message)
        return f"<{message.delivery_id}@mail.test>"


class Desk:
    def __init__(self, rate_limit: int = 3) -> None:
        self.clock = FakeClock(T0)
        deliveries: Repository[Delivery] = Repository(
            FakeDatabase(),  # type: ignore[arg-type]
            "deliveries",
            Delivery,
            RecordingOutbox(),
            self.clock,
        )
        self.mailer = Mailer()
        channels = Channels(NotifySettings(smtp_host=""), self.clock)
        channels.use(ReplyChannel.EMAIL, self.mailer)
        self.notifier = Notifier(
            deliveries, Renderer(), self.clock, directory=DIRECTORY, available=channels.available
        )
        settings = NotifySettings(smtp_host="", rate_limit=rate_limit, rate_window_s=300)
        self.dispatcher = Dispatcher(
            deliveries, channels, Renderer(), self.clock, settings, jitter=lambda: 0.0
        )

    async def take(self, event: Event, message_id: str) -> list[Delivery]:
        """The deliveries to staff the event added (the traveller's are beside the point)."""
        added = await self.notifier.notify(envelope(event, message_id=message_id))
        return [d for d in added if d.role is Role.AGENT]

    async def dispatch(self, agent: Traveller) -> None:
        await self.dispatcher._serve(("acme", agent.id, ReplyChannel.EMAIL))

    async def status(self, delivery_id: str) -> DeliveryStatus:
        found = await self.notifier.deliveries.get("acme", delivery_id)
        assert found is not None
        return found.status

    def subjects(self) -> list[str]:
        return [m.subject for m in self.mailer.sent]


async def sato_assigned(desk: Desk) -> Delivery:
    (notice,) = await desk.take(assigned(SATO.id), "routed-1")
    return notice


@pytest.mark.parametrize(
    "moved_on",
    [
        assigned(KIM.id, 2),
        assigned(None, 2),
        transferred(from_assignee=SATO.id, to_assignee=None, transferred_at=T0 + MINUTES_2),
        resolved(2),
    ],
    ids=["reassigned", "unassigned", "transferred-to-a-queue", "resolved"],
)
async def test_a_notice_waiting_for_its_retry_is_not_sent_once_the_ticket_moved_on(
    moved_on: Event,
) -> None:
    desk = Desk()
    notice = await sato_assigned(desk)
    desk.mailer.fail = Outcome.TEMPORARY
    await desk.dispatch(SATO)
    assert await desk.status(notice.id) is DeliveryStatus.PENDING

    await desk.take(moved_on, "moved-on")
    desk.mailer.fail = None
    desk.clock.advance(timedelta(hours=1))
    await desk.dispatch(SATO)

    assert desk.mailer.sent == []
    assert await desk.status(notice.id) is DeliveryStatus.OVERTAKEN


async def test_the_new_assignee_is_told_and_the_old_one_is_not() -> None:
    desk = Desk()
    sato = await sato_assigned(desk)
    (kim,) = await desk.take(assigned(KIM.id, 2), "routed-2")

    await desk.dispatch(SATO)
    await desk.dispatch(KIM)

    assert [m.recipient for m in desk.mailer.sent] == [KIM.id]
    assert await desk.status(sato.id) is DeliveryStatus.OVERTAKEN
    assert await desk.status(kim.id) is DeliveryStatus.DELIVERED


async def test_an_assignment_taken_after_a_newer_one_is_never_sent() -> None:
    """The bus keeps no order: the older routing, taken last, does not make it current."""
    desk = Desk()
    await desk.take(assigned(KIM.id, 2), "routed-2")
    sato = await sato_assigned(desk)

    await desk.dispatch(SATO)

    assert desk.mailer.sent == []
    assert await desk.status(sato.id) is DeliveryStatus.OVERTAKEN


async def test_a_re_route_keeping_the_agent_leaves_their_notice_current() -> None:
    desk = Desk()
    sato = await sato_assigned(desk)
    await desk.take(assigned(SATO.id, 2).model_copy(update={"rule": "urgency-raised"}), "r-2")

    await desk.dispatch(SATO)

    assert await desk.status(sato.id) is DeliveryStatus.DELIVERED


async def test_an_overtaken_notice_is_left_out_of_the_digest_and_the_rest_goes_out() -> None:
    desk = Desk(rate_limit=1)
    await desk.take(assigned(SATO.id, 0, "TC-0"), "routed-0")
    await desk.dispatch(SATO)  # the one message the window allows
    held = await sato_assigned(desk)
    (other,) = await desk.take(assigned(SATO.id, 1, "TC-2"), "routed-3")
    await desk.dispatch(SATO)  # both held for the next slot
    await desk.take(resolved(2), "resolved-1")

    desk.clock.advance(timedelta(minutes=10))
    await desk.dispatch(SATO)

    assert len(desk.mailer.sent) == 2
    assert "TC-2" in desk.mailer.sent[-1].subject
    assert "TC-1" not in desk.mailer.sent[-1].body
    assert await desk.status(held.id) is DeliveryStatus.OVERTAKEN
    assert await desk.status(other.id) is DeliveryStatus.DELIVERED
