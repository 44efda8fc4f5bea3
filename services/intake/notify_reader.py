"""What the ticket view shows from notify: the notices delivered for the ticket.

Notify owns the delivery log; intake no longer writes each delivery into the ticket
(#20). The view reads ``GET /v1/notifications?ticket_id=`` over notify's public API
with the caller's own token, so notify checks tenant and role as for any call
(``runtime.readers``: traced, short timeout). The log comes a page at a time, oldest
first: the reader follows ``next_cursor`` to the newest notice (a notify that still
answers a bare list gave its first page only). When notify is slow or down the view
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
MAX_PAGES = 20
"""Pages of notify's log one view reads at most (100 notices each: 2,000), each page
within ``TIMEOUT_S``."""


class NotifyReader(ServiceReader):
    service = "notify"

    async def delivered(self, token: str, tenant: str, ticket_id: str) -> list[Delivered] | None:
        """Every notice delivered for the ticket, oldest first; None when notify gave no answer."""
        items: list[Any] = []
        try:
            async with self.session(token, **{"X-Tenant-Id": tenant}) as notify:
                cursor: str | None = None
                for _ in range(MAX_PAGES):
                    more = {"cursor": cursor} if cursor else {}
                    found = await notify.get("/v1/notifications", ticket_id=ticket_id, **more)
                    page, cursor = _page(found)
                    if page is None:
                        return None
                    items.extend(page)
                    if cursor is None:
                        break
                else:
                    log.warning("notify's log of %s has over %d pages", ticket_id, MAX_PAGES)
        except Unavailable as exc:
            log.warning("notify unavailable for the ticket view: %s", exc)
            return None
        return [d for d in (_delivered(item) for item in items) if d is not None]


def _page(found: Any) -> tuple[list[Any] | None, str | None]:
    """The items and next cursor of one answer: a page, or a bare list (an older notify)."""
    if isinstance(found, list):
        return found, None
    if not isinstance(found, dict) or not isinstance(found.get("items"), list):
        return None, None
    cursor = found.get("next_cursor")
    return found["items"], cursor if isinstance(cursor, str) and cursor else None


SENT = ("delivered", "digested")
"""A digested notice went out inside another delivery, at that delivery's time."""


def _delivered(item: Any) -> Delivered | None:
    """A delivered notice; also a failed one that had been delivered (a mail that bounced
    after the server took it), whose failure intake's own timeline records after it."""
    if not isinstance(item, dict):
        return None
    bounced = item.get("status") == "failed" and item.get("delivered_at") is not None
    if item.get("status") not in SENT and not bounced:
        return None
    try:
        return Delivered.model_validate(item)
    except ValidationError:
        return None
