"""Intake's use cases, called by the HTTP API, the bus subscribers and the mailbox reader."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from contracts import events
from contracts.envelope import Envelope
from contracts.events import Attachment
from contracts.mail import DEFAULT_MAIL_DOMAIN
from contracts.references import canonical_references, extract_references
from runtime.clock import Clock
from runtime.signing import Signer
from runtime.store import AlreadyExists, ConcurrencyError, NotFound
from runtime.tracking_codes import short_link
from services.intake.attachment_store import AttachmentStore
from services.intake.attachments import (
    AttachmentPolicy,
    Checked,
    IncomingFile,
    check,
    read_payload,
    with_stored,
)
from services.intake.channels.language import guess_language, written_in
from services.intake.domain import Ticket, contact_id_of, reopening, thread_key_for, ticket_id_for
from services.intake.domain import mail_threading as mail
from services.intake.domain.automatic import NEVER_A_TICKET, automatic_kind
from services.intake.domain.identity import same_caller
from services.intake.domain.language import opening_language
from services.intake.store import TicketStore
from services.intake.ticket_keys import Candidates, key_entries

FILE_LINK_TTL = timedelta(days=90)
FILE_PURPOSE = "file"
Change = Callable[[Ticket], None]
"""What an event does to its ticket (a ``Ticket`` method applied to the payload)."""
RACE_RETRIES = 10
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ThreadingPolicy:
    """How follow-ups find their ticket."""

    reopen_window: timedelta = timedelta(days=7)
    """A resolved ticket is reopened by a follow-up within this; later, a new ticket opens."""
    reference_window: timedelta = timedelta(hours=72)
    """Same traveller + same booking reference within this joins their recent ticket."""


class Outcome(StrEnum):
    OPENED = "opened"
    FOLLOWED_UP = "followed_up"
    DUPLICATE = "duplicate"
    RECORDED = "recorded"
    """A bounce or auto-reply, on its ticket's timeline for staff: no follow-up, no answer."""


class NotTaken(ValueError):
    """A bounce or auto-reply that names no ticket taking it: nothing is written, nobody
    is answered (``domain.automatic``); its taker logs and counts it."""


class Intake:
    def __init__(
        self,
        tickets: TicketStore,
        clock: Clock,
        signer: Signer,
        public_url: str,
        policy: ThreadingPolicy | None = None,
        mail_domain: str = DEFAULT_MAIL_DOMAIN,
        files: AttachmentStore | None = None,
        file_policy: AttachmentPolicy | None = None,
    ) -> None:
        self.tickets = tickets
        self.clock = clock
        self.signer = signer
        self.public_url = public_url.rstrip("/")
        self.policy = policy or ThreadingPolicy()
        self.mail_domain = mail_domain
        self.files = files
        self.file_policy = file_policy or AttachmentPolicy()

    def tracking_url(self, tenant_id: str, ticket_id: str) -> str:
        """The short link (``runtime.tracking_codes``)."""
        return short_link(self.signer, self.public_url, ticket_id, self.clock.now())

    async def receive_contact(
        self,
        tenant_id: str,
        contact: events.ContactReceived,
        cause: Envelope[events.ContactReceived]
        | Envelope[events.ChannelMessageReceived]
        | None = None,
        files: Sequence[IncomingFile] = (),
    ) -> tuple[Ticket, Outcome]:
        """Open a ticket, or thread the contact into its conversation's ticket, exactly once.

        Races (two deliveries of one message, two opening one conversation) end in a unique-id
        or version conflict; the loser retries and finds what the winner wrote. ``files`` are
        stored first, kept once the ticket refers to them; a duplicate's are discarded.
        """
        contact = same_caller(contact)
        contact_id = contact_id_of(tenant_id, contact)
        if not contact.references:
            found = extract_references(f"{contact.subject or ''} {contact.text}")
            contact = contact.model_copy(update={"references": found})
        stored: list[events.Attachment] = []
        if files and self.files is not None and not await self.tickets.knows(contact_id):
            stored = await self.files.put(tenant_id, check(files, self.file_policy), "traveller")
            contact = contact.model_copy(update={"attachments": with_stored(contact, stored)})
        ticket, outcome = await self._receive_retrying(tenant_id, contact, contact_id, cause)
        if self.files is not None and stored:
            settle = self.files.discard if outcome is Outcome.DUPLICATE else self.files.keep
            await settle(stored)
        return ticket, outcome

    async def _receive_retrying(
        self,
        tenant_id: str,
        contact: events.ContactReceived,
        contact_id: str,
        cause: Envelope[events.ContactReceived] | Envelope[events.ChannelMessageReceived] | None,
    ) -> tuple[Ticket, Outcome]:
        for attempt in range(RACE_RETRIES):
            try:
                return await self._receive(tenant_id, contact, contact_id, cause, attempt == 0)
            except (AlreadyExists, ConcurrencyError):
                continue
        raise ConcurrencyError(f"contact {contact_id}: too many concurrent writers")

    async def _receive(
        self,
        tenant_id: str,
        contact: events.ContactReceived,
        contact_id: str,
        cause: Envelope[events.ContactReceived] | Envelope[events.ChannelMessageReceived] | None,
        first_try: bool = True,
    ) -> tuple[Ticket, Outcome]:
        """Thread the contact into the ticket its keys lead to, or open one.

        A first try claims the keys of the ticket it would open: when every key is new,
        no stored ticket shares one, so it opens without reading (#20). A contact that
        names tickets, bare closing words (``bare_thanks``), or a retry after a race, reads
        the keys first.
        """
        now = self.clock.now()
        thread_key = thread_key_for(contact)
        named = mail.named_tickets(contact, self.mail_domain)
        if automatic_kind(contact) in NEVER_A_TICKET:
            return await self._record_automatic(tenant_id, contact, contact_id, named, cause)
        bare = not named and reopening.bare_thanks(contact)  # read the traveller's tickets
        claims = first_try and not named and not bare
        if claims and await self.tickets.claim(tenant_id, contact, contact_id, now):
            fresh = self._opened(tenant_id, contact, contact_id, thread_key, 1, now)
            await self.tickets.repo.add(fresh, cause)
            return fresh, Outcome.OPENED
        found = await self.tickets.candidates(
            tenant_id,
            contact_id,
            thread_key,
            contact.traveller.id,
            canonical_references(contact.references),
            [n.ticket_id for n in named],
            traveller=bare,
        )
        known = found.knowing_contact()
        if known is not None:
            return known, Outcome.DUPLICATE
        if mail.outsider(contact, named, found):
            alone = mail.own_conversation(contact)
            return await self._receive(tenant_id, alone, contact_id, cause, first_try)
        thread = self._thread_of(found, named, contact, now, bare)
        if thread is not None:
            keyed = key_entries(thread)
            thread.follow_up(contact, contact_id, now, written_in(contact))
            await self.tickets.index(thread, known=keyed)
            await self.tickets.repo.save(thread, cause)
            return thread, Outcome.FOLLOWED_UP
        latest = found.latest_of_thread()
        if latest is not None and latest.accepts_follow_up(now, self.policy.reopen_window):
            raise ConcurrencyError(f"{latest.id} was opened meanwhile: thread into it instead")
        generation = (latest.generation if latest else 0) + 1
        ticket = self._opened(tenant_id, contact, contact_id, thread_key, generation, now)
        await self.tickets.index(ticket)
        await self.tickets.repo.add(ticket, cause)
        return ticket, Outcome.OPENED

    def _thread_of(
        self,
        found: Candidates,
        named: list[mail.NamedTicket],
        contact: events.ContactReceived,
        now: datetime,
        bare: bool,
    ) -> Ticket | None:
        """The ticket that takes the contact as a follow-up, or None: a new one opens."""
        thread = (
            self._named_thread(found, named, contact, now)
            or found.open_thread()
            or found.recent_by_reference(now - self.policy.reference_window)
        )
        if thread is None or not thread.accepts_follow_up(now, self.policy.reopen_window):
            thread = reopening.thanked(found.latest_of_thread(), contact)  # no new ticket for it
        if thread is None and bare:
            thread = found.thanked_lately(now - self.policy.reopen_window)
        return thread

    async def _record_automatic(
        self,
        tenant_id: str,
        contact: events.ContactReceived,
        contact_id: str,
        named: list[mail.NamedTicket],
        cause: Envelope[events.ContactReceived] | Envelope[events.ChannelMessageReceived] | None,
    ) -> tuple[Ticket, Outcome]:
        """A bounce or auto-reply: on the timeline of the ticket it names (or of its open
        conversation), never a new ticket, a reopening or an answer (RFC 3834)."""
        now = self.clock.now()
        kind = automatic_kind(contact)
        found = await self.tickets.candidates(
            tenant_id,
            contact_id,
            thread_key_for(contact),
            contact.traveller.id,
            [],
            [n.ticket_id for n in named],
        )
        known = found.knowing_contact()
        if known is not None:
            return known, Outcome.DUPLICATE
        thread = self._named_thread(found, named, contact, now) or found.open_thread()
        if thread is None or kind is None:
            log.info("%s of tenant %s names no ticket: not taken", kind, tenant_id)
            raise NotTaken(f"{kind} naming no ticket of this tenant: not taken")
        keyed = key_entries(thread)
        thread.record_automatic(contact, contact_id, kind.value, now)
        await self.tickets.index(thread, known=keyed)
        await self.tickets.repo.save(thread, cause)
        return thread, Outcome.RECORDED

    def _opened(
        self,
        tenant_id: str,
        contact: events.ContactReceived,
        contact_id: str,
        thread_key: str,
        generation: int,
        now: datetime,
    ) -> Ticket:
        """The ticket this contact opens as its conversation's ``generation``-th."""
        language = opening_language(
            contact.language_hint, contact.traveller.language, contact.text, guess_language
        )
        return Ticket.open(
            tenant_id,
            contact,
            contact_id=contact_id,
            generation=generation,
            language=language,
            tracking_url=self.tracking_url(
                tenant_id, ticket_id_for(tenant_id, thread_key, generation)
            ),
            now=now,
        )

    def _named_thread(
        self,
        found: Candidates,
        named: list[mail.NamedTicket],
        contact: events.ContactReceived,
        now: datetime,
    ) -> Ticket | None:
        """The first ticket the contact names that is this tenant's and takes the follow-up."""
        automatic = automatic_kind(contact) is not None
        for name in named:
            ticket = found.named(name.ticket_id)
            if (
                ticket is not None
                and mail.sender_may_thread(name, ticket, contact.traveller, automatic)
                and ticket.accepts_follow_up(now, self.policy.reopen_window)
            ):
                return ticket
        return None

    async def receive_channel_message(
        self, envelope: Envelope[events.ChannelMessageReceived]
    ) -> tuple[Ticket, Outcome]:
        """A gateway's raw payload from the bus: normalised, its files taken, then received."""
        raw, limits = envelope.payload, self.file_policy
        contact, files = read_payload(raw.channel, raw.body.encode(), raw.received_at, limits)
        return await self.receive_contact(envelope.tenant_id, contact, envelope, files)

    async def get(self, tenant_id: str, ticket_id: str) -> Ticket:
        ticket = await self.tickets.repo.get(tenant_id, ticket_id)
        if ticket is None:
            raise NotFound(ticket_id)
        return ticket

    async def act(self, tenant_id: str, ticket_id: str, action: Callable[[Ticket], None]) -> Ticket:
        """Run an agent action on the latest version of the ticket (409 if illegal)."""
        return await self.tickets.repo.change(tenant_id, ticket_id, action)

    async def merge(
        self, tenant_id: str, duplicate_id: str, into_id: str, by: str, role: str | None = None
    ) -> Ticket:
        """Fold a duplicate into another ticket (``role``: the person's, ``merge_into``).

        Both tickets are written, each against the version the checks read, the smaller
        id first: two merges crossing (Q into R, R into Q) meet at the same first write,
        and the loser starts over, having written nothing, to be refused by what the
        winner wrote (409). Safe to repeat after a crash half-way: a retry finds one
        step done and writes the other.
        """
        for _ in range(RACE_RETRIES):
            try:
                return await self._merge(tenant_id, duplicate_id, into_id, by, role)
            except ConcurrencyError:
                continue
        raise ConcurrencyError(f"merge of {duplicate_id}: too many concurrent writers")

    async def _merge(
        self, tenant_id: str, duplicate_id: str, into_id: str, by: str, role: str | None
    ) -> Ticket:
        duplicate = await self.get(tenant_id, duplicate_id)
        target = await self.get(tenant_id, into_id)
        now = self.clock.now()
        closed, survivor = duplicate.model_copy(deep=True), target.model_copy(deep=True)
        writes: list[Ticket] = []
        if duplicate.merged_into != into_id:
            closed.merge_into(target, by=by, now=now, role=role)
            writes.append(closed)
        if duplicate_id not in target.absorbed:
            survivor.absorb(duplicate, by=by, now=now)
            writes.append(survivor)
            await self.tickets.index(survivor, known=key_entries(target))
        for ticket in sorted(writes, key=lambda t: t.id):
            await self.tickets.repo.save(ticket)
        return closed


class FilesRefused(ValueError):
    """An agent's file was not accepted (``refused``, each with its ``reason``; none: this
    intake stores no files): nothing was written."""

    def __init__(self, refused: Sequence[Checked]) -> None:
        reasons = "; ".join(f"{c.name}: {c.reason}" for c in refused)
        super().__init__(reasons or "files are not stored by this intake")
        self.refused = list(refused)


def file_link(intake: Intake, tenant_id: str, ticket_id: str, file_id: str) -> str:
    """A signed, expiring link to one file of one ticket, for the traveller."""
    token = intake.signer.sign(
        subject=f"{ticket_id}/{file_id}",
        tenant=tenant_id,
        purpose=FILE_PURPOSE,
        expires_at=intake.clock.now() + FILE_LINK_TTL,
    )
    return f"{intake.public_url}/v1/files/{token}"


async def reply_with_files(
    intake: Intake,
    tenant_id: str,
    ticket_id: str,
    reply: Callable[[Sequence[Attachment]], Callable[[Ticket], None]],
    files: Sequence[IncomingFile],
) -> Ticket:
    """Store the agent's files, then the reply that refers to them; a refused file or a
    refused reply (404, 409) writes nothing, or discards what it wrote.
    """
    checked = check(files, intake.file_policy)
    if refused := [c for c in checked if not c.kept]:
        raise FilesRefused(refused)
    if intake.files is None:
        raise FilesRefused([])
    await intake.get(tenant_id, ticket_id)
    stored = await intake.files.put(tenant_id, checked, "agent")
    linked = [
        a.model_copy(update={"url": file_link(intake, tenant_id, ticket_id, a.id or "")})
        for a in stored
    ]
    try:
        ticket = await intake.act(tenant_id, ticket_id, reply(linked))
    except Exception:
        await intake.files.discard(stored)
        raise
    await intake.files.keep(stored)
    return ticket
