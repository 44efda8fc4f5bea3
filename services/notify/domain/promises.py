"""Whether a routing notice may still promise its answer time when it goes out.

"Expect an answer by 17:59" is true when the notice is made; held back by the rate limit, a
retry or a digest it could go out after 17:59. At that point the notice goes without the
time (``Delivery.drop_promise``), or not at all when a newer routing notice of the ticket
followed it: that one tells the team that has it now.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.notify.domain.delivery import Delivery, DeliveryStatus
from services.notify.domain.templates import ROUTED


def promise_overtaken(group: Sequence[Delivery], now: datetime) -> set[str]:
    """The ids of due notices in ``group`` (one recipient's, on one channel) whose promise
    has passed and that a newer routing notice of the same ticket followed."""
    routed = [
        d for d in group if d.template == ROUTED and d.status is not DeliveryStatus.SUPERSEDED
    ]
    lapsed = [
        d
        for d in group
        if d.status is DeliveryStatus.PENDING and d.is_due(now) and d.promise_lapsed(now)
    ]
    return {
        d.id
        for d in lapsed
        if any(n.ticket_id == d.ticket_id and n.created_at > d.created_at for n in routed)
    }
