"""Whether the bot answers an opening: the tenant's rules and the case's refusals
(``kb.domain.bot_refusal``), then the knowledge base's best article against the threshold
(``kb.domain.decide_bot``). The router routes what the bot does not answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from contracts import events
from contracts.events import Priority
from services.routing.assignment.domain.policy import RoutingPolicy
from services.routing.domain.case import RoutingCase
from services.routing.domain.route import case_language
from services.routing.domain.status import QUIET
from services.routing.domain.triage_view import TriageView
from services.routing.kb.articles import answerable
from services.routing.kb.domain import (
    BotDecision,
    bot_refusal,
    decide_bot,
    searched_categories,
)
from services.routing.triage.readings import personal_emergency
from services.routing.triage.text import message_of

if TYPE_CHECKING:
    from services.routing.service import Router


async def bot_decision(
    router: Router,
    case: RoutingCase,
    opened: events.TicketOpened,
    triage: TriageView,
    priority: Priority,
    policy: RoutingPolicy,
    query: NDArray[np.float32] | None,
) -> BotDecision:
    """The bot's decision on ``case``'s opening; ``query`` is the contact's embedding, when
    triage made one (the search reuses it). It searches the articles of every category the
    classifier finds likely (``searched_categories``), not the top one's alone. Without
    ``query`` the search embeds what triage read, the message without its signature and
    disclaimer (``message_of``): the company's legal words must neither pull nor push an
    answer."""
    articles = await router.kb.articles_for(case.tenant_id)
    text = message_of(case.text)
    refusal = bot_refusal(
        triage,
        priority,
        bot_enabled=policy.bot_enabled,
        human_only=case.human_only or (QUIET if case.quiet else None),
        names_booking=case.names_booking,
        personal=personal_emergency(text),
        answerable=answerable(articles),
        proactive=case.proactive,
    )
    match = None
    if refusal is None:
        match = await router.kb.best_match(
            text, articles, searched_categories(triage), triage.category, query
        )
    return decide_bot(
        refusal,
        match,
        threshold=router.threshold,
        languages=((case.traveller or opened.traveller).language, case_language(case)[0]),
    )
