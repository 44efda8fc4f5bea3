"""An SLA escalation reserves its new agent's slot (releasing the case's agent's) before the
case commits; when no attempt's commit lands the slots stay as the stored case gives them
(docs/sla.md, docs/routing.md "Agents"): on in-memory stores."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from contracts.events import SlaClock
from runtime.store import ConcurrencyError
from services.routing.sla.domain import TimerKind
from tests.slots import assert_slots_match
from tests.unit.test_sla_case import SlaDesk, desk  # noqa: F401  (fixture)


@pytest.mark.parametrize(
    "failure", [ConcurrencyError("TC-1"), ConnectionError("store unreachable")], ids=str
)
async def test_an_escalation_that_never_commits_leaves_the_owner_their_slot(
    desk: SlaDesk,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception,
) -> None:
    """Every attempt moved the slot from agent-1 to senior-1 and lost its commit (the last
    retry's conflict, or an error): the case still names agent-1, who holds it."""
    await desk.open()
    assert await desk.holder() == ["agent-1"]

    async def failing(*_: Any, **__: Any) -> None:
        raise failure

    monkeypatch.setattr(desk.store.cases, "save", failing)
    desk.clock.advance(timedelta(minutes=1))
    with pytest.raises(type(failure)):
        await desk.router.fire(desk.timer(SlaClock.FIRST_RESPONSE, TimerKind.BREACH))

    assert (await desk.case()).assignee == "agent-1"
    assert await desk.holder() == ["agent-1"]
    await assert_slots_match(desk.store)
