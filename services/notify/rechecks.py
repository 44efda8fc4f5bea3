"""What the dispatcher checks again just before one recipient's notices go out on a channel:
the assignments they tell still hold (``domain.assignment``), and a digest built for an
attempt that did not go through still tells only what is true (``domain.retried_digest``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from runtime.store import Repository
from services.notify import holders
from services.notify.domain.assignment import (
    Holder,
    assignment_tickets,
    overtaken,
    tells_assignment,
)
from services.notify.domain.delivery import Delivery, DeliveryStatus
from services.notify.domain.notice import Rendered
from services.notify.domain.retried_digest import rebuilt, recheck
from services.notify.render import Renderer


class Rechecks:
    def __init__(
        self,
        deliveries: Repository[Delivery],
        renderer: Renderer,
        save: Callable[[Delivery], Awaitable[bool]],
        digest: Callable[[Delivery, list[Delivery]], Rendered],
    ) -> None:
        self._deliveries = deliveries
        self._renderer = renderer
        self._save = save
        self._digest = digest

    async def current(self, group: list[Delivery], now: datetime) -> list[Delivery]:
        """``group`` without the notices of assignments the ticket's newest holder overtook:
        each ends ``overtaken``, never sent nor folded into a digest. Checked when it would
        go out, as a notice waits for retries and rate-limit slots; a digest due again is
        built again from what still holds (``_rebuild``). One read of the holders, only
        when an assignment is told."""
        retried = [d for d in group if rebuilt(d, now)]
        told = {d.ticket_id for d in group if tells_assignment(d) and d.ticket_id}
        told.update(*(assignment_tickets(d) for d in retried))
        held: Mapping[str, Holder] = {}
        if told:
            database = self._deliveries.collection.database
            held = await holders.current(database, group[0].tenant_id, told)
        for delivery in group:
            if delivery.ticket_id and overtaken(delivery, held.get(delivery.ticket_id)):
                delivery.overtake()
                await self._save(delivery)
        for leader in retried:
            await self._rebuild(leader, group, held, now)
        return [d for d in group if d.status is not DeliveryStatus.OVERTAKEN]

    async def _rebuild(
        self, leader: Delivery, group: list[Delivery], held: Mapping[str, Holder], now: datetime
    ) -> None:
        """Leave out the assignments no longer held, drop passed promises and render the
        digest again; as built when nothing changed. The carried notices are written before
        the digest: a crash between leaves the digest to be checked again."""
        members = await self._members(leader, group)
        check = recheck(leader, members, held, now)
        if not check.changed:
            return
        for told in check.lapsed:
            told.drop_promise(self._renderer.restate)
        for member in check.overtaken:
            member.overtake()
        again = [m for m in check.lapsed if m is not leader]
        if check.leader_overtaken:
            again = check.kept
            for member in again:
                member.unfold(now)
        for member in (*check.overtaken, *again):
            await self._save(member)
        leader.fold([], self._renderer.restate(leader))  # its own text again
        if check.leader_overtaken:
            leader.overtake()
        elif check.kept:
            leader.fold(check.kept, self._digest(leader, check.kept))
        await self._save(leader)

    async def _members(self, leader: Delivery, group: list[Delivery]) -> list[Delivery]:
        """The notices ``leader`` carries, from ``group`` (read with it) or else the store: a
        digest handed over from a failed channel carries that channel's notices."""
        found = {d.id: d for d in group}
        ids = [item.id for item in leader.digest]
        if missing := [i for i in ids if i not in found]:
            query = {"tenant_id": leader.tenant_id, "_id": {"$in": missing}}
            async for doc in self._deliveries.collection.find(query):
                member = Delivery.model_validate(doc)
                found[member.id] = member
        return [found[i] for i in ids if i in found]
