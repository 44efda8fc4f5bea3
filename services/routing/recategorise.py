"""An agent sets a case's category (``POST /v1/cases/{ticket_id}/category``): an exact
correction, kept to retrain the classifier; an open case moves to the category's queue.

Its agent stays when that queue is the one it is in, when the case is an open appeal (by
its SLA run's tier: a breach or a hand-out rewrites ``rule``) or when it sits in a critical
case's queue. Moved to another family's queue, a held case stays with its agent only when
they are skilled for it, when the staff member asks that they keep it, or when they are no
registered agent (``route.reassign``); otherwise it goes to a qualified agent or waits in
that queue, and its agent's slot comes back once the case commits (``AgentSlots.claim``),
as for a transfer (docs/routing.md, "Learning from agents").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runtime.store import ConcurrencyError, NotFound
from services.routing.assignment.domain.agents import Assignment
from services.routing.assignment.domain.queues import Rule, select_queue
from services.routing.domain.case import RoutingCase
from services.routing.domain.corrections import correction_for
from services.routing.domain.route import Recategorised, Route
from services.routing.domain.status import CaseStatus
from services.routing.domain.triage_view import TriageView
from services.routing.sla.domain import Tier
from services.routing.store import COMMAND_RETRIES

if TYPE_CHECKING:
    from services.routing.service import Router


class NotClassified(Exception):
    """The case has no classification yet: nothing to correct."""


async def recategorise(
    router: Router, tenant_id: str, ticket_id: str, moved: Recategorised, category: str
) -> RoutingCase:
    """Correct the category and re-route an open case; a commit that does not land gives
    back the slot it took (the retry decides again on the case as it then is)."""
    by = moved.by
    for _ in range(COMMAND_RETRIES):
        case = await router.store.cases.get(tenant_id, ticket_id)
        if case is None:
            raise NotFound(ticket_id)
        if case.triage is None:
            raise NotClassified(ticket_id)
        now = router.clock.now()
        key = f"{ticket_id}:{by}:{category}"
        correction = correction_for(case, category, key, kind="recategorised", by=by, at=now)
        try:
            async with router.slots.claim(case) as claim:  # a lost save frees the slot
                if case.status is CaseStatus.OPEN and case.queue is not None:
                    route = await reroute(router, case, case.triage.corrected(category, by), moved)
                    correction = correction.model_copy(update={"to_queue": route.queue.id})
                    claim.taken = await router.slots.reserve(case, route.assignment)
                    case.recategorise(category, route, by=by, now=now)
                else:
                    case.triage = case.triage.corrected(category, by)
                await router.store.cases.save(case)
        except ConcurrencyError:
            continue
        await router.store.add_correction(correction)
        return case
    raise ConcurrencyError(f"case {ticket_id}: {COMMAND_RETRIES} conflicts")


async def reroute(
    router: Router, case: RoutingCase, corrected: TriageView, moved: Recategorised
) -> Route:
    """The route after a re-categorisation: the new family queue, or the same one."""
    queues = await router.store.catalogue(case.tenant_id)
    policy = await router.store.policy(case.tenant_id)
    queue, _ = select_queue(corrected, case.priority, queues, threshold=policy.triage_threshold)
    appeal = case.sla.tier is Tier.APPEAL  # the open run's: a breach or a hand-out sets rule
    if appeal or case.rule is Rule.CRITICAL or queue.id == case.queue:
        kept = queues.get(case.queue or "", queue)
        assignment = Assignment(case.assignee, f"assignee kept ({case.assignee or 'none'})")
        rule = Rule.RECATEGORISED_IN_PLACE
        return Route(kept, rule, assignment, case.priority, "", case.bot_decision)
    route = await router.route(
        case.model_copy(update={"triage": corrected}),
        policy,
        case.priority,
        "",
        bot_why=case.bot_decision,
        moved=moved,
    )
    return Route(
        route.queue, Rule.RECATEGORISED, route.assignment, case.priority, "", case.bot_decision
    )
