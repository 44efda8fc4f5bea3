"""A traveller's mail answers only mail their mailbox really holds.

A proactive ticket (opened by a supplier's disruption, no contact from the traveller) has no
acknowledgement, yet its notices answered the acknowledgement's Message-ID: a thread root
that was never sent. Now the first mail of a thread answers nothing (or the traveller's
own e-mail that opened the ticket), and every later one the first mail notify really
delivered to that address, as its delivery log recorded it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import pytest

from contracts import events
from contracts.envelope import Event
from contracts.events import Channel, NextStep, ReplyChannel, Traveller
from runtime.clock import FakeClock
from runtime.store import Repository
from services.notify.channels.mail_thread import MailThreads, Thread, compose
from services.notify.channels.registry import Channels
from services.notify.config import NotifySettings
from services.notify.dispatcher import Dispatcher
from services.notify.domain.delivery import Delivery
from services.notify.render import Renderer
from services.notify.service import Notifier
from tests.factories import T0, envelope
from tests.fakes import FakeDatabase, RecordingOutbox
from tests.unit.test_mail_thread_headers import ACK, DOMAIN, SENDER

TICKET = "TC-ABCDEFGHIJKL"
ANCHOR = f"<{TICKET}@{DOMAIN}>"
THEIRS = "<CAF=first@mail.acme.example>"
AIKO = Traveller(
    id="trav-1", name="Aiko", language="ja", email="aiko@acme.example", preferred_channel="email"
)


def disruption() -> events.DisruptionNotice:
    return events.DisruptionNotice(
        ticket_id=TICKET,
        incident_id="INC-1",
        revision=1,
        channel=Channel.EMAIL,
        traveller=AIKO,
        kind="flight_cancelled",
        reference="CA1501",
        service_date=date(2026, 11, 26),
        departs_at=datetime.fromisoformat("2026-11-26T06:30:00+00:00"),
        next_step=NextStep.REBOOKING,
        tracking_url="https://care.example/v1/track/x",
        sent_at=T0,
    )


def acknowledged(answers: str | None) -> events.TicketAcknowledged:
    return events.TicketAcknowledged(
        ticket_id=TICKET,
        channel=Channel.EMAIL,
        traveller=AIKO,
        tracking_url="https://care.example/v1/track/x",
        acknowledged_at=T0,
        email_message_id=answers,
    )


def replied(text: str) -> events.TicketReplied:
    return events.TicketReplied(
        ticket_id=TICKET,
        channel=Channel.EMAIL,
        traveller=AIKO,
        message=text,
        author="agent-7",
        first_response=False,
        replied_at=T0 + timedelta(minutes=5),
    )


class Desk:
    """Notify on the in-memory store, its SMTP server a list of the mails handed to it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.clock = FakeClock(T0)
        self.sent: list[EmailMessage] = []
        self.deliveries: Repository[Delivery] = Repository(
            FakeDatabase(),  # type: ignore[arg-type]
            "deliveries",
            Delivery,
            RecordingOutbox(),
            self.clock,
        )
        settings = NotifySettings(smtp_host="smtp.test", mail_domain=DOMAIN)

        async def send(mail: EmailMessage, **_: Any) -> None:
            self.sent.append(mail)

        monkeypatch.setattr(aiosmtplib, "send", send)
        channels = Channels(
            settings, self.clock, mail_domain=DOMAIN, deliveries=self.deliveries.collection
        )
        self.notifier = Notifier(
            self.deliveries, Renderer(), self.clock, available=channels.available
        )
        self.dispatcher = Dispatcher(
            self.deliveries, channels, Renderer(), self.clock, settings, jitter=lambda: 0.0
        )

    async def tell(self, event: Event) -> EmailMessage:
        """Take the event, send what is due, and answer the one mail it made."""
        before = len(self.sent)
        await self.notifier.notify(envelope(event))
        self.clock.advance(timedelta(minutes=10))  # past the rate limit's window
        await self.dispatcher._serve(("acme", AIKO.id, ReplyChannel.EMAIL))
        [mail] = self.sent[before:]
        return mail


async def test_a_proactive_tickets_first_mail_answers_no_mail_never_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = Desk(monkeypatch)

    notice = await desk.tell(disruption())

    assert notice["In-Reply-To"] is None
    assert notice["References"] is None
    assert f"[{TICKET}]" in notice["Subject"]


async def test_later_mails_of_a_proactive_ticket_answer_its_first_mail_as_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = Desk(monkeypatch)
    notice = await desk.tell(disruption())

    reply = await desk.tell(replied("We moved you to CA1503."))
    again = await desk.tell(replied("Your new boarding pass is attached."))

    first = notice["Message-ID"]
    assert first != ANCHOR
    assert (reply["In-Reply-To"], reply["References"]) == (first, first)
    assert (again["In-Reply-To"], again["References"]) == (first, first)
    stored = await desk.deliveries.collection.find_one({"template": "disruption_notice"})
    assert stored is not None
    assert stored["message_id"] == first, "the log keeps what was sent"


async def test_a_ticket_opened_by_mail_keeps_one_conversation_under_the_travellers_mail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Their client shows one conversation: every mail references their own, the later ones
    answering our acknowledgement, as sent."""
    desk = Desk(monkeypatch)
    ack = await desk.tell(acknowledged(THEIRS))

    reply = await desk.tell(replied("We moved you to CA1503."))

    assert (ack["Message-ID"], ack["In-Reply-To"], ack["References"]) == (ANCHOR, THEIRS, THEIRS)
    assert reply["In-Reply-To"] == ANCHOR
    assert reply["References"] == f"{THEIRS} {ANCHOR}"


async def test_a_reply_whose_acknowledgement_was_never_mailed_answers_the_travellers_mail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The acknowledgement went to the in-app inbox (or was never sent): the agent's reply
    by mail is the thread's first, under the traveller's own mail, never under our anchor."""
    desk = Desk(monkeypatch)
    await desk.notifier.notify(
        envelope(
            acknowledged(THEIRS).model_copy(
                update={
                    "traveller": AIKO.model_copy(update={"preferred_channel": ReplyChannel.IN_APP})
                }
            )
        )
    )

    reply = await desk.tell(replied("We moved you to CA1503."))

    assert (reply["In-Reply-To"], reply["References"]) == (THEIRS, THEIRS)


def test_the_first_mail_of_a_thread_answers_only_the_travellers_own() -> None:
    routed = replace(ACK, template="ticket_routed", answers=None)

    assert compose(routed, SENDER, DOMAIN)["In-Reply-To"] is None
    with_theirs = compose(routed, SENDER, DOMAIN, Thread(opened_by=THEIRS))
    assert (with_theirs["In-Reply-To"], with_theirs["References"]) == (THEIRS, THEIRS)
    api_contact = compose(routed, SENDER, DOMAIN, Thread(opened_by="kb-1"))
    assert api_contact["In-Reply-To"] is None


def test_a_mail_never_answers_itself() -> None:
    """The acknowledgement to a traveller and their booker share the anchor."""
    mail = compose(ACK, SENDER, DOMAIN, Thread(root=ANCHOR, opened_by=THEIRS))

    assert (mail["In-Reply-To"], mail["References"]) == ("<first@acme.example>",) * 2


async def test_an_acknowledgement_opens_its_thread_without_reading_the_log() -> None:
    """Every e-mailed contact is acknowledged: the thread's first mail costs no store read."""

    class Unread:
        def find(self, *args: object, **kwargs: object) -> object:
            raise AssertionError("the delivery log was read")

        async def find_one(self, *args: object, **kwargs: object) -> object:
            raise AssertionError("the delivery log was read")

    assert await MailThreads(Unread()).of(ACK) == Thread()  # type: ignore[arg-type]
