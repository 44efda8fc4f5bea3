"""A contact of only files from the app or any gateway (a stranded traveller's photo of a
departure board, a hotel's "no room" letter) opens a ticket, as a mail of only files does:
its text is the same stated placeholder (``ATTACHMENTS_ONLY``) in the contact's language.
Before, it was a 422 for want of text. A contact with neither text nor a file stays a 422
saying so.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest

from contracts.events import Channel
from services.intake.attachments import AttachmentPolicy, read_payload
from services.intake.channels import PayloadError
from services.intake.channels.email import ATTACHMENTS_ONLY
from services.intake.channels.language import guess_language
from tests.factories import T0
from tests.unit.test_channel_edges import fixture
from tests.unit.test_gateway_keys import CONTACT, Desk, desk, staff  # noqa: F401

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PHOTO = {"name": "board.png", "content_type": "image/png", "size": len(PNG)}
LINKED = {**PHOTO, "url": "https://cdn.example.com/board.png"}
NEITHER = "a contact needs text or at least one attachment"
LIMITS = AttachmentPolicy()


def in_app(**changes: Any) -> bytes:
    """The sample in-app message without its text and its file, then ``changes``."""
    body = orjson.loads(fixture("in_app.json"))
    del body["text"], body["attachments"]
    return orjson.dumps({**body, **changes})


def test_an_in_app_photo_without_text_opens_with_the_placeholder_in_its_language() -> None:
    inline = {**PHOTO, "content": base64.b64encode(PNG).decode()}

    contact, files = read_payload(
        Channel.IN_APP, in_app(attachments=[inline]), T0, AttachmentPolicy()
    )

    assert contact.text == ATTACHMENTS_ONLY["zh-Hant"]
    assert [a.name for a in contact.attachments] == ["board.png"]
    assert [f.content for f in files] == [PNG]


@pytest.mark.parametrize("text", ["", "  ", "\n"])
def test_blank_in_app_text_with_a_photo_is_a_photo_without_text(text: str) -> None:
    body = in_app(text=text, language="ja-JP", attachments=[LINKED])

    contact, _ = read_payload(Channel.IN_APP, body, T0, AttachmentPolicy())

    assert contact.text == ATTACHMENTS_ONLY["ja"]


def test_an_in_app_message_in_no_language_tripcare_speaks_gets_the_english_placeholder() -> None:
    body = in_app(language="fr", attachments=[LINKED])

    contact, _ = read_payload(Channel.IN_APP, body, T0, AttachmentPolicy())

    assert contact.text == ATTACHMENTS_ONLY["en"]


@pytest.mark.parametrize("changes", [{}, {"attachments": []}, {"text": " ", "attachments": []}])
def test_an_in_app_message_with_neither_text_nor_a_file_is_refused(
    changes: dict[str, Any],
) -> None:
    with pytest.raises(PayloadError) as refused:
        read_payload(Channel.IN_APP, in_app(**changes), T0, AttachmentPolicy())

    assert (refused.value.field, refused.value.message) == ("text", NEITHER)


@pytest.mark.parametrize("channel", ["in_app", "web_chat", "web_form", "phone", "wechat"])
async def test_a_gateways_contact_of_only_a_file_opens_a_ticket_on_any_channel(
    desk: Desk,  # noqa: F811
    channel: str,
) -> None:
    key = (await desk.create())["key"]
    contact = {k: v for k, v in CONTACT.items() if k != "text"}
    contact |= {
        "channel": channel,
        "traveller": {"id": "trav-9"},
        "language_hint": "zh-CN",
        "attachments": [LINKED],
    }

    answer = await desk.replicas[0].post("/v1/contacts", json=contact, headers={"X-Api-Key": key})

    assert answer.status_code == 201, answer.text
    ticket = desk.db["tickets"].docs[answer.json()["ticket_id"]]
    assert ticket["text"] == ATTACHMENTS_ONLY["zh-Hans"]
    assert [a["url"] for a in ticket["attachments"]] == [LINKED["url"]]


async def test_a_gateways_contact_of_only_a_file_speaks_the_travellers_stated_language(
    desk: Desk,  # noqa: F811
) -> None:
    """The stated language before the gateway's hint, as the ticket's own (docs/api.md)."""
    key = (await desk.create())["key"]
    contact = {k: v for k, v in CONTACT.items() if k != "text"}
    contact |= {
        "traveller": {"id": "trav-9", "language": "ja"},
        "language_hint": "zh-CN",
        "attachments": [LINKED],
    }

    answer = await desk.replicas[0].post("/v1/contacts", json=contact, headers={"X-Api-Key": key})

    assert desk.db["tickets"].docs[answer.json()["ticket_id"]]["text"] == ATTACHMENTS_ONLY["ja"]


@pytest.mark.parametrize("attachments", [None, []])
async def test_a_gateways_contact_with_neither_text_nor_a_file_is_refused_and_opens_nothing(
    desk: Desk,  # noqa: F811
    attachments: list[Any] | None,
) -> None:
    key = (await desk.create())["key"]
    contact = {k: v for k, v in CONTACT.items() if k != "text"}
    if attachments is not None:
        contact["attachments"] = attachments

    answer = await desk.replicas[0].post("/v1/contacts", json=contact, headers={"X-Api-Key": key})

    assert answer.status_code == 422, answer.text
    assert [(e["loc"], e["msg"]) for e in answer.json()["detail"]] == [(["body"], NEITHER)]
    listed = await desk.replicas[0].get("/v1/tickets", headers=staff())
    assert listed.json()["items"] == []


async def test_the_in_app_channel_endpoint_takes_a_photo_and_refuses_nothing_at_all(
    desk: Desk,  # noqa: F811
) -> None:
    key = (await desk.create())["key"]
    url, headers = "/v1/channels/in_app/contacts", {"X-Api-Key": key}

    photo = await desk.replicas[0].post(url, content=in_app(attachments=[LINKED]), headers=headers)
    empty = await desk.replicas[0].post(url, content=in_app(message_id="m-2"), headers=headers)

    assert photo.status_code == 201, photo.text
    assert empty.status_code == 422, empty.text
    assert [(e["loc"], e["msg"]) for e in empty.json()["detail"]] == [(["body", "text"], NEITHER)]


@pytest.mark.parametrize("language", sorted(ATTACHMENTS_ONLY))
def test_the_placeholder_names_no_channel_as_the_app_and_gateways_use_it_too(
    language: str,
) -> None:
    """An in-app photo or an API contact is no mail: the text says "message" in every
    language, and still tells Simplified from Traditional Chinese by its script."""
    text = ATTACHMENTS_ONLY[language]

    assert not any(word in text.casefold() for word in ("mail", "邮件", "郵件", "メール"))
    assert guess_language(text) == language


EXE = b"MZ\x90\x00" + b"\x00" * 100


def test_an_in_app_message_whose_only_files_are_all_refused_is_refused_naming_them() -> None:
    """As a mail whose files were all refused: a ticket of no text and no file helps nobody."""
    files = [
        {**PHOTO, "name": "setup.exe", "content": base64.b64encode(EXE).decode()},
        {**PHOTO, "content": ""},
    ]

    with pytest.raises(PayloadError) as refused:
        read_payload(Channel.IN_APP, in_app(attachments=files), T0, LIMITS)

    assert refused.value.field == "attachments"
    assert refused.value.message == (
        "no text, and no attachment kept: setup.exe (type not accepted), board.png (empty)"
    )


def test_an_in_app_message_with_text_or_a_link_keeps_its_refused_file_listed() -> None:
    exe = {**PHOTO, "name": "setup.exe", "content": base64.b64encode(EXE).decode()}

    with_text, _ = read_payload(Channel.IN_APP, in_app(text="hi", attachments=[exe]), T0, LIMITS)
    with_link, _ = read_payload(Channel.IN_APP, in_app(attachments=[exe, LINKED]), T0, LIMITS)

    assert with_text.text == "hi"
    assert with_link.text == ATTACHMENTS_ONLY["zh-Hant"]


async def test_the_in_app_endpoint_refuses_a_message_of_only_refused_files_writing_nothing(
    desk: Desk,  # noqa: F811
) -> None:
    key = (await desk.create())["key"]
    exe = {**PHOTO, "name": "setup.exe", "content": base64.b64encode(EXE).decode()}

    answer = await desk.replicas[0].post(
        "/v1/channels/in_app/contacts",
        content=in_app(attachments=[exe]),
        headers={"X-Api-Key": key},
    )

    assert answer.status_code == 422, answer.text
    assert [(e["loc"], e["msg"]) for e in answer.json()["detail"]] == [
        (["body", "attachments"], "no text, and no attachment kept: setup.exe (type not accepted)")
    ]
    listed = await desk.replicas[0].get("/v1/tickets", headers=staff())
    assert listed.json()["items"] == []
