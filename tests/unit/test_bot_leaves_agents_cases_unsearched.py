"""An article about changing or cancelling is never the answer to a case an agent must act
on, so the bot does not search those articles for it, nor embed the contact to do so: a
contact that names its booking ("I was charged twice for order CA4821, please refund" is
``billing`` with ``cancel_refund`` likely), or a carrier's disruption ("我的航班CA4821延誤了，
可以退票嗎？", "My flight was cancelled, how do I get a refund?"), whose rebooking or
refund the airline's rules decide, not the cancel button the article explains."""

from __future__ import annotations

from contracts.events import CategoryConfidence, Priority
from services.routing.domain.triage_view import TriageView
from services.routing.kb.domain import bot_refusal, searched_categories

ANSWERABLE = frozenset({"cancel_refund", "change_rebook", "invoice", "policy_question"})


def view(category: str, confidence: float, *others: tuple[str, float]) -> TriageView:
    top = [(category, confidence), *others]
    return TriageView(
        language="en",
        category=category,
        category_confidence=confidence,
        urgency="normal",
        sentiment="neutral",
        sentiment_confidence=0.9,
        top_categories=[CategoryConfidence(category=c, confidence=p) for c, p in top],
        model_version="test",
    )


def refusal(triage: TriageView, *, names_booking: bool) -> str | None:
    return bot_refusal(
        triage,
        Priority.NORMAL,
        bot_enabled=True,
        human_only=None,
        names_booking=names_booking,
        personal=False,
        answerable=ANSWERABLE,
    )


def test_a_contact_naming_its_booking_is_not_searched_for_a_cancellation_article() -> None:
    charged_twice = view("billing", 0.74, ("cancel_refund", 0.2))

    assert refusal(charged_twice, names_booking=True) == (
        "names a booking to change or cancel: an agent acts on it"
    )
    assert searched_categories(charged_twice, names_booking=True) == {"billing"}


def test_without_a_booking_named_the_same_question_is_searched() -> None:
    charged_twice = view("billing", 0.74, ("cancel_refund", 0.2))

    assert refusal(charged_twice, names_booking=False) is None
    assert searched_categories(charged_twice) == {"billing", "cancel_refund"}


def test_a_carriers_disruption_is_not_searched_for_a_change_or_cancellation_article() -> None:
    delayed = view("flight_disruption", 0.86, ("cancel_refund", 0.1), ("change_rebook", 0.03))

    assert refusal(delayed, names_booking=False) == (
        "a carrier's disruption: an agent rebooks or refunds it"
    )
    assert searched_categories(delayed) == {"flight_disruption"}


def test_a_booking_named_beside_an_invoice_question_still_searches_the_invoice_articles() -> None:
    invoice = view("invoice", 0.9, ("cancel_refund", 0.08))

    assert refusal(invoice, names_booking=True) is None
    assert searched_categories(invoice, names_booking=True) == {"invoice"}
