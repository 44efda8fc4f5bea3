"""A channel's refusal that quotes the message keeps the traveller's signed link from staff.

A gateway answering 400 with the body it was sent, or a mail server's spam filter naming
the URL it refused, puts the survey or tracking link into the delivery's error, which the
delivery log shows staff and the dispatcher logs: the token is ``[redacted]`` in both, as
in the message's body and link.
"""

from __future__ import annotations

import logging

import pytest

from contracts.events import ReplyChannel
from services.notify.channels.sender import Outgoing, SendFailed
from services.notify.domain.outcome import Outcome
from tests.unit.test_notify_withdrawn_sends import SURVEY, Desk

TOKEN = f"{SURVEY}-token"


class Echoing:
    """An e-mail channel whose server refuses the message, quoting its link."""

    async def send(self, message: Outgoing) -> str | None:
        raise SendFailed(f"SMTP 554: URL {message.link} is listed", Outcome.PERMANENT)


async def test_the_delivery_log_and_the_log_line_show_a_quoted_link_redacted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    desk = Desk()
    desk.dispatcher.channels.senders[ReplyChannel.EMAIL] = Echoing()
    await desk.survey_sent()

    with caplog.at_level(logging.INFO, logger="services.notify.dispatcher"):
        await desk.dispatch()

    (entry,) = [e for e in await desk.log() if e["status"] == "failed"]
    quoted = "SMTP 554: URL https://care.example/v1/surveys/[redacted] is listed"
    assert entry["error"] == quoted
    assert [attempt["error"] for attempt in entry["history"]] == [quoted]
    assert caplog.records
    assert all(TOKEN not in record.getMessage() for record in caplog.records)
