"""A secret of the wrong length is refused in characters, as every string is: pydantic
counts a ``SecretStr`` bound by a bare ``Field(min_length=…)`` as a sequence, so a
gateway's 5-character webhook secret was "at least 16 items". ``contracts.text.secret``
measures the text itself, also when it comes already wrapped in a ``SecretStr``.
"""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from pydantic import BaseModel, SecretStr, ValidationError

from contracts.text import secret
from runtime.settings import from_environment
from services.intake.api.mailboxes import MailboxIn
from services.intake.channel_config import ChannelConfigIn
from services.notify.config import Gateway, NotifySettings, SmsProvider

SMS = {"account": "AC1", "sender": "+8613800000000"}


def refused(model: type[BaseModel], data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return str(caught.value.errors()[0]["msg"])


@pytest.mark.parametrize(
    ("model", "data", "words"),
    [
        (Gateway, {"url": "https://gw", "secret": "short"}, "at least 16 characters"),
        (Gateway, {"url": "https://gw", "secret": "s" * 2_000}, "at most 1024 characters"),
        (SmsProvider, {**SMS, "token": ""}, "at least 1 character"),
        (SmsProvider, {**SMS, "token": "t" * 2_000}, "at most 1024 characters"),
    ],
)
def test_notifys_gateway_secrets_and_sms_token_are_measured_in_characters(
    model: type[BaseModel], data: dict[str, Any], words: str
) -> None:
    message = refused(model, data)

    assert words in message
    assert "items" not in message


def test_a_short_gateway_secret_in_the_environment_is_named_in_characters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gateways = '{"wecom": {"url": "https://gw", "secret": "x"}}'
    monkeypatch.setenv("TRIPCARE_NOTIFY_GATEWAYS", gateways)

    with pytest.raises(SystemExit) as stopped:
        from_environment(NotifySettings)

    message = str(stopped.value.code)
    assert "TRIPCARE_NOTIFY_GATEWAYS" in message
    assert "at least 16 characters" in message
    assert "items" not in message


def test_a_gateway_secret_keeps_working_and_stays_hidden() -> None:
    gateway = Gateway.model_validate({"url": "https://gw", "secret": "0123456789abcdef"})

    assert gateway.secret.get_secret_value() == "0123456789abcdef"
    assert "0123456789abcdef" not in repr(gateway)


class Held(BaseModel):
    key: Annotated[SecretStr, secret(min_length=16, max_length=20)]


@pytest.mark.parametrize(
    ("value", "words"),
    [("abc", "at least 16 characters"), ("x" * 30, "at most 20 characters")],
)
@pytest.mark.parametrize("wrapped", [False, True])
def test_a_secret_already_wrapped_is_measured_in_characters_too(
    value: str, words: str, wrapped: bool
) -> None:
    """As code builds a model from a stored or settings value (``SecretStr`` in hand)."""
    message = refused(Held, {"key": SecretStr(value) if wrapped else value})

    assert words in message
    assert "items" not in message


def test_intakes_credentials_are_measured_in_characters() -> None:
    """The mailbox password and channel keys already went through ``secret``."""
    mailbox = {"host": "imap.example.com", "username": "support", "password": ""}
    channel = {"token": "ab", "encoding_aes_key": "k" * 43, "receiver_id": "ww1"}

    assert "at least 1 character" in refused(MailboxIn, mailbox)
    assert "at least 3 characters" in refused(ChannelConfigIn, channel)
