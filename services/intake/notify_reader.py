"""What the ticket view shows from notify: the notices delivered for the ticket.

Notify owns the delivery log; intake no longer writes each delivery into the ticket
(#20). The view reads ``GET /v1/notifications?ticket_id=`` over notify's public API
with the caller's own token, so notify checks tenant and role as for any call
(``runtime.readers``: traced, short timeout). When notify is slow or down the view
still answers, with the ticket's own steps and ``deliveries_unavailable`` set.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from runtime.readers import ServiceReader, Unavailable
from services.intake.domain.deliveries import Delivered

log = logging.getLogger(__name__)
TIMEOUT_S = 1.0
"""A ticket view waits this long for notify at most, then answers without it."""


class NotifyReader(ServiceReader):
    service = "notify"

    async def delivered(self, token: str, tenant: str, ticket_id: str) -> list[Delivered] | None:
        """Every notice delivered for the ticket, oldest first; None when notify gave no answer."""
        try:
            async with self.session(token, **{"X-Tenant-Id": tenant}) as notify:
                found = await notify.get("/v1/notifications", ticket_id=ticket_id)
        except Unavailable as exc:
            log.warning("notify unavailable for the ticket view: %s", exc)
            return None
        if not isinstance(found, list):
            return None
        return [d for d in (_delivered(item) for item in found) if d is not None]


SENT = ("delivered", "digested")
"""A digested notice went out inside another delivery, at that delivery's time."""


def _delivered(item: Any) -> Delivered | None:
    if not isinstance(item, dict) or item.get("status") not in SENT:
        return None
    try:
        return Delivered.model_validate(item)
    except ValidationError:
        return None
