"""The console's bulk reply to an incident takes a text per language beside the one for
everyone, as ``POST /v1/incidents/{id}/reply`` does (``messages``): only the languages
written are sent, so each traveller reads their own (docs/consoles.md, "Incidents")."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from runtime.staff_session import COOKIE
from services.intake.domain import Ticket
from services.intake.pages.bulk_reply import bulk_reply_in
from tests.unit.test_consoles import Desk, desk  # noqa: F401  (fixture)


def test_only_the_languages_written_are_sent() -> None:
    form = {
        "ticket_id": "TC-1",
        "message": "  ",
        "messages.zh-Hans": " 已为您改签。 ",
        "messages.en": "You are rebooked.",
        "messages.ja": "",
        "messages.zh-Hant": " \n",
    }

    body = bulk_reply_in(form)

    assert (body.message, body.messages) == (
        None,
        {"zh-Hans": "已为您改签。", "en": "You are rebooked."},
    )


def test_the_one_text_alone_is_sent_as_before() -> None:
    body = bulk_reply_in({"message": " On it. ", "messages.en": ""})

    assert (body.message, body.messages) == ("On it.", {})


def test_nothing_written_is_the_message_missing() -> None:
    with pytest.raises(ValidationError) as refused:
        bulk_reply_in({"message": "", "messages.ja": " "})

    assert [e["loc"] for e in refused.value.errors()] == [("message",)]


def test_a_language_tripcare_does_not_speak_is_no_field_of_the_form() -> None:
    assert bulk_reply_in({"message": "hi", "messages.fr": "salut"}).messages == {}


async def test_the_console_sends_each_traveller_the_text_of_their_language(
    desk: Desk,  # noqa: F811
) -> None:
    desk.http.cookies.set(COOKIE, desk.token)

    def link(ticket: Ticket) -> None:
        ticket.incident_id = "INC-1"

    await desk.intake.act("acme", desk.ticket_id, link)
    page = await desk.http.get(f"/console/tickets/{desk.ticket_id}")
    for language in ("zh-Hans", "zh-Hant", "en", "ja"):
        assert f'name="messages.{language}"' in page.text
    language = (await desk.ticket()).language

    sent = await desk.http.post(
        "/console/incidents/INC-1/reply",
        data={
            "ticket_id": desk.ticket_id,
            "message": "",
            "messages.en": "You are rebooked.",
            f"messages.{language}": "per-language text",
        },
    )

    assert sent.status_code == 303, sent.text
    assert (await desk.ticket()).timeline[-1].details["message"] == "per-language text"
