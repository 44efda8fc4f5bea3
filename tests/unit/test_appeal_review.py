"""Who may decide an appeal: while one is pending, only the staff it was escalated to.

An agent (or the person whose resolution was appealed) resolving or closing the
ticket would decide the appeal and tell the traveller "the expert team reviewed
it". Intake over the in-memory store, as in ``test_agent_actions``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from contracts import events
from runtime.auth import Principal, Role, issue_token
from runtime.clock import FakeClock
from services.intake.api.models import TicketView
from services.intake.domain import Decider, NotTheReviewer, Ticket, TicketStatus
from tests.factories import T0, contact
from tests.fakes import FakeDatabase
from tests.unit.test_gateway_keys import STAFF, client, intake_replica
from tests.unit.test_ticket import opened_ticket

LEVELS = {1: events.AppealLevel.EXPERT, 2: events.AppealLevel.SUPPORT_MANAGER}


def person(sub: str, role: Role) -> dict[str, str]:
    principal = Principal(id=sub, role=role, tenants=["acme"])
    return {"Authorization": f"Bearer {issue_token(STAFF, principal, timedelta(hours=1))}"}


def appeal_filed(ticket: Ticket, number: int) -> events.AppealFiled:
    return events.AppealFiled(
        appeal_id=f"A-{ticket.id}-{number}",
        ticket_id=ticket.id,
        traveller=ticket.traveller,
        reason="charged twice",
        appeal_number=number,
        level=LEVELS[number],
        appealed_resolution=ticket.resolution_count,
        via="survey",
        filed_at=T0 + timedelta(hours=number),
    )


@dataclass
class Desk:
    http: httpx.AsyncClient
    app: FastAPI
    ticket_id: str

    async def ticket(self) -> Ticket:
        found: Ticket = await self.app.state.intake.get("acme", self.ticket_id)
        return found

    async def resolved_and_appealed(self, by: str, number: int = 1) -> None:
        def change(ticket: Ticket) -> None:
            ticket.resolve(code="rebooked", message="done", agent=by, now=T0)
            ticket.appeal(appeal_filed(ticket, number), now=T0 + timedelta(hours=number))

        await self.app.state.intake.act("acme", self.ticket_id, change)

    async def post(self, action: str, who: dict[str, str], **body: str) -> httpx.Response:
        url = f"/v1/tickets/{self.ticket_id}/{action}"
        return await self.http.post(url, json=body or None, headers=who)

    async def resolve(self, who: dict[str, str]) -> httpx.Response:
        return await self.post("resolve", who, resolution_code="refunded", message="refunded")


@pytest.fixture
async def desk() -> AsyncIterator[Desk]:
    app = intake_replica(FakeDatabase(), FakeClock(T0))
    ticket, _ = await app.state.intake.receive_contact("acme", contact())
    async with client(app) as http:
        yield Desk(http, app, ticket.id)


@pytest.mark.parametrize("action", ["resolve", "close"])
@pytest.mark.parametrize(
    ("who", "role", "why"),
    [
        ("agent-7", Role.AGENT, "you made the resolution it appeals"),
        ("agent-8", Role.AGENT, "only the expert desk"),
        ("agent-7", Role.EXPERT, "you made the resolution it appeals"),
    ],
)
async def test_an_appeal_under_review_is_not_decided_by_an_agent_or_the_one_appealed(
    desk: Desk, action: str, who: str, role: Role, why: str
) -> None:
    await desk.resolved_and_appealed(by="agent-7")
    before = await desk.ticket()

    if action == "resolve":
        answer = await desk.resolve(person(who, role))
    else:
        answer = await desk.post("close", person(who, role))

    assert answer.status_code == 403, answer.text
    assert why in answer.json()["detail"]
    after = await desk.ticket()
    assert (after.version, after.status, len(after.timeline)) == (
        before.version,
        TicketStatus.REOPENED,
        len(before.timeline),
    )
    assert not any(
        m.routing_key in ("ticket.resolved", "ticket.status_changed")
        for m in after.outbox[len(before.outbox) :]
    )


async def test_the_expert_desk_decides_a_first_appeal_and_then_anyone_may_act(desk: Desk) -> None:
    await desk.resolved_and_appealed(by="agent-7")

    answer = await desk.resolve(person("expert-3", Role.EXPERT))

    assert answer.status_code == 200, answer.text
    assert answer.json()["pending_appeal"] is None
    ticket = await desk.ticket()
    assert (ticket.status, ticket.pending_appeal) == (TicketStatus.RESOLVED, None)
    assert (await desk.post("close", person("agent-7", Role.AGENT))).status_code == 200


async def test_a_second_appeal_is_decided_by_a_manager_not_by_an_expert(desk: Desk) -> None:
    await desk.resolved_and_appealed(by="expert-3", number=2)
    shown = TicketView.model_validate(await desk.ticket()).model_dump(mode="json")
    assert shown["pending_appeal"]["level"] == "support_manager"
    assert shown["pending_appeal"]["appealed_by"] == "expert-3"

    refused = await desk.resolve(person("expert-4", Role.EXPERT))
    decided = await desk.resolve(person("mgr-1", Role.MANAGER))

    assert refused.status_code == 403
    assert "only the support manager" in refused.json()["detail"]
    assert decided.status_code == 200, decided.text


async def test_not_even_a_manager_decides_an_appeal_of_their_own_resolution(desk: Desk) -> None:
    await desk.resolved_and_appealed(by="mgr-1", number=2)

    assert (await desk.resolve(person("mgr-1", Role.MANAGER))).status_code == 403
    assert (await desk.resolve(person("ops-1", Role.ADMIN))).status_code == 200


async def test_a_duplicate_under_appeal_is_not_merged_away_by_an_agent(desk: Desk) -> None:
    other, _ = await desk.app.state.intake.receive_contact(
        "acme", contact(channel_message_id="app-msg-2", text="another matter entirely")
    )
    await desk.resolved_and_appealed(by="agent-7")

    refused = await desk.post("merge", person("agent-8", Role.AGENT), into=other.id)

    assert refused.status_code == 403
    assert (await desk.ticket()).merged_into is None
    merged = await desk.post("merge", person("expert-3", Role.EXPERT), into=other.id)
    assert merged.status_code == 200, merged.text


def test_the_appeal_is_no_longer_pending_once_feedback_says_it_was_decided() -> None:
    ticket = opened_ticket()
    ticket.resolve(code="rebooked", message="done", agent="agent-7", now=T0)
    filed = appeal_filed(ticket, 1)
    ticket.appeal(filed, now=T0)
    assert ticket.pending_appeal is not None
    assert ticket.pending_appeal.appealed_by == "agent-7"
    with pytest.raises(NotTheReviewer):
        ticket.check_decider(Decider("agent-7", "agent"), "resolve")

    ticket.record_appeal_decision(
        events.AppealResolved(
            appeal_id=filed.appeal_id,
            ticket_id=ticket.id,
            traveller=ticket.traveller,
            appeal_number=1,
            level=filed.level,
            outcome="closed",
            decided_by="ops-1",
            decided_at=T0,
        )
    )

    assert ticket.pending_appeal is None
    ticket.check_decider(Decider("agent-7", "agent"), "resolve")


def test_an_incident_closing_leaves_a_ticket_under_appeal_to_its_reviewer() -> None:
    ticket = opened_ticket()
    ticket.resolve(code="rebooked", message="done", agent="agent-7", now=T0)
    ticket.appeal(appeal_filed(ticket, 1), now=T0)

    ticket.resolve_with_incident(
        events.IncidentResolved(
            incident_id="INC-1",
            resolution_code="resolved",
            message="The airline restored the schedule.",
            resolved_by="agent-8",
            resolved_at=T0,
        ),
        now=T0,
    )

    assert ticket.status is TicketStatus.REOPENED
    assert any(e.summary.endswith("its appeal is under review") for e in ticket.timeline)
