"""Who holds each ticket, as the events notify takes tell it (``domain.assignment``): a
notice of an assignment is sent only while it is still true.

One document per ticket, the newest holder by the event's own time (integer epoch
milliseconds: nx-27017 compares dates only to the second). Its id is ``store.ticket_key``;
no index but ``_id`` is read.
"""

from __future__ import annotations

from collections.abc import Iterable

from pymongo.asynchronous.database import AsyncDatabase

from runtime.clock import epoch_ms
from runtime.store import Document
from runtime.store_batches import BatchedCollection
from services.notify.domain.assignment import Holder
from services.notify.store import ticket_key

HOLDERS = "ticket_holders"


async def record(
    batches: BatchedCollection, tenant_id: str, holder: Holder, *, patient: bool = True
) -> None:
    """Keep ``holder`` unless a newer one is kept (``write_if``): an older event taken late
    (or again) changes nothing. On every contact's path, so the records of events taken
    together share one command (``patient``: it may wait for company)."""
    at_ms = epoch_ms(holder.at)
    held = {"tenant_id": tenant_id, "assignee": holder.assignee, "at": holder.at, "at_ms": at_ms}
    key = ticket_key(tenant_id, holder.ticket_id)
    await batches.write_if(key, {"at_ms": {"$lte": at_ms}}, held, patient=patient)


async def current(
    db: AsyncDatabase[Document], tenant_id: str, ticket_ids: Iterable[str]
) -> dict[str, Holder]:
    """The newest holder kept of each of ``ticket_ids`` (a ticket with none is left out)."""
    keys = [ticket_key(tenant_id, ticket_id) for ticket_id in set(ticket_ids)]
    found: dict[str, Holder] = {}
    async for doc in db[HOLDERS].find({"_id": {"$in": keys}}):
        ticket_id = str(doc["_id"]).removeprefix(f"{tenant_id}/")
        found[ticket_id] = Holder(ticket_id, doc.get("assignee"), doc["at"])
    return found
