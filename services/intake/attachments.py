"""Files that come with a contact or a reply: what is kept, under which name and type.

Pure. A file is kept when its bytes match an allowed type (sniffed, not taken
from the sender's word) and it is within the size limit; it gets a file name
safe to show and to offer as a download, ending in its type's extension
(``contracts.file_names``). Everything else is refused with a reason; a refused
file refuses the message it came with only when it had no text and no file kept.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from contracts.events import Attachment, Channel, ContactReceived
from contracts.file_names import plain_name, safe_filename, typed_name
from contracts.refusals import Reason
from services.intake.channels import json_object, normalise
from services.intake.channels.automatic import attached_parts, part_bytes
from services.intake.channels.chat import from_in_app
from services.intake.channels.checks import parse_email
from services.intake.channels.email import from_email
from services.intake.channels.long_mail import FULL_TEXT_NAME

MB = 1024 * 1024
OFFICE = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
TEXT = {".txt": "text/plain", ".csv": "text/csv"}
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


MAX_FILES = 10
FILE_CHANNELS = frozenset({Channel.EMAIL, Channel.IN_APP})
"""Channels whose own payload carries the files' bytes (an e-mail's parts, an in-app message's
base64): their bodies may be as large as the files allow (``upload_body_max``)."""


@dataclass(frozen=True)
class AttachmentPolicy:
    """What intake keeps: per file, per message, and how many files."""

    max_file_bytes: int = 10 * MB
    max_total_bytes: int = 25 * MB
    max_files: int = MAX_FILES


def upload_body_max(policy: AttachmentPolicy, base: int) -> int:
    """The largest body that may carry a message's files: the usual limit plus the files'
    total, base64 or MIME encoded (a third larger)."""
    return base + policy.max_total_bytes * 4 // 3 + 64 * 1024


@dataclass(frozen=True)
class IncomingFile:
    """A file's bytes as it arrived, with the name and type its sender claimed."""

    name: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Checked:
    """A file after the checks: kept (``reason`` None) under a safe name and its real type."""

    file: IncomingFile
    name: str
    content_type: str
    reason: Reason | None = None

    @property
    def kept(self) -> bool:
        return self.reason is None

    def metadata(self, file_id: str | None = None) -> Attachment:
        return Attachment(
            name=self.name, content_type=self.content_type, size=len(self.file.content), id=file_id
        )


def _extension(name: str) -> str:
    _, dot, extension = name.rpartition(".")
    return f".{extension.lower()}" if dot else ""


def sniffed_type(content: bytes, name: str) -> str | None:
    """The allowed type the bytes really are, or None: PDF, PNG, JPEG, GIF, WebP, HEIC,
    Office documents (by their zip signature and extension), plain text and CSV (UTF-8).
    """
    for signature, content_type in _SIGNATURES:
        if content.startswith(signature):
            return content_type
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "image/heic"
    extension = _extension(name)
    if content.startswith(b"PK\x03\x04") and extension in OFFICE:
        return OFFICE[extension]
    if extension in TEXT and b"\x00" not in content:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return TEXT[extension]
    return None


def _refusal(
    file: IncomingFile, found: str | None, before: int, total: int, limits: AttachmentPolicy
) -> Reason | None:
    """Why ``file`` is refused (None: kept), after ``before`` files of ``total`` bytes."""
    if before >= limits.max_files:
        limit = limits.max_files
        return Reason("file_too_many", f"more than {limit} files", {"limit": limit})
    if not file.content:
        return Reason("file_empty", "empty")
    if len(file.content) > limits.max_file_bytes:
        limit = limits.max_file_bytes // MB
        return Reason("file_too_large", f"larger than {limit} MB", {"limit": limit})
    if total + len(file.content) > limits.max_total_bytes:
        limit = limits.max_total_bytes // MB
        return Reason("files_too_large", f"more than {limit} MB in all", {"limit": limit})
    if found is None:
        return Reason("file_type_not_accepted", "type not accepted")
    return None


def check(files: Sequence[IncomingFile], limits: AttachmentPolicy) -> list[Checked]:
    """Each file kept or refused, in order; past the count or total limit, refused.

    A file of an allowed type is named for it (``typed_name``: ``statement.hta`` holding a
    PDF is ``statement.pdf``); one of no allowed type is listed under the (safe) name it
    came with.
    """
    checked: list[Checked] = []
    total = 0
    for file in files:
        plain = plain_name(file.name)
        found = sniffed_type(file.content, plain)
        reason = _refusal(file, found, len(checked), total, limits)
        if reason is None:
            total += len(file.content)
        name = safe_filename(file.name) if found is None else typed_name(plain, found)
        claimed = (file.content_type or "application/octet-stream")[:127]
        checked.append(Checked(file, name, found or claimed, reason))
    return checked


def none_kept(checked: Sequence[Checked]) -> str:
    """Each file and why it was refused when none of ``checked`` is kept, else "": a contact
    of no text is refused for it (``payloads.no_file_kept``)."""
    if any(c.kept for c in checked):
        return ""
    return ", ".join(f"{c.name} ({c.reason})" for c in checked)


def room_left(checked: Sequence[Checked], limits: AttachmentPolicy) -> int:
    """The bytes one more file may have after ``checked`` and still be kept: none past
    the count, else what the per-file and total limits leave."""
    if len(checked) >= limits.max_files:
        return 0
    total = sum(len(c.file.content) for c in checked if c.kept)
    return max(min(limits.max_file_bytes, limits.max_total_bytes - total), 0)


def files_of_email(message: EmailMessage) -> list[IncomingFile]:
    """The attachments of an RFC 5322 message (``parse_email``), decoded (an attached mail
    as its bytes; a bounce's report parts are none: ``attached_parts``)."""
    found: list[IncomingFile] = []
    for part in attached_parts(message):
        found.append(
            IncomingFile(
                name=part.get_filename() or "attachment",
                content_type=part.get_content_type(),
                content=part_bytes(part),
            )
        )
    return found


def files_of_json(body: dict[str, Any]) -> list[IncomingFile]:
    """Files a JSON gateway sent inline: ``attachments[].content`` in base64."""
    found: list[IncomingFile] = []
    for item in body.get("attachments") or []:
        if not isinstance(item, dict) or not isinstance(item.get("content"), str):
            continue
        try:
            content = base64.b64decode(item["content"], validate=True)
        except (binascii.Error, ValueError):
            content = b""
        found.append(
            IncomingFile(
                name=str(item.get("name") or "attachment"),
                content_type=str(item.get("content_type") or ""),
                content=content,
            )
        )
    return found


def read_payload(
    channel: Channel, body: bytes, now: datetime, limits: AttachmentPolicy
) -> tuple[ContactReceived, list[IncomingFile]]:
    """A channel's own payload, parsed once: its contact (``normalise``) and the files it
    carries, an e-mail's parts or an in-app message's inline ones. Other channels'
    gateways link their files (``url``) or send none. A mail or an in-app message of
    only files is taken when ``limits`` keep one of them (or it links one), else refused
    naming them (``none_kept``); a mail too long for a contact's text brings its full text
    as one more file, ``message.txt``, after its own, in the room they leave
    (``long_mail``).
    """
    if channel is Channel.EMAIL:
        message = parse_email(body)
        files = files_of_email(message)
        checked = check(files, limits)
        kept, room = any(c.kept for c in checked), room_left(checked, limits)
        contact, full_text = from_email(
            message, now, files_kept=kept, files_refused=none_kept(checked), text_room=room
        )
        if full_text is not None:
            files.append(IncomingFile(FULL_TEXT_NAME, "text/plain", full_text))
        return contact, files
    if channel is Channel.IN_APP:
        data = json_object(body)
        files = files_of_json(data)
        return from_in_app(data, now, none_kept(check(files, limits))), files
    return normalise(channel, body, now), []


def with_stored(contact: ContactReceived, stored: Sequence[Attachment]) -> list[Attachment]:
    """The contact's attachments once its files are stored: an e-mail's parts are all in
    ``stored``; a JSON gateway's linked files (``url``, no bytes sent) stay beside them.
    """
    if contact.channel is Channel.EMAIL:
        return list(stored)
    return [a for a in contact.attachments if a.url and not a.id][: 10 - len(stored)] + list(stored)
