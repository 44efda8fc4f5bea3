"""A bad e-mail address, phone number or language tag is refused in words, at the field sent.

QA posted a web form with `bob@localhost`, a call with `caller_number: "call me"` and a mail
from `Bob <bob@localhost>`: each 422 said `String should match pattern '^[^\\s@\\"(),:;<>…'`,
a regular expression a gateway's developer has to decode, and the mail's named
`["body", "traveller", "email"]`, a field of the normalised contact, not of the mail sent
(docs/api.md: a native payload's 422 names the payload's own field, here `From`).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from contracts.events import Channel, ContactReceived
from services.intake.channels import PayloadError, normalise
from tests import factories

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def refusal(**traveller: str) -> dict[str, object]:
    contact = factories.contact().model_dump(mode="json")
    contact["traveller"] = {**contact["traveller"], **traveller}
    with pytest.raises(ValidationError) as caught:
        ContactReceived.model_validate(contact)
    [error] = caught.value.errors()
    return dict(error)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("email", "bob@localhost", "not an e-mail address"),
        ("email", "陳美玲", "not an e-mail address"),
        ("phone", "call me", "not a phone number"),
        ("language", "中文", "not a language tag"),
    ],
)
def test_a_malformed_address_number_or_tag_is_refused_in_words(
    field: str, value: str, words: str
) -> None:
    error = refusal(**{field: value})
    assert error["loc"] == ("traveller", field)
    assert words in str(error["msg"])
    assert "pattern" not in str(error["msg"])
    assert "^" not in str(error["msg"])


def test_well_formed_ones_still_pass() -> None:
    contact = factories.contact().model_dump(mode="json")
    contact["traveller"].update(
        email="chihhao.lin@corp.example.tw", phone="+852 9123 4567", language="zh-HK"
    )
    assert ContactReceived.model_validate(contact).traveller.email == "chihhao.lin@corp.example.tw"


def test_a_mail_from_a_malformed_address_names_its_from_header() -> None:
    mail = (
        b"From: Bob <bob@localhost>\r\nTo: support@acme.example\r\nSubject: Hotel\r\n"
        b"Message-ID: <b1@corp.example>\r\n\r\nMy hotel booking vanished.\r\n"
    )
    with pytest.raises(PayloadError) as caught:
        normalise(Channel.EMAIL, mail, NOW)
    assert caught.value.loc == ("From",)
    assert "not an e-mail address" in caught.value.message
