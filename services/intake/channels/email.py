"""E-mail: an RFC 5322 message, its text without the quoted thread, its files listed."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_tz
from html.parser import HTMLParser

from contracts.events import Channel, ContactReceived
from contracts.languages import FALLBACK_LANGUAGE, supported_language
from contracts.local_time import offset_zone
from contracts.references import extract_references
from contracts.text import EMAIL, flattened
from services.intake.channels.automatic import (
    attached_parts,
    auto_response_suppressed,
    delivery_report,
    kind_of,
    part_bytes,
    returned_headers,
)
from services.intake.channels.checks import (
    PayloadError,
    all_headers,
    content,
    filename,
    header,
    message_id_of,
)
from services.intake.channels.language import script_open
from services.intake.channels.long_mail import FULL_TEXT_NAME, fitted
from services.intake.channels.payloads import (
    ATTACHMENTS_ONLY,
    attachments_only,
    contact,
    no_file_kept,
)
from services.intake.channels.quotes import strip_quoted_reply
from services.intake.domain.automatic import AUTO_RESPONSE_SUPPRESS, AUTOMATIC, Automatic
from services.intake.domain.mail_threading import thread_headers

__all__ = ["ATTACHMENTS_ONLY", "from_email", "strip_quoted_reply"]

_UNREAD = frozenset({"head", "style", "script", "title", "template"})
"""Elements whose content no reader sees: Outlook's and Foxmail's HTML mail opens with a
``<style>`` of font definitions, which became the ticket's text (and its language)."""


_LINES = frozenset({"br", "p", "div", "tr", "li", "table", "blockquote", "h1", "h2", "h3", "h4"})
"""Elements that start a line: a pasted itinerary's table rows ran together without them."""
_CELLS = frozenset({"td", "th"})


class _TextOfHtml(HTMLParser):
    """An HTML body as the reader sees it. A ``<blockquote>`` (how HTML-only clients quote
    the thread replied to) becomes "> " lines, cut as a plain-text reply's are."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._unread: list[str] = []
        self._quoted = 0

    def handle_data(self, data: str) -> None:
        if self._unread:
            return
        if self._quoted:
            data = data.replace("\n", "\n> ")
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":  # a <head> left open ends here
            self._unread.clear()
        elif tag in _UNREAD:
            self._unread.append(tag)
        elif tag in _CELLS:
            self.parts.append(" ")
        if tag == "blockquote":
            self._quoted += 1
        if tag in _LINES:
            self._new_line()

    def handle_endtag(self, tag: str) -> None:
        if tag in self._unread:
            del self._unread[self._unread.index(tag) :]
        if tag == "blockquote" and self._quoted:
            self._quoted -= 1
            self._new_line()

    def _new_line(self) -> None:
        self.parts.append("\n> " if self._quoted else "\n")


def _email_text(message: EmailMessage, subject: str) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = content(part)
    if part.get_content_type() == "text/html":
        parser = _TextOfHtml()
        parser.feed(text)
        lines = (line.strip() for line in "".join(parser.parts).splitlines())
        text = "\n".join(line for line in lines if line)
    return strip_quoted_reply(text, subject)


def _language(message: EmailMessage) -> str:
    """The mail's ``Content-Language`` (RFC 3282, the sender's client's setting: all a mail
    says of its writer's language) if TripCare speaks it, else English: the language of
    what intake writes into its text (``ATTACHMENTS_ONLY``, ``long_mail.SHORTENED``)."""
    try:
        tag = header(message, "Content-Language").split(",")[0]
    except PayloadError:
        tag = ""
    return supported_language(tag) or FALLBACK_LANGUAGE


def _script_hint(message: EmailMessage, text: str) -> str | None:
    """zh-Hant when the mail's ``Content-Language`` says Traditional Chinese (Outlook in
    Taipei: ``zh-TW``) and its text reads the same in both scripts (``script_open``), which
    the guess reads as Simplified: a Taipei writer's "HB778812 扣款" was acknowledged in
    Simplified. Else none: a text that shows its script says it, and a client's setting
    says nothing of a language other than the one it is written in (an English laptop)."""
    stated = _language(message) if "content-language" in message else None
    return "zh-Hant" if stated == "zh-Hant" and script_open(text) else None


def _nothing_kept(files_refused: str) -> tuple[str, str]:
    """Where a mail of no text is refused, and why: at its files when every one was refused,
    else at its body."""
    if files_refused:
        return "attachments", no_file_kept(files_refused)
    return "body", "the e-mail has no text"


def _sender(message: EmailMessage) -> tuple[str, str]:
    """The ``From``'s name (a line break it holds a space) and address, which must be one."""
    name, address = parseaddr(header(message, "From"))
    if "@" not in address:
        raise PayloadError("From", "no sender address")
    if re.fullmatch(EMAIL, address) is None:
        raise PayloadError("From", "not an e-mail address: such as name@example.com")
    return flattened(name).strip(), address


def from_email(
    message: EmailMessage,
    now: datetime,
    *,
    files_kept: bool = False,
    files_refused: str = "",
    text_room: int = 0,
) -> tuple[ContactReceived, bytes | None]:
    """An RFC 5322 message (``parse_email``); the thread is the first of References, else
    In-Reply-To. A line break an encoded sender name or subject holds is taken as a space:
    the mail is worth keeping, and no later header may break at it. Without text or subject
    it is taken only with a file intake keeps (``files_kept``), else refused naming those
    refused (``files_refused``). A text over a contact's is shortened (``long_mail``), its
    full text's bytes as ``message.txt``, as many as ``text_room`` (the files' room) allows."""
    message_id = message_id_of(message)
    name, address = _sender(message)
    references = header(message, "References").split()
    thread_root = references[0] if references else header(message, "In-Reply-To")
    attachments = [
        {
            "name": filename(part) or "attachment",
            "content_type": part.get_content_type(),
            "size": len(part_bytes(part)),
        }
        for part in attached_parts(message)
    ][:10]
    subject = flattened(header(message, "Subject")).strip()
    text = (
        _email_text(message, subject)
        or subject
        or (attachments_only(_language(message)) if files_kept else "")
    )
    if not text:  # the files are what was refused, when any came (as in_app names them)
        raise PayloadError(*_nothing_kept(files_refused))
    long = fitted(text, _language(message), text_room)
    if long.attachment is not None:
        size = len(long.attachment)
        attachments.append({"name": FULL_TEXT_NAME, "content_type": "text/plain", "size": size})
    cc = [addr for _, addr in getaddresses(all_headers(message, "Cc"))][:20]
    metadata = _threading(message, references)
    if cc:
        metadata["cc"] = ", ".join(cc)
    found = contact(
        channel=Channel.EMAIL,
        channel_message_id=message_id,
        conversation_key=thread_root or message_id,
        traveller=_writer(message, name, address),
        subject=subject or None,
        text=long.text,
        language_hint=_script_hint(message, text),
        references=extract_references(f"{subject} {text}"),  # the tail's too
        attachments=attachments,
        metadata=metadata,
        received_at=now,
    )
    return found, long.attachment


def _writer(message: EmailMessage, name: str, address: str) -> dict[str, str | None]:
    """The traveller a mail names: its sender, and their clock's zone (``writers_zone``)."""
    return {
        "id": f"email:{address.lower()}",
        "name": name or None,
        "email": address,
        "time_zone": writers_zone(header(message, "Date")),
    }


def writers_zone(date: str) -> str | None:
    """The zone of the writer's clock, by the offset of the mail's ``Date`` (``+0800`` is
    ``Etc/GMT-8``: ``offset_zone``), so notices and the tracking page tell a Taipei
    traveller's times in UTC+08:00, not UTC. None for -0000 (RFC 5322: not known), for what
    ``offset_zone`` gives none, and for no date at all."""
    parsed = parsedate_tz(date) if date else None
    offset = parsed[9] if parsed else None
    return offset_zone(timedelta(seconds=offset)) if offset else None


def _threading(message: EmailMessage, references: list[str]) -> dict[str, str]:
    """The headers to thread on, what kind of automatic mail this is (if it is one) and
    whether its sender asked for no automatic answer. A bounce threads on the mail it
    returns (our notice, whose Message-ID names the ticket) and keeps its delivery report."""
    in_reply_to = header(message, "In-Reply-To")
    kind = kind_of(message)
    report: dict[str, str] = {}
    if kind is Automatic.BOUNCE:
        returned_id, returned_references, proof = returned_headers(message)
        in_reply_to = returned_id or in_reply_to
        references = [*references, *returned_references.split()]
        report = delivery_report(message) | proof
    metadata = thread_headers(in_reply_to, " ".join(references)) | report
    if kind is not None:
        metadata[AUTOMATIC] = kind.value
    suppress = auto_response_suppressed(message)
    if suppress is not None:
        metadata[AUTO_RESPONSE_SUPPRESS] = suppress
    return metadata
