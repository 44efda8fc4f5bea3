"""Routing's pure rules: priority, queue, agent choice, the bot's refusals and threshold."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.events import AppealLevel, CategoryConfidence, Priority
from contracts.languages import supported_language
from services.routing.assignment.domain.agents import Agent, Presence, choose_agent
from services.routing.assignment.domain.queues import QueueDef, Rule, catalogue, select_queue
from services.routing.domain.corrections import corrected_category
from services.routing.domain.priority import UrgencySignals, adjust_priority, triage_priority
from services.routing.domain.triage_view import TriageView
from services.routing.kb.domain import (
    KbMatch,
    bot_refusal,
    decide_bot,
    reading_language,
)
from tests.factories import T0

QUEUES = catalogue([])
CATEGORIES = [
    "account_access",
    "invoice",
    "change_rebook",
    "flight_disruption",
    "service_complaint",
]
ANSWERABLE = frozenset({"account_access", "invoice", "change_rebook"})
MATCH = KbMatch(
    "password-reset", frozenset({"account_access"}), 0.97, {"en": ("Reset", "Tap Forgot…")}
)


def triage(
    category: str = "account_access",
    *,
    confidence: float = 0.95,
    urgency: str = "normal",
    sentiment: str = "neutral",
    top: tuple[tuple[str, float], ...] = (),
    language: str = "en",
) -> TriageView:
    return TriageView(
        language=language,
        category=category,
        category_confidence=confidence,
        urgency=urgency,
        sentiment=sentiment,
        sentiment_confidence=0.9,
        top_categories=[
            CategoryConfidence(category=c, confidence=p) for c, p in ((category, confidence), *top)
        ],
        model_version="triage-v1",
    )


def agent(
    agent_id: str,
    *,
    tenant: str = "acme",
    categories: tuple[str, ...] = ("invoice",),
    languages: tuple[str, ...] = ("en",),
    capacity: int = 3,
    load: int = 0,
    presence: Presence = Presence.ONLINE,
    expert: bool = False,
) -> Agent:
    return Agent(
        id=Agent.key(tenant, agent_id),
        tenant_id=tenant,
        agent_id=agent_id,
        categories=list(categories),
        languages=list(languages),
        capacity=capacity,
        expert=expert,
        presence=presence,
        tickets=[f"T-{agent_id}-{n}" for n in range(load)],
    )


# ------------------------------------------------------------------ priority


def test_a_no_rush_contact_stays_low_but_a_proactive_high_one_is_a_floor() -> None:
    assert triage_priority("low", Priority.NORMAL) is Priority.LOW
    assert triage_priority("low", Priority.HIGH) is Priority.HIGH
    assert triage_priority("critical", Priority.NORMAL) is Priority.CRITICAL


def test_each_signal_raises_one_level_but_never_to_critical() -> None:
    assert adjust_priority(Priority.NORMAL, UrgencySignals(vip="VIP tenant")) == (
        Priority.HIGH,
        ["VIP tenant"],
    )
    everything = UrgencySignals(vip="VIP traveller", negative_sentiment=True, repeat_contacts=3)
    assert adjust_priority(Priority.LOW, everything)[0] is Priority.HIGH
    assert adjust_priority(Priority.HIGH, everything)[0] is Priority.HIGH
    assert adjust_priority(Priority.CRITICAL, UrgencySignals())[0] is Priority.CRITICAL


def test_an_imminent_departure_is_a_signal_once_issue_8_supplies_it() -> None:
    soon = UrgencySignals(departs_in=timedelta(hours=5))
    later = UrgencySignals(departs_in=timedelta(days=3))
    assert adjust_priority(Priority.NORMAL, soon) == (Priority.HIGH, ["departs within 24 h"])
    assert adjust_priority(Priority.NORMAL, later) == (Priority.NORMAL, [])


# ------------------------------------------------------------------ queues


@pytest.mark.parametrize(
    ("view", "priority", "appeal", "queue", "rule"),
    [
        (triage("invoice"), Priority.NORMAL, None, "finance", Rule.CATEGORY),
        (triage("change_rebook"), Priority.HIGH, None, "booking", Rule.CATEGORY),
        (triage("flight_disruption"), Priority.NORMAL, None, "disruption", Rule.CATEGORY),
        (triage("hotel_issue"), Priority.NORMAL, None, "hotel_ground", Rule.CATEGORY),
        (triage("approval"), Priority.NORMAL, None, "accounts", Rule.CATEGORY),
        (triage("service_complaint"), Priority.HIGH, None, "complaints", Rule.COMPLAINT),
        (triage("flight_disruption"), Priority.CRITICAL, None, "expert", Rule.CRITICAL),
        (triage("invoice"), Priority.NORMAL, AppealLevel.EXPERT, "expert", Rule.APPEAL),
        (triage("invoice", confidence=0.4), Priority.NORMAL, None, "triage", Rule.LOW_CONFIDENCE),
        (triage("other", confidence=0.3), Priority.NORMAL, None, "triage", Rule.LOW_CONFIDENCE),
        (triage("other"), Priority.NORMAL, None, "general", Rule.CATEGORY),
        (None, Priority.NORMAL, None, "triage", Rule.LOW_CONFIDENCE),
        (
            triage("service_complaint", confidence=0.3),
            Priority.HIGH,
            None,
            "complaints",
            (Rule.COMPLAINT),
        ),
    ],
)
def test_queue_selection(
    view: TriageView | None,
    priority: Priority,
    appeal: AppealLevel | None,
    queue: str,
    rule: Rule,
) -> None:
    chosen, why = select_queue(view, priority, QUEUES, appeal=appeal)
    assert (chosen.id, why) == (queue, rule)


def test_the_tenant_sets_how_sure_the_classifier_must_be_to_skip_a_human_look() -> None:
    view = triage("invoice", confidence=0.7)
    assert select_queue(view, Priority.NORMAL, QUEUES)[0].id == "finance"
    strict, rule = select_queue(view, Priority.NORMAL, QUEUES, threshold=0.8)
    assert (strict.id, strict.name, rule) == (
        "triage",
        "Triage: needs a human look",
        Rule.LOW_CONFIDENCE,
    )
    assert select_queue(view, Priority.CRITICAL, QUEUES, threshold=0.8)[0].id == "expert"


def test_a_tenant_queue_takes_its_categories_before_the_default_family() -> None:
    queues = catalogue([QueueDef(id="vip-finance", name="VIP finance", categories=("invoice",))])
    assert select_queue(triage("invoice"), Priority.NORMAL, queues)[0].id == "vip-finance"
    assert select_queue(triage("billing"), Priority.NORMAL, queues)[0].id == "finance"


# ------------------------------------------------------------------ agents


def pick(agents: list[Agent], queue: str = "finance", **kw: str | None) -> str | None:
    values = {"category": "invoice", "language": "en", "account_manager": None, **kw}
    return choose_agent(
        agents,
        tenant_id="acme",
        ticket_id="TC-9",
        queue=QUEUES[queue],
        category=values["category"],
        language=values["language"],
        account_manager=values["account_manager"],
    ).assignee


def test_assignment_needs_the_skill_the_language_presence_and_a_free_slot() -> None:
    assert pick([agent("a", categories=("billing",))]) is None
    assert pick([agent("a", languages=("ja",))]) is None
    assert pick([agent("a", presence=Presence.AWAY)]) is None
    assert pick([agent("a", presence=Presence.OFFLINE)]) is None
    assert pick([agent("a", capacity=2, load=2)]) is None
    assert pick([agent("a", capacity=0)]) is None
    assert pick([agent("a")]) == "a"


def test_an_agent_of_another_tenant_is_never_assigned() -> None:
    assert pick([agent("g", tenant="globex", capacity=50)]) is None
    assert pick([agent("g", tenant="globex", capacity=50), agent("a", load=2)]) == "a"


def test_the_least_loaded_qualified_agent_gets_it() -> None:
    busy = agent("busy", capacity=4, load=3)
    calm = agent("calm", capacity=4, load=1)
    roomy = agent("roomy", capacity=10, load=2)
    assert pick([busy, calm, roomy]) == "roomy"  # 20 % of capacity in use beats 25 %
    older = agent("older", load=1)
    older.last_assigned_at = T0
    newer = agent("newer", load=1)
    newer.last_assigned_at = T0 + timedelta(minutes=5)
    assert pick([newer, older]) == "older"


def test_expert_desks_take_experts_only_and_catch_all_desks_need_no_skill() -> None:
    generalist = agent("gen", categories=())
    expert = agent("exp", categories=(), expert=True)
    assert pick([generalist], queue="expert") is None
    assert pick([generalist, expert], queue="expert") == "exp"
    assert pick([generalist], queue="general", category="other") == "gen"
    assert pick([generalist], queue="complaints", category="service_complaint") is None


def test_a_redelivery_keeps_the_agent_who_already_holds_the_ticket() -> None:
    holder = agent("holder", load=2)
    holder.tickets.append("TC-9")
    assert pick([agent("free"), holder]) == "holder"


def test_a_vips_account_manager_is_preferred_when_available() -> None:
    manager = agent("am", categories=(), load=2)
    assert pick([agent("a"), manager], account_manager="am") == "am"
    manager.presence = Presence.AWAY
    choice = choose_agent(
        [agent("a"), manager],
        tenant_id="acme",
        ticket_id="TC-9",
        queue=QUEUES["finance"],
        category="invoice",
        language="en",
        account_manager="am",
    )
    assert choice.assignee == "a"
    assert choice.note.startswith("account manager am away; a: least loaded of 1 qualified")


@pytest.mark.parametrize(
    ("read", "stated", "detected", "expected"),
    [
        ("en", "zh-Hant", None, "zh-Hant"),
        ("en", "zh-TW", "en", "zh-Hant"),
        ("en", None, "ja", "ja"),
        ("en", None, None, "en"),
        ("zh-Hans", "fr", None, "en"),
    ],
)
def test_a_proactive_ticket_is_read_in_its_travellers_language_not_its_summarys(
    read: str, stated: str | None, detected: str | None, expected: str
) -> None:
    """TripCare wrote its text (an English summary): the traveller's stated language, else
    the one they have written in since, else English."""
    assert reading_language(read, stated, detected, proactive=True) == expected


def test_a_travellers_own_text_is_read_in_the_language_it_is_written_in() -> None:
    assert reading_language("en", "zh-Hant", None) == "en"
    assert reading_language("zh-Hans", None, None) == "zh-Hans"
    assert reading_language("other", "ja-JP", None) == "ja"
    assert reading_language("other", None, "ja") is None


# ------------------------------------------------------------------ the bot


def refusal(view: TriageView, priority: Priority = Priority.NORMAL, **kw: object) -> str | None:
    values: dict[str, object] = {
        "bot_enabled": True,
        "human_only": None,
        "names_booking": False,
        "personal": False,
        "answerable": ANSWERABLE,
        **kw,
    }
    return bot_refusal(view, priority, **values)  # type: ignore[arg-type]


def test_the_bot_stays_out_of_what_a_person_must_handle() -> None:
    assert refusal(triage()) is None
    assert refusal(triage(urgency="critical")) == "critical: never auto-answered"
    assert refusal(triage(), Priority.CRITICAL) == "critical: never auto-answered"
    assert refusal(triage("service_complaint")) == "complaint: never auto-answered"
    suspicious = triage(top=(("service_complaint", 0.25),))
    assert refusal(suspicious) == "complaint: never auto-answered"
    assert refusal(triage(sentiment="negative")) == "negative sentiment: a person answers"
    assert refusal(triage("flight_disruption")) == "no article covers flight_disruption"
    assert refusal(triage(confidence=0.55)) == "category unsure (0.55)"
    assert refusal(triage("change_rebook"), names_booking=True) == (
        "names a booking to change or cancel: an agent acts on it"
    )
    assert refusal(triage(), bot_enabled=False) == "the bot is off for this tenant"
    assert refusal(triage(), human_only="reopened") == "reopened"


def test_a_personal_emergency_is_left_to_a_person_however_plainly_it_asks() -> None:
    """A bereaved or injured traveller asking how to cancel gets a person, not the article;
    a critical case keeps its own reason (it routes to the expert desk)."""
    assert refusal(triage("change_rebook"), personal=True) == (
        "a personal emergency or bereavement: a person answers"
    )
    assert refusal(triage(urgency="critical"), personal=True) == "critical: never auto-answered"


def test_a_proactive_tickets_refusal_names_the_priority_it_routes_with() -> None:
    """Its priority is the itinerary's: the classifier's critical reading of TripCare's
    summary is not why the bot stays out, and the bot never answers it."""
    critical_text = triage(urgency="critical")
    assert refusal(critical_text, Priority.HIGH, proactive=True) == (
        "a supplier incident's ticket (itinerary high): an agent acts on it"
    )
    assert refusal(triage(), Priority.HIGH, proactive=True) == (
        "a supplier incident's ticket (itinerary high): an agent acts on it"
    )
    assert refusal(triage(), Priority.CRITICAL, proactive=True) == "critical: never auto-answered"


def test_the_bot_answers_only_above_the_threshold_in_a_language_it_has() -> None:
    assert decide_bot(None, MATCH, threshold=0.94, languages=["en"]).answer
    low = decide_bot(None, MATCH, threshold=0.98, languages=["en"])
    assert (low.answer, low.why) == (
        False,
        "best article password-reset scored 0.970, under the 0.980 threshold",
    )
    assert not decide_bot(None, MATCH, threshold=0.9, languages=["ja"]).answer
    assert decide_bot(None, MATCH, threshold=0.9, languages=["ja", "en-GB"]).language == "en"
    assert not decide_bot(None, None, threshold=0.9, languages=["en"]).answer


def test_the_bot_stays_out_when_a_near_miss_is_about_as_close_as_the_article() -> None:
    near = replace(MATCH, near_miss=0.96)  # within the margin of 0.97
    decision = decide_bot(None, near, threshold=0.94, languages=["en"])
    assert (decision.answer, decision.why) == (
        False,
        "best article password-reset scored 0.970, but a question it does not answer scored 0.960",
    )
    assert decide_bot(None, replace(MATCH, near_miss=0.9), threshold=0.94, languages=["en"]).answer
    assert not MATCH.too_near_a_miss()  # no near misses written


@given(
    category=st.sampled_from(CATEGORIES),
    urgency=st.sampled_from(["critical", "high", "normal", "low"]),
    priority=st.sampled_from(list(Priority)),
    sentiment=st.sampled_from(["negative", "neutral", "positive"]),
    complaint=st.floats(0.0, 1.0),
    score=st.floats(0.0, 1.0),
)
def test_the_bot_never_answers_a_critical_or_complaint_case(
    category: str, urgency: str, priority: Priority, sentiment: str, complaint: float, score: float
) -> None:
    view = triage(
        category, urgency=urgency, sentiment=sentiment, top=(("service_complaint", complaint),)
    )
    match = KbMatch("a", frozenset({category}), score, {"en": ("t", "a")})
    decision = decide_bot(refusal(view, priority), match, threshold=0.5, languages=["en"])
    critical = urgency == "critical" or priority is Priority.CRITICAL
    if critical or category == "service_complaint" or complaint >= 0.2:
        assert not decision.answer


def test_language_tags_map_to_the_articles_languages() -> None:
    assert [supported_language(t) for t in ("zh-CN", "zh-TW", "zh-Hant-HK", "ja-JP", "en-GB")] == [
        "zh-Hans",
        "zh-Hant",
        "zh-Hant",
        "ja",
        "en",
    ]
    assert supported_language("fr") is None
    assert supported_language(None) is None


# ------------------------------------------------------------------ learning


def test_a_transfer_to_another_family_names_the_category_it_implies() -> None:
    probabilities = {"change_rebook": 0.9, "billing": 0.06, "invoice": 0.03}
    assert corrected_category("change_rebook", "finance", QUEUES, probabilities) == "billing"
    assert corrected_category("change_rebook", "complaints", QUEUES, {}) == "service_complaint"
    assert corrected_category("change_rebook", "booking", QUEUES, probabilities) is None
    assert corrected_category("change_rebook", "expert", QUEUES, probabilities) is None
    assert corrected_category("change_rebook", "nowhere", QUEUES, probabilities) is None
