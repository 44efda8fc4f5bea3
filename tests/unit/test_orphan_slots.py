"""Which tickets an agent holds that no case gives them (``assignment/domain/orphans.py``,
docs/routing.md "Agents"): pure, time passed in."""

from __future__ import annotations

from datetime import timedelta

from services.routing.assignment.domain.agents import Agent, Presence
from services.routing.assignment.domain.orphans import CaseHolder, orphans
from services.routing.domain.status import CaseStatus
from tests.factories import T0

GRACE = timedelta(minutes=2)
NOW = T0 + timedelta(hours=1)
CUTOFF = NOW - GRACE
OLD = T0


def agent(*tickets: str, agent_id: str = "agent-1") -> Agent:
    held = Agent(
        id=Agent.key("acme", agent_id),
        tenant_id="acme",
        agent_id=agent_id,
        capacity=2,
        presence=Presence.ONLINE,
    )
    for ticket in tickets:
        held.take(ticket, OLD)
    return held


def names(agent_id: str | None, status: CaseStatus = CaseStatus.OPEN) -> CaseHolder:
    return CaseHolder(status=status, assignee=agent_id)


def test_a_slot_whose_case_is_open_with_the_agent_is_theirs() -> None:
    assert orphans(agent("TC-1"), {"TC-1": names("agent-1")}, CUTOFF) == []


def test_a_slot_a_case_created_by_an_early_event_names_the_agent_for_is_theirs() -> None:
    """A transfer that overtook ``ticket.opened`` names the agent on a pending case."""
    pending = {"TC-1": names("agent-1", CaseStatus.PENDING)}
    assert orphans(agent("TC-1"), pending, CUTOFF) == []


def test_slots_of_resolved_closed_bot_answered_and_reassigned_cases_are_orphans() -> None:
    cases = {
        "TC-1": names(None, CaseStatus.RESOLVED),
        "TC-2": names(None, CaseStatus.CLOSED),
        "TC-3": names(None, CaseStatus.BOT_ANSWERED),
        "TC-4": names("agent-2"),
        "TC-5": names(None),
        "TC-6": names("agent-1"),
    }

    found = orphans(agent(*cases), cases, CUTOFF)

    assert [o.ticket_id for o in found] == ["TC-1", "TC-2", "TC-3", "TC-4", "TC-5"]
    assert [o.why for o in found] == [
        "its case is resolved",
        "its case is closed",
        "its case is bot_answered",
        "its case is open with agent-2",
        "its case is open with nobody",
    ]


def test_a_slot_with_no_case_at_all_is_an_orphan_once_old() -> None:
    """``ticket.opened`` took the slot and died before its case was first written."""
    (found,) = orphans(agent("TC-1"), {}, CUTOFF)
    assert (found.ticket_id, found.why) == ("TC-1", "it has no case")


def test_a_slot_claimed_within_the_grace_is_kept_whatever_its_case_says() -> None:
    """The slot is written before the case: its case commit may still be on its way."""
    held = agent()
    held.take("TC-1", CUTOFF + timedelta(seconds=1))

    assert orphans(held, {"TC-1": names(None, CaseStatus.RESOLVED)}, CUTOFF) == []
    assert orphans(held, {}, CUTOFF) == []


def test_claiming_a_held_slot_again_starts_its_grace_again() -> None:
    """A retried reservation (its first commit lost) writes the claim again before the case."""
    held = agent("TC-1")
    held.take("TC-1", NOW)

    assert orphans(held, {"TC-1": names(None, CaseStatus.RESOLVED)}, CUTOFF) == []
    assert held.last_assigned_at == OLD, "round robin counts new tickets, not claims again"


def test_a_slot_stored_without_its_claim_time_is_as_old_as_the_last_assignment() -> None:
    """Older code kept no claim time: every slot it took is no younger than the agent's last
    assignment, and an agent with none took theirs long ago."""
    recent = agent().model_copy(update={"tickets": ["TC-1"], "last_assigned_at": NOW})
    never = agent().model_copy(update={"tickets": ["TC-1"], "last_assigned_at": None})
    resolved = {"TC-1": names(None, CaseStatus.RESOLVED)}

    assert orphans(recent, resolved, CUTOFF) == []
    assert [o.ticket_id for o in orphans(never, resolved, CUTOFF)] == ["TC-1"]


def test_a_released_slot_forgets_its_claim_time() -> None:
    held = agent("TC-1")
    held.release("TC-1")
    assert (held.tickets, held.held_since) == ([], {})
