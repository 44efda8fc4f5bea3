"""Quoted reply history in the mail clients travellers write from: cut, so that an old
thread's words neither become the ticket's message nor drive its triage, while nothing the
traveller wrote is lost."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from contracts.events import BookingReference, Channel, ReferenceKind
from services.intake.channels import normalise
from services.intake.channels.email import strip_quoted_reply

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

STRANDED = "Train cancelled, I'm stuck in Nagoya tonight."


@pytest.mark.parametrize(
    ("mail", "kept"),
    [
        (  # Outlook (Japanese): the header block starts with 差出人
            "ありがとうございました。\n\n差出人: TripCare <support@tripcare.example>\n"
            "送信日時: 2026年12月5日 10:00\n宛先: 山田\n件名: RE: 予約\n\n前回はひどい対応でした。",
            "ありがとうございました。",
        ),
        (  # Outlook's plain-text part as Gmail and Apple Mail render it: bold labels
            "Thanks so much, all sorted!\n\n*From:* TripCare <support@tripcare.example>\n"
            "*Sent:* Friday, 4 December 2026 10:00\n*To:* Amy\n*Subject:* RE: complaint\n\n"
            "This is terrible service.",
            "Thanks so much, all sorted!",
        ),
        (  # Japanese Gmail: a date and a sender ending in a colon, no "wrote"
            "至急、代わりの便を手配してください。\n\n"
            "2026年12月6日(日) 10:00 TripCare <support@tripcare.example>:\n> 承知しました。",
            "至急、代わりの便を手配してください。",
        ),
        (  # Gmail's attribution wrapped before the address
            "Thanks, all fixed.\n\nOn Sat, Dec 5, 2026 at 10:00 AM TripCare Support <\n"
            "support@tripcare.example> wrote:\n> We are sorry about the terrible service",
            "Thanks, all fixed.",
        ),
        (  # Chinese Gmail's attribution wrapped the same way
            "谢谢，问题已经解决了。\n\n在 2026年12月5日周六 10:00，TripCare\n"
            "<support@tripcare.example> 写道：\n> 服务太差了",
            "谢谢，问题已经解决了。",
        ),
        (  # Japanese Outlook's separator
            "ありがとうございました。\n\n----- 元のメッセージ -----\n最悪の対応です。",
            "ありがとうございました。",
        ),
    ],
    ids=["ja-outlook", "bold-outlook", "ja-gmail", "wrapped-en", "wrapped-zh", "ja-separator"],
)
def test_quoted_history_of_more_mail_clients_is_cut(mail: str, kept: str) -> None:
    assert strip_quoted_reply(mail) == kept


@pytest.mark.parametrize(
    "mail",
    [
        f"From: Nagoya to Tokyo.\n{STRANDED}",
        f"From: Nagoya\nTo: Tokyo\nDate: 7 Dec\n{STRANDED}",
        f"发件人：山田\n{STRANDED}",
    ],
    ids=["from-line", "itinerary", "sender-line"],
)
def test_a_line_that_only_looks_like_a_quote_header_cuts_nothing(mail: str) -> None:
    """A "From:" line alone is no quoted mail's header block (which names its subject or
    when it was sent): cut there, a stranded traveller's whole message was dropped and the
    ticket read only the subject."""
    assert STRANDED in strip_quoted_reply(mail)


def test_a_forwarded_mail_keeps_what_it_forwards() -> None:
    """The forwarded mail is what the traveller asks about ("see below")."""
    mail = (
        "Please see below, can you help?\n\n---------- Forwarded message ---------\n"
        "From: Hotel Sakura <desk@hotel.example>\nDate: Sat, 5 Dec 2026\n"
        "Subject: Your booking is cancelled\nTo: amy@acme.example\n\n"
        "We regret that your booking for 7 December has been cancelled."
    )

    text = strip_quoted_reply(mail)

    assert text.startswith("Please see below")
    assert "your booking for 7 December has been cancelled" in text


def ref(kind: ReferenceKind, value: str) -> BookingReference:
    return BookingReference(kind=kind, value=value)


def html_mail(html: str) -> bytes:
    return (
        b"Message-ID: <q1@mail.example>\r\nFrom: amy@mail.example\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n" + html.encode()
    )


@pytest.mark.parametrize(
    "html",
    [
        '<div dir="ltr">谢谢，已经解决了！</div><br><div class="gmail_quote"><div dir="ltr" '
        'class="gmail_attr">在 2026年12月5日周六 10:00，TripCare &lt;support@tripcare.example&gt;'
        ' 写道：<br></div><blockquote class="gmail_quote">服务太差了，我要投诉</blockquote></div>',
        "<div>谢谢，已经解决了！</div><blockquote type=cite><div>服务太差了，我要投诉</div>"
        "<div>第二行</div></blockquote>",
    ],
    ids=["gmail", "apple-mail"],
)
def test_an_html_only_reply_is_read_without_its_blockquoted_thread(html: str) -> None:
    """HTML-only clients quote in ``<blockquote>``: read as text, the old complaint ran on
    from the thanks on one line ("谢谢，已经解决了！服务太差了") and no cut found it."""
    contact = normalise(Channel.EMAIL, html_mail(html), NOW)

    assert contact.text == "谢谢，已经解决了！"


def test_an_html_table_keeps_its_cells_apart() -> None:
    """A pasted itinerary is a table: its cells ran together ("stuckFlightCA1501Date")."""
    html = (
        "<p>Check-in failed, the hotel has no booking</p><table><tr><td>Flight</td>"
        "<td>CA1501</td></tr><tr><td>Hotel</td><td>Hilton</td></tr></table>"
    )

    contact = normalise(Channel.EMAIL, html_mail(html), NOW)

    assert contact.text.split("\n") == [
        "Check-in failed, the hotel has no booking",
        "Flight CA1501",
        "Hotel Hilton",
    ]
    assert ref(ReferenceKind.FLIGHT, "CA1501") in contact.references


OLD_THREAD = "\n".join(f"> line {n} of what we wrote about the booking" for n in range(40))


@pytest.mark.parametrize(
    ("mail", "kept"),
    [
        (
            f"On Fri, 4 Dec 2026 at 10:00, TripCare <support@tripcare.example> wrote:\n"
            f"{OLD_THREAD}\n\nStill stranded at Narita, nobody has called me back!",
            "Still stranded at Narita, nobody has called me back!",
        ),
        (
            "Hi,\n\n在 2026年12月4日 10:00，TripCare <support@tripcare.example> 写道：\n"
            "> 请问是哪个航班？\n今晚的NH920\n> 您现在在哪里？\n还在成田机场，走不了",
            "Hi,\n\n今晚的NH920\n还在成田机场，走不了",
        ),
    ],
    ids=["below-the-quote", "between-the-quotes"],
)
def test_what_is_written_below_or_between_quoted_lines_is_kept(mail: str, kept: str) -> None:
    """A reply written under the quote (or between its lines) was cut with it at the
    attribution: the stranded traveller's message became empty and the ticket read only
    the mail's subject."""
    assert strip_quoted_reply(mail) == kept


OUTLOOK_FORWARD = (
    "Please help, what do I do now?\n\n"
    "From: Hotel Sakura <desk@hotel.example>\nSent: Saturday, December 5, 2026 10:00\n"
    "To: amy@acme.example\nSubject: Your booking is cancelled\n\n"
    "We regret that your booking for 7 December has been cancelled."
)


def mail_with_subject(subject: str, text: str, subtype: str = "plain") -> bytes:
    message = EmailMessage()
    message["From"] = "Amy <amy@acme.example>"
    message["Message-ID"] = "<fw1@acme.example>"
    message["Subject"] = subject
    message.set_content(text, subtype=subtype)
    return message.as_bytes()


@pytest.mark.parametrize(
    "subject",
    [
        "FW: Your booking is cancelled",
        "Fwd: Your booking is cancelled",
        "fw：Your booking is cancelled",
        "FWD : Your booking is cancelled",
        "[EXTERNAL] FW: RE: Your booking is cancelled",
        "[Fwd: Your booking is cancelled]",
        "转发: 您的预订已取消",
        "轉寄：您的預訂已取消",
        "転送: ご予約のキャンセル",
    ],
)
def test_an_outlook_forward_keeps_what_it_forwards(subject: str) -> None:
    """Outlook forwards with no "Forwarded message" line, only the forwarded mail's header
    block: cut like a reply's, the hotel's cancellation the traveller asks about was lost."""
    contact = normalise(Channel.EMAIL, mail_with_subject(subject, OUTLOOK_FORWARD), NOW)

    assert contact.text == OUTLOOK_FORWARD


@pytest.mark.parametrize(
    "subject", ["RE: Your booking is cancelled", "回复: 您的预订", "Your booking FW: cancelled"]
)
def test_a_reply_with_the_same_header_block_is_still_cut(subject: str) -> None:
    contact = normalise(Channel.EMAIL, mail_with_subject(subject, OUTLOOK_FORWARD), NOW)

    assert contact.text == "Please help, what do I do now?"


HTML_FORWARD = (
    "<div>See below.</div><div><b>From:</b> Hotel Sakura &lt;desk@hotel.example&gt;<br>"
    "<b>Sent:</b> Saturday, December 5, 2026 10:00<br><b>Subject:</b> RE: Booking</div>"
    "<div>Your booking is cancelled.</div><hr><div><b>From:</b> Amy &lt;amy@acme.example&gt;"
    "<br><b>Sent:</b> Friday, December 4, 2026 09:00<br><b>Subject:</b> Booking</div>"
    "<div>Can I check in late?</div>"
)


@pytest.mark.parametrize(
    ("body", "subtype", "kept"),
    [
        (  # an older Outlook's "Original Message" separator starts the forward
            "See below.\n\n-----Original Message-----\n"
            "From: Hotel Sakura <desk@hotel.example>\nSent: Saturday, December 5, 2026 10:00\n"
            "Subject: RE: Booking\n\nYour booking is cancelled.\n\n"
            "From: Amy <amy@acme.example>\nSent: Friday, December 4, 2026 09:00\n"
            "Subject: Booking\n\nCan I check in late?",
            "plain",
            "See below.\n\n-----Original Message-----\n"
            "From: Hotel Sakura <desk@hotel.example>\nSent: Saturday, December 5, 2026 10:00\n"
            "Subject: RE: Booking\n\nYour booking is cancelled.",
        ),
        (  # Outlook's HTML: no blank line ends the header block
            HTML_FORWARD,
            "html",
            "See below.\nFrom: Hotel Sakura <desk@hotel.example>\n"
            "Sent: Saturday, December 5, 2026 10:00\nSubject: RE: Booking\n"
            "Your booking is cancelled.",
        ),
    ],
    ids=["separator", "html"],
)
def test_a_forwarded_mails_own_quoted_history_is_cut(body: str, subtype: str, kept: str) -> None:
    """The forwarded mail is kept, not the thread it replied to: that is history as in any
    reply, and a long forwarded thread would pass the contact's 20,000 characters."""
    contact = normalise(Channel.EMAIL, mail_with_subject("FW: RE: Booking", body, subtype), NOW)

    assert contact.text == kept
