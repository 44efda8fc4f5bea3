"""The bot's decision: whether it may answer a case from the knowledge base, and in which
language. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from contracts.events import Priority
from contracts.languages import FALLBACK_LANGUAGE, LANGUAGES, supported_language
from services.routing.domain.triage_view import COMPLAINT, TriageView

COMPLAINT_SUSPICION = 0.2
"""A complaint this probable among the top categories already keeps the bot out."""
BOT_CATEGORY_CONFIDENCE = 0.6
ACTION_CATEGORIES = frozenset({"change_rebook", "cancel_refund"})
"""Where a named booking means "do it for me", which an article cannot."""
DISRUPTION = "flight_disruption"
"""A carrier's disruption: its rebooking or refund is the airline's rules and an agent's
work, never the traveller's own change or cancellation an action article explains."""
NEAR_MISS_MARGIN = 0.02
"""How much closer than its nearest near miss a contact must be to an article's sample
questions: "银行卡密码忘了" sits 0.95 from "忘记密码怎么办" and as near "银行卡取款密码忘记了".
Chosen with ``make calibrate-kb`` (its report sweeps it); the threshold is calibrated with it."""
SEARCH_FLOOR = 0.05
"""Besides its top category, the bot searches the articles of every category the classifier
finds at least this likely: "If the hotel is over budget can I still book it?" is
``hotel_issue`` 0.87 and ``policy_question`` 0.11, and only the policy article answers it.
Chosen with ``make calibrate-kb``, the threshold calibrated with it (docs/routing.md)."""


@dataclass(frozen=True)
class KbMatch:
    """A knowledge-base article and how similar the contact is to it."""

    article_id: str
    categories: frozenset[str]
    score: float
    answers: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """Language → (title, answer text)."""
    near_miss: float | None = None
    """Similarity to the closest of the article's near misses (questions it does not answer);
    None when it has none."""

    def too_near_a_miss(self, margin: float = NEAR_MISS_MARGIN) -> bool:
        """The contact is about as close to a question the article does not answer (another
        service's password, a shop's refund) as to one it does."""
        return self.near_miss is not None and self.near_miss >= self.score - margin


def reading_language(
    read: str | None, stated: str | None, detected: str | None = None, *, proactive: bool = False
) -> str | None:
    """The language an agent must read: the contact's (what triage ``read``), else the
    traveller's ``stated`` preference. A proactive ticket's text is TripCare's own summary,
    not the traveller's, so what triage read of it says nothing of them: their stated
    language, else the one ``detected`` in what they wrote since, else English."""
    if proactive:
        return supported_language(stated) or supported_language(detected) or FALLBACK_LANGUAGE
    if read in LANGUAGES:
        return read
    return supported_language(stated)


def bot_refusal(
    triage: TriageView | None,
    priority: Priority,
    *,
    bot_enabled: bool,
    human_only: str | None,
    names_booking: bool,
    personal: bool,
    answerable: frozenset[str],
    proactive: bool = False,
) -> str | None:
    """Why the bot must leave this case to a human, or None if it may look for an answer.

    Checked before any embedding is computed, so most cases cost nothing. ``priority`` is
    the one the case routes with (``priority_refusal``). ``personal``: the text tells of a
    personal emergency or a bereavement (``triage.readings.personal_emergency``), which an
    article on how to cancel answers coldly, however plainly it asks.
    """
    if not bot_enabled:
        return "the bot is off for this tenant"
    if human_only:
        return human_only
    if triage is None:
        return "not classified"
    routed = priority_refusal(triage, priority, proactive=proactive)
    if routed:
        return routed
    felt = person_refusal(triage, personal=personal)
    if felt:
        return felt
    return search_refusal(triage, names_booking=names_booking, answerable=answerable)


def search_refusal(
    triage: TriageView, *, names_booking: bool, answerable: frozenset[str]
) -> str | None:
    """Why no article could answer: none covers a likely category, the category is unsure,
    or the contact asks an agent to act (``searched_categories``)."""
    if not likely_categories(triage) & answerable:
        return f"no article covers {triage.category}"
    if triage.category_confidence < BOT_CATEGORY_CONFIDENCE:
        return f"category unsure ({triage.category_confidence:.2f})"
    if names_booking and triage.category in ACTION_CATEGORIES:
        return "names a booking to change or cancel: an agent acts on it"
    if not searched_categories(triage, names_booking=names_booking) & answerable:
        if triage.category == DISRUPTION:
            return "a carrier's disruption: an agent rebooks or refunds it"
        return "names a booking to change or cancel: an agent acts on it"
    return None


def likely_categories(triage: TriageView, floor: float = SEARCH_FLOOR) -> frozenset[str]:
    """The top category and every other the classifier finds at least ``floor`` likely (a
    policy question that names a hotel)."""
    likely = (c.category for c in triage.top_categories if c.confidence >= floor)
    return frozenset({triage.category, *likely})


def searched_categories(
    triage: TriageView, floor: float = SEARCH_FLOOR, *, names_booking: bool = False
) -> frozenset[str]:
    """The categories whose articles the bot searches: the likely ones, but not the action
    articles (how to change or cancel) for a contact that names its booking or reports a
    carrier's disruption: an agent acts on those, and the bot need not embed the contact
    to find so."""
    searched = likely_categories(triage, floor)
    if names_booking or triage.category == DISRUPTION:
        return searched - ACTION_CATEGORIES
    return searched


def best_first(matches: Sequence[KbMatch], category: str) -> list[KbMatch]:
    """Matches by similarity, best first; of equal scores, an article of the contact's
    ``category`` first."""
    return sorted(matches, key=lambda m: (-m.score, category not in m.categories))


def priority_refusal(triage: TriageView, priority: Priority, *, proactive: bool) -> str | None:
    """Critical keeps the bot out; so does a proactive ticket, whose priority is its
    itinerary's (its text is TripCare's summary, which the classifier may read critical)
    and which the bot never answers (docs/suppliers.md): the reason names that priority."""
    if priority is Priority.CRITICAL or (triage.urgency == "critical" and not proactive):
        return "critical: never auto-answered"
    if proactive:
        return f"a supplier incident's ticket (itinerary {priority.value}): an agent acts on it"
    return None


def person_refusal(triage: TriageView, *, personal: bool) -> str | None:
    """What the traveller is going through asks for a person, whatever an article says: a
    personal emergency or a bereavement, a complaint, or negative sentiment."""
    if personal:
        return "a personal emergency or bereavement: a person answers"
    if triage.category == COMPLAINT or triage.probability(COMPLAINT) >= COMPLAINT_SUSPICION:
        return "complaint: never auto-answered"
    if triage.sentiment == "negative":
        return "negative sentiment: a person answers"
    return None


@dataclass(frozen=True)
class BotDecision:
    answer: bool
    why: str
    match: KbMatch | None = None
    language: str | None = None


def decide_bot(
    refusal: str | None,
    match: KbMatch | None,
    *,
    threshold: float,
    languages: Sequence[str | None],
) -> BotDecision:
    """Answer only when nothing refuses, the best article clears the calibrated threshold and
    the contact is clearly closer to its sample questions than to its near misses.

    The answer is in the first of ``languages`` (the traveller's preference,
    then the contact's) that the article is written in.
    """
    if refusal:
        return BotDecision(False, refusal)
    if match is None:
        return BotDecision(False, "no article matched")
    if match.score < threshold:
        return BotDecision(
            False,
            f"best article {match.article_id} scored {match.score:.3f}, "
            f"under the {threshold:.3f} threshold",
            match,
        )
    if match.too_near_a_miss():
        return BotDecision(
            False,
            f"best article {match.article_id} scored {match.score:.3f}, but a question it "
            f"does not answer scored {match.near_miss:.3f}",
            match,
        )
    wanted = [code for code in (supported_language(t) for t in languages) if code]
    language = next((code for code in wanted if code in match.answers), None)
    if language is None:
        return BotDecision(False, f"article {match.article_id} is not written in {wanted}", match)
    return BotDecision(
        True,
        f"article {match.article_id} scored {match.score:.3f} ≥ {threshold:.3f}",
        match,
        language,
    )
