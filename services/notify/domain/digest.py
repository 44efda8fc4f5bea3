"""What goes out now for one recipient on one channel: retries alone, first attempts within
the rate limit — and the first attempts due together as one digest: one ticket's for the
traveller's side, whose messages are threaded to their ticket; any tickets' for staff.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.notify.domain.delivery import Delivery, DeliveryStatus
from services.notify.domain.notice import Rendered
from services.notify.domain.rate_limit import RateLimit
from services.notify.domain.recipients import APP_ROLES


@dataclass(frozen=True)
class Plan:
    """What to do now for one recipient on one channel."""

    repairs: list[tuple[Delivery, str]] = field(default_factory=list)
    alone: list[Delivery] = field(default_factory=list)
    leader: Delivery | None = None
    members: list[Delivery] = field(default_factory=list)
    deferred: list[Delivery] = field(default_factory=list)
    until: datetime | None = None
    superseded: list[Delivery] = field(default_factory=list)


def plan(
    group: Sequence[Delivery], now: datetime, limit: RateLimit, overtaken: Collection[str] = ()
) -> Plan:
    """Retries (and digests handed over from a failed channel) go alone; first attempts share
    the rate limit, and those due when a slot opens go out together as one message: a storm
    of updates becomes one digest (``joins``); another ticket's wait for the next slot.

    ``group`` is the recent deliveries of one recipient on one channel, in any state:
    notices already folded into a leader (before a crash) are only marked as such.
    ``overtaken``: the ids of disruption notices a newer revision has overtaken, and of
    routing notices past their promised time a newer routing followed; due, they
    are superseded instead of sent, whether a first attempt, a retry, a rate-limit slot or a
    digest's member (one carrying others' notices goes on: they would be lost).
    """
    folded = {item.id: d.id for d in group for item in d.digest}
    due = [d for d in group if d.status is DeliveryStatus.PENDING and d.is_due(now)]
    repairs = [(d, folded[d.id]) for d in due if d.id in folded]
    due = [d for d in due if d.id not in folded]
    superseded = [d for d in due if d.id in overtaken and not d.digest]
    due = [d for d in due if d not in superseded]
    alone = [d for d in due if d.attempts or d.digest]
    fresh = sorted(
        (d for d in due if not (d.attempts or d.digest)), key=lambda d: (d.created_at, d.id)
    )
    if not fresh:
        return Plan(repairs, alone, superseded=superseded)
    sent = [d.delivered_at or now for d in group if d.status is DeliveryStatus.DELIVERED]
    sent += [now for d in group if d.status is DeliveryStatus.SENDING]
    slot = limit.next_slot(sent, now)
    if slot > now:
        return Plan(repairs, alone, deferred=fresh, until=slot, superseded=superseded)
    leader = fresh[0]
    members = [d for d in fresh[1:] if joins(leader, d)]
    return Plan(repairs, alone, leader=leader, members=members, superseded=superseded)


def joins(leader: Delivery, notice: Delivery) -> bool:
    """Whether ``notice`` may go out in ``leader``'s digest. A traveller's or booker's message
    is threaded to its ticket (the mail's ``[TC-…]`` tag and In-Reply-To, the webhook's
    ``ticket_id`` and link), so it carries that ticket's notices only: a reply about another
    ticket must not join this one. Staff mail names no ticket: their alerts across tickets
    stay one message, each item naming its ticket."""
    return leader.role not in APP_ROLES or notice.ticket_id == leader.ticket_id


def digest_language(leader: Delivery, members: Sequence[Delivery]) -> str:
    """The recipient's own language, as the newest folded notice knows it (intake follows the
    language of their latest message); the leader's for deliveries stored without it. Not the
    first notice's: a reply an agent wrote in Chinese, told in Chinese, made a Japanese
    traveller's digest Chinese when it came first."""
    newest = max((leader, *members), key=lambda d: (d.created_at, d.id))
    return newest.reader_language or leader.reader_language or leader.language


def digest_values(
    leader: Delivery, members: Sequence[Delivery], items: Sequence[Rendered] | None = None
) -> dict[str, Any]:
    """What the digest template shows: every folded notice, oldest first — ``items``, their
    text in the digest's language, else as each was rendered. A traveller's (``one_request``)
    lists the texts alone: each already says what happened to their one request, so its
    subject before it said it twice; staff items keep the subject naming their ticket."""
    folded = (leader, *members)
    texts = items or [Rendered(d.language, d.subject, d.body) for d in folded]
    entries = [{"subject": t.subject, "body": t.body} for t in texts]
    return {
        "count": len(entries),
        "items": entries,
        "tickets": len({d.ticket_id for d in folded}),
        "one_request": leader.role in APP_ROLES,
    }
