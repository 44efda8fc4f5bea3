"""Mail no person wrote: bounces, auto-replies and list or bulk mail. Pure.

RFC 3834 section 2: never answer an automatic mail automatically, or two robots answer
each other for ever. Intake's rule (docs/api.md, "Automatic mail"):

- a **bounce** (a delivery status notification, RFC 3464 ``multipart/report``, or mail from
  ``MAILER-DAEMON``/``postmaster``) is never a ticket: it is recorded, staff-only, on the
  ticket whose notice it returns (named by the returned mail's Message-ID, References or
  ``[TC-…]`` tag), else dropped and counted;
- an **auto-reply** (``Auto-Submitted`` other than ``no``, ``X-Autoreply``,
  ``X-Autorespond``, ``X-Auto-Response-Suppress``, ``Precedence: auto_reply``) is recorded,
  staff-only, on the ticket it answers; it never reopens, never opens a ticket, is never
  answered;
- **list or bulk** mail (``List-Id``, ``Precedence: bulk``, ``list`` or ``junk``) may be a
  person's request: it opens or joins a ticket as usual, but no acknowledgement, routing
  notice or bot answer goes back to it.
"""

from __future__ import annotations

from enum import StrEnum

from contracts.events import ContactReceived

AUTOMATIC = "automatic"
"""The contact metadata key that says what kind of automatic mail a contact is."""


class Automatic(StrEnum):
    BOUNCE = "bounce"
    AUTO_REPLY = "auto_reply"
    BULK = "bulk"


NEVER_A_TICKET = frozenset({Automatic.BOUNCE, Automatic.AUTO_REPLY})
"""Only recorded on a ticket they name; they never open, reopen or are answered."""


def automatic_kind(contact: ContactReceived) -> Automatic | None:
    """What kind of automatic mail the contact is, as its channel read it; None: a person's."""
    value = contact.metadata.get(AUTOMATIC, "")
    return Automatic(value) if value in set(Automatic) else None


def answered_automatically(contact: ContactReceived) -> bool:
    """Whether TripCare may answer it by itself (acknowledgement, routing notice, bot)."""
    return automatic_kind(contact) is None
