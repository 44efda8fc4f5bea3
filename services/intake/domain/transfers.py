"""Where a ticket may be transferred: to a queue or an agent routing knows.

Pure. Routing owns queues and agents; the caller reads what routing knows of the
targets (``routing_reader``) and this says, per field, what is wrong with them, so
a transfer to a typo never strands a ticket in a queue nobody works.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contracts.refusals import Reason


@dataclass(frozen=True)
class KnownTargets:
    """What routing answered about a transfer's targets (None: that target was not named)."""

    queues: Sequence[str] | None = None
    """The tenant's queue ids."""
    agent_registered: bool | None = None


def unknown_targets(
    queue: str | None, assignee: str | None, known: KnownTargets
) -> list[tuple[str, Reason]]:
    """Each named target routing does not know, as (field, what is wrong); empty when both are.

    What is wrong never repeats the target: the caller's input is not echoed back.
    """
    problems = []
    if queue is not None and queue not in (known.queues or ()):
        choices = ", ".join(known.queues or ()) or "none"
        text = f"not a queue of this tenant (queues: {choices})"
        problems.append(("queue", Reason("unknown_queue", text, {"queues": choices})))
    if assignee is not None and not known.agent_registered:
        text = "not a registered agent of this tenant"
        problems.append(("assignee", Reason("unknown_agent", text)))
    return problems
