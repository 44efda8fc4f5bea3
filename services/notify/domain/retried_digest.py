"""A digest built for an attempt that did not go through, checked again before it goes out.

A digest's text is rendered from its notices just before its first attempt. A retry after a
temporary failure (or the next channel's attempt) sent that text as built, though
meanwhile an "assigned to you" item's ticket may have moved on or a promised answer time
passed. Before it goes out again its notices are checked as a first attempt's are: an
overtaken assignment is left out, a passed promise dropped, and the text rendered again
from what is left (``Rechecks``). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.notify.domain.assignment import Holder, no_longer_held
from services.notify.domain.delivery import Delivery, DeliveryStatus


@dataclass(frozen=True)
class Recheck:
    """What changes in a built digest before it goes out again."""

    kept: list[Delivery]
    """The notices it still carries besides its own, in their order."""
    overtaken: list[Delivery]
    """Carried notices whose assignment no longer holds: they end ``overtaken``."""
    leader_overtaken: bool
    """Its own notice's assignment no longer holds: it ends ``overtaken`` and the ``kept``
    notices go out without it, each a first attempt again (``Delivery.unfold``)."""
    lapsed: list[Delivery]
    """The notices it still tells (its own included) whose promised time has passed."""
    changed: bool


def rebuilt(delivery: Delivery, now: datetime) -> bool:
    """A digest already built, due to go out again (a retry, or a failed channel's handover)."""
    pending = delivery.status is DeliveryStatus.PENDING
    return pending and bool(delivery.digest) and delivery.is_due(now)


def recheck(
    leader: Delivery,
    members: Sequence[Delivery],
    held: Mapping[str, Holder],
    now: datetime,
) -> Recheck:
    """``members``: the notices ``leader``'s digest carries (deliveries are never deleted).

    A digest handed over from a failed channel carries that channel's notices: its own
    notice overtaken, they go on with it rather than back to the channel that failed
    (they would be lost with it otherwise); alone, it ends."""

    def ended(delivery: Delivery) -> bool:
        return no_longer_held(delivery, held.get(delivery.ticket_id or ""))

    told_before = [m for m in members if m.status is not DeliveryStatus.OVERTAKEN]
    overtaken = [m for m in told_before if ended(m)]
    kept = [m for m in told_before if not ended(m)]
    leader_overtaken = ended(leader) and (leader.fallback_of is None or not kept)
    told = kept if leader_overtaken else [leader, *kept]
    lapsed = [d for d in told if d.promise_lapsed(now, own=True)]
    changed = leader_overtaken or bool(lapsed) or len(kept) < len(leader.digest)
    return Recheck(kept, overtaken, leader_overtaken, lapsed, changed)
