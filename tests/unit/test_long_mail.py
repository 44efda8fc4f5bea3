"""A traveller's mail longer than a contact's text (a pasted itinerary, a long complaint, a
forwarded thread) opens a ticket with its text shortened near the cap, a marker in the
mail's language at its end, and the full text kept as ``message.txt``, on the HTTP e-mail
channel and the mailbox reader alike (both read it with ``read_payload``; docs/api.md)."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from pydantic import ValidationError

from contracts.events import Channel
from services.intake.attachments import MB, AttachmentPolicy, check, read_payload
from services.intake.channels.long_mail import FULL_TEXT_NAME, SHORTENED, TEXT_MAX, Kept, fitted
from services.routing.triage.model import default_model
from tests import factories
from tests.factories import T0
from tests.unit.test_mailbox_reader import Folder, mail_desk

LIMITS = AttachmentPolicy()
ROOM = 10 * MB
LINE = "2026-12-14  CA1501  PEK 08:00 -> SHA 10:15  seat 32A  fare class Y  ref ABC123\n"
SENTENCE = "My flight was cancelled and nobody at the counter could tell me what to do. "
CJK = "我的航班被取消了柜台没有人告诉我应该怎么办"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def long_mail(text: str, *, language: str | None = None, files: int = 0, uid: str = "1") -> bytes:
    message = EmailMessage()
    message["From"] = "Li Lei <li.lei@corp.example>"
    message["To"] = "support@acme.example"
    message["Subject"] = "My trip"
    message["Message-ID"] = f"<long-{uid}@corp.example>"
    message.set_content(text)
    for index in range(files):
        message.add_attachment(PNG, maintype="image", subtype="png", filename=f"p{index}.png")
    if language:
        message["Content-Language"] = language
    return message.as_bytes()


def body_of(shortened: str, language: str = "en", kept: Kept = Kept.WHOLE) -> str:
    marker = SHORTENED[language][kept]
    assert shortened.endswith("\n\n" + marker)
    return shortened.removesuffix("\n\n" + marker)


# ------------------------------------------------------------------ the pure rule


def test_text_within_the_cap_is_untouched_and_has_no_attachment() -> None:
    text = "x" * (TEXT_MAX - 1) + "."

    assert fitted(text, "en", ROOM).text == text
    assert fitted(text, "en", ROOM).attachment is None


def test_a_long_itinerary_is_cut_at_a_line_end_near_the_cap() -> None:
    text = LINE * (TEXT_MAX // len(LINE) * 2)

    result = fitted(text, "en", ROOM)

    body = body_of(result.text)
    assert len(result.text) <= TEXT_MAX
    assert text.startswith(body + "\n")
    assert len(body) > TEXT_MAX - 1_000
    assert result.attachment == text.encode()


def test_a_long_paragraph_is_cut_after_a_sentence() -> None:
    text = SENTENCE * (TEXT_MAX // len(SENTENCE) + 50)

    body = body_of(fitted(text, "en", ROOM).text)

    assert body.endswith("do.")
    assert text.startswith(body)
    assert len(body) > TEXT_MAX - 1_000


def test_cjk_text_without_spaces_is_cut_after_a_full_stop() -> None:
    text = (CJK + "。") * (TEXT_MAX // len(CJK) + 50)

    result = fitted(text, "zh-Hans", ROOM)

    body = body_of(result.text, "zh-Hans")
    assert len(result.text) <= TEXT_MAX
    assert body.endswith("怎么办。")
    assert text.startswith(body)


def test_text_with_no_boundary_at_all_is_cut_at_the_cap() -> None:
    text = CJK * (TEXT_MAX // len(CJK) + 50)

    result = fitted(text, "zh-Hans", ROOM)

    assert len(result.text) == TEXT_MAX
    assert text.startswith(body_of(result.text, "zh-Hans"))


@pytest.mark.parametrize("language", ["en", "zh-Hans", "zh-Hant", "ja"])
def test_the_marker_is_in_the_mails_language_and_names_the_attachment(language: str) -> None:
    marker = SHORTENED[language][Kept.WHOLE]

    assert fitted(LINE * 1_000, language, ROOM).text.endswith(marker)
    assert FULL_TEXT_NAME in marker


def test_a_full_text_over_the_room_keeps_what_fits_and_says_so() -> None:
    text = "行程" * TEXT_MAX  # 3 bytes a character: a cut at 100 bytes splits one

    part = fitted(text, "zh-Hant", 100)
    nothing = fitted(text, "zh-Hant", 0)

    assert part.attachment == text.encode()[:99]
    body_of(part.text, "zh-Hant", Kept.PART)
    assert nothing.attachment is None
    body_of(nothing.text, "zh-Hant", Kept.NONE)


# ------------------------------------------------------------------ mail to contact


def test_a_long_mail_becomes_a_contact_with_its_full_text_as_message_txt() -> None:
    text = LINE * (TEXT_MAX // len(LINE) * 3)

    contact, files = read_payload(Channel.EMAIL, long_mail(text, language="ja-JP"), T0, LIMITS)

    assert len(contact.text) <= TEXT_MAX
    assert contact.text.endswith(SHORTENED["ja"][Kept.WHOLE])
    assert [a.name for a in contact.attachments] == [FULL_TEXT_NAME]
    (kept,) = check(files, LIMITS)
    assert (kept.kept, kept.name, kept.content_type) == (True, FULL_TEXT_NAME, "text/plain")
    assert kept.file.content.decode() == text.rstrip("\n")


def test_the_full_text_comes_after_the_mails_own_files_within_their_limits() -> None:
    text = LINE * (TEXT_MAX // len(LINE) * 3)
    full = len(text.rstrip("\n").encode())
    snug = AttachmentPolicy(max_total_bytes=len(PNG) + 1_000, max_files=3)

    contact, files = read_payload(Channel.EMAIL, long_mail(text, files=1), T0, snug)
    crowded, refused = read_payload(Channel.EMAIL, long_mail(text, files=3), T0, snug)

    assert [f.name for f in files] == ["p0.png", FULL_TEXT_NAME]
    assert [c.kept for c in check(files, snug)] == [True, True]
    assert len(files[1].content) == 1_000 < full
    assert contact.text.endswith(SHORTENED["en"][Kept.PART])
    assert [f.name for f in refused] == ["p0.png", "p1.png", "p2.png"]
    assert crowded.text.endswith(SHORTENED["en"][Kept.NONE])


def test_booking_references_are_read_from_the_full_text() -> None:
    text = SENTENCE * (TEXT_MAX // len(SENTENCE) + 50) + "Order no. 8812345678"

    contact, _ = read_payload(Channel.EMAIL, long_mail(text), T0, LIMITS)

    assert "8812345678" not in contact.text
    assert [r.value for r in contact.references] == ["8812345678"]


def test_a_mail_exactly_at_the_cap_is_untouched() -> None:
    text = "x" * (TEXT_MAX - 1) + "."

    contact, files = read_payload(Channel.EMAIL, long_mail(text), T0, LIMITS)

    assert (contact.text, contact.attachments, files) == (text, [], [])


def test_the_shortened_text_is_triaged_as_what_the_traveller_wrote() -> None:
    """Routing reads the ticket's text: the marker at its end neither hides the message
    (as a signature would be) nor changes what triage makes of it."""
    text = SENTENCE * (TEXT_MAX // len(SENTENCE) + 50)
    contact, _ = read_payload(Channel.EMAIL, long_mail(text), T0, LIMITS)
    model = default_model()

    shortened, plain = model.classify(contact.text), model.classify(body_of(contact.text))

    assert shortened.category == plain.category
    assert shortened.urgency == plain.urgency


async def test_the_mailbox_reader_takes_a_long_mail() -> None:
    desk = await mail_desk()
    text = (CJK + "。") * (TEXT_MAX // len(CJK) + 50)

    await desk.read(Folder(long_mail(text, language="zh-CN")))

    status = await desk.status()
    assert (status["received"], status.get("rejected", 0)) == (1, 0)
    (ticket,) = desk.db["tickets"].docs.values()
    marker = SHORTENED["zh-Hans"][Kept.WHOLE]
    assert len(ticket["text"]) <= TEXT_MAX
    assert ticket["text"].endswith(marker)  # the shortened text is kept whole
    assert text.startswith(ticket["text"].removesuffix(marker).rstrip())
    assert [a["name"] for a in ticket["attachments"]] == [FULL_TEXT_NAME]
    assert "ticket.acknowledged" in {m.routing_key for m in desk.outbox.messages}


def test_the_cap_is_the_contracts() -> None:
    factories.contact(text="x" * TEXT_MAX)
    with pytest.raises(ValidationError):
        factories.contact(text="x" * (TEXT_MAX + 1))
