"""A mail of only files (empty subject, no text: a boarding pass, a screenshot of an error)
opens a ticket with a stated placeholder text and keeps its files, on the HTTP e-mail
channel and the mailbox reader alike (both read it with ``read_payload``); a mail with
neither text nor a file intake keeps is refused as before (docs/api.md)."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from contracts.events import Channel
from services.intake.attachments import AttachmentPolicy, read_payload
from services.intake.channels import PayloadError
from services.intake.channels.email import ATTACHMENTS_ONLY
from services.intake.channels.language import confident_languages, guess_language
from tests.factories import T0
from tests.unit.test_mailbox_reader import Folder, mail_desk

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00" + b"\x00" * 100
LIMITS = AttachmentPolicy()


def only_files(*files: tuple[str, bytes], language: str | None = None, uid: str = "1") -> bytes:
    """A mail with no subject and no text part, only ``files``."""
    message = EmailMessage()
    message["From"] = "Li Lei <li.lei@corp.example>"
    message["To"] = "support@acme.example"
    message["Message-ID"] = f"<only-{uid}@corp.example>"
    for name, content in files:
        message.add_attachment(
            content, maintype="application", subtype="octet-stream", filename=name
        )
    if language:  # the top level's, as Outlook writes it (add_attachment moves Content-*)
        message["Content-Language"] = language
    return message.as_bytes()


def test_a_mail_of_only_a_file_opens_with_the_placeholder_and_lists_the_file() -> None:
    contact, files = read_payload(Channel.EMAIL, only_files(("boarding.png", PNG)), T0, LIMITS)

    assert (contact.subject, contact.text) == (None, "[Message with attachments only]")
    assert [a.name for a in contact.attachments] == ["boarding.png"]
    assert [f.content for f in files] == [PNG]


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("ja-JP", "ja"),
        ("zh-CN", "zh-Hans"),
        ("zh-TW, en", "zh-Hant"),
        ("en-US", "en"),
        ("fr", "en"),
    ],
)
def test_the_placeholder_is_in_the_mails_content_language_when_tripcare_speaks_it(
    tag: str, language: str
) -> None:
    """Its acknowledgement speaks the same language (guessed from the text), and the few
    words never move a ticket's language when they come as a follow-up."""
    raw = only_files(("boarding.png", PNG), language=tag)
    contact, _ = read_payload(Channel.EMAIL, raw, T0, LIMITS)

    assert contact.text == ATTACHMENTS_ONLY[language]
    assert guess_language(contact.text) == language
    assert confident_languages(contact.text) == ()


@pytest.mark.parametrize(
    ("files", "why"),
    [
        ((("setup.exe", EXE),), "setup.exe (type not accepted)"),
        (
            (("empty.pdf", b""), ("setup.exe", EXE)),
            "empty.pdf (empty), setup.exe (type not accepted)",
        ),
    ],
)
def test_a_mail_with_neither_text_nor_a_file_intake_keeps_is_refused_naming_them(
    files: tuple[tuple[str, bytes], ...], why: str
) -> None:
    """As an in-app message of only refused files: the 422 says which and why, at the
    attachments (``["body", "attachments"]``), not at the mail's body it never blamed."""
    with pytest.raises(PayloadError) as refused:
        read_payload(Channel.EMAIL, only_files(*files), T0, LIMITS)

    assert (refused.value.loc, refused.value.message) == (
        ("attachments",),
        f"no text, and no attachment kept: {why}",
    )


def test_a_mail_with_neither_text_nor_any_file_is_refused_as_before() -> None:
    raw = only_files()
    with pytest.raises(PayloadError) as refused:
        read_payload(Channel.EMAIL, raw, T0, LIMITS)

    assert (refused.value.field, refused.value.message) == ("body", "the e-mail has no text")


async def test_the_mailbox_reader_takes_a_mail_of_only_a_file_and_skips_one_of_none_kept() -> None:
    desk = await mail_desk()
    folder = Folder(
        only_files(("error.png", PNG), language="ja-JP", uid="1"),
        only_files(("setup.exe", EXE), uid="2"),
    )

    await desk.read(folder)

    status = await desk.status()
    assert (status["received"], status["rejected"]) == (1, 1)
    assert status["last_skipped"] == (
        "UID 2: attachments: no text, and no attachment kept: setup.exe (type not accepted)"
    )
    (ticket,) = desk.db["tickets"].docs.values()
    assert (ticket["text"], ticket["language"], ticket["status"]) == (
        "[メッセージは添付のみ]",
        "ja",
        "acknowledged",
    )
    assert [a["name"] for a in ticket["attachments"]] == ["error.png"]
    assert "ticket.acknowledged" in {m.routing_key for m in desk.outbox.messages}
