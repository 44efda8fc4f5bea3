"""Feedback's use cases: send a survey on resolution, record ratings, keep the facts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from contracts import events
from contracts.envelope import Envelope
from runtime.bus import Bus
from runtime.clock import Clock
from runtime.signing import Signer
from runtime.store import AlreadyExists, NotFound, Repository
from services.feedback.domain import (
    SURVEY_TTL,
    Metrics,
    Survey,
    TicketFacts,
    compute_metrics,
    survey_id_for,
)


class Feedback:
    def __init__(
        self,
        surveys: Repository[Survey],
        facts: Repository[TicketFacts],
        clock: Clock,
        signer: Signer,
        public_url: str,
    ) -> None:
        self.surveys = surveys
        self.facts = facts
        self.clock = clock
        self.signer = signer
        self.public_url = public_url.rstrip("/")

    async def send_survey(self, envelope: Envelope[events.TicketResolved]) -> None:
        resolved = envelope.payload
        now = self.clock.now()
        survey_id = survey_id_for(resolved.ticket_id, resolved.resolution_count)
        token = self.signer.sign(
            subject=survey_id,
            tenant=envelope.tenant_id,
            purpose="survey",
            expires_at=now + SURVEY_TTL,
        )
        survey = Survey.send(
            envelope.tenant_id, resolved, url=f"{self.public_url}/v1/surveys/{token}", now=now
        )
        try:
            await self.surveys.add(survey, envelope)
        except AlreadyExists:
            return

    async def survey_for(self, token: str) -> Survey:
        """The survey a signed link points at (raises ``TokenError`` for a bad link)."""
        claims = self.signer.verify(token, purpose="survey", now=self.clock.now())
        survey = await self.surveys.get(claims.tenant, claims.sub)
        if survey is None:
            raise NotFound(claims.sub)
        return survey

    async def answer(self, token: str, *, csat: int, comment: str | None) -> Survey:
        survey = await self.survey_for(token)
        return await self.surveys.change(
            survey.tenant_id,
            survey.id,
            lambda current: current.answer(csat=csat, comment=comment, now=self.clock.now()),
        )

    async def metrics(self, tenant_id: str, start: datetime, end: datetime) -> Metrics:
        cursor = self.facts.collection.find(
            {"tenant_id": tenant_id, "opened_at": {"$gte": start, "$lt": end}}
        )
        return compute_metrics([TicketFacts.model_validate(doc) async for doc in cursor])

    async def record(
        self, envelope: Envelope[Any], ticket_id: str, change: Callable[[TicketFacts], None]
    ) -> None:
        await self.facts.upsert(
            envelope, ticket_id, lambda: TicketFacts.blank(envelope.tenant_id, ticket_id), change
        )


def register_subscribers(bus: Bus, feedback: Feedback) -> None:
    @bus.subscriber(events.TicketOpened)
    async def ticket_opened(envelope: Envelope[events.TicketOpened]) -> None:
        await feedback.record(
            envelope, envelope.payload.ticket_id, lambda f: f.opened(envelope.payload)
        )

    @bus.subscriber(events.TicketResolved)
    async def ticket_resolved(envelope: Envelope[events.TicketResolved]) -> None:
        await feedback.record(
            envelope, envelope.payload.ticket_id, lambda f: f.resolved(envelope.payload)
        )
        await feedback.send_survey(envelope)

    @bus.subscriber(events.TicketReopened)
    async def ticket_reopened(envelope: Envelope[events.TicketReopened]) -> None:
        await feedback.record(
            envelope, envelope.payload.ticket_id, lambda f: f.reopened(envelope.payload)
        )

    @bus.subscriber(events.FeedbackReceived)
    async def feedback_received(envelope: Envelope[events.FeedbackReceived]) -> None:
        await feedback.record(
            envelope, envelope.payload.ticket_id, lambda f: f.rated(envelope.payload)
        )
