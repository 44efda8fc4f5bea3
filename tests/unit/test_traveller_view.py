"""What the traveller reads behind the tracking link (issue #18, item 7): every step and the
team on it in their language — never a queue id, never routing's English reasons."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts.languages import LANGUAGES
from contracts.teams import DEFAULT_TEAM_NAMES
from services.intake.pages.tracking_view import WORDS, handled_by, steps
from tests.factories import T0
from tests.unit.test_ticket import opened_ticket, routed
from tests.unit.test_ticket_bot_answer import bot_answered


@pytest.mark.parametrize(
    ("language", "team", "routed_summary"),
    [
        ("zh-Hans", "航班异常处理团队", "已转交航班异常处理团队"),
        ("zh-Hant", "航班異常處理團隊", "已轉交航班異常處理團隊"),
        ("en", "Our travel disruption team", "Passed to our travel disruption team"),
        ("ja", "運航トラブル対応チーム", "運航トラブル対応チームに回付しました"),
    ],
)
def test_the_team_and_every_step_read_in_the_travellers_language(
    language: str, team: str, routed_summary: str
) -> None:
    ticket = opened_ticket()
    ticket.apply_routing(routed(ticket).model_copy(update={"queue": "disruption"}))
    words = WORDS(language)

    assert handled_by(ticket, words, language) == team
    shown = steps(ticket, words, language, "UTC")
    assert [s.kind for s in shown] == ["received", "acknowledged", "routed"]
    assert shown[-1].summary == routed_summary
    for step in shown:
        assert "disruption" not in step.summary.replace("travel disruption team", "")
        assert "Routed to" not in step.summary


def test_an_agent_on_it_is_a_member_of_our_team_and_their_words_are_quoted() -> None:
    ticket = opened_ticket()
    ticket.apply_routing(routed(ticket, assignee="agent-7"))
    ticket.reply(message="已为您改签至CA1503", agent="agent-7", now=T0 + timedelta(minutes=5))

    assert handled_by(ticket, WORDS("zh-Hans"), "zh-Hans") == "我们的客服专员"
    replied = steps(ticket, WORDS("zh-Hans"), "zh-Hans", "UTC")[-1]
    assert (replied.summary, replied.message) == ("客服已回复", "已为您改签至CA1503")


@pytest.mark.parametrize(
    ("language", "resolver"),
    [
        ("en", "A member of our team"),
        ("zh-Hans", "我们的客服专员"),
        ("zh-Hant", "我們的客服專員"),
        ("ja", "担当スタッフ"),
    ],
)
def test_a_bot_answered_ticket_an_agent_resolved_or_closed_is_not_being_routed(
    language: str, resolver: str
) -> None:
    resolved = opened_ticket()
    resolved.bot_answer(bot_answered(resolved))
    resolved.resolve(code="answered", message="done", agent="agent-7", now=T0 + timedelta(hours=1))
    closed = opened_ticket()
    closed.bot_answer(bot_answered(closed))
    closed.close(by="agent-7", now=T0 + timedelta(hours=1))

    for ticket in (resolved, closed):
        assert handled_by(ticket, WORDS(language), language) == resolver


@pytest.mark.parametrize(
    ("language", "assistant"),
    [
        ("en", "Our help centre"),
        ("zh-Hans", "我们的帮助中心"),
        ("zh-Hant", "我們的說明中心"),
        ("ja", "ヘルプセンター"),
    ],
)
def test_a_ticket_the_bot_answered_says_the_help_centre_answered_it(
    language: str, assistant: str
) -> None:
    ticket = opened_ticket()
    ticket.bot_answer(bot_answered(ticket))

    assert handled_by(ticket, WORDS(language), language) == assistant


def test_a_ticket_not_routed_yet_is_still_finding_its_team() -> None:
    ticket = opened_ticket()
    assert handled_by(ticket, WORDS("en"), "en") == "Finding the right team"


def test_a_tenants_own_queue_reads_as_the_support_team_never_its_id() -> None:
    ticket = opened_ticket()
    ticket.apply_routing(routed(ticket).model_copy(update={"queue": "vip_desk_7"}))
    for language in LANGUAGES:
        shown = steps(ticket, WORDS(language), language, "UTC")
        assert "vip_desk_7" not in shown[-1].summary
        assert "vip_desk_7" not in handled_by(ticket, WORDS(language), language)


def test_a_step_logged_before_queues_were_recorded_still_reads_well() -> None:
    ticket = opened_ticket()
    ticket.apply_routing(routed(ticket))
    ticket.timeline[-1].details.pop("queue")
    assert steps(ticket, WORDS("ja"), "ja", "UTC")[-1].summary == "担当チームに回付しました"


def test_every_default_team_has_its_name_in_every_language() -> None:
    for names in DEFAULT_TEAM_NAMES.values():
        assert set(LANGUAGES) <= set(names)
