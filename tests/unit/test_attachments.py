"""Which files are kept, under which name and type: the checks before anything is stored."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Sequence
from email.feedparser import FeedParser
from typing import Any

import orjson
import pytest

from contracts import events
from contracts.events import Channel
from services.intake.api.files import download
from services.intake.attachment_store import StoredFile
from services.intake.attachments import (
    MB,
    AttachmentPolicy,
    IncomingFile,
    check,
    safe_filename,
    sniffed_type,
)
from tests.factories import T0, envelope
from tests.unit.test_threading import intake

PDF = b"%PDF-1.7\n..."


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("itinerary.pdf", "itinerary.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\li\\行程单.pdf", "行程单.pdf"),
        ('in"voice<1>.pdf', "in_voice_1_.pdf"),
        ("\x00\x1b[31mred.txt", "[31mred.txt"),
        (".htaccess", "htaccess"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("行程\u200b单\u2067.pdf\u2069", "行程单.pdf"),
        ("\ufeff\u200e", "attachment"),
        ("", "attachment"),
        (None, "attachment"),
        ("a" * 300 + ".pdf", "a" * 116 + ".pdf"),
        ("invoice.exe. . ", "invoice.exe"),
    ],
)
def test_file_names_are_safe_to_show_and_to_download(given: str | None, safe: str) -> None:
    assert safe_filename(given) == safe


@pytest.mark.parametrize(
    ("content", "name", "found"),
    [
        (PDF, "x.bin", "application/pdf"),
        (b"\xff\xd8\xff\xe0JFIF", "photo", "image/jpeg"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "a.webp", "image/webp"),
        (b"PK\x03\x04rest", "report.xlsx", None),
        (b"PK\x03\x04rest", "archive.zip", None),
        ("行程 CA1501".encode(), "notes.txt", "text/plain"),
        (b"\xff\xfe bad utf8", "notes.txt", None),
        (b"MZ\x90\x00", "invoice.pdf", None),
        (b"<html><script>", "page.html", None),
    ],
)
def test_the_type_is_read_from_the_bytes_not_the_senders_word(
    content: bytes, name: str, found: str | None
) -> None:
    expected = found
    if name == "report.xlsx":
        expected = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert sniffed_type(content, name) == expected


GIF = b"GIF89a\x01\x00\x01\x00"


@pytest.mark.parametrize(
    ("name", "content", "kept_as"),
    [
        ("statement.hta", PDF, ("statement.pdf", "application/pdf")),
        ("photo.js", GIF, ("photo.gif", "image/gif")),
        ("voucher.html", GIF, ("voucher.gif", "image/gif")),
        ("invoice.pdf.exe", PDF, ("invoice.pdf", "application/pdf")),
        ("invoice\u202efdp.exe", PDF, ("invoicefdp.pdf", "application/pdf")),
        ("receipt.pdf.", PDF, ("receipt.pdf", "application/pdf")),
        ("notes.txt.bat", b"CA1501 refund", ("notes.txt", "text/plain")),
        ("行程单", PDF, ("行程单.pdf", "application/pdf")),
    ],
)
def test_a_kept_file_is_named_for_the_type_its_bytes_are(
    name: str, content: bytes, kept_as: tuple[str, str]
) -> None:
    (checked,) = check([IncomingFile(name, "application/pdf", content)], AttachmentPolicy())
    assert checked.kept
    assert (checked.name, checked.content_type) == kept_as
    assert checked.metadata().name == kept_as[0]


def test_a_refused_file_is_listed_under_the_name_it_came_with() -> None:
    (checked,) = check(
        [IncomingFile("invoice.pdf.exe", "application/pdf", b"MZ\x90\x00")], AttachmentPolicy()
    )
    assert (checked.reason, checked.name) == ("type not accepted", "invoice.pdf.exe")


async def test_a_file_stored_under_another_types_name_is_downloaded_under_its_own() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield PDF

    stored = StoredFile("statement.hta", "application/pdf", len(PDF), chunks())

    answer = download(stored)

    assert answer.media_type == "application/pdf"
    disposition = answer.headers["content-disposition"]
    assert disposition == "attachment; filename=\"statement.pdf\"; filename*=UTF-8''statement.pdf"


def test_limits_refuse_a_file_with_a_reason_and_keep_the_others() -> None:
    limits = AttachmentPolicy(max_file_bytes=1 * MB, max_total_bytes=2 * MB, max_files=4)
    big = PDF + b"x" * MB
    files = [
        IncomingFile("a.pdf", "application/pdf", PDF + b"a" * (MB - 100)),
        IncomingFile("big.pdf", "application/pdf", big),
        IncomingFile("b.pdf", "application/pdf", PDF + b"b" * (MB - 100)),
        IncomingFile("c.pdf", "application/pdf", PDF + b"c" * 200),
        IncomingFile("d.pdf", "application/pdf", PDF),
        IncomingFile("empty.pdf", "application/pdf", b""),
    ]

    checked = check(files, limits)

    assert [c.reason for c in checked] == [
        None,
        "larger than 1 MB",
        None,
        "more than 2 MB in all",
        "more than 4 files",
        "more than 4 files",
    ]
    assert checked[0].metadata("f1").id == "f1"
    assert checked[1].metadata().id is None


def test_an_empty_file_is_refused() -> None:
    (checked,) = check([IncomingFile("x.pdf", "application/pdf", b"")], AttachmentPolicy())
    assert checked.reason == "empty"


MAIL_WITH_PDF = (
    b"Message-ID: <m1@mail.example>\r\nFrom: li@mail.example\r\nSubject: receipt\r\n"
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
    b"Content-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
    b"Content-Type: application/pdf\r\n"
    b'Content-Disposition: attachment; filename="receipt.pdf"\r\n\r\n' + PDF + b"\r\n--b--\r\n"
)
IN_APP_WITH_PDF = orjson.dumps(
    {
        "message_id": "app-1",
        "user_id": "trav-42",
        "session_id": "s1",
        "text": "receipt attached",
        "attachments": [
            {
                "name": "receipt.pdf",
                "content_type": "application/pdf",
                "size": len(PDF),
                "content": base64.b64encode(PDF).decode(),
            }
        ],
    }
)


def parses_counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each JSON document and each e-mail read from now on, by what read it."""
    parses: list[str] = []
    loads, close = orjson.loads, FeedParser.close

    def counted_loads(data: bytes | str) -> Any:
        parses.append("json")
        return loads(data)

    def counted_close(parser: FeedParser) -> Any:
        parses.append("mail")
        return close(parser)

    monkeypatch.setattr(orjson, "loads", counted_loads)
    monkeypatch.setattr(FeedParser, "close", counted_close)
    return parses


@pytest.mark.parametrize(
    ("channel", "body", "read"),
    [(Channel.IN_APP, IN_APP_WITH_PDF, "json"), (Channel.EMAIL, MAIL_WITH_PDF, "mail")],
)
async def test_a_native_payload_is_read_once_for_its_contact_and_its_files(
    monkeypatch: pytest.MonkeyPatch, channel: Channel, body: bytes, read: str
) -> None:
    desk, _, _ = intake()
    taken: list[tuple[events.ContactReceived, Sequence[IncomingFile]]] = []

    async def receive(
        tenant: str, contact: events.ContactReceived, cause: Any, files: Sequence[IncomingFile]
    ) -> Any:
        taken.append((contact, files))

    monkeypatch.setattr(desk, "receive_contact", receive)
    parses = parses_counted(monkeypatch)
    message = events.ChannelMessageReceived(channel=channel, body=body.decode(), received_at=T0)

    await desk.receive_channel_message(envelope(message))

    assert parses == [read]
    ((contact, files),) = taken
    assert [f.content for f in files] == [PDF]
    assert [a.name for a in contact.attachments] == ["receipt.pdf"]
