"""One e-mail thread per ticket, and the agent's files attached to the mail.

The acknowledgement has the ticket's anchor id (``contracts.mail``), every other mail its
own. A mail answers only what the reader's mailbox really holds (``Thread``): the first mail
of the ticket notify delivered to that address (its Message-ID as recorded), under the
traveller's own e-mail when the ticket began as one; the first mail of a thread answers
that e-mail or nothing. A proactive ticket has no acknowledgement: its mails answered the
anchor, which was never sent. Subjects carry ``[TC-…]``. So a traveller's reply to any of
them names the ticket, and their mail client shows one conversation. Staff notices name no
ticket in their ids: a colleague replying to an assignment mail must not land in the
ticket as the traveller.

Every mail names its language (``Content-Language``), set after the body: ``set_content``
drops the Content-* headers set before it, and none went out. Subjects and the body go as
UTF-8 (RFC 2047 encoded-words in the header, folded by ``email.policy.SMTP``). The
subject and the addresses (a display name in Chinese or Japanese) fold in lines of 76
(``EncodedWordsOf75``): CPython's folder fills its 78-character lines with encoded-words
of 76, where RFC 2047 allows 75. The others, Message-ID and the threading headers among
them, fold as they did.

Every header value is put on one line (``flattened``): a subject rendered with a
traveller's name holding U+2028 made ``EmailMessage`` raise, as it breaks lines there.
The traveller's own Message-ID is answered only when it is one (``<left@right>``): a
contact posted over the API may name its message ``kb-1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email import headerregistry
from email.message import EmailMessage
from email.policy import Policy, default
from email.utils import formatdate

import httpx
from pymongo.asynchronous.collection import AsyncCollection

from contracts.events import Attachment
from contracts.file_names import TYPES, typed_name
from contracts.mail import (
    DELIVERY_HEADER,
    anchor_message_id,
    is_message_id,
    tagged_subject,
    ticket_message_id,
)
from contracts.text import flattened
from runtime.store import Document
from services.notify import store
from services.notify.channels.sender import Outgoing
from services.notify.domain.recipients import Role
from services.notify.domain.templates import ACKNOWLEDGED, APPEAL_RESOLVED, REPLIED, RESOLVED

TRAVELLER_ROLES = frozenset({Role.TRAVELLER.value, Role.BOOKER.value})
WRITTEN_BY_PEOPLE = frozenset({REPLIED, RESOLVED, APPEAL_RESOLVED})
"""Mails carrying an agent's own words; every other one TripCare writes by itself."""
LANGUAGE_HEADER = "Content-Language"
"""RFC 3282: the notice's language as its BCP 47 tag (en, zh-Hans, zh-Hant, ja)."""

WORD_LINE = 76
"""A folded line of at most 76 holds an encoded-word of at most 75 after its space."""


class EncodedWordsOf75:
    """Folds its header in lines of ``WORD_LINE`` whatever the generator's policy says:
    aiosmtplib flattens with its own ``email.policy.SMTP``, not the message's."""

    def fold(self, *, policy: Policy) -> str:
        capped = policy.clone(max_line_length=min(policy.max_line_length or WORD_LINE, WORD_LINE))
        return super().fold(policy=capped)  # type: ignore[misc, no-any-return]  # BaseHeader's


class SubjectHeader(EncodedWordsOf75, headerregistry.UnstructuredHeader):
    """The subject, of encoded-words of 75 at most."""


class AddressHeader(EncodedWordsOf75, headerregistry.AddressHeader):
    """From and To: a display name, of encoded-words of 75 at most."""


def _headers() -> headerregistry.HeaderRegistry:
    """The default registry but for these; it mixes ``BaseHeader`` in, as into its own."""
    registry = headerregistry.HeaderRegistry()
    registry.map_to_type("subject", SubjectHeader)  # type: ignore[arg-type]
    for name in ("from", "to"):
        registry.map_to_type(name, AddressHeader)  # type: ignore[arg-type]
    return registry


MAIL_POLICY = default.clone(header_factory=_headers())


class FetchFailed(Exception):
    """An attachment could not be fetched now: the mail waits for a retry."""


@dataclass(frozen=True)
class Thread:
    """What the reader's mailbox already holds of the ticket."""

    root: str | None = None
    """The first mail of the ticket notify delivered to this address, as sent."""
    opened_by: str | None = None
    """The traveller's own e-mail that opened the ticket (the acknowledgement answers it)."""


class MailThreads:
    """Reads a traveller's thread from the delivery log (``store.mail_thread``)."""

    def __init__(self, deliveries: AsyncCollection[Document]) -> None:
        self._deliveries = deliveries

    async def of(self, message: Outgoing) -> Thread:
        """Nothing to read for an acknowledgement: it opens the thread, answering the
        traveller's own mail it carries (``answers``), on every contact's path."""
        if message.ticket_id is None or message.role not in TRAVELLER_ROLES:
            return Thread()
        if message.template == ACKNOWLEDGED:
            return Thread()
        root, opened_by = await store.mail_thread(
            self._deliveries, message.tenant_id, message.ticket_id, message.address
        )
        return Thread(root, opened_by)


def compose(
    message: Outgoing, sender: str, domain: str, thread: Thread | None = None
) -> EmailMessage:
    """The plain-text mail with its Message-ID, thread headers and tagged subject."""
    mail = EmailMessage(policy=MAIL_POLICY)
    mail["From"] = sender
    mail["To"] = flattened(message.address)
    ticket_id = message.ticket_id if message.role in TRAVELLER_ROLES else None
    if ticket_id is None:
        mail["Subject"] = flattened(message.subject)
        mail["Message-ID"] = ticket_message_id(None, message.delivery_id, domain)
    else:
        mail["Subject"] = tagged_subject(flattened(message.subject), ticket_id)
        if message.template == ACKNOWLEDGED:
            mail["Message-ID"] = anchor_message_id(ticket_id, domain)
        else:
            mail["Message-ID"] = ticket_message_id(ticket_id, message.delivery_id, domain)
        parents = answered(thread or Thread(), message.answers, str(mail["Message-ID"]))
        if parents:
            mail["In-Reply-To"] = parents[-1]
            mail["References"] = " ".join(parents)
    mail["Date"] = formatdate(usegmt=True)
    if message.template not in WRITTEN_BY_PEOPLE:
        # RFC 3834: no out-of-office or vacation responder answers it (Exchange reads the
        # second), so a traveller away does not reopen their ticket by a reply to our notice
        automatic = "auto-replied" if message.template == ACKNOWLEDGED else "auto-generated"
        mail["Auto-Submitted"] = automatic
        mail["X-Auto-Response-Suppress"] = "All"
    mail[DELIVERY_HEADER] = message.delivery_id  # a bounce returns it: docs/notify.md
    mail.set_content(message.body)  # drops every Content-* header set before it
    mail[LANGUAGE_HEADER] = flattened(message.language)
    return mail


def answered(thread: Thread, answers: str | None, own: str) -> list[str]:
    """The References of a traveller's mail, oldest first (the last is its In-Reply-To): their
    own e-mail when it is a Message-ID (a contact posted over the API may name its message
    ``kb-1``), then the thread's first mail unless this is it."""
    theirs = answers or thread.opened_by
    parents = [theirs] if theirs and is_message_id(theirs) else []
    if thread.root and thread.root != own and thread.root not in parents:
        parents.append(thread.root)
    return parents


def attach(mail: EmailMessage, files: Sequence[tuple[Attachment, bytes]]) -> None:
    """Each file as a part of its type, named for it (``typed_name``): the traveller's mail
    client opens what the bytes are, whatever name the file came with. The first one moves
    the Content-* headers into the text's part: the whole mail names its language again."""
    language = mail[LANGUAGE_HEADER]
    for attachment, content in files:
        maintype, _, subtype = attachment.content_type.partition("/")
        mail.add_attachment(
            content,
            maintype=maintype,
            subtype=subtype,
            filename=typed_name(attachment.name, attachment.content_type),
        )
    if files and language and mail[LANGUAGE_HEADER] is None:
        mail[LANGUAGE_HEADER] = language


class FileFetcher:
    """Downloads the files of one mail from their signed links, up to ``max_bytes`` in all;
    those past the budget (or gone), or of a type intake never keeps, stay links in the body.
    """

    def __init__(self, client: httpx.AsyncClient, max_bytes: int) -> None:
        self._client = client
        self._max_bytes = max_bytes

    async def fetch(self, attachments: Sequence[Attachment]) -> list[tuple[Attachment, bytes]]:
        budget = self._max_bytes
        fetched: list[tuple[Attachment, bytes]] = []
        for attachment in attachments:
            if (
                not attachment.url
                or attachment.size > budget
                or attachment.content_type not in TYPES
            ):
                continue
            try:
                response = await self._client.get(attachment.url, timeout=30.0)
            except httpx.TransportError as exc:
                raise FetchFailed(f"{attachment.name}: {type(exc).__name__}") from exc
            if response.status_code >= 500:
                raise FetchFailed(f"{attachment.name}: HTTP {response.status_code}")
            if response.status_code != 200 or len(response.content) > budget:
                continue
            budget -= len(response.content)
            fetched.append((attachment, response.content))
        return fetched
