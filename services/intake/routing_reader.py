"""What intake reads from routing: the console's case file and suggested answers, and
whether a transfer's queue or agent exists.

Read-only, over routing's public API with the signed-in person's own token and the
ticket's tenant in ``X-Tenant-Id`` (needed when the person has several), so
routing enforces tenant and role exactly as for any API call (``runtime.readers``:
traced, short timeout). The console degrades to "no suggestions" when routing is
slow or down: a ticket must still be workable without the AI. A transfer does not
degrade: routing owns queues and agents, so when it does not answer in time the
transfer is refused (503 + Retry-After, nothing written) rather than made on a guess.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from runtime.readers import ReaderSession, ServiceReader, Unavailable
from services.intake.domain.transfers import KnownTargets

log = logging.getLogger(__name__)
SUGGESTIONS = 3
RETRY_AFTER_S = 5
"""A transfer refused because routing did not answer: when to try again."""


@dataclass(frozen=True)
class Suggestion:
    article_id: str
    title: str
    answer: str
    score: float


@dataclass(frozen=True)
class CaseInfo:
    """The classifier's reading of a ticket (empty when routing has not answered)."""

    urgency: str | None = None
    sentiment: str | None = None
    confidences: dict[str, tuple[str, float]] = field(default_factory=dict)
    """Field → (what the classifier read, its calibrated probability), for every field."""
    set_category: tuple[str, str] | None = None
    """(category, who set it: a staff member or ``transfer``) when a person set it instead
    of the classifier: no reading, so no confidence."""
    needs_human_look: bool = False
    """Routing left it in the triage queue: the classifier was unsure of its category."""
    rule: str | None = None
    reason: str | None = None
    suggestions: list[Suggestion] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)
    incident: dict[str, Any] | None = None
    """Routing's view of the supplier incident the ticket belongs to, if any."""
    next_segment: dict[str, Any] | None = None
    """The traveller's current or next flight, hotel, train or car, from the trips read model."""


class RoutingReader(ServiceReader):
    service = "routing"

    async def case_info(
        self,
        token: str,
        tenant: str,
        ticket_id: str,
        text: str,
        language: str,
        incident_id: str | None = None,
        traveller_id: str | None = None,
    ) -> CaseInfo:
        """Routing's reading of the ticket, asked for in the ticket's ``tenant``: a person
        of several tenants is refused (400) when the call names none."""
        try:
            async with self.session(token, **{"X-Tenant-Id": tenant}) as routing:
                case, hits, queues, incident, itinerary = await asyncio.gather(
                    routing.get(f"/v1/cases/{ticket_id}"),
                    routing.get("/v1/kb/search", q=text[:2000], language=language),
                    routing.get("/v1/queues"),
                    routing.get(f"/v1/incidents/{incident_id}") if incident_id else _none(),
                    routing.get(f"/v1/travellers/{quote(traveller_id, safe='')}/itinerary")
                    if traveller_id
                    else _none(),
                )
                suggestions = await _answers(routing, hits or [], language)
        except Unavailable as exc:
            log.warning("routing unavailable for the console: %s", exc)
            return CaseInfo()
        case = case or {}
        return CaseInfo(
            urgency=case.get("urgency"),
            sentiment=case.get("sentiment"),
            confidences=confidences(case),
            set_category=set_category(case),
            needs_human_look=bool(case.get("needs_human_look")),
            rule=case.get("rule"),
            reason=case.get("reason"),
            suggestions=suggestions,
            queues=[q["id"] for q in queues or []],
            incident=incident,
            next_segment=(itinerary or [None])[0],
        )

    async def transfer_targets(
        self, token: str, tenant: str, queue: str | None, assignee: str | None
    ) -> KnownTargets:
        """What routing knows of a transfer's queue and agent; ``Unavailable`` passes on
        when it gives neither a yes nor a no (down, too slow, any answer but 200 or 404).
        """
        async with self.session(token, **{"X-Tenant-Id": tenant}) as routing:
            queues, agent = await asyncio.gather(
                routing.lookup("/v1/queues") if queue is not None else _none(),
                routing.lookup(f"/v1/agents/{quote(assignee, safe='')}")
                if assignee is not None
                else _none(),
            )
        return KnownTargets(
            queues=[q["id"] for q in queues or []] if queue is not None else None,
            agent_registered=agent is not None if assignee is not None else None,
        )


async def _answers(
    routing: ReaderSession, hits: list[dict[str, Any]], language: str
) -> list[Suggestion]:
    top = hits[:SUGGESTIONS]
    articles = await asyncio.gather(
        *(routing.get(f"/v1/kb/articles/{hit['article_id']}") for hit in top)
    )
    found = []
    for hit, article in zip(top, articles, strict=True):
        translations: dict[str, Any] = (article or {}).get("translations", {})
        chosen = translations.get(language) or next(iter(translations.values()), None)
        if chosen:
            found.append(
                Suggestion(
                    article_id=hit["article_id"],
                    title=chosen["title"],
                    answer=chosen["answer"],
                    score=float(hit["score"]),
                )
            )
    return found


CLASSIFIED = ("category", "urgency", "sentiment", "language")


def confidences(case: dict[str, Any]) -> dict[str, tuple[str, float]]:
    """Each classified field the case carries with a confidence (older cases lack some)."""
    found = {}
    for name in CLASSIFIED:
        value, confidence = case.get(name), case.get(f"{name}_confidence")
        if isinstance(value, str) and isinstance(confidence, int | float):
            found[name] = (value, float(confidence))
    return found


def set_category(case: dict[str, Any]) -> tuple[str, str] | None:
    """The category a person set and who, if one did (routing's ``category_set_by``)."""
    category, by = case.get("category"), case.get("category_set_by")
    if isinstance(category, str) and isinstance(by, str):
        return category, by
    return None


async def _none() -> None:
    return None
