"""E-mail that threads: a reply to any mail we sent joins its ticket, in its own tenant only,
and only from the ticket's own people (its traveller, their booker, the cc of its mails)."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import orjson

from contracts import events
from contracts.events import Channel
from contracts.mail import anchor_message_id, ticket_message_id
from runtime.clock import FakeClock
from runtime.signing import Signer
from runtime.store import Repository
from services.intake.channels import normalise
from services.intake.domain import Ticket
from services.intake.service import Intake, Outcome
from services.intake.store import TicketStore
from tests.factories import T0, contact
from tests.fakes import FakeDatabase, RecordingOutbox

DOMAIN = "mail.tripcare.test"


def desk() -> tuple[Intake, FakeClock, RecordingOutbox]:
    clock = FakeClock(T0)
    outbox = RecordingOutbox()
    repo: Repository[Ticket] = Repository(FakeDatabase(), "tickets", Ticket, outbox, clock)  # type: ignore[arg-type]
    intake = Intake(TicketStore(repo), clock, Signer("s" * 32), "http://intake", mail_domain=DOMAIN)
    return intake, clock, outbox


def mail(
    message_id: str,
    *,
    sender: str = "li.lei@acme.example",
    subject: str = "Help with my trip",
    in_reply_to: str | None = None,
    references: str | None = None,
    text: str = "Please call me back about my trip.",
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Li Lei <{sender}>"
    message["To"] = "support@acme.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    message.set_content(text)
    return message.as_bytes()


async def receive(intake: Intake, raw: bytes, tenant: str = "acme") -> tuple[Ticket, Outcome]:
    contact = normalise(Channel.EMAIL, raw, intake.clock.now())
    return await intake.receive_contact(tenant, contact)


def acknowledgements(outbox: RecordingOutbox) -> list[dict[str, object]]:
    """Each acknowledgement once (an uncleared outbox is handed over again on the next save)."""
    unique = {m.message_id: m for m in outbox.messages if m.routing_key == "ticket.acknowledged"}
    return [orjson.loads(m.body)["payload"] for m in unique.values()]


async def test_the_acknowledgement_answers_the_mail_that_opened_the_ticket() -> None:
    intake, _, outbox = desk()
    await receive(intake, mail("<first@acme.example>"))

    (ack,) = acknowledgements(outbox)
    assert ack["email_message_id"] == "<first@acme.example>"


async def test_a_reply_to_our_acknowledgement_joins_its_ticket_without_a_second_one() -> None:
    intake, clock, outbox = desk()
    ticket, _ = await receive(intake, mail("<first@acme.example>"))
    clock.advance(timedelta(hours=1))

    # The traveller's client dropped the thread root: only our anchor is named.
    reply = mail(
        "<second@acme.example>",
        subject="Re: We received your request",
        in_reply_to=anchor_message_id(ticket.id, DOMAIN),
        references=anchor_message_id(ticket.id, DOMAIN),
        text="Any news? I need to fly tonight.",
    )
    joined, outcome = await receive(intake, reply)

    assert outcome is Outcome.FOLLOWED_UP
    assert joined.id == ticket.id
    assert joined.repeat_contacts == 1
    assert len(acknowledgements(outbox)) == 1
    assert "ticket.followed_up" in outbox.routing_keys


async def test_a_reply_to_any_later_mail_of_the_ticket_joins_it_too() -> None:
    intake, _, _ = desk()
    ticket, _ = await receive(intake, mail("<first@acme.example>"))
    later = ticket_message_id(ticket.id, "N-0123456789abcdef0123", DOMAIN)

    joined, outcome = await receive(intake, mail("<third@acme.example>", in_reply_to=later))

    assert (joined.id, outcome) == (ticket.id, Outcome.FOLLOWED_UP)


async def test_a_message_id_naming_another_tenants_ticket_opens_a_new_ticket() -> None:
    intake, _, _ = desk()
    theirs, _ = await receive(intake, mail("<globex-1@globex.example>"), tenant="globex")

    ours, outcome = await receive(
        intake, mail("<acme-1@acme.example>", in_reply_to=anchor_message_id(theirs.id, DOMAIN))
    )

    assert outcome is Outcome.OPENED
    assert ours.id != theirs.id
    assert ours.tenant_id == "acme"


async def test_ids_of_another_domain_are_not_ours() -> None:
    intake, _, _ = desk()
    ticket, _ = await receive(intake, mail("<first@acme.example>"))

    other, outcome = await receive(
        intake, mail("<x@acme.example>", in_reply_to=f"<{ticket.id}@elsewhere.example>")
    )

    assert outcome is Outcome.OPENED
    assert other.id != ticket.id


async def test_the_subject_tag_threads_mail_from_the_tickets_traveller() -> None:
    intake, _, _ = desk()
    ticket, _ = await receive(intake, mail("<first@acme.example>"))

    joined, outcome = await receive(
        intake, mail("<new-thread@acme.example>", subject=f"Update [{ticket.id}]")
    )

    assert (joined.id, outcome) == (ticket.id, Outcome.FOLLOWED_UP)


async def test_the_subject_tag_does_not_thread_a_strangers_mail() -> None:
    intake, _, _ = desk()
    ticket, _ = await receive(intake, mail("<first@acme.example>"))

    other, outcome = await receive(
        intake,
        mail("<x@evil.example>", sender="someone@evil.example", subject=f"Re [{ticket.id}]"),
    )

    assert outcome is Outcome.OPENED
    assert other.id != ticket.id


async def test_another_tenants_subject_tag_never_threads() -> None:
    intake, _, _ = desk()
    theirs, _ = await receive(intake, mail("<g@acme.example>"), tenant="globex")

    ours, outcome = await receive(intake, mail("<a@acme.example>", subject=f"Re [{theirs.id}]"))

    assert outcome is Outcome.OPENED
    assert ours.id != theirs.id


async def test_a_redelivered_reply_is_a_duplicate() -> None:
    intake, _, _ = desk()
    ticket, _ = await receive(intake, mail("<first@acme.example>"))
    reply = mail("<second@acme.example>", in_reply_to=anchor_message_id(ticket.id, DOMAIN))
    await receive(intake, reply)

    again, outcome = await receive(intake, reply)

    assert (again.id, outcome) == (ticket.id, Outcome.DUPLICATE)
    assert again.repeat_contacts == 1


async def test_a_reply_after_the_ticket_closed_opens_a_new_one() -> None:
    intake, clock, _ = desk()
    ticket, _ = await receive(intake, mail("<first@acme.example>"))
    await intake.act("acme", ticket.id, lambda t: t.close(by="agent-7", now=clock.now()))

    other, outcome = await receive(
        intake, mail("<late@acme.example>", in_reply_to=anchor_message_id(ticket.id, DOMAIN))
    )

    assert outcome is Outcome.OPENED
    assert other.id != ticket.id


async def test_a_strangers_reply_naming_a_ticket_opens_a_new_ticket() -> None:
    """Our Message-IDs are made of the ticket id: knowing it must not write into the ticket."""
    intake, _, _ = desk()
    kays, _ = await receive(intake, mail("<kay-1@acme.example>", sender="kay@acme.example"))

    mallorys, outcome = await receive(
        intake,
        mail(
            "<m-1@evil.example>",
            sender="mallory@evil.example",
            in_reply_to=anchor_message_id(kays.id, DOMAIN),
            references=f"<kay-1@acme.example> {anchor_message_id(kays.id, DOMAIN)}",
            text="Please send the refund to my new account.",
        ),
    )

    assert outcome is Outcome.OPENED
    assert mallorys.id != kays.id
    assert mallorys.traveller.email == "mallory@evil.example"
    stored = await intake.tickets.repo.get("acme", kays.id)
    assert stored is not None
    assert stored.repeat_contacts == 0


async def test_a_strangers_mail_in_the_travellers_conversation_opens_a_new_ticket() -> None:
    intake, _, _ = desk()
    kays, _ = await receive(intake, mail("<kay-1@acme.example>", sender="kay@acme.example"))

    mallorys, outcome = await receive(
        intake,
        mail(
            "<m-2@evil.example>", sender="mallory@evil.example", in_reply_to="<kay-1@acme.example>"
        ),
    )

    assert outcome is Outcome.OPENED
    assert mallorys.id != kays.id


async def test_a_colleague_in_cc_of_the_tickets_mail_threads_by_message_id() -> None:
    intake, _, _ = desk()
    opening = EmailMessage()
    opening["From"] = "Kay <kay@acme.example>"
    opening["To"] = "support@acme.example"
    opening["Cc"] = "Boss <Boss@Acme.example>"
    opening["Subject"] = "Stuck in Frankfurt"
    opening["Message-ID"] = "<kay-1@acme.example>"
    opening.set_content("My connection is cancelled.")
    kays, _ = await receive(intake, opening.as_bytes())

    joined, outcome = await receive(
        intake,
        mail(
            "<boss-1@acme.example>",
            sender="boss@acme.example",
            in_reply_to=anchor_message_id(kays.id, DOMAIN),
        ),
    )

    assert (joined.id, outcome) == (kays.id, Outcome.FOLLOWED_UP)


async def test_the_travellers_booker_threads_by_message_id() -> None:
    intake, _, _ = desk()
    booker = events.Traveller(id="arr-1", email="Arranger@acme.example")
    traveller = events.Traveller(id="kay-42", email="kay@acme.example", booker=booker)
    kays, _ = await intake.receive_contact("acme", contact(traveller=traveller))

    joined, outcome = await receive(
        intake,
        mail(
            "<arr-1@acme.example>",
            sender="arranger@acme.example",
            in_reply_to=ticket_message_id(kays.id, "N-0123456789abcdef0123", DOMAIN),
        ),
    )

    assert (joined.id, outcome) == (kays.id, Outcome.FOLLOWED_UP)
