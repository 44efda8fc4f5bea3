"""A tenant's mailbox and channel credentials hold one visible line each, like every other
text TripCare takes: a line break, a control character or nothing but spaces is a 422
naming the field, and nothing is stored.

The IMAP reader sends the username and the folder as they are (``LOGIN``, ``SELECT``): a
stored ``"INBOX\\r\\nA1 DELETE Trash"`` was a second IMAP command on every scan, and a
blank app secret turned robot signing on with a key of spaces.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from runtime.clock import FakeClock
from runtime.secret_box import SecretBox
from runtime.settings import DEV_SECRETS_KEY
from services.intake.channel_config import ChannelConfigs
from tests.factories import T0
from tests.fakes import FakeDatabase
from tests.unit.test_gateway_keys import client, staff
from tests.unit.test_mailbox_hosts import desk

MAILBOX: dict[str, Any] = {
    "host": "imap.acme-travel.example",
    "username": "support@acme-travel.example",
    "password": "app-password",
    "folder": "INBOX",
}
WECHAT: dict[str, Any] = {
    "token": "callback-token",
    "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "receiver_id": "wx1234567890abcdef",
    "app_secret": "robot-secret",
}
BAD = {
    "CRLF": "INBOX\r\nA1 DELETE Trash",
    "line separator": "a\u2028b",
    "control": "a\u0007b",
    "blank": "   ",
    "zero-width only": "\u200b",
}


def with_channels(app: FastAPI) -> ChannelConfigs:
    configs = ChannelConfigs(
        FakeDatabase(),  # type: ignore[arg-type]
        FakeClock(T0),
        SecretBox(DEV_SECRETS_KEY),
    )
    app.state.channel_configs = configs
    return configs


@pytest.mark.parametrize("value", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("field", ["username", "password", "folder"])
async def test_a_mailbox_field_that_is_not_one_visible_line_is_refused(
    field: str, value: str
) -> None:
    app, mailboxes = desk()
    async with client(app) as http:
        answer = await http.put(
            "/v1/admin/mailboxes/support", json={**MAILBOX, field: value}, headers=staff()
        )

    assert answer.status_code == 422, answer.text
    assert [e["loc"] for e in answer.json()["detail"]] == [["body", field]]
    assert await mailboxes.list("acme") == []


@pytest.mark.parametrize("value", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("field", ["token", "receiver_id", "app_secret"])
async def test_a_channel_credential_that_is_not_one_visible_line_is_refused(
    field: str, value: str
) -> None:
    app, _ = desk()
    configs = with_channels(app)
    async with client(app) as http:
        answer = await http.put(
            "/v1/admin/channels/wechat", json={**WECHAT, field: value}, headers=staff()
        )

    assert answer.status_code == 422, answer.text
    assert [e["loc"] for e in answer.json()["detail"]] == [["body", field]]
    assert await configs.list("acme") == []


async def test_credentials_with_spaces_inside_are_taken() -> None:
    """A password is a line, not a word: spaces inside (and around) it are the person's."""
    app, _ = desk()
    with_channels(app)
    async with client(app) as http:
        mailbox = await http.put(
            "/v1/admin/mailboxes/support",
            json={**MAILBOX, "password": " correct horse battery ", "folder": "Support Desk"},
            headers=staff(),
        )
        channel = await http.put(
            "/v1/admin/channels/wechat", json={**WECHAT, "token": "a b c"}, headers=staff()
        )

    assert mailbox.status_code == 201, mailbox.text
    assert channel.status_code == 201, channel.text


@pytest.mark.parametrize("value", [" support@acme-travel.example", "support@acme-travel.example "])
async def test_a_mailbox_username_pasted_with_a_space_at_either_end_is_refused(value: str) -> None:
    """The IMAP server compares the login name whole: stored with the space after it, the
    mailbox failed every scan with nothing the admin saw but a login error in the logs."""
    app, mailboxes = desk()
    async with client(app) as http:
        answer = await http.put(
            "/v1/admin/mailboxes/support", json={**MAILBOX, "username": value}, headers=staff()
        )

    assert answer.status_code == 422, answer.text
    assert [e["loc"] for e in answer.json()["detail"]] == [["body", "username"]]
    assert "a space at either end" in answer.json()["detail"][0]["msg"]
    assert await mailboxes.list("acme") == []
