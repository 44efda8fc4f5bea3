"""Notify's outgoing mail keeps one thread per ticket and names it in the subject."""

from __future__ import annotations

from dataclasses import replace

import pytest

from contracts.events import ReplyChannel, Traveller
from services.notify.channels.mail_thread import Thread, compose
from services.notify.channels.sender import Outgoing
from services.notify.domain.notice import Notice
from services.notify.domain.templates import (
    ACKNOWLEDGED,
    APPEAL_FILED,
    APPEAL_RESOLVED,
    BOT_ANSWERED,
    REPLIED,
    RESOLVED,
    RESOLVED_FOR_BOOKER,
    ROUTED,
    SURVEY,
)
from services.notify.render import Renderer

DOMAIN = "mail.tripcare.test"
SENDER = "Support <support@tripcare.example>"

ACK = Outgoing(
    delivery_id="N-aaaaaaaaaaaaaaaaaaaa",
    tenant_id="acme",
    ticket_id="TC-ABCDEFGHIJKL",
    recipient="email:li@acme.example",
    role="traveller",
    channel=ReplyChannel.EMAIL,
    address="li@acme.example",
    language="en",
    template="ticket_acknowledged",
    subject="We received your request TC-ABCDEFGHIJKL",
    body="Thank you.",
    link=None,
    answers="<first@acme.example>",
)


def test_the_acknowledgement_opens_the_thread_under_the_travellers_mail() -> None:
    mail = compose(ACK, SENDER, DOMAIN)

    assert mail["Message-ID"] == "<TC-ABCDEFGHIJKL@mail.tripcare.test>"
    assert mail["In-Reply-To"] == "<first@acme.example>"
    assert mail["References"] == "<first@acme.example>"
    assert mail["Subject"] == "We received your request [TC-ABCDEFGHIJKL]"


def test_later_mails_answer_the_first_mail_sent_each_with_its_own_stable_id() -> None:
    """The first mail sent is the acknowledgement here; a proactive ticket's is its
    disruption notice (``test_notify_mail_thread_root.py``)."""
    reply = replace(
        ACK,
        delivery_id="N-bbbbbbbbbbbbbbbbbbbb",
        template="ticket_replied",
        subject="New reply",
        answers=None,
    )

    mail = compose(reply, SENDER, DOMAIN, Thread(root="<TC-ABCDEFGHIJKL@mail.tripcare.test>"))

    assert mail["Message-ID"] == "<TC-ABCDEFGHIJKL.N-bbbbbbbbbbbbbbbbbbbb@mail.tripcare.test>"
    assert mail["In-Reply-To"] == "<TC-ABCDEFGHIJKL@mail.tripcare.test>"
    assert mail["References"] == "<TC-ABCDEFGHIJKL@mail.tripcare.test>"
    assert mail["Subject"] == "New reply [TC-ABCDEFGHIJKL]"
    assert compose(reply, SENDER, DOMAIN)["Message-ID"] == mail["Message-ID"]


def test_an_acknowledgement_of_a_ticket_not_opened_by_mail_starts_the_thread() -> None:
    mail = compose(replace(ACK, answers=None), SENDER, DOMAIN)

    assert mail["Message-ID"] == "<TC-ABCDEFGHIJKL@mail.tripcare.test>"
    assert mail["In-Reply-To"] is None


def test_staff_notices_name_no_ticket_so_a_colleagues_reply_never_joins_it() -> None:
    assigned = replace(ACK, role="agent", template="ticket_assigned", subject="Assigned to you")

    mail = compose(assigned, SENDER, DOMAIN)

    assert mail["Message-ID"] == "<N-aaaaaaaaaaaaaaaaaaaa@mail.tripcare.test>"
    assert mail["In-Reply-To"] is None
    assert mail["Subject"] == "Assigned to you"


def test_automatic_mails_say_so_and_an_agents_words_do_not() -> None:
    """Without Auto-Submitted, a traveller's out-of-office answered the acknowledgement or the
    routing notice, and that answer (threaded by our Message-ID) reopened a resolved ticket."""
    ack = compose(ACK, SENDER, DOMAIN)
    routed = compose(replace(ACK, template="ticket_routed", answers=None), SENDER, DOMAIN)
    reply = compose(replace(ACK, template="ticket_replied", answers=None), SENDER, DOMAIN)

    assert (ack["Auto-Submitted"], ack["X-Auto-Response-Suppress"]) == ("auto-replied", "All")
    assert routed["Auto-Submitted"] == "auto-generated"
    assert (reply["Auto-Submitted"], reply["X-Auto-Response-Suppress"]) == (None, None)
    assert all(mail["Date"] for mail in (ack, routed, reply))


@pytest.mark.parametrize("language", ["en", "ja", "zh-Hans", "zh-Hant"])
def test_the_acknowledgements_subject_names_its_ticket_once_in_the_tag(language: str) -> None:
    """It read "We have your request (TC-…) [TC-…]": the template named the ticket and the
    mail's thread tag named it again. The tag stays (intake threads replies by it)."""
    values = {"ticket_id": "TC-ABCDEFGHIJKL", "name": "Aiko", "link": "https://t/x"}
    traveller = Traveller(id="trav-1", language=language)
    rendered = Renderer().render(Notice("TC-ABCDEFGHIJKL", traveller, ACKNOWLEDGED, values))

    subject = compose(replace(ACK, subject=rendered.subject), SENDER, DOMAIN)["Subject"]

    assert subject.count("TC-ABCDEFGHIJKL") == 1
    assert subject.endswith("[TC-ABCDEFGHIJKL]")


VALUES = {
    "ticket_id": "TC-ABCDEFGHIJKL",
    "name": "Aiko",
    "link": "https://t/x",
    "team": "Air desk",
    "due": "26 Nov 2026 10:00",
    "message": "Done.",
    "level": "expert",
    "appeal_number": "1",
    "outcome": "resolved",
    "title": "Baggage allowance",
    "answer": "23 kg.",
    "traveller": "Li Lei",
}


@pytest.mark.parametrize("language", ["en", "ja", "zh-Hans", "zh-Hant"])
@pytest.mark.parametrize(
    "template",
    [
        ROUTED,
        REPLIED,
        RESOLVED,
        RESOLVED_FOR_BOOKER,
        SURVEY,
        APPEAL_FILED,
        APPEAL_RESOLVED,
        BOT_ANSWERED,
    ],
)
def test_every_travellers_mail_subject_names_its_ticket_once_by_the_tag(
    template: str, language: str
) -> None:
    """QA saw "New reply on your request TC-… [TC-…]" on the routed, replied, resolved,
    survey and appeal mails: the template names the ticket and the thread tag named it again.
    The tag takes the text's mention's place (intake threads replies by it)."""
    traveller = Traveller(id="trav-1", language=language)
    rendered = Renderer().render(Notice("TC-ABCDEFGHIJKL", traveller, template, VALUES))
    assert "TC-ABCDEFGHIJKL" in rendered.subject  # the in-app and IM subject names it
    mail = replace(ACK, template=template, subject=rendered.subject, language=language)

    subject = compose(mail, SENDER, DOMAIN)["Subject"]

    assert subject.count("TC-ABCDEFGHIJKL") == 1, subject
    assert "[TC-ABCDEFGHIJKL]" in subject
    assert "([TC-" not in subject
    assert "（[TC-" not in subject
