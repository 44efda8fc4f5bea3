"""A bounce of one of our mails, told to notify: the delivery that sent it failed. Pure.

Intake reads the bounce (``channels.automatic.delivery_report``) and records it on the ticket
whose notice it returns; notify owns the delivery log, so the ticket raises
``notification.bounced`` with the returned mail's Message-ID and notify marks that delivery
failed (docs/notify.md, "Bounces"). Only a failure is told: a delay report
(``Action: delayed``), a relay's or a read receipt (RFC 8098) changes nothing. A bounce with
no readable report (a MAILER-DAEMON's plain text) is a failure with no status to tell.
"""

from __future__ import annotations

import re
from datetime import datetime

from contracts import events
from services.intake.domain.automatic import Automatic, automatic_kind
from services.intake.domain.mail_threading import IN_REPLY_TO

REPORT_TYPE = "report_type"
DSN_ACTION = "dsn_action"
DSN_STATUS = "dsn_status"
DSN_DIAGNOSTIC = "dsn_diagnostic"
DSN_RECIPIENT = "dsn_recipient"
"""Contact metadata of a bounce: its report type, and of its first failed recipient (else its
first) the action, status, diagnostic and address (RFC 3464 section 2.3)."""
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,996}>")


def bounce_notice(
    contact: events.ContactReceived, ticket_id: str, now: datetime
) -> events.NotificationBounced | None:
    """What notify is told of a bounce recorded on ``ticket_id``: the returned mail's
    Message-ID (kept as the bounce's ``in_reply_to``) and the report's reason; None when it
    is no failure or names no mail."""
    metadata = contact.metadata
    if automatic_kind(contact) is not Automatic.BOUNCE:
        return None
    if metadata.get(REPORT_TYPE, "delivery-status") != "delivery-status":
        return None
    if metadata.get(DSN_ACTION, "failed").lower() != "failed":
        return None
    returned = _MESSAGE_ID.search(metadata.get(IN_REPLY_TO, ""))
    if returned is None:
        return None
    return events.NotificationBounced(
        ticket_id=ticket_id,
        message_id=returned.group(0),
        recipient=_kept(metadata.get(DSN_RECIPIENT), 320),
        status=_kept(metadata.get(DSN_STATUS), 32),
        diagnostic=_kept(metadata.get(DSN_DIAGNOSTIC), 1_000),
        bounced_at=now,
    )


def report_title(contact: events.ContactReceived) -> str:
    """What the staff timeline calls a report: only a failure reads as one (a delay report
    told "failure" sends staff after a mail that will still arrive)."""
    metadata = contact.metadata
    if metadata.get(REPORT_TYPE) == "disposition-notification":
        return "Read receipt"
    action = metadata.get(DSN_ACTION, "failed").lower()
    if action == "delayed":
        return "Delivery delay report"
    return "Delivery failure report" if action == "failed" else "Delivery status report"


def _kept(value: str | None, limit: int) -> str | None:
    """A metadata value within the event's bound (a gateway's contact may carry longer)."""
    return (value or "")[:limit].strip() or None
