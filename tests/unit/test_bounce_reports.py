"""A bounce of one of our notices reaches notify (``notification.bounced``): intake reads the
delivery status report, records the bounce on its ticket and tells notify which mail came back
and why; a delay report, a read receipt or a redelivered bounce tells nothing more."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts.events import Channel, ContactReceived, Traveller
from contracts.mail import anchor_message_id, ticket_message_id
from services.intake.channels import normalise
from services.intake.domain.bounces import bounce_notice, report_title
from services.intake.service import Intake, Outcome
from tests.factories import T0
from tests.fakes import RecordingOutbox
from tests.unit.test_automatic_mail import events_of
from tests.unit.test_mail_threading import DOMAIN, desk, mail, receive

DIAGNOSTIC = "smtp; 550 5.1.1 <li.lei@acme.example>: Recipient address rejected: User unknown"


def report(
    returned_id: str,
    *,
    action: str = "failed",
    status: str = "5.1.1",
    report_type: str = "delivery-status",
    bounce_id: str = "<bounce-1@mx.acme.example>",
    delivery_id: str | None = None,
) -> bytes:
    """A delivery status notification as Postfix writes it, its diagnostic folded."""
    folded = DIAGNOSTIC.replace(" Recipient", "\r\n    Recipient")
    returned = f"X-TripCare-Delivery-Id: {delivery_id}\r\n" if delivery_id else ""
    return (
        "From: MAILER-DAEMON@mx.acme.example (Mail Delivery System)\r\n"
        "To: support@tripcare.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {bounce_id}\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type={report_type}; boundary="R"\r\n'
        "\r\n--R\r\nContent-Type: text/plain\r\n\r\n"
        "This is the mail system. Your message could not be delivered.\r\n"
        "\r\n--R\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.acme.example\r\n\r\n"
        "Final-Recipient: rfc822; li.lei@acme.example\r\n"
        f"Original-Recipient: rfc822;li.lei@acme.example\r\nAction: {action}\r\n"
        f"Status: {status}\r\nDiagnostic-Code: {folded}\r\n"
        "\r\n--R\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "From: support@tripcare.test\r\n"
        f"Message-ID: {returned_id}\r\n{returned}"
        "Subject: [TC-X] Your request is with our air team\r\n"
        "\r\n--R--\r\n"
    ).encode()


async def opened_notice() -> tuple[Intake, RecordingOutbox, str, str]:
    intake, clock, outbox = desk()
    ticket, _ = await receive(intake, mail("<first@acme.example>"))
    clock.advance(timedelta(minutes=5))
    return intake, outbox, ticket.id, ticket_message_id(ticket.id, "N-routed", DOMAIN)


async def test_a_bounce_of_our_notice_tells_notify_which_mail_came_back_and_why() -> None:
    intake, outbox, ticket_id, notice = await opened_notice()

    kept, outcome = await receive(intake, report(notice))

    assert (outcome, kept.id, kept.timeline[-1].kind) == (Outcome.RECORDED, ticket_id, "bounce")
    assert kept.timeline[-1].summary == "Delivery failure report received on email: not answered"
    (bounced,) = events_of(outbox, "notification.bounced")
    assert bounced["ticket_id"] == ticket_id
    assert bounced["message_id"] == notice
    assert (bounced["recipient"], bounced["status"]) == ("li.lei@acme.example", "5.1.1")
    assert bounced["diagnostic"] == DIAGNOSTIC


async def test_a_redelivered_bounce_tells_notify_once() -> None:
    intake, outbox, _, notice = await opened_notice()

    await receive(intake, report(notice))
    _, outcome = await receive(intake, report(notice))

    assert outcome is Outcome.DUPLICATE
    assert len(events_of(outbox, "notification.bounced")) == 1


async def test_a_delay_report_or_a_read_receipt_is_recorded_but_is_no_failure() -> None:
    intake, outbox, _, notice = await opened_notice()

    await receive(intake, report(notice, action="delayed", status="4.4.7"))
    receipt = report(notice, report_type="disposition-notification", bounce_id="<mdn@x.example>")
    read, _ = await receive(intake, receipt)

    assert [entry.kind for entry in read.timeline[-2:]] == ["bounce", "bounce"]
    assert [entry.summary for entry in read.timeline[-2:]] == [
        "Delivery delay report received on email: not answered",
        "Read receipt received on email: not answered",
    ]
    assert events_of(outbox, "notification.bounced") == []


async def test_a_bounce_without_a_report_names_the_mail_it_answers() -> None:
    """A MAILER-DAEMON's plain-text bounce: a failure, with no status to tell."""
    intake, outbox, _, notice = await opened_notice()
    raw = mail(
        "<plain-bounce@mx.acme.example>",
        sender="MAILER-DAEMON@mx.acme.example",
        subject="failure notice",
        in_reply_to=notice,
        text="Sorry, I could not deliver your message to li.lei@acme.example.",
    )

    await receive(intake, raw)

    (bounced,) = events_of(outbox, "notification.bounced")
    assert bounced["message_id"] == notice
    assert (bounced["recipient"], bounced["status"], bounced["diagnostic"]) == (None, None, None)


@pytest.mark.parametrize("status_part", ["delivery-status", "global-delivery-status"])
def test_the_report_is_kept_in_the_contacts_metadata(status_part: str) -> None:
    raw = report("<TC-X.N-1@mail.tripcare.test>").replace(
        b"message/delivery-status", f"message/{status_part}".encode()
    )
    contact = normalise(Channel.EMAIL, raw, T0)

    assert {k: v for k, v in contact.metadata.items() if k.startswith(("dsn_", "report"))} == {
        "report_type": "delivery-status",
        "dsn_action": "failed",
        "dsn_status": "5.1.1",
        "dsn_diagnostic": DIAGNOSTIC,
        "dsn_recipient": "li.lei@acme.example",
    }


def test_a_bounce_told_by_a_gateway_is_cut_to_the_events_bounds() -> None:
    """A ready contact.received may carry any metadata: the event is built within bounds."""
    contact = ContactReceived(
        channel=Channel.EMAIL,
        channel_message_id="<b@mx.example>",
        traveller=Traveller(id="email:mailer-daemon@mx.example"),
        text="returned",
        metadata={
            "automatic": "bounce",
            "in_reply_to": "junk <TC-X.N-1@mail.tripcare.test> more",
            "dsn_status": "5" * 100,
            "dsn_diagnostic": "x" * 2_000,
        },
        received_at=T0,
    )

    bounced = bounce_notice(contact, "TC-X", T0)

    assert bounced is not None
    assert bounced.message_id == "<TC-X.N-1@mail.tripcare.test>"
    assert (len(bounced.status or ""), len(bounced.diagnostic or "")) == (32, 1_000)
    assert bounce_notice(contact.model_copy(update={"metadata": {}}), "TC-X", T0) is None


def test_the_anchor_is_a_notice_too_when_the_report_returns_its_delivery_id() -> None:
    """The acknowledgement's Message-ID is the ticket's anchor, which anyone can write: its
    bounce tells notify the delivery id the returned headers carry, which proves the mail."""
    anchor = anchor_message_id("TC-ABCDEFGHIJKL", DOMAIN)
    contact = normalise(Channel.EMAIL, report(anchor, delivery_id="N-0123456789abcdef0123"), T0)

    bounced = bounce_notice(contact, "TC-ABCDEFGHIJKL", T0)

    assert bounced is not None
    assert (bounced.message_id, bounced.delivery_id) == (anchor, "N-0123456789abcdef0123")
    assert report_title(contact) == "Delivery failure report"


async def test_a_forged_bounce_naming_only_the_thread_id_is_unverified_and_told_to_nobody() -> None:
    """The thread id comes from the public ticket id: a bounce naming only it (no mail of
    ours returned) is kept for staff, and notify gives up no channel for it."""
    intake, outbox, ticket_id, _ = await opened_notice()

    kept, outcome = await receive(intake, report(anchor_message_id(ticket_id, DOMAIN)))

    assert (outcome, kept.id, kept.timeline[-1].kind) == (Outcome.RECORDED, ticket_id, "bounce")
    assert kept.timeline[-1].summary == "Unverified bounce report received on email: not answered"
    assert events_of(outbox, "notification.bounced") == []


FAILURE, DELAY, STATUS = (
    "Delivery failure report",
    "Delivery delay report",
    "Delivery status report",
)


@pytest.mark.parametrize(
    ("report_type", "action", "title", "told"),
    [
        (None, None, FAILURE, True),
        ("delivery-status", "failed", FAILURE, True),
        ("delivery-status", "Failed", FAILURE, True),
        (None, "failed", FAILURE, True),
        ("delivery-status", "delayed", DELAY, False),
        (None, "Delayed", DELAY, False),
        ("delivery-status", "delivered", STATUS, False),
        ("delivery-status", "relayed", STATUS, False),
        ("disposition-notification", None, "Read receipt", False),
        ("disposition-notification", "failed", "Read receipt", False),
        ("feedback-report", "failed", FAILURE, False),
        ("feedback-report", "delayed", DELAY, False),
    ],
)
def test_the_timeline_and_notify_read_the_same_report(
    report_type: str | None, action: str | None, title: str, told: bool
) -> None:
    """The timeline's wording and whether notify hears of a failure, per report type and
    action: only a delivery status report (or a bare MAILER-DAEMON text) of a failure is."""
    read = {"report_type": report_type, "dsn_action": action}
    contact = ContactReceived(
        channel=Channel.EMAIL,
        channel_message_id="<r@mx.example>",
        traveller=Traveller(id="email:mailer-daemon@mx.example"),
        text="report",
        metadata={
            "automatic": "bounce",
            "in_reply_to": "<TC-X.N-1@mail.tripcare.test>",
            **{key: value for key, value in read.items() if value is not None},
        },
        received_at=T0,
    )

    assert report_title(contact) == title
    assert (bounce_notice(contact, "TC-X", T0) is not None) is told


async def test_a_report_type_in_capitals_is_the_same_report() -> None:
    """MIME parameter tokens are case-insensitive (RFC 2045 section 5.1): a mailer writing
    ``Delivery-Status`` sends a bounce like any other."""
    intake, outbox, _ticket_id, notice = await opened_notice()

    await receive(intake, report(notice, report_type="Delivery-Status"))

    (bounced,) = events_of(outbox, "notification.bounced")
    assert bounced["message_id"] == notice
