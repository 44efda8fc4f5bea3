"""Feedback's use cases: surveys, ratings, appeals, the facts read model, metrics, retention.

Each loads what it needs, lets the domain decide (``domain/``) and saves the
aggregate with its events in the same write (the outbox).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pymongo.errors import DuplicateKeyError

from contracts import events
from contracts.envelope import Envelope
from contracts.events import Traveller
from runtime.clock import Clock, epoch_ms
from runtime.signing import Signer, TokenError, TokenExpired
from runtime.store import AlreadyExists, ConcurrencyError, Document, NotFound, Repository
from services.feedback import store
from services.feedback.config import FeedbackSettings
from services.feedback.domain.appeals import (
    Appeal,
    Appealable,
    AppealRefused,
    AppealStatus,
    next_appeal,
)
from services.feedback.domain.buckets import tenant_zone
from services.feedback.domain.facts import TicketFacts
from services.feedback.domain.language import page_language
from services.feedback.domain.metrics import MetricsReport, compute_metrics
from services.feedback.domain.repeat_contacts import looked_back_from
from services.feedback.domain.surveys import SURVEY_TTL, Survey, survey_id_for
from services.feedback.domain.traveller_pulse import TravellerPulse

ZONE_SAMPLE = 200
"""How many of a tenant's latest tickets name its business zone (``business_zone``)."""


@dataclass(frozen=True)
class AppealTarget:
    """The ticket a traveller's link points at, and which link it was."""

    tenant_id: str
    ticket_id: str
    via: Literal["survey", "tracking"]
    survey: Survey | None = None


@dataclass(frozen=True)
class AppealCheck:
    outcome: Appealable | AppealRefused
    """The next appeal's number and reviewer, or why the ticket cannot be appealed now."""
    appeals: list[Appeal]
    traveller: Traveller | None


class Feedback:
    def __init__(
        self,
        *,
        surveys: Repository[Survey],
        facts: Repository[TicketFacts],
        appeals: Repository[Appeal],
        pulses: Repository[TravellerPulse],
        clock: Clock,
        signer: Signer,
        public_url: str,
        settings: FeedbackSettings,
    ) -> None:
        self.surveys = surveys
        self.facts = facts
        self.appeals = appeals
        self.pulses = pulses
        self.clock = clock
        self.signer = signer
        self.public_url = public_url.rstrip("/")
        self.settings = settings

    # ----------------------------------------------------------------- surveys

    async def send_survey(
        self, envelope: Envelope[events.TicketResolved], facts: TicketFacts
    ) -> None:
        """One survey per resolution that still stands; NPS only when the traveller's cadence
        says so.

        ``facts``: the ticket's, with this resolution merged. A reopen or close merged before
        it means no survey; one merged after the reopen's handler looked for surveys but
        before this one was stored is caught by looking at the facts again once it is
        stored (``withdraw_undone_surveys``); any later one withdraws it itself.
        """
        resolved, tenant = envelope.payload, envelope.tenant_id
        if facts.resolution_undone(resolved.resolution_count):
            return
        now = self.clock.now()
        survey_id = survey_id_for(resolved.ticket_id, resolved.resolution_count)
        survey = await self.surveys.get(tenant, survey_id)
        if survey is None:
            pulse = await self.pulses.get(
                tenant, TravellerPulse.id_for(tenant, resolved.traveller.id)
            )
            # The link also opens the appeal page, so it lives as long as the appeal window;
            # the survey itself still closes after SURVEY_TTL (``Survey.expires_at``).
            link_ttl = max(SURVEY_TTL, self.settings.appeal_window)
            token = self.signer.sign(
                subject=survey_id, tenant=tenant, purpose="survey", expires_at=now + link_ttl
            )
            survey = Survey.send(
                tenant,
                resolved,
                url=f"{self.public_url}/v1/surveys/{token}",
                now=now,
                ask_nps=pulse is None or pulse.nps_due(now, self.settings.nps_cadence),
            )
            try:
                await self.surveys.add(survey, envelope)
            except AlreadyExists:
                survey = await self.surveys.get(tenant, survey_id)
        if survey is not None and survey.ask_nps:
            asked = survey
            await self.pulses.upsert(
                envelope,
                TravellerPulse.id_for(tenant, resolved.traveller.id),
                lambda: TravellerPulse.blank(tenant, resolved.traveller.id),
                lambda pulse: pulse.asked(asked.id, asked.sent_at),
            )
        latest = await self.facts.get(tenant, resolved.ticket_id)
        if latest is not None:
            await self.withdraw_undone_surveys(latest)

    async def withdraw_undone_surveys(self, facts: TicketFacts) -> None:
        """Withdraw the open surveys whose resolution no longer stands (the facts say so);
        each announces it once (``survey.withdrawn``, through its outbox)."""
        if not any(facts.resolution_undone(r.number) for r in facts.resolutions):
            return
        now = self.clock.now()
        for survey in await self.surveys_of(facts.tenant_id, facts.id):
            reason = facts.undoing_of(survey.resolution_count)
            if survey.state(now) == "sent" and reason is not None:
                await self._withdraw(survey, reason, now)

    async def _withdraw(
        self, survey: Survey, reason: events.SurveyWithdrawalReason, now: datetime
    ) -> None:
        """Withdraw it (an answer that won the race keeps it answered); an NPS ask withdrawn
        unanswered no longer counts for the traveller's cadence."""
        withdrawn = await self.surveys.change(
            survey.tenant_id, survey.id, lambda current: current.withdraw(now, reason)
        )
        if withdrawn.ask_nps and withdrawn.state(now) == "withdrawn":
            await self._forget_nps_ask(withdrawn)

    async def _forget_nps_ask(self, survey: Survey) -> None:
        """Mark the ask withdrawn on the traveller's pulse, creating it if the ask's own
        record has not been written yet (it then leaves the withdrawal standing)."""
        tenant, traveller_id = survey.tenant_id, survey.traveller.id
        pulse_id = TravellerPulse.id_for(tenant, traveller_id)
        for _ in range(2):
            with suppress(NotFound):
                await self.pulses.change(
                    tenant, pulse_id, lambda pulse: pulse.withdrawn(survey.id, survey.sent_at)
                )
                return
            blank = TravellerPulse.blank(tenant, traveller_id)
            blank.withdrawn(survey.id, survey.sent_at)
            with suppress(AlreadyExists):
                await self.pulses.add(blank)
                return
        raise ConcurrencyError(f"pulse {pulse_id}: created and removed concurrently")

    async def surveys_of(self, tenant_id: str, ticket_id: str) -> list[Survey]:
        cursor = self.surveys.collection.find({"tenant_id": tenant_id, "ticket_id": ticket_id})
        found = [Survey.model_validate(doc) async for doc in cursor]
        return sorted(found, key=lambda survey: survey.id)

    async def survey_for(self, token: str) -> Survey:
        """The survey a signed link points at (raises ``TokenError`` for a bad link)."""
        claims = self.signer.verify(token, purpose="survey", now=self.clock.now())
        survey = await self.surveys.get(claims.tenant, claims.sub)
        if survey is None:
            raise NotFound(claims.sub)
        return survey

    async def expired_link_language(self, exc: Exception) -> str | None:
        """The language of the traveller a genuine, expired survey or tracking link was
        made for (its survey's, else the ticket's traveller's), for the page saying it
        expired; None for any other bad link."""
        claims = exc.claims if isinstance(exc, TokenExpired) else None
        if claims is None:
            return None
        if claims.purpose == "survey":
            survey = await self.surveys.get(claims.tenant, claims.sub)
            return survey.language if survey else None
        facts = await self.facts.get(claims.tenant, claims.sub)
        return page_language(facts.traveller) if facts and facts.traveller else None

    async def answer(
        self, token: str, *, csat: int, nps: int | None, comment: str | None
    ) -> Survey:
        survey = await self.survey_for(token)
        return await self.surveys.change(
            survey.tenant_id,
            survey.id,
            lambda current: current.answer(
                csat=csat, nps=nps, comment=comment, now=self.clock.now()
            ),
        )

    # ----------------------------------------------------------------- appeals

    async def appeal_target(self, token: str) -> AppealTarget:
        """Survey links and tracking links both lead to the appeal page of their ticket."""
        now = self.clock.now()
        try:
            survey = await self.survey_for(token)
            return AppealTarget(survey.tenant_id, survey.ticket_id, "survey", survey)
        except TokenExpired:
            raise
        except (TokenError, NotFound):
            claims = self.signer.verify(token, purpose="track", now=now)
            return AppealTarget(claims.tenant, claims.sub, "tracking")

    async def appeals_of(self, tenant_id: str, ticket_id: str) -> list[Appeal]:
        cursor = self.appeals.collection.find({"tenant_id": tenant_id, "ticket_id": ticket_id})
        found = [Appeal.model_validate(doc) async for doc in cursor]
        return sorted(found, key=lambda appeal: appeal.number)

    async def check_appeal(self, target: AppealTarget) -> AppealCheck:
        """Whether the ticket can be appealed now, and what has been appealed so far."""
        facts = await self.facts.get(target.tenant_id, target.ticket_id)
        appeals = await self.appeals_of(target.tenant_id, target.ticket_id)
        traveller = target.survey.traveller if target.survey else None
        traveller = traveller or (facts.traveller if facts else None)
        try:
            outcome: Appealable | AppealRefused = next_appeal(
                facts, appeals, now=self.clock.now(), window=self.settings.appeal_window
            )
        except AppealRefused as refused:
            outcome = refused
        return AppealCheck(outcome, appeals, traveller)

    async def file_appeal(self, target: AppealTarget, reason: str) -> Appeal:
        """File the appeal; the same appeal submitted again returns the first.

        The id is deterministic (``A-<ticket>-<n>``), so of two submissions racing the
        store's unique id lets exactly one in; the other checks again against the one
        that won: the same reason gets that appeal (a double click), another reason is
        refused as pending (409), as it would be a moment later.
        """
        for _ in range(2):
            check = await self.check_appeal(target)
            if isinstance(check.outcome, AppealRefused):
                return _resubmitted(check.outcome, check.appeals, reason)
            appeal = Appeal.file(
                target.tenant_id,
                target.ticket_id,
                check.outcome,
                reason=reason,
                via=target.via,
                now=self.clock.now(),
            )
            try:
                await self.appeals.add(appeal)
            except AlreadyExists:
                continue  # lost the race: judged against the appeal that won
            return appeal
        raise ConcurrencyError(f"appeal of {target.ticket_id}: too many concurrent writers")

    async def decide_appeals(
        self, envelope: Envelope[Any], ticket_id: str, decide: Callable[[Appeal], None]
    ) -> None:
        """Give every open appeal of the ticket its outcome (once per message)."""
        for appeal in await self.appeals_of(envelope.tenant_id, ticket_id):
            if appeal.status is AppealStatus.FILED:
                await self.appeals.apply(envelope, appeal.id, decide)

    # ------------------------------------------------------------------- facts

    async def record(self, envelope: Envelope[Any], ticket_id: str) -> TicketFacts:
        """Merge an event into the ticket's facts (bringing them back from the archive; a
        ticket's opening has nothing archived to bring back); the facts as merged. Whichever
        event of a ticket comes first starts its facts: they arrive on separate queues in any
        order, so an unknown ticket is never waited for nor refused."""
        tenant = envelope.tenant_id
        opening = isinstance(envelope.payload, events.TicketOpened)
        return await self.facts.upsert(
            envelope,
            ticket_id,
            lambda: TicketFacts.blank(tenant, ticket_id),
            lambda facts: facts.apply(envelope.payload),
            restore=None if opening else lambda: self._restore(store.FACTS, tenant, ticket_id),
        )

    async def facts_between(
        self, tenant_id: str, start: datetime, end: datetime
    ) -> list[TicketFacts]:
        """Tickets opened before ``end`` with a contact since ``start`` less the repeat window.

        That is every ticket opened in the window plus the older ones whose
        contacts the repeat-contact rate looks back on; live facts win over an
        archived copy of the same ticket.
        """
        query = {
            "tenant_id": tenant_id,
            "opened_ms": {"$lt": epoch_ms(end)},
            "last_contact_ms": {"$gte": epoch_ms(looked_back_from(start))},
        }
        found: dict[str, TicketFacts] = {}
        for name in (store.archive_of(store.FACTS), store.FACTS):
            async for doc in self.facts.collection.database[name].find(query):
                facts = TicketFacts.model_validate(doc)
                found[facts.id] = facts
        return sorted(found.values(), key=lambda f: (f.opened_ms or 0, f.id))

    async def business_zone(self, tenant_id: str) -> str | None:
        """The tenant's business zone (``buckets.tenant_zone``) among its latest tickets: where
        a date without an offset in a manager's window starts and ends. None: UTC. The latest
        ``ZONE_SAMPLE`` along the (tenant, opened) index, zoned or not: a bounded read on every
        report, even for a 24/7 tenant whose tickets name none."""
        query = {"tenant_id": tenant_id}
        found = self.facts.collection.find(query, {"business_time_zone": 1})
        latest = found.sort("opened_ms", -1).limit(ZONE_SAMPLE)
        return tenant_zone([doc.get("business_time_zone") async for doc in latest])

    async def metrics(
        self, tenant_id: str, start: datetime, end: datetime, by: list[str] | None = None
    ) -> MetricsReport:
        facts = await self.facts_between(tenant_id, start, end)
        return compute_metrics(facts, start=start, end=end, now=self.clock.now(), by=by or [])

    # --------------------------------------------------------------- retention

    async def archive(self, now: datetime, tenant_id: str | None = None) -> dict[str, int]:
        """Move documents quiet for longer than the retention period to ``*_archive``.

        Copy first, then delete only the version that was copied: a document
        that changed meanwhile stays live (the metrics prefer the live copy), so
        nothing is lost whichever step a crash interrupts.
        """
        cutoff = now - self.settings.retention
        scope: Document = {"tenant_id": tenant_id} if tenant_id else {}
        queries: dict[str, Document] = {
            store.FACTS: {**scope, "last_event_ms": {"$lt": epoch_ms(cutoff)}},
            store.SURVEYS: {**scope, "sent_at": {"$lt": cutoff}},
            store.APPEALS: {
                **scope,
                "status": AppealStatus.DECIDED.value,
                "decided_at": {"$lt": cutoff},
            },
        }
        moved: dict[str, int] = {}
        db = self.facts.collection.database
        for name, query in queries.items():
            moved[name] = 0
            async for doc in db[name].find(query):
                if doc.get("outbox"):
                    continue
                await db[store.archive_of(name)].replace_one({"_id": doc["_id"]}, doc, upsert=True)
                deleted = await db[name].delete_one({"_id": doc["_id"], "version": doc["version"]})
                moved[name] += deleted.deleted_count
        return moved

    async def _restore(self, name: str, tenant_id: str, doc_id: str) -> bool:
        """An event for an archived ticket: move its facts back before merging it."""
        db = self.facts.collection.database
        doc = await db[store.archive_of(name)].find_one({"_id": doc_id, "tenant_id": tenant_id})
        if doc is None:
            return False
        with suppress(DuplicateKeyError):
            await db[name].insert_one(doc)
        await db[store.archive_of(name)].delete_one({"_id": doc_id})
        return True


def _resubmitted(refused: AppealRefused, appeals: list[Appeal], reason: str) -> Appeal:
    """The pending appeal with the same reason (submitted twice), else the refusal."""
    same = (a for a in appeals if a.status is AppealStatus.FILED and a.reason == reason)
    resubmitted = next(same, None)
    if resubmitted is None:
        raise refused
    return resubmitted
