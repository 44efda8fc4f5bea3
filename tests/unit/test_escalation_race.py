"""An SLA escalation reserves its new agent's slot before the case commits; when no
attempt's commit lands that slot is given back at once (docs/routing.md, "Agents"): on
in-memory stores."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from contracts.events import SlaClock
from runtime.store import ConcurrencyError
from services.routing.sla.domain import TimerKind
from tests.unit.test_sla_case import SlaDesk, desk  # noqa: F401  (fixture)


@pytest.mark.parametrize(
    "failure", [ConcurrencyError("TC-1"), ConnectionError("store unreachable")], ids=str
)
async def test_an_escalation_that_never_commits_holds_no_slot_for_it(
    desk: SlaDesk,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception,
) -> None:
    """Every attempt reserved senior-1 and lost its commit (the last retry's conflict, or an
    error): senior-1 holds nothing for a case that still names agent-1."""
    await desk.open()
    assert await desk.holder() == ["agent-1"]

    async def failing(*_: Any, **__: Any) -> None:
        raise failure

    monkeypatch.setattr(desk.store.cases, "save", failing)
    desk.clock.advance(timedelta(minutes=1))
    with pytest.raises(type(failure)):
        await desk.router.fire(desk.timer(SlaClock.FIRST_RESPONSE, TimerKind.BREACH))

    assert (await desk.case()).assignee == "agent-1"
    assert "senior-1" not in await desk.holder()
