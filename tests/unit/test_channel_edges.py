"""Channel payloads at their edges: every way one is malformed is a ``PayloadError`` (422).

Each case used to escape as a pydantic ValidationError, ValueError, OverflowError,
LookupError, IndexError or RecursionError (a 500), or was accepted as garbage.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from contracts import events
from contracts.events import Channel
from services.intake.attachments import files_of_email
from services.intake.channels import PayloadError, normalise
from services.intake.channels.checks import parse_email
from tests import factories

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "channels"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def fixture(file: str, /, **changes: Any) -> bytes:
    body = orjson.loads((FIXTURES / file).read_bytes())
    for dotted, value in changes.items():
        target = body
        *path, last = dotted.split("__")
        for part in path:
            target = target[part]
        target[last] = value
    return orjson.dumps(body)


def refused(channel: Channel, body: bytes) -> PayloadError:
    with pytest.raises(PayloadError) as caught:
        normalise(channel, body, NOW)
    return caught.value


LONG = "x" * 1_000
LINKED = {"name": "a.pdf", "content_type": "application/pdf", "size": 1}
NOT_WEB_LINKS = [
    "javascript:alert(document.cookie)",
    "JavaScript://cdn.example.com/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "//cdn.example.com/a.pdf",
    "https:///a.pdf",
    "https://cdn.example.com/a b.pdf",
]
"""Links a console must never make clickable, or that point nowhere a gateway keeps files."""


@pytest.mark.parametrize(
    ("channel", "body", "field", "message"),
    [
        (Channel.PHONE, fixture("phone.json", traveller_id="t" * 300), "traveller_id", "at most"),
        (Channel.PHONE, fixture("phone.json", language=LONG), "language", "at most 35"),
        (Channel.PHONE, fixture("phone.json", ivr_path=[LONG]), "ivr_path.0", "at most 64"),
        (
            Channel.PHONE,
            fixture("phone.json", caller_number="call me"),
            "caller_number",
            "not a phone number",
        ),
        (Channel.WEB_CHAT, fixture("web_chat.json", visitor__name=LONG), "visitor.name", "at most"),
        (Channel.WEB_CHAT, fixture("web_chat.json", device=LONG), "device", "at most 200"),
        (Channel.IN_APP, fixture("in_app.json", user_name=LONG), "user_name", "at most 200"),
        (
            Channel.IN_APP,
            fixture("in_app.json", attachments=[{"name": LONG, "content_type": "a/b", "size": 1}]),
            "attachments.0.name",
            "at most 255",
        ),
        *(
            (
                Channel.IN_APP,
                fixture("in_app.json", attachments=[{**LINKED, "url": url}]),
                "attachments.0.url",
                "must be an absolute http:// or https:// URL",
            )
            for url in NOT_WEB_LINKS
        ),
        (
            Channel.WECOM,
            fixture("wecom.json", external_userid="u" * 300),
            "external_userid",
            "at most",
        ),
        (Channel.DINGTALK, fixture("dingtalk.json", senderNick=LONG), "senderNick", "at most 200"),
        (Channel.DINGTALK, fixture("dingtalk.json", senderId="s" * 300), "senderId", "at most"),
        (
            Channel.DINGTALK,
            fixture("dingtalk.json", senderStaffId="s" * 300),
            "senderStaffId",
            "at most",
        ),
        (
            Channel.WEB_FORM,
            fixture("web_form.json", email="not-an-email"),
            "email",
            "not an e-mail address",
        ),
        (Channel.WEB_FORM, fixture("web_form.json", message=" \t\n "), "message", "visible"),
    ],
)
def test_an_absurd_field_is_refused_by_name(
    channel: Channel, body: bytes, field: str, message: str
) -> None:
    error = refused(channel, body)

    assert (error.field, message in error.message) == (field, True), error


@pytest.mark.parametrize(
    ("channel", "body", "field", "message"),
    [
        (
            Channel.PHONE,
            fixture("phone.json", started_at="9999-12-31T00:00:00Z"),
            "started_at",
            "future",
        ),
        (
            Channel.PHONE,
            fixture("phone.json", started_at="1970-01-01T00:00:00Z"),
            "started_at",
            "before 2000",
        ),
        (
            Channel.WEB_CHAT,
            fixture("web_chat.json", sent_at="2026-11-28T12:10:00Z"),
            "sent_at",
            "future",
        ),
        (Channel.WECOM, fixture("wecom.json", send_time=10**12), "send_time", "less than or equal"),
        (
            Channel.WECOM,
            fixture("wecom.json", send_time=-(10**12)),
            "send_time",
            "greater than or equal",
        ),
        (Channel.WECOM, fixture("wecom.json", send_time=1_900_000_000), "send_time", "future"),
        (
            Channel.DINGTALK,
            fixture("dingtalk.json", createAt=10**18),
            "createAt",
            "less than or equal",
        ),
    ],
)
def test_an_absurd_time_is_refused_by_name(
    channel: Channel, body: bytes, field: str, message: str
) -> None:
    error = refused(channel, body)

    assert (error.field, message in error.message) == (field, True), error


def test_a_time_within_the_clock_skew_is_taken_and_a_naive_one_is_utc() -> None:
    contact = normalise(Channel.PHONE, fixture("phone.json", started_at="2026-11-28T12:03:00"), NOW)

    assert contact.received_at == datetime(2026, 11, 28, 12, 3, tzinfo=UTC)


WECHAT = (FIXTURES / "wechat_text.xml").read_bytes()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (WECHAT.replace(b"1795837200", b"yesterday"), "CreateTime", "epoch seconds"),
        (WECHAT.replace(b"1795837200", b"-5"), "CreateTime", "epoch seconds"),
        (WECHAT.replace(b"1795837200", b"99999999999"), "CreateTime", "future"),
        (WECHAT.replace(b"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", b"o" * 300), "FromUserName", "at most"),
        (b'<!DOCTYPE xml SYSTEM "x.dtd">' + WECHAT, "body", "DTD"),
        (WECHAT.replace("报销单".encode(), "报销单".encode("gbk")), "body", "not WeChat XML"),
        (
            WECHAT.replace("报销单一直在审批中，已经一周了，能帮忙催一下吗".encode(), b" "),
            "Content",
            "missing",
        ),
    ],
)
def test_wechat_xml_at_its_edges(body: bytes, field: str, message: str) -> None:
    error = refused(Channel.WECHAT, body)

    assert (error.field, message in error.message) == (field, True), error


def email(*headers: str, body: bytes = b"hello", content_type: str = "text/plain") -> bytes:
    lines = ["Message-ID: <m1@mail.example>", "From: Li Lei <li@mail.example>", *headers]
    head = "\r\n".join(lines).encode()
    return head + f"\r\nContent-Type: {content_type}\r\n\r\n".encode() + body


def nested(depth: int) -> bytes:
    raw = b"Message-ID: <m2@mail.example>\r\nFrom: li@mail.example\r\n"
    for level in range(depth):
        raw += f"Content-Type: multipart/mixed; boundary=b{level}\r\n\r\n--b{level}\r\n".encode()
    return raw + b"Content-Type: text/plain\r\n\r\nhi\r\n"


def attached(depth: int) -> bytes:
    """A mail attached to a mail attached to a mail…, ``depth`` times."""
    head = b"Message-ID: <m4@mail.example>\r\nFrom: li@mail.example\r\n"
    return head + b"Content-Type: message/rfc822\r\n\r\n" * depth + b"\r\nhi\r\n"


def sections(count: int) -> bytes:
    """One multipart/mixed of ``count`` text parts: the first is the text, the rest files."""
    parts = b"".join(
        f"--b\r\nContent-Type: text/plain\r\n\r\npart {n}\r\n".encode() for n in range(count)
    )
    return email(content_type='multipart/mixed; boundary="b"', body=parts + b"--b--\r\n")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            email(content_type="text/plain; charset=x-klingon"),
            "body",
            "unknown charset 'x-klingon'",
        ),
        (email().replace(b"<m1@mail.example>", b"<"), "Message-ID", "malformed"),
        (email().replace(b"<m1@mail.example>", b"<a@"), "Message-ID", "malformed"),
        (email().replace(b"<m1@mail.example>", b"not a message id"), "Message-ID", "malformed"),
        (email().replace(b"<m1@mail.example>", b"<a@b> <c@d>"), "Message-ID", "malformed"),
        (email().replace(b"<m1@mail.example>", b"m1@mail.example"), "Message-ID", "malformed"),
        (nested(1_000), "body", "multipart sections"),
        (sections(21), "body", "more than 20 multipart sections"),
        (sections(25), "body", "more than 20 multipart sections"),
        (sections(100_000), "body", "more than 20 multipart sections"),
        (attached(1_000), "body", "more than 20 multipart sections"),
        (email().replace(b"Li Lei", "李雷".encode("gbk")), "From", "does not decode"),
        (
            email(
                "Subject: " + "=?utf-8?B?" + base64.b64encode("退款".encode("gbk")).decode() + "?="
            ),
            "Subject",
            "does not decode",
        ),
        (email().replace(b"Li Lei", b"L" * 1_000), "traveller.name", "at most 200"),
        (email(body=b"\x00\x00"), "text", "NUL"),
        (email(body=b" \r\n\t "), "body", "no text"),
    ],
)
def test_email_at_its_edges(body: bytes, field: str, message: str) -> None:
    error = refused(Channel.EMAIL, body)

    assert (error.field, message in error.message) == (field, True), error


def test_an_email_of_twenty_sections_is_taken_with_its_first_part_as_the_text() -> None:
    contact = normalise(Channel.EMAIL, sections(20), NOW)

    assert (contact.channel_message_id, contact.text) == ("<m1@mail.example>", "part 0")


def test_an_email_from_header_in_utf8_or_rfc2047_is_decoded() -> None:
    encoded = base64.b64encode("李雷".encode("gb2312")).decode()

    raw_utf8 = normalise(Channel.EMAIL, email().replace(b"Li Lei", "李雷".encode()), NOW)
    rfc2047 = normalise(
        Channel.EMAIL, email().replace(b"Li Lei", f"=?GB2312?B?{encoded}?=".encode()), NOW
    )

    assert raw_utf8.traveller.name == rfc2047.traveller.name == "李雷"


def test_an_attachment_with_an_overlong_name_is_refused_by_name() -> None:
    body = (
        b"Message-ID: <m3@mail.example>\r\nFrom: li@mail.example\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
        b"Content-Type: application/pdf\r\n"
        + f'Content-Disposition: attachment; filename="{"f" * 1_000}.pdf"\r\n\r\n'.encode()
        + b"%PDF\r\n--b--\r\n"
    )

    error = refused(Channel.EMAIL, body)

    assert (error.field, "at most 255" in error.message) == ("attachments.0.name", True)


@pytest.mark.parametrize("text", ["   ", "\t\n", "\x01\x02\x03", "\u200b\u200b", "\x1b[31mred"])
def test_text_of_only_spaces_or_control_characters_is_refused(text: str) -> None:
    """Without a file: blank text with one is a message of only files
    (test_attachment_only_contacts)."""
    error = refused(Channel.IN_APP, fixture("in_app.json", text=text, attachments=[]))

    assert error.field == "text"


@pytest.mark.parametrize("field", ["text", "user_id"])
def test_a_nul_anywhere_is_refused_by_the_strict_parser_every_json_body_goes_through(
    field: str,
) -> None:
    with pytest.raises(json.JSONDecodeError, match="NUL"):
        normalise(Channel.IN_APP, fixture("in_app.json", **{field: "trav\x0042"}), NOW)


def test_a_linked_file_keeps_its_absolute_http_or_https_url() -> None:
    links = ["https://cdn.example.com/a.pdf?sig=1#p2", "HTTP://files.example:8080/a.pdf"]
    attachments = [{**LINKED, "url": url} for url in links]

    contact = normalise(Channel.IN_APP, fixture("in_app.json", attachments=attachments), NOW)

    assert [a.url for a in contact.attachments] == links


@pytest.mark.parametrize("url", NOT_WEB_LINKS)
def test_a_contact_on_the_bus_with_a_link_that_is_not_http_is_refused(url: str) -> None:
    """The contract itself refuses it, so a gateway on the bus gets a dead letter, not a ticket."""
    with pytest.raises(ValidationError, match=r"attachments\.0\.url\n.*must be an absolute http"):
        factories.contact(attachments=[{**LINKED, "url": url}])


def test_a_blank_optional_field_of_a_web_form_counts_as_left_out() -> None:
    contact = normalise(
        Channel.WEB_FORM, fixture("web_form.json", phone="", name="  ", subject=""), NOW
    )

    assert (contact.traveller.phone, contact.traveller.name, contact.subject) == (None, None, None)


def test_a_web_form_address_typed_with_a_space_at_either_end_is_taken() -> None:
    """A phone keyboard's autocomplete leaves a space after the address, and the traveller's
    form was a 422 the provider's webhook could not fix: the space is no part of the address
    or number (one inside still is refused)."""
    body = fixture("web_form.json", email="Maria.Lopez@globex.example ", phone=" +1 415 555 0134\t")

    contact = normalise(Channel.WEB_FORM, body, NOW)

    assert contact.traveller.id == "email:maria.lopez@globex.example"
    assert contact.traveller.email == "Maria.Lopez@globex.example"
    assert contact.traveller.phone == "+1 415 555 0134"
    with pytest.raises(PayloadError, match="email"):
        normalise(Channel.WEB_FORM, fixture("web_form.json", email="maria lopez@x.example"), NOW)


@pytest.mark.parametrize(
    ("event", "fields"),
    [
        (
            "BookingSegment",
            {"kind": "flight", "reference": "CA1", "starts_at": "9999-12-31T00:00Z"},
        ),
        (
            "BookingSegment",
            {"kind": "flight", "reference": "CA1\x00", "starts_at": "2026-12-24T08:00Z"},
        ),
        (
            "SupplierStatusChanged",
            {
                "partner": "ca",
                "kind": "flight_cancelled",
                "reference": "CA1501",
                "service_date": "9999-12-31",
                "reported_at": "2026-12-24T08:00Z",
            },
        ),
    ],
)
def test_what_the_booking_system_and_partners_put_on_the_bus_is_bounded_too(
    event: str, fields: dict[str, Any]
) -> None:
    """Year-9999 segments or disruptions would overflow the itinerary's and the SLA's
    arithmetic downstream: the contract refuses them, so they are dead-lettered."""
    model = getattr(events, event)

    with pytest.raises(ValidationError):
        model.model_validate(fields)


def test_a_refused_list_item_is_named_by_its_index_as_a_number() -> None:
    """``loc`` as in every other 422: ``["body", "attachments", 0, "url"]``, not ``"0"``."""
    attachments = [{**LINKED, "url": NOT_WEB_LINKS[0]}]

    error = refused(Channel.IN_APP, fixture("in_app.json", attachments=attachments))

    assert (error.loc, error.field) == (("attachments", 0, "url"), "attachments.0.url")


def _word(text: str, label: str, codec: str) -> str:
    return f"=?{label}?B?{base64.b64encode(text.encode(codec)).decode()}?="


@pytest.mark.parametrize(
    ("label", "codec", "subject", "text"),
    [
        ("Shift_JIS", "cp932", "㈱トラベル 領収書①", "①②の領収書を再発行してください"),
        ("gb2312", "gbk", "发票抬头：北京喆镕科技", "请开发票，抬头北京喆镕科技，谢谢"),
        ("big5", "big5hkscs", "退款", "我想退款，唔該晒，啲錢幾時到？"),
        ("windows-31j", "cp932", "ホテル満室", "至急対応をお願いします"),
        ("x-gbk", "gbk", "退款", "我要退款"),
    ],
)
def test_legacy_cjk_labels_are_read_as_their_supersets_as_mail_clients_read_them(
    label: str, codec: str, subject: str, text: str
) -> None:
    body = email(
        f"Subject: {_word(subject, label, codec)}",
        body=text.encode(codec),
        content_type=f"text/plain; charset={label}",
    ).replace(b"Li Lei", _word("山田太郎", label, codec).encode())

    contact = normalise(Channel.EMAIL, body, NOW)

    assert (contact.subject, contact.text, contact.traveller.name) == (subject, text, "山田太郎")


def test_an_attachment_name_in_a_legacy_cjk_label_is_read_as_its_superset() -> None:
    name = "㈱トラベル領収書.pdf".encode("cp932").hex("%").upper()
    body = (
        b"Message-ID: <m5@mail.example>\r\nFrom: li@mail.example\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
        b"Content-Type: application/pdf\r\n"
        + f"Content-Disposition: attachment; filename*=shift_jis''%{name}\r\n\r\n".encode()
        + b"%PDF\r\n--b--\r\n"
    )

    assert [file.name for file in files_of_email(parse_email(body))] == ["㈱トラベル領収書.pdf"]
    assert [a.name for a in normalise(Channel.EMAIL, body, NOW).attachments] == [
        "㈱トラベル領収書.pdf"
    ]


@pytest.mark.parametrize(
    ("date", "zone"),
    [
        ("Tue, 08 Dec 2026 09:10:00 +0800", "Etc/GMT-8"),  # Taipei: notices read UTC+08:00
        ("Mon, 07 Dec 2026 20:10:00 -0500", "Etc/GMT+5"),
        ("Tue, 08 Dec 2026 10:10:00 +0900", "Etc/GMT-9"),
        ("Tue, 08 Dec 2026 01:10:00 +0000", None),  # a server's clock as often as London's
        ("Tue, 08 Dec 2026 01:10:00 -0000", None),  # RFC 5322: the zone is not known
        ("Tue, 08 Dec 2026 06:40:00 +0530", None),  # no fixed-offset zone in the tz database
        ("Tue, 08 Dec 2026 06:40:00 +1500", None),
        ("yesterday", None),
        (None, None),
    ],
)
def test_an_email_tells_the_writers_clock_by_its_date_offset(
    date: str | None, zone: str | None
) -> None:
    """A Taipei traveller's mail said +0800 and every notice told her times in UTC."""
    raw = email(f"Date: {date}") if date else email()

    assert normalise(Channel.EMAIL, raw, NOW).traveller.time_zone == zone


@pytest.mark.parametrize(
    ("channel", "file", "sent", "zone"),
    [
        # a Japanese traveller's app at Frankfurt at 02:00 local: notices read UTC+01:00
        (Channel.IN_APP, "in_app.json", "2026-11-28T02:00:00+01:00", "Etc/GMT-1"),
        (Channel.WEB_CHAT, "web_chat.json", "2026-11-28T19:40:00+08:00", "Etc/GMT-8"),
        (Channel.IN_APP, "in_app.json", "2026-11-28T11:00:00Z", None),
        (Channel.WEB_CHAT, "web_chat.json", "2026-11-28T11:00:00", None),
        (Channel.WEB_CHAT, "web_chat.json", "2026-11-28T17:15:00+05:45", None),
    ],
)
def test_a_chat_tells_the_writers_clock_by_its_sent_at_offset(
    channel: Channel, file: str, sent: str, zone: str | None
) -> None:
    """An app or widget stamps sent_at with the device's offset, and every notice told the
    traveller their times in UTC."""
    contact = normalise(channel, fixture(file, sent_at=sent), NOW)

    assert contact.traveller.time_zone == zone


@pytest.mark.parametrize(
    ("content_language", "text", "hint"),
    [
        # Outlook in Taipei: characters both scripts share were read as Simplified
        ("zh-TW", "HB778812 扣款", "zh-Hant"),
        ("zh-Hant", "酒店扣款 HB778812", "zh-Hant"),
        ("zh-TW", "HB778812 扣款两次", None),  # 两 is Simplified: the text says so
        ("zh-TW", "飯店重複扣款", None),  # Traditional already: the guess reads it
        ("en-US", "HB778812 扣款", None),  # an English laptop says nothing of the script
        ("zh-CN", "HB778812 扣款", None),
        (None, "HB778812 扣款", None),
    ],
)
def test_a_chinese_mail_takes_its_script_from_content_language_when_its_text_cannot_tell(
    content_language: str | None, text: str, hint: str | None
) -> None:
    headers = [f"Content-Language: {content_language}"] if content_language else []
    raw = email(*headers, body=text.encode(), content_type="text/plain; charset=utf-8")

    assert normalise(Channel.EMAIL, raw, NOW).language_hint == hint
