"""Notify's mail as it goes on the wire: its language named, CJK text encoded so that every
mail client reads back exactly what was rendered."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import replace
from email.header import decode_header, make_header
from email.message import EmailMessage

import pytest
from aiosmtplib.email import flatten_message

from contracts.events import Attachment, ReplyChannel
from services.notify.channels.mail_thread import Thread, attach, compose
from services.notify.channels.sender import Outgoing

DOMAIN = "mail.tripcare.test"
SENDER = "TripCare Support <support@tripcare.example>"
LONG_JA = (
    "ご依頼いただいたフライトの変更について、担当者から新しい返信が届きました。"
    "内容をご確認のうえ、必要に応じてこのメールにご返信ください（TC-ABCDEFGHIJKL）"
)
NOTICE = Outgoing(
    delivery_id="N-aaaaaaaaaaaaaaaaaaaa",
    tenant_id="acme",
    ticket_id="TC-ABCDEFGHIJKL",
    recipient="trav-1",
    role="traveller",
    channel=ReplyChannel.EMAIL,
    address="aiko@acme.example",
    language="ja",
    template="ticket_replied",
    subject=LONG_JA,
    body="山田様\n\nご依頼の便を変更しました。\n",
    link=None,
)
ENCODED_WORD = re.compile(r"=\?([^?]+)\?([bBqQ])\?[^?]*\?=")


def on_the_wire(mail: EmailMessage, *, eight_bit: bool = True) -> bytes:
    """The bytes aiosmtplib hands the server (8BITMIME or not, addresses in ASCII)."""
    return flatten_message(mail, utf8=False, cte_type="8bit" if eight_bit else "7bit")


def read_back(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize("language", ["en", "zh-Hans", "zh-Hant", "ja"])
@pytest.mark.parametrize("role", ["traveller", "booker", "agent", "manager"])
def test_every_mail_names_its_language_on_the_wire(language: str, role: str) -> None:
    """The header was set before the body, and ``set_content`` drops every Content-* header:
    no mail went out with it."""
    mail = compose(replace(NOTICE, language=language, role=role), SENDER, DOMAIN)

    assert read_back(on_the_wire(mail))["Content-Language"] == language


def test_a_mail_with_files_names_its_language_on_the_whole_message() -> None:
    voucher = Attachment(
        name="voucher.pdf", content_type="application/pdf", size=9, url="https://t/v"
    )
    mail = compose(NOTICE, SENDER, DOMAIN)

    attach(mail, [(voucher, b"%PDF-1.4\n")])

    back = read_back(on_the_wire(mail))
    assert back.get_content_type() == "multipart/mixed"
    assert back["Content-Language"] == "ja"
    body = back.get_body(("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == NOTICE.body


@pytest.mark.parametrize("eight_bit", [True, False])
@pytest.mark.parametrize(
    ("subject", "long"),
    [
        (LONG_JA, True),
        ("ホテル Hilton Tokyo の予約（TC-ABCDEFGHIJKL）について、山田 太郎 様より", True),
        ("工单 TC-ABCDEFGHIJKL 已解决", False),
        ("您的請求 TC-ABCDEFGHIJKL 已處理完畢，感謝您耐心等候我們的回覆與後續安排說明", True),
    ],
)
def test_a_cjk_subject_is_folded_in_encoded_words_and_reads_back_exactly(
    subject: str, long: bool, eight_bit: bool
) -> None:
    mail = compose(replace(NOTICE, subject=subject), SENDER, DOMAIN)

    raw = on_the_wire(mail, eight_bit=eight_bit)

    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")  # RFC 2047: no raw 8-bit in headers
    assert all(len(line) <= 78 for line in head.split("\r\n"))
    folded = re.search(r"^Subject: .*?(?=\r\n\S)", head, re.M | re.S)
    assert folded is not None
    assert ("\r\n " in folded.group()) == long, "a long subject is folded"
    words = list(ENCODED_WORD.finditer(folded.group()))
    assert words
    assert all(len(w.group()) <= 75 for w in words)  # RFC 2047, 2: at most 75 characters
    assert {w.group(1).lower() for w in words} == {"utf-8"}
    back = read_back(raw)
    assert back["Subject"] == mail["Subject"]
    assert "[TC-ABCDEFGHIJKL]" in back["Subject"]
    assert back.get_content_charset() == "utf-8"
    assert back.get_content().replace("\r\n", "\n") == NOTICE.body


SUBJECTS = [
    LONG_JA[:cut] + tail
    for cut in range(20, len(LONG_JA), 7)
    for tail in ("", "（TC-ABCDEFGHIJKL）", " 山田 太郎 様", "，您的请求已处理完毕")
]


@pytest.mark.parametrize("eight_bit", [True, False])
def test_no_encoded_word_is_longer_than_rfc_2047_allows(eight_bit: bool) -> None:
    """RFC 2047, 2: an encoded-word is at most 75 characters; CPython's folder, left to its
    78-character lines, writes 76. The subject, a display name written in Chinese or
    Japanese, and the threading headers beside them, read back as set."""
    thread = Thread(root=f"<{'r' * 70}@{DOMAIN}>")
    sender = "途程出行客服中心・トリップケア・サポートデスク（東京） <support@tripcare.example>"
    for subject in SUBJECTS:
        notice = replace(NOTICE, subject=subject, template="ticket_resolved")
        mail = compose(notice, sender, DOMAIN, thread)
        raw = on_the_wire(mail, eight_bit=eight_bit)
        head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
        words = [w.group() for w in ENCODED_WORD.finditer(head)]
        assert words
        assert max(map(len, words)) <= 75, subject
        back = read_back(raw)
        assert back["Subject"] == mail["Subject"]
        # CPython's parser keeps the space between a display name's encoded-words, which
        # RFC 2047, 6.2 says to drop (and mail clients do): decode_header drops it
        from_line = re.search(r"^From: (.*?)(?=\r\n\S)", head, re.M | re.S)
        assert from_line is not None
        assert str(make_header(decode_header(from_line.group(1)))) == sender
        assert back["References"] == thread.root
        assert back["In-Reply-To"] == thread.root
        assert back["Message-ID"] == mail["Message-ID"]
