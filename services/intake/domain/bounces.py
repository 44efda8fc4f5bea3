"""A bounce of one of our mails, told to notify: the delivery that sent it failed. Pure.

Intake reads the bounce (``channels.automatic.delivery_report``) and records it on the ticket
whose notice it returns; notify owns the delivery log, so the ticket raises
``notification.bounced`` with the returned mail's Message-ID and notify marks that delivery
failed (docs/notify.md, "Bounces"). Only a failure is told: a delay report
(``Action: delayed``), a relay's or a read receipt (RFC 8098) changes nothing. A bounce with
no readable report (a MAILER-DAEMON's plain text) is a failure with no status to tell.

Bounces come from mail servers, so their sender proves nothing; what a bounce returns
must. A ticket's thread id (``<TC-…@…>``) is guessable from the public ticket id: a bounce
naming only it, without the returned mail's ``X-TripCare-Delivery-Id``, is an "Unverified
bounce report" on the timeline and notify is not told (a forged one would otherwise give
up a traveller's e-mail). Notify checks the rest against the mails it sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from contracts import events
from contracts.mail import is_thread_anchor
from services.intake.domain.automatic import Automatic, automatic_kind
from services.intake.domain.mail_threading import IN_REPLY_TO

REPORT_TYPE = "report_type"
DSN_ACTION = "dsn_action"
DSN_STATUS = "dsn_status"
DSN_DIAGNOSTIC = "dsn_diagnostic"
DSN_RECIPIENT = "dsn_recipient"
DSN_DELIVERY_ID = "dsn_delivery_id"
"""Contact metadata of a bounce: its report type, of its first failed recipient (else its
first) the action, status, diagnostic and address (RFC 3464 section 2.3), and the returned
mail's ``X-TripCare-Delivery-Id``."""
UNVERIFIED = "Unverified bounce report"
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,996}>")


class ReportKind(StrEnum):
    """What a report tells, as the staff timeline words it."""

    FAILURE = "Delivery failure report"
    DELAY = "Delivery delay report"
    STATUS = "Delivery status report"
    READ_RECEIPT = "Read receipt"


@dataclass(frozen=True)
class Report:
    """What a bounce's report says: its kind, and whether it is a delivery status report
    (RFC 3464; one with no report type, a MAILER-DAEMON's plain text, is read as one)."""

    kind: ReportKind
    delivery_status: bool

    @property
    def failed_delivery(self) -> bool:
        """Only this is told to notify: a delay or another report's failure fails nothing."""
        return self.delivery_status and self.kind is ReportKind.FAILURE


def read_report(metadata: Mapping[str, str]) -> Report:
    """The report a bounce's metadata holds; one with no action (a MAILER-DAEMON's plain
    text) is a failure."""
    report_type = metadata.get(REPORT_TYPE)
    action = metadata.get(DSN_ACTION, "failed").lower()
    if report_type == "disposition-notification":
        kind = ReportKind.READ_RECEIPT
    elif action == "delayed":
        kind = ReportKind.DELAY
    else:
        kind = ReportKind.FAILURE if action == "failed" else ReportKind.STATUS
    return Report(kind, report_type in (None, "delivery-status"))


def bounce_notice(
    contact: events.ContactReceived, ticket_id: str, now: datetime
) -> events.NotificationBounced | None:
    """What notify is told of a bounce recorded on ``ticket_id``: the returned mail's
    Message-ID (kept as the bounce's ``in_reply_to``) and the report's reason; None when it
    is no failure or names no mail."""
    metadata = contact.metadata
    if automatic_kind(contact) is not Automatic.BOUNCE:
        return None
    if not read_report(metadata).failed_delivery:
        return None
    proof = _returned(metadata)
    if proof is None:
        return None
    return events.NotificationBounced(
        ticket_id=ticket_id,
        message_id=proof[0],
        delivery_id=proof[1],
        recipient=_kept(metadata.get(DSN_RECIPIENT), 320),
        status=_kept(metadata.get(DSN_STATUS), 32),
        diagnostic=_kept(metadata.get(DSN_DIAGNOSTIC), 1_000),
        bounced_at=now,
    )


def report_title(contact: events.ContactReceived) -> str:
    """What the staff timeline calls a report: only a failure reads as one (a delay report
    told "failure" sends staff after a mail that will still arrive), and one not proving
    which of our mails it returns is unverified."""
    report = read_report(contact.metadata)
    if report.failed_delivery and _returned(contact.metadata) is None:
        return UNVERIFIED
    return report.kind.value


def _returned(metadata: Mapping[str, str]) -> tuple[str, str | None] | None:
    """The returned mail's Message-ID and delivery id; None when it names no mail, or only a
    ticket's thread id without the delivery id (anyone can write that)."""
    returned = _MESSAGE_ID.search(metadata.get(IN_REPLY_TO, ""))
    delivery_id = _kept(metadata.get(DSN_DELIVERY_ID), 64)
    if returned is None or (is_thread_anchor(returned.group(0)) and delivery_id is None):
        return None
    return returned.group(0), delivery_id


def _kept(value: str | None, limit: int) -> str | None:
    """A metadata value within the event's bound (a gateway's contact may carry longer)."""
    return (value or "")[:limit].strip() or None
