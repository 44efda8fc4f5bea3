"""Mail no person wrote (bounces, auto-replies, list or bulk mail) and mail whose sender
asked for no automatic answer. Pure.

RFC 3834 section 2: never answer an automatic mail automatically, or two robots answer
each other for ever. Intake's rule (docs/api.md, "Automatic mail"):

- a **bounce** (a delivery status notification, RFC 3464 ``multipart/report``, or mail from
  ``MAILER-DAEMON``/``postmaster``) is never a ticket: it is recorded, staff-only, on the
  ticket whose notice it returns (named by the returned mail's Message-ID, References or
  ``[TC-…]`` tag), else dropped and counted;
- an **auto-reply** (``Auto-Submitted`` other than ``no``, ``X-Autoreply``,
  ``X-Autorespond``, ``Precedence: auto_reply``) is recorded,
  staff-only, on the ticket it answers; it never reopens, never opens a ticket, is never
  answered;
- **list or bulk** mail (``List-Id``, ``Precedence: bulk``, ``list`` or ``junk``) may be a
  person's request: it opens or joins a ticket as usual, but no acknowledgement, routing
  notice or bot answer goes back to it;
- a person's mail carrying ``X-Auto-Response-Suppress`` (Outlook and Exchange add it) that
  asks for no automatic answer is not automatic: it opens, joins or reopens a ticket as
  usual, and is answered automatically no more than list or bulk mail.
"""

from __future__ import annotations

from enum import StrEnum

from contracts.events import ContactReceived

AUTOMATIC = "automatic"
"""The contact metadata key that says what kind of automatic mail a contact is."""
AUTO_RESPONSE_SUPPRESS = "auto_response_suppress"
"""The contact metadata key holding the sender's X-Auto-Response-Suppress, kept only when
it asks for no automatic answer (not when it only suppresses receipts)."""


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


def unanswered_because(contact: ContactReceived) -> str | None:
    """Why TripCare may not answer it by itself (acknowledgement, routing notice, bot);
    None: it may."""
    kind = automatic_kind(contact)
    if kind is not None:
        what = "list or bulk mail" if kind is Automatic.BULK else "automatic mail"
        return f"{what} is never answered automatically"
    if AUTO_RESPONSE_SUPPRESS in contact.metadata:
        return "the sender asked for no automatic answer (X-Auto-Response-Suppress)"
    return None
