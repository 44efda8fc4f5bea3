"""Notify's appeal notices (to the traveller), SLA notices (to staff) and team names.

Pure: ``notices_for`` and the renderer, plus one pass through the in-memory broker
to show the new events are consumed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from faststream.rabbit import TestRabbitBroker

from contracts import events
from contracts.events import AppealLevel, EscalationLevel, Priority, SlaClock, Traveller
from contracts.languages import LANGUAGES
from contracts.teams import DEFAULT_TEAM_NAMES, team_name
from contracts.topology import SUBSCRIPTIONS
from runtime.clock import FakeClock
from runtime.lag_reports import LagReporter
from services.notify import subscribers
from services.notify.domain.delivery import Delivery, delivery_id
from services.notify.domain.notice import Notice
from services.notify.domain.notices import notices_for
from services.notify.domain.recipients import Directory, Role, TenantStaff
from services.notify.render import Renderer
from services.notify.service import Notifier
from tests.factories import T0, TRAVELLER
from tests.fakes import RecordingOutbox
from tests.unit.test_handlers import body, make_bus, repository

RENDERER = Renderer()
MANAGERS = Directory(
    agents={"agent-7": Traveller(id="agent-7", language="ja", email="a7@desk.example")},
    tenants={
        "acme": TenantStaff(
            account_manager=Traveller(id="am-1", email="am@desk.example"),
            support_manager=Traveller(id="sm-1", language="zh-Hans"),
        )
    },
    teams={"disruption": Traveller(id="team-disruption", im_user_id="wx-group-9")},
)


def filed(level: AppealLevel = AppealLevel.EXPERT, number: int = 1) -> events.AppealFiled:
    return events.AppealFiled(
        appeal_id="AP-1",
        ticket_id="TC-1",
        traveller=TRAVELLER,
        reason="The refund is wrong",
        appeal_number=number,
        level=level,
        appealed_resolution=1,
        via="survey",
        filed_at=T0,
    )


def decided(outcome: str, message: str | None = None) -> events.Event:
    """The event that tells the traveller an appeal's outcome: feedback's for a close or a
    merge, else the resolution that decided it (test_appeal_outcome_notice)."""
    if outcome not in ("closed", "merged"):
        return events.TicketResolved(
            ticket_id="TC-1",
            channel=events.Channel.IN_APP,
            traveller=TRAVELLER,
            resolution_code=outcome,
            message=message or "Done.",
            resolved_by="expert-1",
            opened_at=T0,
            first_response_at=T0,
            resolved_at=T0,
            resolution_count=2,
            appeal_id="AP-1",
            appeal_number=1,
            appeal_level=AppealLevel.EXPERT,
        )
    return events.AppealResolved(
        appeal_id="AP-1",
        ticket_id="TC-1",
        traveller=TRAVELLER,
        appeal_number=1,
        level=AppealLevel.EXPERT,
        outcome=outcome,
        message=message,
        decided_by="expert-1",
        decided_at=T0,
    )


def warning(
    assignee: str | None = "agent-7", queue: str | None = "disruption"
) -> events.SlaWarning:
    return events.SlaWarning(
        ticket_id="TC-1",
        clock=SlaClock.FIRST_RESPONSE,
        priority=Priority.HIGH,
        queue=queue,
        assignee=assignee,
        deadline=T0 + timedelta(minutes=6, seconds=1),
        target_seconds=1800,
        warned_at=T0,
    )


def breached(
    level: EscalationLevel = EscalationLevel.MANAGEMENT,
    assignee: str | None = "agent-9",
    **managers: str,
) -> events.SlaBreached:
    return events.SlaBreached(
        ticket_id="TC-1",
        clock=SlaClock.RESOLUTION,
        priority=Priority.CRITICAL,
        previous_priority=Priority.HIGH,
        queue="expert",
        assignee=assignee,
        previous_assignee="agent-7",
        level=level,
        deadline=T0,
        breached_at=T0 + timedelta(seconds=1),
        **managers,
    )


def told(notices: list[Notice]) -> list[tuple[Role, str, str]]:
    return [(n.role, n.recipient.id, n.template) for n in notices]


def in_language(notice: Notice, language: str) -> Notice:
    recipient = notice.recipient.model_copy(update={"language": language})
    return Notice(notice.ticket_id, recipient, notice.template, notice.values, notice.role)


# --- appeals -------------------------------------------------------------------


def test_the_traveller_hears_their_appeal_was_received_and_who_reviews_it() -> None:
    (expert,) = notices_for(filed(), "acme", Directory())
    (manager,) = notices_for(filed(AppealLevel.SUPPORT_MANAGER, 2), "acme", Directory())

    assert told([expert]) == [(Role.TRAVELLER, "trav-42", "appeal_filed")]
    first = RENDERER.render(expert)
    last = RENDERER.render(in_language(manager, "en"))
    assert first.language == "zh-Hans"
    assert "申诉" in first.subject
    assert "专家团队" in first.body
    assert "最后一次" not in first.body
    assert "support manager" in last.body
    assert "final appeal" in last.body


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [("rebooked", "resolved again"), ("closed", "now closed"), ("merged", "together with")],
)
def test_the_traveller_hears_the_outcome_of_their_appeal(outcome: str, expected: str) -> None:
    (notice,) = notices_for(decided(outcome, "Refunded CNY 420."), "acme", Directory())
    rendered = RENDERER.render(in_language(notice, "en"))

    assert notice.template == "appeal_resolved"
    assert expected in rendered.body
    assert rendered.body.endswith("Refunded CNY 420.")
    assert outcome not in rendered.body.replace(expected, "")


@pytest.mark.parametrize("language", LANGUAGES)
def test_appeal_notices_read_well_in_every_language(language: str) -> None:
    for event in (filed(AppealLevel.SUPPORT_MANAGER, 2), decided("closed"), decided("rebooked")):
        (notice,) = notices_for(event, "acme", Directory())
        rendered = RENDERER.render(in_language(notice, language))
        assert rendered.language == language
        assert "TC-1" in rendered.subject
        for raw in ("support_manager", "rebooked", "{{", "None"):
            assert raw not in rendered.body


# --- SLA notices ------------------------------------------------------------------


def test_an_sla_warning_goes_to_the_assignee_in_their_language() -> None:
    (notice,) = notices_for(warning(), "acme", MANAGERS)
    rendered = RENDERER.render(notice)

    assert told([notice]) == [(Role.AGENT, "agent-7", "sla_warning")]
    assert rendered.language == "ja"
    assert "残り7分" in rendered.body
    assert "2026年11月25日 02:06（UTC）" in rendered.body


def test_staff_without_a_known_language_get_english_and_the_inbox() -> None:
    (notice,) = notices_for(warning(assignee="agent-unknown"), "acme", MANAGERS)
    rendered = RENDERER.render(notice)

    assert notice.recipient == Traveller(id="agent-unknown")
    assert rendered.language == "en"
    assert rendered.subject.startswith("[high] SLA warning: TC-1, first response due")
    assert "7 minutes from now" in rendered.body
    assert "assigned to you" in rendered.body


def test_an_unassigned_tickets_warning_goes_to_its_queues_team() -> None:
    (configured,) = notices_for(warning(assignee=None), "acme", MANAGERS)
    (inbox,) = notices_for(warning(assignee=None, queue="finance"), "acme", MANAGERS)

    assert told([configured, inbox]) == [
        (Role.TEAM, "team-disruption", "sla_warning"),
        (Role.TEAM, "team:finance", "sla_warning"),
    ]
    assert "please pick it up" in RENDERER.render(configured).body


def test_with_neither_assignee_nor_queue_the_support_manager_is_warned_else_nobody() -> None:
    orphan = warning(assignee=None, queue=None)

    assert told(notices_for(orphan, "acme", MANAGERS)) == [
        (Role.SUPPORT_MANAGER, "sm-1", "sla_warning")
    ]
    assert notices_for(orphan, "globex", MANAGERS) == []


def test_a_breach_tells_the_new_assignee_and_at_management_level_the_named_managers() -> None:
    notices = notices_for(
        breached(account_manager="am-1", support_manager="sm-2"), "acme", MANAGERS
    )

    assert told(notices) == [
        (Role.AGENT, "agent-9", "sla_breached"),
        (Role.AGENT, "agent-7", "sla_handed_over"),
        (Role.ACCOUNT_MANAGER, "am-1", "sla_breached_management"),
        (Role.SUPPORT_MANAGER, "sm-2", "sla_breached_management"),
    ]
    assert notices[2].recipient.email == "am@desk.example"  # the directory's entry for am-1
    agent = RENDERER.render(notices[0])
    assert "from high to critical" in agent.body
    assert "from agent-7" in agent.body
    handed_over = RENDERER.render(in_language(notices[1], "en")).body
    assert "agent-9 holds it now and your slot is free again" in handed_over
    assert "held by agent-9" in RENDERER.render(notices[3]).body


def test_a_breach_below_management_level_tells_the_holder_and_the_previous_one() -> None:
    """The tenant's managers only when the breach made the ticket critical
    (``test_manager_alerts``)."""
    below = breached(EscalationLevel.EXPERT_TEAM, assignee=None, account_manager="am-1")
    below = below.model_copy(update={"priority": Priority.HIGH})
    notices = notices_for(below, "acme", MANAGERS)

    assert told(notices) == [
        (Role.TEAM, "team:expert", "sla_breached"),
        (Role.AGENT, "agent-7", "sla_handed_over"),
    ]
    assert "the expert team" in RENDERER.render(notices[0]).body


def test_an_owner_who_keeps_a_breached_ticket_and_their_manager_are_told_by_name() -> None:
    kept = breached(EscalationLevel.EXPERT_TEAM, assignee="agent-7", manager="lead-1")
    kept = kept.model_copy(update={"assignee": "agent-5", "previous_assignee": "agent-5"})

    notices = notices_for(kept, "acme", MANAGERS)

    assert told(notices) == [
        (Role.AGENT, "agent-5", "sla_breached"),
        (Role.MANAGER, "lead-1", "sla_breached_management"),
        # it became critical: the tenant's managers too (here its configured ones)
        (Role.ACCOUNT_MANAGER, "am-1", "sla_breached_management"),
        (Role.SUPPORT_MANAGER, "sm-1", "sla_breached_management"),
    ]
    owner = RENDERER.render(notices[0]).body
    assert "It stays with you" in owner
    assert "from agent-5" not in owner
    manager = RENDERER.render(notices[1])
    assert manager.subject.startswith("[critical] SLA breached")
    assert "escalated to the expert team" in manager.body
    assert "held by agent-5" in manager.body


@pytest.mark.parametrize(
    ("language", "stays"),
    [
        ("en", "stays critical"),
        ("zh-Hans", "仍为 紧急（critical）"),
        ("zh-Hant", "仍為 緊急（critical）"),
        ("ja", "緊急（critical）のまま"),
    ],
)
def test_a_breach_of_a_ticket_already_critical_raises_no_priority(
    language: str, stays: str
) -> None:
    """The second breach of a critical ticket read "priority raised from critical to
    critical" to the holder, the one it was taken from and the managers."""
    again = breached(manager="lead-1").model_copy(update={"previous_priority": Priority.CRITICAL})

    for notice in notices_for(again, "acme", MANAGERS):
        body = RENDERER.render(in_language(notice, language)).body
        assert stays in body, (notice.template, body)
        assert "critical to critical" not in body
        assert "（critical） 提升" not in body
        assert "（critical） から" not in body


def test_unnamed_managers_are_the_tenants_own_and_nobody_is_told_twice() -> None:
    notices = notices_for(breached(assignee="sm-1", manager="sm-1"), "acme", MANAGERS)

    assert told(notices) == [
        (Role.AGENT, "sm-1", "sla_breached"),
        (Role.AGENT, "agent-7", "sla_handed_over"),
        (Role.ACCOUNT_MANAGER, "am-1", "sla_breached_management"),
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_sla_notices_render_in_every_language(language: str) -> None:
    cases = [
        warning(),
        warning(assignee=None),
        breached(),
        breached(EscalationLevel.SENIOR_AGENT, manager="lead-1"),
        breached(EscalationLevel.EXPERT_TEAM, assignee="agent-7"),
    ]
    for event in cases:
        for notice in notices_for(event, "acme", MANAGERS):
            rendered = RENDERER.render(in_language(notice, language))
            assert rendered.language == language
            assert "TC-1" in rendered.subject
            assert "TC-1" in rendered.body
            for raw in ("first_response", "senior_agent", "management}", "{{"):
                assert raw not in rendered.body


# --- team names -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-Hans", "已由航班异常处理团队受理"),
        ("zh-Hant", "已由航班異常處理團隊受理"),
        ("en", "with our travel disruption team"),
        ("ja", "運航トラブル対応チームが担当"),
    ],
)
def test_the_routed_notice_names_the_team_not_the_queue_id(language: str, expected: str) -> None:
    notice = Notice(
        "TC-1", Traveller(id="t", language=language), "ticket_routed", routed("disruption")
    )
    rendered = RENDERER.render(notice)

    assert expected in rendered.body
    assert "disruption" not in rendered.body.replace("travel disruption team", "")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_default_queue_has_a_team_name_in_every_language(language: str) -> None:
    for queue, names in DEFAULT_TEAM_NAMES.items():
        assert names[language], queue


def test_an_unknown_queue_reads_as_the_support_team_never_its_id() -> None:
    assert team_name("vip_desk_7", "zh-Hans") == "客服团队"
    assert team_name(None, "en") == "support team"
    notice = Notice("TC-1", Traveller(id="t", language="ja"), "ticket_routed", routed("vip_desk_7"))
    assert "vip_desk_7" not in RENDERER.render(notice).body


def test_configured_team_names_add_and_replace_the_defaults() -> None:
    renderer = Renderer(team_names={**DEFAULT_TEAM_NAMES, "vip": {"en": "VIP concierge team"}})
    notice = Notice("TC-1", Traveller(id="t", language="en"), "ticket_routed", routed("vip"))
    chinese = Notice("TC-1", Traveller(id="t", language="zh-Hans"), "ticket_routed", routed("vip"))

    assert "our VIP concierge team" in renderer.render(notice).body
    assert "已由客服团队受理" in renderer.render(chinese).body  # no name in Chinese: generic


def routed(queue: str) -> dict[str, str]:
    return {"ticket_id": "TC-1", "queue": queue, "due": "2026-11-25 02:30 UTC"}


# --- consumed -----------------------------------------------------------------------


def test_notify_subscribes_to_appeals_and_sla_notices() -> None:
    wanted = {events.AppealFiled, events.AppealResolved, events.SlaWarning, events.SlaBreached}
    assert wanted <= set(SUBSCRIPTIONS["notify"])


async def test_appeal_and_sla_events_on_the_bus_become_deliveries_once() -> None:
    bus, outbox = make_bus("notify"), RecordingOutbox()
    deliveries = repository(Delivery, outbox)
    notifier = Notifier(deliveries, Renderer(), FakeClock(T0), directory=MANAGERS)
    subscribers.register(bus, notifier, LagReporter(bus, FakeClock(T0)))

    async with TestRabbitBroker(bus.broker) as broker:
        for event, message_id in ((filed(), "ap-1"), (breached(), "br-1"), (breached(), "br-1")):
            await broker.publish(
                body(event, message_id),
                exchange=bus.events_exchange,
                routing_key=event.schema_name,
            )

    for message_id, recipient in (("ap-1", "trav-42"), ("br-1", "agent-9"), ("br-1", "sm-1")):
        delivery = await deliveries.get("acme", delivery_id(message_id, recipient, "in_app"))
        assert delivery is not None, (message_id, recipient)
        assert delivery.status == "delivered"
    # traveller; the new and the previous holder; 2 managers
    assert outbox.routing_keys.count("notification.delivered") == 5


def test_a_warning_one_minute_ahead_reads_one_minute_not_one_minutes() -> None:
    """The English warning read "1 minutes from now"; ja/zh count with 分/分钟 alone."""
    close = warning().model_copy(update={"deadline": T0 + timedelta(seconds=50)})
    (notice,) = notices_for(close, "acme", MANAGERS)

    assert "1 minute from now" in RENDERER.render(in_language(notice, "en")).body
    assert "残り1分" in RENDERER.render(notice).body
    assert "还剩 1 分钟" in RENDERER.render(in_language(notice, "zh-Hans")).body
