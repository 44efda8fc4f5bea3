"""Which delivery a bounce names, and what its log says of it. Pure.

Intake reads a bounce of one of our mails and publishes ``notification.bounced`` with the
returned mail's Message-ID; notify kept the Message-ID each e-mail went out with
(``Delivery.message_id``), so that id names the delivery to fail (docs/notify.md, "Bounces").

A ticket's thread id (``<TC-…@…>``, the acknowledgement's) is guessable from the public
ticket id, so a bounce only counts when it proves which mail it returns: the Message-ID
names the delivery's own id (every later mail's does), or the report returned the mail's
``X-TripCare-Delivery-Id``. Otherwise anyone who knows a ticket id could give up a
traveller's e-mail with a forged bounce.
"""

from __future__ import annotations

from collections.abc import Sequence

from contracts import events
from services.notify.domain.delivery import Delivery


def bounced_delivery(
    sent: Sequence[Delivery], bounce: events.NotificationBounced
) -> Delivery | None:
    """Of the deliveries sent with the bounce's Message-ID, the one the returned headers name
    and to the address that refused it (else a lone one), if the bounce proves it returns
    that mail."""
    recipient = bounce.recipient
    if bounce.delivery_id:
        sent = [d for d in sent if d.id == bounce.delivery_id]
    if recipient:
        sent = [d for d in sent if d.address.lower() == recipient.lower()]
    named = sent[0] if len(sent) == 1 else None
    if named is None or not _proven(named, bounce):
        return None
    return named


def _proven(named: Delivery, bounce: events.NotificationBounced) -> bool:
    """The named delivery's id, unguessable, is in the Message-ID or the returned headers."""
    return bounce.delivery_id == named.id or named.id in bounce.message_id


def bounce_error(bounced: events.NotificationBounced) -> str:
    """``bounced: 5.1.1 smtp; 550 5.1.1 User unknown``: the report's status and diagnostic."""
    reason = " ".join(part for part in (bounced.status, bounced.diagnostic) if part)
    return f"bounced: {reason or 'the mail came back undelivered'}"
