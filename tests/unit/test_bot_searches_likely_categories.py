"""The bot searches the articles of every category the classifier finds likely, not only its
top one: "If the hotel is over budget can I still book it?" is read ``hotel_issue`` (0.87,
``policy_question`` 0.11), and the tenant's policy article that answers it was never
searched (no article covers ``hotel_issue``: the bot stayed out). The top category still
wins a tie (docs/routing.md, "The knowledge base")."""

from __future__ import annotations

from contracts.events import CategoryConfidence
from services.routing.domain.triage_view import TriageView
from services.routing.kb.articles import Article, Translation
from services.routing.kb.domain import KbMatch, best_first, searched_categories
from tests.unit.test_bot_reads_message import Hashed
from tests.unit.test_routing_handlers import Desk, seed  # noqa: F401  (fixture)

OVER_BUDGET = "If the hotel is over budget can I still book it?"


def view(category: str, confidence: float, *others: tuple[str, float]) -> TriageView:
    top = [(category, confidence), *others]
    return TriageView(
        language="en",
        category=category,
        category_confidence=confidence,
        urgency="low",
        sentiment="neutral",
        sentiment_confidence=0.9,
        top_categories=[CategoryConfidence(category=c, confidence=p) for c, p in top],
        model_version="test",
    )


def test_a_likely_second_category_is_searched_and_an_unlikely_one_is_not() -> None:
    split = view("hotel_issue", 0.87, ("policy_question", 0.11), ("ground_transport", 0.005))

    assert searched_categories(split) == {"hotel_issue", "policy_question"}
    assert searched_categories(view("invoice", 0.999, ("billing", 0.001))) == {"invoice"}


def test_the_top_category_wins_a_tie() -> None:
    other = KbMatch("policy-limits", frozenset({"policy_question"}), 0.95)
    own = KbMatch("hotel-faq", frozenset({"hotel_issue"}), 0.95)

    assert [m.article_id for m in best_first([other, own], "hotel_issue")] == [
        "hotel-faq",
        "policy-limits",
    ]


async def test_a_policy_question_read_as_a_hotel_issue_finds_the_policy_article(
    seed: list[Article],  # noqa: F811
) -> None:
    policy = next(a for a in seed if a.article_id == "policy-limits")
    english = policy.translations["en"]
    tenant_policy = policy.model_copy(
        update={
            "translations": {
                "en": Translation(
                    title=english.title,
                    questions=[*english.questions, OVER_BUDGET],
                    answer=english.answer,
                )
            }
        }
    )
    desk = Desk([a for a in seed if a is not policy] + [tenant_policy])
    desk.router.kb.embedder = Hashed()
    await desk.router.start()

    ticket = await desk.open(OVER_BUDGET)

    case = await desk.case(ticket)
    assert case.triage is not None
    assert case.triage.category == "hotel_issue"
    answered = desk.last("ticket.bot_answered", ticket)
    assert answered["article_id"] == "policy-limits", case.bot_decision
