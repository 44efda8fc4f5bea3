"""How TripCare's e-mail names its tickets: Message-IDs and the ``[TC-…]`` subject tag.

Shared vocabulary: notify writes these headers, intake reads them back when a
traveller replies, so a reply to any of our mails joins its ticket.

Every mail about a ticket has the Message-ID ``<TC-XXXXXXXXXXXX.<unique>@<domain>>``;
the acknowledgement, the first mail of the ticket's thread, has
``<TC-XXXXXXXXXXXX@<domain>>`` (the thread's anchor); a later mail answers the first one
really sent (``In-Reply-To``/``References``; a proactive ticket has no acknowledgement,
docs/notify.md "Threads: only what was sent"). The domain is
``TRIPCARE_MAIL_DOMAIN``: only ids of that domain are ours.

The anchor is guessable from the public ticket id; ``<unique>`` (the delivery id, a hash of
a random event id) is not. Every mail also carries ``X-TripCare-Delivery-Id``, which a
bounce returns with the mail's headers: so a bounce of the acknowledgement proves which
mail it returns, and one naming only the anchor proves nothing (docs/notify.md, "Bounces").
"""

from __future__ import annotations

import re

TICKET_ID = r"TC-[A-Z2-7]{12}"
SUBJECT_TAG = re.compile(rf"\[({TICKET_ID})\]")
_MESSAGE_ID = re.compile(r"<([^<>\s@]+)@([^<>\s@]+)>")
_OURS = re.compile(rf"^({TICKET_ID})(?:\.[A-Za-z0-9._-]+)?$")
DEFAULT_MAIL_DOMAIN = "tripcare.mail"
DELIVERY_HEADER = "X-TripCare-Delivery-Id"


def anchor_message_id(ticket_id: str, domain: str) -> str:
    """The Message-ID of a ticket's thread: its acknowledgement's, and what later mails answer."""
    return f"<{ticket_id}@{domain}>"


def ticket_message_id(ticket_id: str | None, unique: str, domain: str) -> str:
    """A stable Message-ID for one mail (``unique``: its delivery id), naming its ticket."""
    local = f"{ticket_id}.{unique}" if ticket_id else unique
    return f"<{local}@{domain}>"


def is_thread_anchor(message_id: str) -> bool:
    """Whether ``message_id`` is a ticket's anchor, ``<TC-…@…>``: anyone can write it."""
    match = _MESSAGE_ID.fullmatch(message_id.strip())
    return match is not None and re.fullmatch(TICKET_ID, match.group(1)) is not None


def is_message_id(value: str) -> bool:
    """Whether ``value`` is one ``<left@right>`` Message-ID, fit for ``In-Reply-To``."""
    return _MESSAGE_ID.fullmatch(value) is not None and value.isprintable()


def tickets_named_by(header: str, domain: str) -> list[str]:
    """Ticket ids of our own Message-IDs in a header (``In-Reply-To``, ``References``), in order."""
    found: list[str] = []
    for local, host in _MESSAGE_ID.findall(header):
        match = _OURS.match(local)
        if match and host.lower() == domain.lower() and match.group(1) not in found:
            found.append(match.group(1))
    return found


def tagged_subject(subject: str, ticket_id: str) -> str:
    """The subject naming the ticket once, by its ``[TC-…]`` tag: the tag takes the place of
    the text's own mention ("Your request TC-… is resolved", "title (TC-…)", "工单 TC-… 已解决"
    become "… [TC-…] …"), or ends a subject that names it nowhere. The templates name the
    ticket for the in-app inbox and IM, whose subjects carry no tag; a mail that added the
    tag read "New reply on your request TC-… [TC-…]"."""
    tag = f"[{ticket_id}]"
    mention = re.compile(rf"[\[(（]?(?<![A-Z0-9-]){re.escape(ticket_id)}(?![A-Z0-9])[\])）]?")
    if mention.search(subject) is None:
        return f"{subject} {tag}".strip()
    first, *rest = mention.split(subject)
    return re.sub(" {2,}", " ", f"{first}{tag}{''.join(rest)}").strip()


def subject_tags(subject: str | None) -> list[str]:
    """Ticket ids tagged ``[TC-…]`` in a subject, in order."""
    return list(dict.fromkeys(SUBJECT_TAG.findall(subject or "")))
