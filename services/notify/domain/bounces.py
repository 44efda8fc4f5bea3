"""Which delivery a bounce names, and what its log says of it. Pure.

Intake reads a bounce of one of our mails and publishes ``notification.bounced`` with the
returned mail's Message-ID; notify kept the Message-ID each e-mail went out with
(``Delivery.message_id``), so that id names the delivery to fail (docs/notify.md, "Bounces").
"""

from __future__ import annotations

from collections.abc import Sequence

from contracts import events
from services.notify.domain.delivery import Delivery


def bounced_delivery(sent: Sequence[Delivery], recipient: str | None) -> Delivery | None:
    """Of the deliveries sent with the bounce's Message-ID, the one to the address that refused
    it. The acknowledgement to a traveller and their booker shares the ticket's anchor id, so
    without an address only a lone delivery is named; otherwise none is."""
    if recipient:
        sent = [d for d in sent if d.address.lower() == recipient.lower()]
    return sent[0] if len(sent) == 1 else None


def bounce_error(bounced: events.NotificationBounced) -> str:
    """``bounced: 5.1.1 smtp; 550 5.1.1 User unknown``: the report's status and diagnostic."""
    reason = " ".join(part for part in (bounced.status, bounced.diagnostic) if part)
    return f"bounced: {reason or 'the mail came back undelivered'}"
