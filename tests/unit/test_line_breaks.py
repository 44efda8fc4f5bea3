"""Unicode line breaks (U+2028, U+2029, U+0085) in one-line values, and mail that cannot be
composed.

Python's ``EmailMessage`` reads U+2028 as a line break: a contact whose message id held one
(or a sender named ``Eve\u2028Bcc: boss@example.com``) became a mail header that raised
ValueError when notify composed it. The delivery sat in ``sending`` for the lease five
times, then failed as "interrupted", and only then fell back to the inbox. Now an API field
with one is a 422 naming it, a name or subject read from a mail header has it as a space,
notify's headers carry no line break of any kind and only real Message-IDs in
``In-Reply-To``, and a mail that cannot be composed fails at once with its real error.
"""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from email import message_from_bytes
from typing import Annotated

import pytest
from pydantic import TypeAdapter, ValidationError

from contracts.events import Channel, ReplyChannel
from contracts.text import LINE_PATTERN, flattened, one_line
from services.intake.channels import normalise
from services.notify.channels.mail_thread import compose
from services.notify.channels.sender import Outgoing
from services.notify.domain.delivery import DeliveryStatus
from services.notify.domain.outcome import Outcome
from tests.unit.test_channel_edges import NOW, email
from tests.unit.test_intake_admission import CONTACT, Ingress, ingress  # noqa: F401 (fixture)
from tests.unit.test_mail_thread_headers import ACK, DOMAIN, SENDER
from tests.unit.test_notify_delivery_metrics import EMAIL, Desk

LINE_BREAKS = ["\u2028", "\u2029", "\x85", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"]


LINE = TypeAdapter(Annotated[str, one_line(max_length=100)])


@pytest.mark.parametrize("char", LINE_BREAKS)
def test_a_one_line_value_refuses_every_unicode_line_break(char: str) -> None:
    with pytest.raises(ValidationError, match="line break"):
        LINE.validate_python(f"crlf-4{char}Bcc: v@x.com")
    assert re.match(LINE_PATTERN, f"a{char}b") is None, "the published pattern says so too"


@pytest.mark.parametrize("char", LINE_BREAKS)
def test_flattened_puts_a_space_for_each_line_break(char: str) -> None:
    assert flattened(f"Eve{char}Bcc: boss@example.com") == "Eve Bcc: boss@example.com"


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"channel_message_id": "crlf-4\u2028Bcc: v@x.com"}, ["body", "channel_message_id"]),
        ({"subject": "refund\u2029Bcc: v@x.com"}, ["body", "subject"]),
        ({"traveller": {"id": "t-c", "name": "Eve\x85Bcc"}}, ["body", "traveller", "name"]),
    ],
)
async def test_an_api_field_with_a_line_break_is_a_422_naming_it_and_nothing_is_kept(
    ingress: Ingress,  # noqa: F811
    changes: dict[str, object],
    loc: list[str],
) -> None:
    before = ingress.written()

    answer = await ingress.http.post(
        "/v1/contacts", json={**CONTACT, "channel": "email", **changes}, headers=ingress.gateway
    )

    assert answer.status_code == 422, answer.text
    [item] = answer.json()["detail"]
    assert item["loc"] == loc
    assert "line break" in item["msg"]
    assert ingress.written() == before


def encoded(text: str) -> str:
    return f"=?UTF-8?B?{base64.b64encode(text.encode()).decode()}?="


def test_a_mail_senders_name_or_subject_with_a_line_break_is_taken_with_a_space() -> None:
    name, subject = encoded('"Eve\u2028Bcc: boss@example.com"'), encoded("refund\u2029please")
    mail = email(f"Subject: {subject}").replace(
        b"Li Lei <li@mail.example>", f"{name} <eve@example.com>".encode()
    )

    contact = normalise(Channel.EMAIL, mail, NOW)

    assert contact.traveller.name == '"Eve Bcc: boss@example.com"'
    assert contact.subject == "refund please"


BREAKING = "Critical ticket for Eve\u2028Bcc: boss@example.com\u2029\x85x"


def test_a_composed_mail_carries_no_line_break_in_any_header() -> None:
    mail = compose(replace(ACK, subject=BREAKING, language="en\u2028X: y"), SENDER, DOMAIN)

    raw = mail.as_bytes()
    parsed = message_from_bytes(raw)
    assert parsed["Bcc"] is None
    assert parsed["X"] is None
    for name, value in mail.items():
        assert not any(char in str(value) for char in LINE_BREAKS), name
    assert str(mail["Subject"]).startswith("Critical ticket for Eve Bcc: boss@example.com")


@pytest.mark.parametrize("answers", ["kb-1", "crlf-4\u2028Bcc: v@x.com", "<a@b> <c@d>", "<a@>"])
def test_only_a_real_message_id_is_answered_in_in_reply_to(answers: str) -> None:
    mail = compose(replace(ACK, answers=answers), SENDER, DOMAIN)

    assert (mail["In-Reply-To"], mail["References"]) == (None, None)
    assert mail["Message-ID"] == "<TC-ABCDEFGHIJKL@mail.tripcare.test>", "still opens the thread"


class Uncomposable:
    """A channel whose mail cannot be composed."""

    async def send(self, message: Outgoing) -> str | None:
        raise ValueError("Header values may not contain linefeed or carriage return characters")


async def test_a_mail_that_cannot_be_composed_fails_at_once_with_its_real_error() -> None:
    desk = Desk()
    delivery = await desk.mail()
    desk.dispatcher.channels.use(ReplyChannel.EMAIL, Uncomposable())

    await desk.dispatch()

    stored = await desk.notifier.deliveries.get("acme", delivery.id)
    assert stored is not None
    assert (stored.status, stored.attempts) == (DeliveryStatus.FAILED, 1)
    assert stored.error is not None
    assert "ValueError: Header values may not contain linefeed" in stored.error
    assert desk.value("notify_deliveries_failed_total", **EMAIL, outcome=Outcome.PERMANENT) == 1
