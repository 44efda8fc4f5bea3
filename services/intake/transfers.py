"""The transfer use case, for the API and the console alike: to a queue or agent routing knows.

Routing owns queues and agents, so intake asks it (``routing_reader``, as the agent)
before writing. When routing does not answer in time the transfer is refused and
nothing is written: guessing could strand the ticket in a queue nobody works, and
the agent can simply retry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contracts.refusals import Reason
from services.intake.domain import Ticket
from services.intake.domain.transfers import unknown_targets
from services.intake.routing_reader import RoutingReader
from services.intake.service import Intake


class TransferRefused(ValueError):
    """A transfer named a queue or agent routing does not know: nothing was written."""

    def __init__(self, problems: Sequence[tuple[str, Reason]]) -> None:
        super().__init__("; ".join(f"{field}: {why}" for field, why in problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Transfer:
    """An agent's transfer: to a queue, an agent or both, and why."""

    queue: str | None
    assignee: str | None
    reason: str | None
    by: str


async def transfer_ticket(
    intake: Intake,
    routing: RoutingReader,
    token: str,
    tenant_id: str,
    ticket_id: str,
    move: Transfer,
) -> Ticket:
    """Move the ticket once routing has confirmed its targets.

    An unknown ticket is ``NotFound`` before routing is asked; an unknown target is
    ``TransferRefused``; routing giving no answer is ``runtime.readers.Unavailable``,
    passed on for the caller to answer 503 + Retry-After.
    """
    await intake.get(tenant_id, ticket_id)
    known = await routing.transfer_targets(token, tenant_id, move.queue, move.assignee)
    if problems := unknown_targets(move.queue, move.assignee, known):
        raise TransferRefused(problems)
    now = intake.clock.now()
    return await intake.act(
        tenant_id,
        ticket_id,
        lambda t: t.transfer(
            queue=move.queue, assignee=move.assignee, reason=move.reason, by=move.by, now=now
        ),
    )
