"""The dispatcher: a background loop that sends what is due in the store — first attempts,
retries after back-off, digests, attempts whose process died — so a slow or dead gateway
never holds a consumer, and a restart loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from itertools import islice

from prometheus_client import CollectorRegistry

from runtime.clock import Clock, epoch_ms
from runtime.signing import Signer
from runtime.startup import failure
from runtime.store import ConcurrencyError, Repository
from services.notify import store
from services.notify.channels.registry import Channels
from services.notify.channels.sender import Outgoing, SendFailed
from services.notify.config import NotifySettings
from services.notify.domain.delivery import Delivery, DeliveryStatus
from services.notify.domain.digest import digest_language, digest_values, plan
from services.notify.domain.fit import cut
from services.notify.domain.notice import Rendered
from services.notify.domain.outcome import Outcome
from services.notify.domain.promises import promise_overtaken
from services.notify.domain.recipients import APP_ROLES
from services.notify.domain.traveller_links import redact
from services.notify.metrics import INTERRUPTED, DeliveryMetrics
from services.notify.rechecks import Rechecks
from services.notify.render import Renderer
from services.notify.tracking_links import TrackingLinks

log = logging.getLogger(__name__)


class Superseded(Exception):
    """The attempt's outcome came after another process had recovered or re-sent it."""


GroupKey = tuple[str, str, str]
"""Tenant, recipient, channel: the unit of rate limiting, digesting and ordering."""


class Dispatcher:
    """Sends what is due, one task per recipient and channel, at most ``concurrency`` at once.

    Several notify processes may run: each attempt is claimed with a versioned
    write, so only one of them sends it.
    """

    def __init__(
        self,
        deliveries: Repository[Delivery],
        channels: Channels,
        renderer: Renderer,
        clock: Clock,
        settings: NotifySettings,
        *,
        jitter: Callable[[], float] = random.random,
        batch: int = 500,
        metrics: DeliveryMetrics | None = None,
        signer: Signer | None = None,
    ) -> None:
        self.deliveries = deliveries
        self.links = TrackingLinks(deliveries.collection, clock, signer, settings.public_url)
        """A ticket's tracking link: stored, else minted (the link key ring, intake's address)."""
        self.channels = channels
        self.renderer = renderer
        self.clock = clock
        self.policy = settings.retry_policy
        self.rate = settings.rate
        self.lease = timedelta(seconds=settings.lease_s)
        self.poll_interval_s = settings.poll_interval_s
        self.concurrency = settings.concurrency
        self.jitter = jitter
        self.batch = batch
        self._wakeup = asyncio.Event()
        self._busy: dict[GroupKey, asyncio.Task[None]] = {}
        self._todo: dict[GroupKey, None] = {}  # due at the last scan, not yet served (in order)
        self._loop: asyncio.Task[None] | None = None
        self.metrics = metrics or DeliveryMetrics(CollectorRegistry())
        self._rechecks = Rechecks(deliveries, renderer, self._save, self._digest)
        self.metrics.watch(lambda: len(self._busy), lambda: len(self._todo))

    def wake(self) -> None:
        """Look for due work now rather than at the next poll."""
        self._wakeup.set()

    def due(self, delivery: Delivery) -> None:
        """A delivery was just added: serve its recipient now, without a scan of the store."""
        self._todo[(delivery.tenant_id, delivery.recipient, delivery.channel)] = None
        if self.running:
            self._fill()

    @property
    def running(self) -> bool:
        return self._loop is not None and not self._loop.done()

    def start(self) -> None:
        self._loop = asyncio.create_task(self._run(), name="notify-dispatcher")

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Stop looking; give in-flight sends ``timeout_s``; an unfinished one is retried
        by whichever process finds its lease run out.
        """
        if self._loop:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)
        self._todo.clear()  # start nothing new while in-flight sends finish
        if self._busy:
            _, pending = await asyncio.wait(list(self._busy.values()), timeout=timeout_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self.channels.aclose()

    async def _run(self) -> None:
        """Scan only once queued work is handed out. New deliveries are queued by ``due``;
        scans find retries, rate-limit slots, expired leases and other processes' work.
        Under a backlog a scan per delivery would cost more store time than sending.
        """
        while True:
            self._wakeup.clear()
            if not self._todo:
                try:
                    await self.scan()
                except Exception as exc:
                    log.warning("notify dispatch scan failed: %s", failure(exc))
            self._fill()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.poll_interval_s)

    async def scan(self) -> None:
        """Queue every recipient and channel with due deliveries and start serving them."""
        due = {"$in": [DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value]}
        cursor = (
            self.deliveries.collection.find(
                {"status": due, "due_ms": {"$lte": epoch_ms(self.clock.now())}},
                {"tenant_id": 1, "recipient": 1, "channel": 1},
            )
            .sort("due_ms", 1)
            .limit(self.batch)
        )
        async for doc in cursor:
            key: GroupKey = (doc["tenant_id"], doc["recipient"], doc["channel"])
            if key not in self._busy:
                self._todo[key] = None
        self._fill()

    def _fill(self) -> None:
        """Serve queued recipients, at most ``concurrency`` at once; a busy one stays queued.
        Looks only as far into the queue as there are free slots: it may hold thousands.
        """
        free = self.concurrency - len(self._busy)
        idle = (key for key in self._todo if key not in self._busy)
        for key in list(islice(idle, max(free, 0))):
            del self._todo[key]
            task = asyncio.create_task(self._serve(key), name=f"notify-{key[2]}")
            self._busy[key] = task
            task.add_done_callback(lambda done, key=key: self._served(key, done))  # type: ignore[misc]

    def _served(self, key: GroupKey, task: asyncio.Task[None]) -> None:
        del self._busy[key]
        if task.cancelled():
            return
        if (exc := task.exception()) is not None:
            log.warning("notify dispatch for one recipient failed: %s", failure(exc))
            return  # the next poll tries again; waking now could spin on the same error
        if self.running:
            self._fill()

    async def _serve(self, key: GroupKey) -> None:
        tenant_id, recipient, channel = key
        now = self.clock.now()
        cursor = (
            self.deliveries.collection.find(
                {"tenant_id": tenant_id, "recipient": recipient, "channel": channel}
            )
            .sort("created_at", -1)
            .limit(100)
        )
        group = [Delivery.model_validate(doc) async for doc in cursor]
        for delivery in group:
            if delivery.status is DeliveryStatus.SENDING and delivery.is_due(now):
                delivery.recover(now, self.policy, self.jitter())
                if await self._save(delivery):
                    self._recorded(delivery, INTERRUPTED)
        group = await self._rechecks.current(group, now)
        overtaken = await self._revision_overtaken(group, now) | promise_overtaken(group, now)
        todo = plan(group, now, self.rate, overtaken)
        await self._supersede(todo.superseded)
        for member, leader_id in todo.repairs:
            member.fold_into(leader_id)
            await self._save(member)
        if todo.until is not None:
            for delivery in todo.deferred:
                delivery.defer(todo.until)
                await self._save(delivery)
        for delivery in todo.alone:
            await self._attempt(delivery, [])
        if todo.leader is not None:
            await self._attempt(todo.leader, todo.members)

    async def _revision_overtaken(self, group: list[Delivery], now: datetime) -> set[str]:
        """The due disruption notices a newer revision told since has overtaken: a first
        attempt, a retry, one held for a rate-limit slot or a digest's member. Read just
        before the claims; a revision recorded after it finds the attempt under way, which
        goes out before the newer one (this process serves a recipient's channel in turn)."""
        database = self.deliveries.collection.database
        found = set()
        for d in group:
            if d.revision is None or d.status is not DeliveryStatus.PENDING or not d.is_due(now):
                continue
            if await store.revision_overtaken(database, d.tenant_id, d.ticket_id, d.revision):
                found.add(d.id)
        return found

    async def _supersede(self, overtaken: list[Delivery]) -> None:
        """End them ``superseded``: never sent, no ``notification.failed``, no fallback."""
        for delivery in overtaken:
            delivery.supersede()
            if await self._save(delivery):
                log.info("delivery %s (ticket %s) superseded", delivery.id, delivery.ticket_id)

    async def _attempt(self, delivery: Delivery, members: list[Delivery]) -> None:
        """Claim (one write), send, record the outcome (one write); members are folded in.
        A notice whose promised answer time has passed by now goes without it."""
        now = self.clock.now()
        for told in (delivery, *members):
            if told.promise_lapsed(now):
                told.drop_promise(self.renderer.restate)
        own = Rendered(delivery.language, delivery.subject, delivery.body)
        if members:
            delivery.fold(members, self._digest(delivery, members))
        if delivery.link is None and cut(delivery.body, delivery.channel):
            delivery.link = await self._tracking_link(delivery)
        delivery.claim(now, self.lease)
        if not await self._save(delivery):
            return
        if not await self._fold(delivery, members, own):
            return
        try:
            message_id = await self._send(delivery)
        except SendFailed as failed:
            now, error, outcome = self.clock.now(), failed.error, failed.outcome
            log.info(
                "delivery %s (ticket %s) attempt %d on %s failed (%s): %s",
                delivery.id,
                delivery.ticket_id,
                delivery.attempts,
                delivery.channel,
                outcome,
                redact(error),
            )
            jitter = self.jitter()
            recorded = await self._record(
                delivery, lambda d: d.attempt_failed(now, error, outcome, self.policy, jitter)
            )
        else:
            now, outcome = self.clock.now(), Outcome.DELIVERED
            recorded = await self._record(delivery, lambda d: d.succeed(now, message_id))
        if recorded is not None:
            self._recorded(recorded, outcome)

    async def _tracking_link(self, delivery: Delivery) -> str | None:
        """A traveller's message cut for its channel whose text names no link (an agent's
        reply: ``ticket.replied`` carries none) ends with the link to the rest: their
        tracking page, as the ticket's acknowledgement (or disruption notice) gave it, else
        minted from the ticket id (``tracking_links``, as the bot's answer's). Kept with the
        claim, so the log shows it and a retry does not look again."""
        if delivery.role not in APP_ROLES:
            return None
        return await self.links.of(delivery.tenant_id, delivery.thread_ticket_id)

    async def _send(self, delivery: Delivery) -> str | None:
        """Hand the delivery to its channel. An error the channel did not expect (a mail that
        cannot be composed, a bug) is permanent with its real text: the same message would
        fail the same way, and left to run out the lease it failed five times as
        "interrupted" before the next channel took over."""
        sender = self.channels.senders.get(delivery.channel)
        if sender is None:
            raise SendFailed(f"no {delivery.channel} channel configured", Outcome.PERMANENT)
        try:
            return await sender.send(Outgoing.of(delivery))
        except SendFailed:
            raise
        except Exception as exc:
            log.exception("delivery %s on %s could not be sent", delivery.id, delivery.channel)
            raise SendFailed(f"{type(exc).__name__}: {exc}", Outcome.PERMANENT) from exc

    def _recorded(self, delivery: Delivery, outcome: str) -> None:
        """Count a stored outcome; a delivery given up on its channel is logged at WARNING by
        its ids alone: the channel's answer may name the person, and is in the delivery log."""
        self.metrics.recorded(delivery, outcome)
        if delivery.status is DeliveryStatus.FAILED:
            log.warning(
                "delivery %s (ticket %s) on %s failed for good after %d attempts (%s)",
                delivery.id,
                delivery.ticket_id,
                delivery.channel,
                delivery.attempts,
                outcome,
            )

    async def _fold(self, leader: Delivery, members: list[Delivery], own: Rendered) -> bool:
        """Mark each member folded into the claimed leader. A member changed since it was
        read (a withdrawn survey, or another process's step) is left out: the leader's
        message is rendered again without it before anything is sent. False if the leader
        itself changed meanwhile: its lease runs out and it is recovered."""
        kept = []
        for member in members:
            member.fold_into(leader.id)
            if await self._save(member):
                kept.append(member)
        if len(kept) == len(members):
            return True
        leader.fold([], own)  # its own text again, for the digest of the rest
        if kept:
            leader.fold(kept, self._digest(leader, kept))
        return await self._save(leader)

    def _digest(self, leader: Delivery, members: list[Delivery]) -> Rendered:
        """The digest in the recipient's language, each item rendered again in it."""
        language = digest_language(leader, members)
        items = [self.renderer.again(d, language) for d in (leader, *members)]
        return self.renderer.digest(language, digest_values(leader, members, items))

    async def _record(
        self, delivery: Delivery, outcome: Callable[[Delivery], None]
    ) -> Delivery | None:
        """Write the attempt's outcome. A withdrawal may have marked the delivery while it
        was in flight: then the outcome goes onto the latest version (``change``), as long
        as that attempt is still the one under way (else another process took over: None)."""
        attempt = delivery.attempts
        outcome(delivery)
        if await self._save(delivery):
            return delivery

        def record(current: Delivery) -> None:
            if not current.in_flight(attempt):
                raise Superseded(current.id)
            outcome(current)

        try:
            return await self.deliveries.change(delivery.tenant_id, delivery.id, record)
        except Superseded:
            return None

    async def _save(self, delivery: Delivery) -> bool:
        """False if another process changed it meanwhile: that process now owns the step."""
        try:
            await self.deliveries.save(delivery)
        except ConcurrencyError:
            return False
        return True
