"""Notify's use cases: turn events into deliveries, fall back when a channel fails, and fail
the delivery whose mail came back.

Consumers only write: each event becomes one delivery document per recipient
(keyed on event id, recipient and channel, so a redelivered event adds
nothing), and the in-app inbox is delivered by that write. Sending happens in
the ``Dispatcher`` (``dispatcher.py``), so a slow or dead gateway never holds a
consumer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from contracts import events
from contracts.envelope import Envelope
from contracts.events import ReplyChannel
from runtime.clock import Clock
from runtime.store import AlreadyExists, Document, Repository
from runtime.store_batches import BatchedCollection
from services.notify import holders, store
from services.notify.domain.assignment import holder_after
from services.notify.domain.bounces import bounce_error, bounced_delivery
from services.notify.domain.delivery import Delivery, DeliveryStatus
from services.notify.domain.notice import Notice
from services.notify.domain.notices import notices_for
from services.notify.domain.recipients import Directory
from services.notify.domain.route import plan_route
from services.notify.domain.templates import BOT_ANSWERED
from services.notify.metrics import BOUNCED, DeliveryMetrics
from services.notify.render import Renderer
from services.notify.tracking_links import TrackingLinks


class Notifier:
    def __init__(
        self,
        deliveries: Repository[Delivery],
        renderer: Renderer,
        clock: Clock,
        *,
        directory: Directory | None = None,
        available: frozenset[ReplyChannel] = frozenset(),
        on_pending: Callable[[Delivery], None] = lambda _: None,
        phone_region: Callable[[str], str | None] = lambda _tenant: None,
        metrics: DeliveryMetrics | None = None,
        holder_records: BatchedCollection | None = None,
        links: TrackingLinks | None = None,
    ) -> None:
        """``holder_records``: ``holders.HOLDERS``' shared batches (by default its own);
        ``links``: the dispatcher's (by default stored links only, none minted)."""
        self.deliveries = deliveries
        self.renderer = renderer
        self.clock = clock
        self.directory = directory or Directory()
        self.available = available
        self._on_pending = on_pending
        self._phone_region = phone_region
        self._metrics = metrics or DeliveryMetrics(CollectorRegistry())
        self._holders = holder_records or BatchedCollection(self._database[holders.HOLDERS])
        self.links = links or TrackingLinks(deliveries.collection, clock)

    async def notify(self, envelope: Envelope[Any], *, patient: bool = True) -> list[Delivery]:
        """One delivery per person the event concerns; a redelivered event adds none.

        ``patient``: the deliveries' insert may wait ``consumer_linger_ms`` to share one
        store command with others; the acknowledgement, which a traveller and intake's
        admission wait on, does not (it takes the waiting ones along). An event naming who
        holds the ticket is kept first (``holders``): a notice of an older assignment still
        waiting to go out is then overtaken (``Dispatcher``)."""
        if (holder := holder_after(envelope.payload)) is not None:
            await holders.record(self._holders, envelope.tenant_id, holder, patient=patient)
        added = []
        region = self._phone_region(envelope.tenant_id)
        for told in notices_for(envelope.payload, envelope.tenant_id, self.directory):
            notice = await self._linked(told, envelope.tenant_id)
            route = plan_route(notice.recipient, notice.origin, self.available, region)
            delivery = Delivery.create(
                envelope.tenant_id,
                notice,
                self.renderer.render(notice),
                route.hops,
                source_message_id=envelope.message_id,
                now=self.clock.now(),
                skipped=route.skipped,
            )
            if await self._add(delivery, envelope, patient=patient):
                added.append(delivery)
        return added

    async def disruption_notice(
        self, envelope: Envelope[events.DisruptionNotice]
    ) -> list[Delivery]:
        """Tell the traveller of a disruption's revision, unless they were told a newer one:
        the bus keeps no order, and an older notice delivered late or again would tell them a
        state already past ("delayed 45 min" after "cancelled"). The record's write decides
        one message per revision (``store.record_disruption_revision``); that message again
        goes through, and its deliveries' ids make it add nothing. A newer revision recorded
        between this record and the deliveries' write supersedes them (``_add``)."""
        notice, now = envelope.payload, self.clock.now()
        newest = await store.record_disruption_revision(
            self._database,
            envelope.tenant_id,
            notice.ticket_id,
            notice.revision,
            envelope.message_id,
            now,
        )
        return await self.notify(envelope) if newest else []

    async def fall_back(self, envelope: Envelope[events.NotificationFailed]) -> Delivery | None:
        """A channel gave up: the same message goes to the next channel of the route, unless
        it tells a disruption's revision older than one the traveller was told since (the
        next channel would tell them a state already past). Notify raised the failure after
        writing the delivery, so one naming no delivery here never will: it changes nothing
        and is not retried."""
        failed = await self.deliveries.get(envelope.tenant_id, envelope.payload.notification_id)
        following = failed.next_delivery(self.clock.now()) if failed else None
        if following is None or await self._revision_overtaken(following):
            return None
        if not await self._add(following, envelope, patient=True):
            return None
        return following

    async def _revision_overtaken(self, delivery: Delivery) -> bool:
        """A disruption notice a newer revision has overtaken. Only read: the revision told
        is recorded when a notice is taken (``disruption_notice``), not by its fallbacks."""
        return await store.revision_overtaken(
            self._database, delivery.tenant_id, delivery.ticket_id, delivery.revision
        )

    async def bounced(self, envelope: Envelope[events.NotificationBounced]) -> Delivery | None:
        """A mail came back: the e-mail delivery sent with its Message-ID fails, once, and its
        ``notification.failed`` hands over to the next channel; a bounce naming none of our
        deliveries, or not proving which it returns (``bounced_delivery``), changes nothing.
        Counted as a final failure (``bounced``) only when it fails the delivery: the
        dispatcher, which counts the others, never sees it."""
        bounce = envelope.payload
        query = {
            "tenant_id": envelope.tenant_id,
            "message_id": bounce.message_id,
            "channel": ReplyChannel.EMAIL.value,
        }
        cursor = self.deliveries.collection.find(query).limit(10)
        sent = [Delivery.model_validate(doc) async for doc in cursor]
        named = bounced_delivery(sent, bounce)
        if named is None:
            return None
        error = bounce_error(bounce)
        failed_now = False

        def fail(delivery: Delivery) -> None:
            nonlocal failed_now
            before = delivery.status
            delivery.bounce(bounce.bounced_at, error)
            failed_now = delivery.status is not before

        bounced = await self.deliveries.apply(envelope, named.id, fail)
        if failed_now:
            self._metrics.recorded(bounced, BOUNCED)
        return bounced

    async def survey_withdrawn(self, envelope: Envelope[events.SurveyWithdrawn]) -> None:
        """End the survey's unsent messages on every channel and mark the sent ones (the
        inbox item stays, withdrawn); nobody is sent anything (``Delivery.withdraw``).

        ``survey.sent`` travels on its own queue and may come later, and a failed channel
        hands the survey to the next one later still: the withdrawal is kept first
        (``store.WITHDRAWN_SURVEYS``) and a survey message, once stored, looks for it
        (``_add``), so of the two handlers at least one sees the other.
        """
        withdrawn = envelope.payload
        key = store.withdrawn_survey_key(envelope.tenant_id, withdrawn.survey_id)
        record = {"tenant_id": envelope.tenant_id, "withdrawn_at": withdrawn.withdrawn_at}
        await self._withdrawn_surveys.update_one(
            {"_id": key}, {"$setOnInsert": record}, upsert=True
        )
        query = {
            "tenant_id": envelope.tenant_id,
            "ticket_id": withdrawn.ticket_id,
            "survey_id": withdrawn.survey_id,
        }
        async for doc in self.deliveries.collection.find(query).limit(20):
            if doc.get("withdrawn_at") is None:
                await self._withdraw(Delivery.model_validate(doc), withdrawn.withdrawn_at)

    async def forget_withdrawn_surveys(self) -> int:
        """Drop the withdrawals older than ``store.WITHDRAWN_SURVEY_KEEP`` (one document each
        would otherwise stay forever). An explicit delete, not a TTL index: nx-27017 purges
        expired documents only when the collection is read, SecantusDB not on its own."""
        cutoff = self.clock.now() - store.WITHDRAWN_SURVEY_KEEP
        gone = await self._withdrawn_surveys.delete_many({"withdrawn_at": {"$lt": cutoff}})
        return gone.deleted_count

    async def _linked(self, notice: Notice, tenant_id: str) -> Notice:
        """The bot's answer sends the traveller to their tracking page ("That did not help"),
        which ``ticket.bot_answered`` does not carry: the acknowledgement's link, else one
        minted from the ticket id (``tracking_links``, as a cut reply's)."""
        if notice.template != BOT_ANSWERED:
            return notice
        link = await self.links.of(tenant_id, notice.ticket_id)
        return replace(notice, values={**notice.values, "link": link}) if link else notice

    async def _add(self, delivery: Delivery, cause: Envelope[Any], *, patient: bool) -> bool:
        """Store a new delivery; a survey's looks for its withdrawal, and a disruption
        notice for a newer revision recorded while it was being written (the in-app one is
        delivered by this write), before the dispatcher is told of it."""
        try:
            await self.deliveries.add(delivery, cause, patient=patient)
        except AlreadyExists:
            return False
        if delivery.survey_id is not None:
            key = store.withdrawn_survey_key(delivery.tenant_id, delivery.survey_id)
            found = await self._withdrawn_surveys.find_one({"_id": key})
            if found is not None:
                delivery = await self._withdraw(delivery, found["withdrawn_at"])
        if await self._revision_overtaken(delivery):
            delivery = await self.deliveries.change(
                delivery.tenant_id, delivery.id, lambda current: current.supersede()
            )
        if delivery.status is DeliveryStatus.PENDING:
            self._on_pending(delivery)
        return True

    async def _withdraw(self, delivery: Delivery, at: datetime) -> Delivery:
        """Versioned (``change``): the dispatcher writes the same document when it claims."""
        return await self.deliveries.change(
            delivery.tenant_id, delivery.id, lambda current: current.withdraw(at)
        )

    @property
    def _database(self) -> AsyncDatabase[Document]:
        return self.deliveries.collection.database

    @property
    def _withdrawn_surveys(self) -> AsyncCollection[Document]:
        return self._database[store.WITHDRAWN_SURVEYS]
