"""Mail no person wrote (RFC 3834): a bounce is never a ticket, an auto-reply never reopens or
opens one, list or bulk mail is never answered automatically; the same rule for every way
mail arrives (the e-mail normaliser is shared by the HTTP endpoint, the bus and IMAP)."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import orjson
import pytest

from contracts import events
from contracts.events import Channel, Priority
from contracts.mail import anchor_message_id, ticket_message_id
from services.intake.attachments import files_of_email
from services.intake.channels import normalise
from services.intake.channels.checks import parse_email
from services.intake.domain.status import TicketStatus
from services.intake.service import NotTaken, Outcome
from services.notify.domain.routed_notices import tells_traveller
from services.routing.domain.case import RoutingCase
from tests.factories import T0
from tests.unit.test_mail_threading import DOMAIN, desk, mail, receive
from tests.unit.test_routing import opened, route, triage

ACK = anchor_message_id("TC-UNKNOWN", DOMAIN)
T1 = T0 + timedelta(minutes=30)


def bounce(returned_id: str, *, references: str = "") -> bytes:
    """An RFC 3464 delivery status notification returning one of our mails, as Postfix
    writes it."""
    returned_references = f"References: {references}\r\n" if references else ""
    return (
        "From: MAILER-DAEMON@mx.acme.example (Mail Delivery System)\r\n"
        "To: support@tripcare.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@mx.acme.example>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n'
        "\r\n--R\r\nContent-Type: text/plain\r\n\r\n"
        "This is the mail system. Your message could not be delivered.\r\n"
        "\r\n--R\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.acme.example\r\n\r\n"
        "Final-Recipient: rfc822; li.lei@acme.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "\r\n--R\r\nContent-Type: message/rfc822\r\n\r\n"
        "From: support@tripcare.test\r\n"
        f"Message-ID: {returned_id}\r\n{returned_references}"
        "Subject: [TC-X] We received your request\r\n\r\nWe received your request.\r\n"
        "\r\n--R--\r\n"
    ).encode()


def auto_reply(message_id: str, answers: str, **headers: str) -> bytes:
    raw = mail(
        message_id,
        subject="Automatic reply: We received your request",
        in_reply_to=answers,
        references=answers,
        text="I am out of the office until Monday.",
    )
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return extra.encode() + raw


def events_of(outbox: object, key: str) -> list[dict[str, object]]:
    unique = {m.message_id: m for m in outbox.messages if m.routing_key == key}  # type: ignore[attr-defined]
    return [orjson.loads(m.body)["payload"] for m in unique.values()]


async def test_a_bounce_of_our_notice_is_recorded_on_its_ticket_and_answers_nothing() -> None:
    intake, clock, outbox = desk()
    ticket, _ = await receive(intake, mail("<first@acme.example>"))
    clock.advance(timedelta(minutes=5))
    notice = ticket_message_id(ticket.id, "d-7", DOMAIN)
    anchor = anchor_message_id(ticket.id, DOMAIN)
    opened_before = len(events_of(outbox, "ticket.opened"))

    kept, outcome = await receive(intake, bounce(notice, references=anchor))

    assert outcome is Outcome.RECORDED
    assert kept.id == ticket.id
    assert kept.timeline[-1].kind == "bounce"
    assert kept.repeat_contacts == 0
    assert len(events_of(outbox, "ticket.opened")) == opened_before
    assert len(events_of(outbox, "ticket.acknowledged")) == 1
    assert events_of(outbox, "ticket.followed_up") == []


async def test_a_bounces_report_parts_are_no_attachments_on_its_ticket() -> None:
    """The delivery status and the returned mail showed as "Attachment not kept: attachment
    (message/delivery-status, 0 B)": neither empty nor a file anyone attached."""
    intake, _, _ = desk()
    ticket, _ = await receive(intake, mail("<first@acme.example>"))
    raw = bounce(ticket_message_id(ticket.id, "d-7", DOMAIN))

    kept, _ = await receive(intake, raw)

    assert kept.attachments == []
    assert "attachment_refused" not in [entry.kind for entry in kept.timeline]
    assert files_of_email(parse_email(raw)) == []


def test_an_attached_mail_a_person_forwards_is_listed_with_its_size() -> None:
    forwarded = EmailMessage()
    forwarded["From"] = "Li Lei <li.lei@acme.example>"
    forwarded["Subject"] = "Help with my trip"
    forwarded["Message-ID"] = "<fwd-1@acme.example>"
    forwarded.set_content("Please see the airline's mail below.")
    airline = EmailMessage()
    airline["Subject"] = "Your flight CA1503 is cancelled"
    airline.set_content("We are sorry: flight CA1503 on 12 December is cancelled.")
    forwarded.add_attachment(airline)
    raw = forwarded.as_bytes()

    (listed,) = normalise(Channel.EMAIL, raw, T0).attachments
    (file,) = files_of_email(parse_email(raw))

    assert listed.content_type == file.content_type == "message/rfc822"
    assert listed.size == len(file.content) > 50
    assert b"CA1503 on 12 December" in file.content


async def test_a_bounce_naming_no_ticket_is_not_taken() -> None:
    intake, _, outbox = desk()

    with pytest.raises(NotTaken, match="bounce"):
        await receive(intake, bounce("<someone-else@elsewhere.example>"))

    assert outbox.messages == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "auto_reply"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "yes"},
        {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
    ],
    ids=lambda headers: next(iter(headers)),
)
async def test_an_auto_reply_never_reopens_a_resolved_ticket(headers: dict[str, str]) -> None:
    intake, clock, outbox = desk()
    ticket, _ = await receive(intake, mail("<first@acme.example>"))
    await intake.act(
        "acme", ticket.id, lambda t: t.resolve(code="done", message="Rebooked", agent="a", now=T1)
    )
    clock.advance(timedelta(hours=1))

    kept, outcome = await receive(
        intake, auto_reply("<ooo@acme.example>", anchor_message_id(ticket.id, DOMAIN), **headers)
    )

    assert outcome is Outcome.RECORDED
    assert kept.status is TicketStatus.RESOLVED
    assert kept.timeline[-1].kind == "auto_reply"
    assert events_of(outbox, "ticket.reopened") == []
    assert events_of(outbox, "ticket.followed_up") == []


async def test_an_auto_reply_naming_no_ticket_opens_none() -> None:
    intake, _, outbox = desk()
    raw = auto_reply("<ooo@acme.example>", "<x@elsewhere.example>", **{"Auto-Submitted": "auto"})

    with pytest.raises(NotTaken, match="auto_reply"):
        await receive(intake, raw)

    assert outbox.messages == []


async def test_auto_submitted_no_is_a_persons_mail() -> None:
    intake, _, _ = desk()

    _, outcome = await receive(intake, b"Auto-Submitted: no\r\n" + mail("<p@acme.example>"))

    assert outcome is Outcome.OPENED


@pytest.mark.parametrize(
    "header", [b"List-Id: <travel.acme.example>", b"Precedence: bulk", b"Precedence: list"]
)
async def test_list_or_bulk_mail_opens_a_ticket_nobody_answers_automatically(
    header: bytes,
) -> None:
    intake, _, outbox = desk()

    ticket, outcome = await receive(intake, header + b"\r\n" + mail("<list@acme.example>"))

    assert outcome is Outcome.OPENED
    assert events_of(outbox, "ticket.acknowledged") == []
    (opened,) = events_of(outbox, "ticket.opened")
    assert opened["quiet"] is True
    assert ticket.timeline[-1].summary.startswith("Not acknowledged")


@pytest.mark.parametrize("value", ["All", "OOF, AutoReply", "-1"])
async def test_a_person_asking_for_no_auto_reply_opens_a_ticket_nobody_answers_automatically(
    value: str,
) -> None:
    """Outlook and Exchange put X-Auto-Response-Suppress on mail a person wrote: it asks
    for no automatic answer, it does not make the mail automatic."""
    intake, _, outbox = desk()
    raw = f"X-Auto-Response-Suppress: {value}\r\n".encode() + mail("<p@acme.example>")

    ticket, outcome = await receive(intake, raw)

    assert outcome is Outcome.OPENED
    assert events_of(outbox, "ticket.acknowledged") == []
    (opened,) = events_of(outbox, "ticket.opened")
    assert opened["quiet"] is True
    assert ticket.timeline[-1].summary == (
        "Not acknowledged: the sender asked for no automatic answer (X-Auto-Response-Suppress)"
    )
    contact = normalise(Channel.EMAIL, raw, T0)
    assert "automatic" not in contact.metadata
    assert contact.metadata["auto_response_suppress"] == value


async def test_a_person_asking_for_no_auto_reply_reopens_their_resolved_ticket() -> None:
    intake, clock, outbox = desk()
    ticket, _ = await receive(intake, mail("<first@acme.example>"))
    await intake.act(
        "acme", ticket.id, lambda t: t.resolve(code="done", message="Rebooked", agent="a", now=T1)
    )
    clock.advance(timedelta(hours=1))
    anchor = anchor_message_id(ticket.id, DOMAIN)
    raw = b"X-Auto-Response-Suppress: All\r\n" + mail(
        "<again@acme.example>", in_reply_to=anchor, references=anchor, text="Still no refund."
    )

    kept, outcome = await receive(intake, raw)

    assert outcome is Outcome.FOLLOWED_UP
    assert kept.id == ticket.id
    assert kept.status is TicketStatus.REOPENED
    assert kept.repeat_contacts == 1
    assert len(events_of(outbox, "ticket.reopened")) == 1


@pytest.mark.parametrize("value", ["DR, RN", "None"])
async def test_suppressing_only_receipts_is_acknowledged_as_usual(value: str) -> None:
    """Delivery and read receipts (DR, NDR, RN, NRN) are not answers: the sender still hears
    from us."""
    intake, _, outbox = desk()
    raw = f"X-Auto-Response-Suppress: {value}\r\n".encode() + mail("<p@acme.example>")

    _, outcome = await receive(intake, raw)

    assert outcome is Outcome.OPENED
    assert len(events_of(outbox, "ticket.acknowledged")) == 1
    assert "auto_response_suppress" not in normalise(Channel.EMAIL, raw, T0).metadata


def test_list_mails_routing_is_not_told_to_the_traveller() -> None:
    case = RoutingCase.blank("acme", "TC-1")
    case.take_opening(opened().model_copy(update={"quiet": True}), triage())
    case.route(route(Priority.NORMAL, bot_why=None), T0, now=T0)

    (decision,) = case.take_events()
    assert isinstance(decision, events.TicketRouted)
    assert decision.quiet is True
    assert tells_traveller(decision) is False


def test_the_bounce_threads_on_the_mail_it_returns() -> None:
    contact = normalise(Channel.EMAIL, bounce(ACK), T1)

    assert contact.metadata["automatic"] == "bounce"
    assert contact.metadata["in_reply_to"] == ACK
