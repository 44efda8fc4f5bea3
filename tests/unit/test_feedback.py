"""Surveys, the NPS cadence, page language, and the appeal rules of feedback and intake."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts import events
from contracts.events import AppealLevel, Priority
from services.feedback.domain.appeals import (
    Appeal,
    Appealable,
    AppealRefused,
    AppealStatus,
    next_appeal,
)
from services.feedback.domain.facts import TicketFacts
from services.feedback.domain.language import page_language
from services.feedback.domain.surveys import (
    SURVEY_TTL,
    NpsNotAsked,
    Survey,
    SurveyClosed,
    survey_id_for,
)
from services.feedback.domain.traveller_pulse import TravellerPulse
from services.intake.domain import Ticket, TicketStatus
from tests.factories import T0, TRAVELLER, contact
from tests.feedback_story import Desk, traveller

WINDOW = timedelta(days=30)


def resolved(count: int = 1, minutes: int = 10) -> events.TicketResolved:
    return events.TicketResolved(
        ticket_id="TC-1",
        channel=events.Channel.EMAIL,
        traveller=TRAVELLER,
        resolution_code="answered",
        message="done",
        resolved_by="agent-7",
        opened_at=T0,
        first_response_at=T0 + timedelta(minutes=2),
        resolved_at=T0 + timedelta(minutes=minutes),
        resolution_count=count,
    )


# ------------------------------------------------------------------ surveys


def test_each_resolution_gets_its_own_survey() -> None:
    assert survey_id_for("TC-1", 1) != survey_id_for("TC-1", 2)


def test_a_survey_takes_one_answer_within_its_lifetime() -> None:
    survey = Survey.send("acme", resolved(), url="https://s/x", now=T0, ask_nps=True)
    assert isinstance(survey.take_events()[0], events.SurveySent)
    assert survey.language == "zh-Hans"

    survey.answer(csat=4, nps=9, comment="ok", now=T0 + timedelta(hours=1))
    (received,) = survey.take_events()
    assert isinstance(received, events.FeedbackReceived)
    assert (received.csat, received.nps) == (4, 9)
    with pytest.raises(SurveyClosed, match="already") as again:
        survey.answer(csat=5, comment=None, now=T0 + timedelta(hours=2))
    assert again.value.code == "answered"


def test_an_expired_survey_refuses_answers() -> None:
    survey = Survey.send("acme", resolved(), url="https://s/x", now=T0)
    with pytest.raises(SurveyClosed, match="expired"):
        survey.answer(csat=5, comment=None, now=T0 + SURVEY_TTL + timedelta(seconds=1))


def test_a_survey_that_did_not_ask_for_nps_refuses_a_score() -> None:
    survey = Survey.send("acme", resolved(), url="https://s/x", now=T0, ask_nps=False)
    survey.take_events()

    with pytest.raises(NpsNotAsked):
        survey.answer(csat=2, nps=0, comment=None, now=T0 + timedelta(hours=1))

    assert (survey.answered_at, survey.take_events()) == (None, [])
    survey.answer(csat=2, comment=None, now=T0 + timedelta(hours=1))
    assert survey.csat == 2


def test_a_survey_is_sent_then_answered_or_expired() -> None:
    survey = Survey.send("acme", resolved(), url="https://s", now=T0)
    assert survey.state(T0 + timedelta(days=14)) == "sent"
    assert survey.state(T0 + timedelta(days=14, seconds=1)) == "expired"
    survey.answer(csat=5, comment=None, now=T0 + timedelta(days=1))
    assert survey.state(T0 + timedelta(days=30)) == "answered"


def test_nps_is_asked_on_a_cadence_per_traveller() -> None:
    pulse = TravellerPulse.blank("acme", "trav-42")
    cadence = timedelta(days=90)
    assert pulse.nps_due(T0, cadence)
    pulse.asked("S-TC-2-1", T0)
    assert not pulse.nps_due(T0 + timedelta(days=89), cadence)
    assert pulse.nps_due(T0 + timedelta(days=90), cadence)
    pulse.asked("S-TC-1-1", T0 - timedelta(days=1))
    assert pulse.last_asked_at == T0, "a late redelivery does not move the clock back"


@pytest.mark.parametrize(
    ("preferred", "detected", "browser", "page"),
    [
        ("zh-Hans", None, None, "zh-Hans"),
        ("zh-TW", None, None, "zh-Hant"),
        (None, "ja", "en", "ja"),
        (None, None, "ja-JP,ja;q=0.9,en;q=0.5", "ja"),
        ("ko", None, "fr", "en"),
    ],
)
def test_pages_speak_the_travellers_language_else_english(
    preferred: str | None, detected: str | None, browser: str | None, page: str
) -> None:
    who = events.Traveller(id="t", language=preferred, detected_language=detected)
    assert page_language(who, browser) == page


# ------------------------------------------------------------------ appeals


def resolved_facts() -> TicketFacts:
    desk = Desk()
    desk.opened("T1", 0, traveller("A"))
    desk.resolved("T1", 10)
    facts = TicketFacts.blank("acme", "T1")
    for envelope in desk.envelopes:
        facts.apply(envelope.payload)
    return facts


def appeal(number: int, status: AppealStatus = AppealStatus.DECIDED) -> Appeal:
    return Appeal(
        id=f"A-T1-{number}",
        tenant_id="acme",
        ticket_id="T1",
        traveller=traveller("A"),
        number=number,
        level=AppealLevel.EXPERT,
        reason="no",
        via="survey",
        appealed_resolution=number,
        filed_at=T0,
        status=status,
    )


def test_the_first_appeal_goes_to_an_expert_the_second_to_the_manager() -> None:
    facts = resolved_facts()
    now = T0 + timedelta(hours=1)
    first = next_appeal(facts, [], now=now, window=WINDOW)
    assert (first.number, first.resolution) == (1, 1)

    filed = Appeal.file("acme", "T1", first, reason="still stranded", via="tracking", now=now)
    (event,) = filed.take_events()
    assert isinstance(event, events.AppealFiled)
    assert (event.appeal_number, event.level, event.via) == (1, AppealLevel.EXPERT, "tracking")

    second = next_appeal(facts, [appeal(1)], now=now, window=WINDOW)
    assert second.number == 2
    filed = Appeal.file("acme", "T1", second, reason="no", via="survey", now=now)
    assert filed.level is AppealLevel.SUPPORT_MANAGER


@pytest.mark.parametrize(
    ("change", "appeals", "code"),
    [
        ("unresolved", [], "not_resolved"),
        ("reopened", [], "not_resolved"),
        ("merged", [], "closed"),
        (None, [appeal(1, AppealStatus.FILED)], "pending"),
        (None, [appeal(1), appeal(2)], "exhausted"),
        ("late", [], "too_late"),
    ],
)
def test_an_appeal_is_refused_with_a_reason(
    change: str | None, appeals: list[Appeal], code: str
) -> None:
    facts = resolved_facts()
    now = T0 + timedelta(hours=1)
    if change == "unresolved":
        facts.resolutions = []
    elif change == "reopened":
        facts.reopens = [T0 + timedelta(minutes=20)]
    elif change == "merged":
        facts.merged_into = "T0"
    elif change == "late":
        now = T0 + WINDOW + timedelta(hours=1)
    with pytest.raises(AppealRefused) as refused:
        next_appeal(facts, appeals, now=now, window=WINDOW)
    assert refused.value.code == code


def test_the_next_resolution_decides_an_appeal_once() -> None:
    filed = appeal(1, AppealStatus.FILED)
    filed.decide_by_resolution(resolved(count=1))
    assert filed.status is AppealStatus.FILED, "the appealed resolution itself decides nothing"

    filed.decide_by_resolution(resolved(count=2, minutes=300))
    filed.decide_by_resolution(resolved(count=3, minutes=400))
    (decision,) = filed.take_events()
    assert isinstance(decision, events.AppealResolved)
    assert (decision.outcome, filed.decided_at) == ("answered", T0 + timedelta(minutes=300))


def test_a_closed_ticket_closes_its_open_appeal() -> None:
    filed = appeal(1, AppealStatus.FILED)
    filed.decide_by_closure("merged", "agent-7", T0)
    assert (filed.status, filed.outcome) == (AppealStatus.DECIDED, "merged")


# ------------------------------------------------------------------ intake


def ticket() -> Ticket:
    opened = Ticket.open(
        "acme",
        contact(),
        contact_id="c1",
        generation=1,
        language="zh-Hans",
        tracking_url="https://t/x",
        now=T0,
    )
    opened.take_events()
    return opened


def filed(number: int = 1) -> events.AppealFiled:
    return events.AppealFiled(
        appeal_id=f"A-x-{number}",
        ticket_id="x",
        traveller=TRAVELLER,
        reason="改签后的航班仍然延误",
        appeal_number=number,
        level=AppealLevel.EXPERT if number == 1 else AppealLevel.SUPPORT_MANAGER,
        appealed_resolution=number,
        via="survey",
        filed_at=T0 + timedelta(hours=1),
    )


def test_an_appeal_reopens_a_resolved_ticket_with_raised_priority_for_its_reviewer() -> None:
    appealed = ticket()
    appealed.resolve(code="rebooked", message="ok", agent="agent-7", now=T0)
    appealed.take_events()

    appealed.appeal(filed(), now=T0 + timedelta(hours=1, seconds=1))

    (reopened,) = appealed.take_events()
    assert isinstance(reopened, events.TicketReopened)
    assert (appealed.status, appealed.priority) == (TicketStatus.REOPENED, Priority.HIGH)
    assert (reopened.appeal_id, reopened.appeal_number, reopened.appeal_level) == (
        "A-x-1",
        1,
        AppealLevel.EXPERT,
    )
    assert reopened.reason.startswith("appeal: ")
    assert [e.kind for e in appealed.timeline][-2:] == ["appealed", "reopened"]


def test_the_reviewer_reads_the_whole_appeal_on_the_ticket() -> None:
    """The summary is one line; the traveller's words are kept whole (``text``, which the
    console quotes), not cut where the detail that matters often comes last."""
    appealed = ticket()
    appealed.resolve(code="rebooked", message="ok", agent="agent-7", now=T0)
    reason = "酒店订错了日期。" * 40 + "另外我被重复扣款两次，每次4800元。"
    appealed.appeal(filed().model_copy(update={"reason": reason}), now=T0 + timedelta(hours=1))

    entry = next(e for e in appealed.timeline if e.kind == "appealed")
    assert len(entry.summary) < len(reason)
    assert entry.details["text"] == reason


def test_an_appeal_of_a_ticket_a_follow_up_reopened_still_escalates_it() -> None:
    appealed = ticket()
    appealed.resolve(code="rebooked", message="ok", agent="agent-7", now=T0)
    appealed.reopen(reason="traveller wrote again", by="trav-42", now=T0)
    appealed.take_events()

    appealed.appeal(filed(), now=T0 + timedelta(hours=1))

    (escalated,) = appealed.take_events()
    assert isinstance(escalated, events.TicketReopened)
    assert (appealed.status, appealed.priority) == (TicketStatus.REOPENED, Priority.CRITICAL)


def test_an_appeal_of_a_closed_ticket_is_only_logged() -> None:
    closed = ticket()
    closed.close(by="agent-7", now=T0)
    closed.take_events()

    closed.appeal(filed(2), now=T0 + timedelta(hours=1))

    assert closed.take_events() == []
    assert closed.timeline[-1].kind == "appealed"


def test_the_appeals_outcome_goes_on_the_timeline() -> None:
    decided = ticket()
    decided.record_appeal_decision(
        events.AppealResolved(
            appeal_id="A-x-1",
            ticket_id="x",
            traveller=TRAVELLER,
            appeal_number=1,
            level=AppealLevel.EXPERT,
            outcome="refunded",
            decided_by="expert-1",
            decided_at=T0 + timedelta(hours=3),
        )
    )
    assert decided.timeline[-1].summary == "Appeal 1 decided: refunded"


def test_the_travellers_comment_reaches_the_ticket_with_the_rating() -> None:
    rated = ticket()
    rated.record_feedback(
        events.FeedbackReceived(
            survey_id="S-x-1",
            ticket_id="x",
            csat=2,
            comment="改签后还是延误了，客服也没回电话",
            received_at=T0 + timedelta(hours=2),
        )
    )
    rated.record_feedback(
        events.FeedbackReceived(
            survey_id="S-x-2", ticket_id="x", csat=5, received_at=T0 + timedelta(hours=3)
        )
    )

    with_comment, without = rated.timeline[-2:]
    assert with_comment.summary == "Traveller rated: CSAT 2"
    assert with_comment.details == {"csat": "2", "text": "改签后还是延误了，客服也没回电话"}
    assert without.details == {"csat": "5"}


def test_appealable_carries_what_the_appeal_needs() -> None:
    grounds = next_appeal(resolved_facts(), [], now=T0 + timedelta(hours=1), window=WINDOW)
    assert grounds == Appealable(1, traveller("A"), 1)


def test_the_facts_keep_the_traveller_as_they_last_wrote_in_any_order() -> None:
    guessed = events.Traveller(id="t-1", detected_language="en")
    switched = guessed.model_copy(update={"detected_language": "ja"})
    opened = events.TicketOpened(
        ticket_id="T1", channel=events.Channel.EMAIL, traveller=guessed, text="Hi", opened_at=T0
    )
    followed = events.TicketFollowedUp(
        ticket_id="T1",
        channel=events.Channel.EMAIL,
        traveller=switched,
        text="明日の便を変更したいのですが、午後の便に空席はありますか。",
        repeat_contacts=1,
        received_at=T0 + timedelta(minutes=5),
    )
    for order in ([opened, followed], [followed, opened]):
        facts = TicketFacts.blank("acme", "T1")
        for event in order:
            facts.apply(event)
        assert facts.traveller == switched
        assert page_language(facts.traveller) == "ja"


@pytest.mark.parametrize(
    ("reason", "summary"),
    [
        ("reopened", "Survey withdrawn: the ticket was reopened"),
        ("resolved_again", "Survey withdrawn: the ticket was resolved again"),
        ("closed_unresolved", "Survey withdrawn: the ticket was closed unresolved"),
    ],
)
def test_the_timeline_records_a_withdrawn_survey_with_its_reason(
    reason: events.SurveyWithdrawalReason, summary: str
) -> None:
    surveyed = ticket()
    surveyed.record_survey(
        events.SurveySent(
            survey_id="S-x-1",
            ticket_id="x",
            traveller=TRAVELLER,
            survey_url="https://s/x",
            sent_at=T0 + timedelta(hours=2),
        )
    )
    surveyed.record_survey(
        events.SurveyWithdrawn(
            survey_id="S-x-1",
            ticket_id="x",
            traveller=TRAVELLER,
            reason=reason,
            withdrawn_at=T0 + timedelta(hours=3),
        )
    )

    sent, withdrawn = surveyed.timeline[-2:]
    assert (sent.kind, withdrawn.kind) == ("survey_sent", "survey_withdrawn")
    assert (withdrawn.summary, withdrawn.service) == (summary, "feedback")
