"""A person's reply to a bot-answered ticket takes it over (as Zendesk makes the replying
agent the assignee when there is none): intake moves the ticket to ``assigned`` with them
as its assignee, and routing follows on ``ticket.replied``. So does an agent's transfer of
it (``transfer_takeover``), to the queue and agent the transfer named.

The case opens in its family queue (``select_queue`` on what the classifier read) with the
agent intake made its assignee (``TicketReplied.assignee``: the author of the first reply
intake took, whichever reply reaches routing first; the author on older events), who holds
a slot even beyond capacity (a person decided, as for a transfer);
its SLA clocks run from the reply: the resolution clock only, the bot's answer having been
the first response. The re-publish of ``ticket.routed`` (rule ``taken-over``) tells intake
the queue and deadlines and tells nobody anything (``services.notify``: the traveller has
the agent's answer, the agent knows). The bot never answers the ticket again.

A reply to an open case nobody holds (waiting in its queue) makes it theirs there, as intake
made them its assignee (``reply_takes``, ``route.claim_by_reply``): their slot held beyond
capacity, queue and clocks as they were, no ``ticket.routed`` (intake placed the ticket), and
push assignment no longer hands it to someone else.

A disruption that joins a bot-answered ticket at high or critical takes it from the bot too
(``disruption_takeover``): no person has it yet, so it is routed as any case at the raised
priority (the expert desk when critical, else its family queue; an agent with room, else it
waits there for push assignment), with a first response owed on the disruption.

The slot is held before the case commits, as every assignment is; when two people answer
at once (or dispatch hands the waiting case out meanwhile), the reply whose commit loses gives
its slot back at once (``AgentSlots.claim``) and its retry finds the case someone else's, else
its author held a slot for a ticket someone else has.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from contracts import events
from services.routing.assignment.domain.agents import Assignment
from services.routing.assignment.domain.queues import Rule, select_queue
from services.routing.domain.case import RoutingCase
from services.routing.domain.raises import bot_handover
from services.routing.domain.route import Route, claim_by_reply
from services.routing.domain.status import DISRUPTION_JOINED, CaseStatus

if TYPE_CHECKING:
    from services.routing.service import Router


async def take_over_from_bot(
    router: Router, case: RoutingCase, replied: events.TicketReplied
) -> str | None:
    """Hand a bot-answered ``case`` to the agent intake gave it to (the caller commits it) and
    return them, whose slot is now held; any other case is left as it is (None)."""
    if case.status is not CaseStatus.BOT_ANSWERED:
        return None
    agent = replied.assignee or replied.author
    mine = Assignment(agent, holder_note(agent, replied.author))
    route = await _takeover_route(router, case, None, mine)
    await router.slots.hold(case.tenant_id, agent, case.id)
    case.take_over(replied, route, router.clock.now())
    return agent


async def reply_takes(
    router: Router, case: RoutingCase, replied: events.TicketReplied
) -> str | None:
    """Who a person's reply makes the case's holder, their slot now held even beyond capacity
    (the caller commits): a bot-answered case is taken over (``take_over_from_bot``), an open
    one waiting in its queue is theirs there (``claim_by_reply``); None for any other case."""
    if case.status is CaseStatus.BOT_ANSWERED:
        return await take_over_from_bot(router, case, replied)
    holder = claim_by_reply(case, replied)
    if holder is not None:
        await router.slots.hold(case.tenant_id, holder, case.id)
    return holder


async def transfer_takeover(
    router: Router, case: RoutingCase, moved: events.TicketTransferred
) -> Route | None:
    """Where an agent's transfer takes a bot-answered ``case`` (``RoutingCase.transfer``): the
    queue and agent it named (the caller holds the agent's slot, as for any transfer), or the
    family queue when it named an agent alone (intake's ticket had no queue); None for any
    other case, whose transfer leaves its route and clocks as they are."""
    if case.status is not CaseStatus.BOT_ANSWERED:
        return None
    agent = moved.to_assignee
    note = f"{agent}: {moved.by} transferred it to them" if agent else "left in queue"
    return await _takeover_route(router, case, moved.to_queue, Assignment(agent, note))


async def disruption_takeover(
    router: Router, case: RoutingCase, notice: events.DisruptionNotice
) -> Route | None:
    """Where a disruption joining a bot-answered ``case`` at high or critical takes it
    (``raises.bot_handover``): routed as any case at that priority, to an agent with room
    (the caller reserves their slot); None for any other case or notice."""
    priority = bot_handover(case, notice)
    if priority is None:
        return None
    policy = await router.store.policy(case.tenant_id)
    return await router.route(
        case, policy, priority, f"itinerary {priority.value}", DISRUPTION_JOINED
    )


async def _takeover_route(
    router: Router, case: RoutingCase, queue_id: str | None, assignment: Assignment
) -> Route:
    """Rule ``taken-over`` to ``queue_id`` (else the family queue, ``select_queue``), at the
    case's priority, on the tenant's SLA terms for the clocks the takeover starts."""
    policy = await router.store.policy(case.tenant_id)
    case.know_managers(policy)
    queues = await router.store.catalogue(case.tenant_id)
    queue = queues.get(queue_id or "")
    if queue is None:
        threshold = policy.triage_threshold
        queue, _ = select_queue(case.triage, case.priority, queues, threshold=threshold)
    route = Route(queue, Rule.TAKEN_OVER, assignment, case.priority, "", None)
    if router.clocks is None:
        return route
    sla, on_trip = await router.clocks.terms(case, None)
    return replace(route, sla=sla, on_trip=on_trip)


def holder_note(agent: str, author: str) -> str:
    """Why ``agent`` has the case: their reply took it, or intake gave it to them before."""
    if agent == author:
        return f"{agent} answered the traveller: the ticket is theirs"
    return f"{agent} holds it in intake (their reply came first, or it was theirs already)"
