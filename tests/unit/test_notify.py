"""What notify says to whom, in which language, and once per (event, recipient, channel)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from contracts import events
from contracts.events import Priority, ReplyChannel, Traveller
from contracts.languages import LANGUAGES, supported_language
from services.notify.domain.delivery import Delivery, DeliveryStatus, delivery_id
from services.notify.domain.notice import Notice
from services.notify.domain.notices import notices_for
from services.notify.domain.recipients import Directory, Role, TenantStaff
from services.notify.domain.route import plan_route
from services.notify.domain.templates import TEMPLATE_NAMES
from services.notify.render import TEMPLATES, Renderer
from tests.factories import T0, TRAVELLER

NO_STAFF = Directory()


def acknowledged(language: str | None, **traveller: object) -> events.TicketAcknowledged:
    return events.TicketAcknowledged(
        ticket_id="TC-1",
        channel=events.Channel.WECHAT,
        traveller=Traveller(id="trav-1", name="Aiko", language=language, **traveller),  # type: ignore[arg-type]
        tracking_url="https://track/abc",
        acknowledged_at=T0,
    )


def routed(
    priority: Priority = Priority.NORMAL, assignee: str | None = None
) -> events.TicketRouted:
    return events.TicketRouted(
        ticket_id="TC-1",
        traveller=TRAVELLER,
        queue="general",
        assignee=assignee,
        priority=priority,
        first_response_due=T0 + timedelta(minutes=30),
        resolution_due=T0 + timedelta(hours=24),
        reason="default",
        routed_at=T0,
    )


def only(notices: list[Notice]) -> Notice:
    (notice,) = notices
    return notice


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_every_template_exists_in_every_language(language: str, template: str) -> None:
    assert (TEMPLATES / language / f"{template}.j2").is_file()


def test_every_template_file_is_one_the_domain_uses() -> None:
    for language in LANGUAGES:
        assert {p.stem for p in (TEMPLATES / language).glob("*.j2")} == set(TEMPLATE_NAMES)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ja", "お問い合わせを受け付けました"),
        ("zh-Hant", "我們已收到"),
        ("zh-Hans", "我们已收到"),
        ("en", "We have your request"),
    ],
)
def test_the_acknowledgement_speaks_the_travellers_language(language: str, expected: str) -> None:
    rendered = Renderer().render(only(notices_for(acknowledged(language), "acme", NO_STAFF)))

    assert rendered.language == language
    assert expected in rendered.subject
    assert "https://track/abc" in rendered.body


def test_an_unknown_language_falls_back_to_english() -> None:
    notice = only(notices_for(acknowledged("ko"), "acme", NO_STAFF))
    assert Renderer().render(notice).language == "en"


def test_without_a_preference_the_detected_language_is_used() -> None:
    notice = only(notices_for(acknowledged(None, detected_language="zh-TW"), "acme", NO_STAFF))
    assert notice.language == "zh-Hant"
    preferred = only(notices_for(acknowledged("ja", detected_language="en"), "acme", NO_STAFF))
    assert preferred.language == "ja"


@pytest.mark.parametrize(
    ("tag", "language"),
    [("zh-CN", "zh-Hans"), ("zh_HK", "zh-Hant"), ("zh-Hant-TW", "zh-Hant"), ("ja-JP", "ja")],
)
def test_regional_tags_map_to_a_template_language(tag: str, language: str) -> None:
    assert supported_language(tag) == language


def test_a_missing_translation_falls_back_to_english(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "hello.j2").write_text("{% set subject %}Hi{% endset %}Hello {{ who }}")
    notice = Notice("TC-1", Traveller(id="t", language="ja"), "hello", {"who": "Aiko"})

    rendered = Renderer(tmp_path).render(notice)

    assert (rendered.language, rendered.subject, rendered.body) == ("en", "Hi", "Hello Aiko")


def test_routing_notice_tells_the_expected_answer_time() -> None:
    notice = only(notices_for(routed(), "acme", NO_STAFF))
    assert "2026年11月25日 02:30（UTC）" in Renderer().render(notice).body


def test_the_assigned_agent_and_on_critical_tickets_the_managers_are_told() -> None:
    directory = Directory(
        agents={"agent-7": Traveller(id="agent-7", language="ja", email="a7@acme.example")},
        tenants={
            "acme": TenantStaff(
                account_manager=Traveller(id="am-1", email="am@acme.example"),
                support_manager=Traveller(id="sm-1"),
            )
        },
    )

    normal = notices_for(routed(assignee="agent-7"), "acme", directory)
    critical = notices_for(routed(Priority.CRITICAL, "agent-7"), "acme", directory)
    elsewhere = notices_for(routed(Priority.CRITICAL), "globex", directory)

    assert [(n.role, n.template) for n in normal] == [
        (Role.TRAVELLER, "ticket_routed"),
        (Role.AGENT, "ticket_assigned"),
    ]
    assert normal[1].language == "ja"
    assert [(n.role, n.recipient.id) for n in critical[2:]] == [
        (Role.ACCOUNT_MANAGER, "am-1"),
        (Role.SUPPORT_MANAGER, "sm-1"),
    ]
    assert [n.role for n in elsewhere] == [Role.TRAVELLER]


def test_critical_alerts_go_to_the_managers_routing_policy_names_with_no_directory() -> None:
    """Issue #18: with notify's staff list empty (the local setup) no alert reached anyone."""
    event = routed(Priority.CRITICAL, "agent-7").model_copy(
        update={"account_manager": "am-9", "support_manager": "agent-7"}
    )

    notices = notices_for(event, "acme", NO_STAFF)

    assert [(n.role, n.recipient.id, n.template) for n in notices] == [
        (Role.TRAVELLER, "trav-42", "ticket_routed"),
        (Role.AGENT, "agent-7", "ticket_assigned"),
        (Role.ACCOUNT_MANAGER, "am-9", "ticket_escalated"),
    ]


def test_the_booker_hears_of_the_resolution_of_the_trip_they_booked() -> None:
    booker = Traveller(id="booker-1", language="en", email="pa@acme.example")
    resolved = events.TicketResolved(
        ticket_id="TC-1",
        channel=events.Channel.EMAIL,
        traveller=Traveller(id="trav-1", name="Aiko", language="ja", booker=booker),
        resolution_code="rebooked",
        message="Rebooked on NH 12",
        resolved_by="agent-7",
        opened_at=T0,
        first_response_at=T0,
        resolved_at=T0,
        resolution_count=1,
    )

    traveller, for_booker = notices_for(resolved, "acme", NO_STAFF)

    assert (traveller.recipient.id, traveller.language) == ("trav-1", "ja")
    assert (for_booker.role, for_booker.recipient.id, for_booker.language) == (
        Role.BOOKER,
        "booker-1",
        "en",
    )
    assert "Aiko" in Renderer().render(for_booker).subject


def test_events_travellers_need_not_hear_of_make_no_notice() -> None:
    feedback = events.FeedbackReceived(survey_id="s", ticket_id="TC-1", csat=4, received_at=T0)
    assert notices_for(feedback, "acme", NO_STAFF) == []


EVERYTHING = frozenset(ReplyChannel)


def test_the_route_is_the_preference_then_its_fallbacks_then_the_inbox() -> None:
    person = Traveller(
        id="trav-1",
        email="li@acme.example",
        phone="+86 138-0000-0000",
        im_user_id="wx-li",
        preferred_channel=ReplyChannel.WECOM,
        fallback_channels=[ReplyChannel.SMS, ReplyChannel.EMAIL],
    )

    route = plan_route(person, events.Channel.WEB_CHAT, EVERYTHING).hops

    assert [(h.channel, h.address) for h in route] == [
        ("wecom", "wx-li"),
        ("sms", "+8613800000000"),
        ("email", "li@acme.example"),
        ("in_app", "trav-1"),
    ]


def test_channels_without_an_address_or_a_gateway_are_left_out() -> None:
    person = Traveller(
        id="trav-1",
        email="li@acme.example",
        preferred_channel=ReplyChannel.WECOM,
        fallback_channels=[ReplyChannel.SMS, ReplyChannel.EMAIL],
    )
    no_email = EVERYTHING - {ReplyChannel.EMAIL}

    assert [h.channel for h in plan_route(person, None, EVERYTHING).hops] == ["email", "in_app"]
    assert [h.channel for h in plan_route(person, None, no_email).hops] == ["in_app"]


def test_without_a_preference_the_reply_goes_back_the_way_the_contact_came() -> None:
    person = Traveller(id="trav-1", im_user_id="wx-li", phone="+8613800000000")

    assert [h.channel for h in plan_route(person, events.Channel.WECHAT, EVERYTHING).hops] == [
        "wechat",
        "in_app",
    ]
    assert [h.channel for h in plan_route(person, events.Channel.PHONE, EVERYTHING).hops] == [
        "sms",
        "in_app",
    ]
    assert [h.channel for h in plan_route(person, None, EVERYTHING).hops] == ["in_app"]


def test_a_wanted_channel_without_a_gateway_is_recorded_as_skipped_with_the_fallback() -> None:
    person = Traveller(
        id="trav-1",
        im_user_id="wx-li",
        phone="12345",
        preferred_channel=ReplyChannel.WECOM,
        fallback_channels=[ReplyChannel.SMS, ReplyChannel.EMAIL],
    )

    route = plan_route(person, None, frozenset({ReplyChannel.SMS, ReplyChannel.EMAIL}), "CN")

    assert [h.channel for h in route.hops] == ["in_app"]
    assert [(s.channel, s.reason) for s in route.skipped] == [
        ("wecom", "no wecom gateway configured"),
        ("sms", "invalid phone number"),
        ("email", "no address"),
    ]
    notice = Notice("TC-1", person, "ticket_replied", {"ticket_id": "TC-1", "message": "hi"})
    delivery = Delivery.create(
        "acme",
        notice,
        Renderer().render(notice),
        route.hops,
        source_message_id="m1",
        now=T0,
        skipped=route.skipped,
    )
    (delivered,) = delivery.take_events()
    assert isinstance(delivered, events.NotificationDelivered)
    assert [s.channel for s in delivered.skipped] == ["wecom", "sms", "email"]


@pytest.mark.parametrize(
    ("phone", "region", "expected"),
    [
        ("13800138000", "CN", "+8613800138000"),
        ("138 0013 8000", "CN", "+8613800138000"),
        ("0086 138-0013-8000", "CN", "+8613800138000"),
        ("+86 138 0013 8000", "JP", "+8613800138000"),
        ("090-1234-5678", "JP", "+819012345678"),
        ("13800138000", "JP", None),
        ("12345", "CN", None),
        ("13800138000", None, None),
    ],
)
def test_phone_numbers_go_out_in_e164_or_not_at_all(
    phone: str, region: str | None, expected: str | None
) -> None:
    person = Traveller(id="t", phone=phone, preferred_channel=ReplyChannel.SMS)
    route = plan_route(person, None, EVERYTHING, region)
    sms = [h.address for h in route.hops if h.channel is ReplyChannel.SMS]
    assert sms == ([expected] if expected else [])
    if expected is None:
        assert [(s.channel, s.reason) for s in route.skipped] == [("sms", "invalid phone number")]


def test_the_travellers_own_region_wins_over_the_tenants() -> None:
    person = Traveller(id="t", phone="0912 345 678", region="tw", preferred_channel="sms")
    assert [h.address for h in plan_route(person, None, EVERYTHING, "CN").hops][:1] == [
        "+886912345678"
    ]


def test_a_redelivered_event_maps_to_the_same_delivery() -> None:
    assert delivery_id("m1", "trav-1", "in_app") == delivery_id("m1", "trav-1", "in_app")
    assert delivery_id("m1", "trav-1", "in_app") != delivery_id("m2", "trav-1", "in_app")
    assert delivery_id("m1", "trav-1", "in_app") != delivery_id("m1", "trav-1", "email")


def test_an_inbox_delivery_is_delivered_on_creation_and_announces_it() -> None:
    notice = only(notices_for(acknowledged("en"), "acme", NO_STAFF))
    route = plan_route(notice.recipient, notice.origin, frozenset()).hops
    delivery = Delivery.create(
        "acme", notice, Renderer().render(notice), route, source_message_id="m1", now=T0
    )

    (delivered,) = delivery.take_events()
    assert isinstance(delivered, events.NotificationDelivered)
    assert (delivered.ticket_id, delivered.recipient, delivered.template) == (
        "TC-1",
        "trav-1",
        "ticket_acknowledged",
    )
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)
    delivery.mark_read(T0 + timedelta(minutes=1))
    delivery.mark_read(T0 + timedelta(minutes=2))
    assert delivery.read_at == T0 + timedelta(minutes=1)


def test_a_bot_answer_reaches_the_traveller_in_the_answers_language() -> None:
    answered = events.TicketBotAnswered(
        ticket_id="TC-1",
        channel=events.Channel.IN_APP,
        traveller=Traveller(id="trav-1", language="en"),
        article_id="password-reset",
        title="重置密码",
        answer="在登录页点击“忘记密码”。",
        language="zh-Hans",
        confidence=0.95,
        threshold=0.93,
        reason="knowledge base match",
        answered_at=T0,
    )
    (notice,) = notices_for(answered, "acme", Directory())
    rendered = Renderer().render(notice)

    assert rendered.language == "zh-Hans"
    assert "忘记密码" in rendered.body
    assert "没有帮助" in rendered.body


def test_a_reroute_that_only_raises_urgency_tells_the_traveller_nothing_new() -> None:
    raised = events.TicketRouted(
        ticket_id="TC-1",
        traveller=TRAVELLER,
        queue="disruption",
        assignee="agent-7",
        priority=Priority.HIGH,
        first_response_due=T0,
        resolution_due=T0,
        reason="repeat contact raised urgency",
        rule="urgency-raised",
        routed_at=T0,
    )
    assert [n.template for n in notices_for(raised, "acme", Directory())] == []


def test_a_category_set_within_the_same_queue_tells_nobody_again() -> None:
    in_place = events.TicketRouted(
        ticket_id="TC-1",
        traveller=TRAVELLER,
        queue="finance",
        assignee="agent-7",
        category="invoice",
        priority=Priority.NORMAL,
        first_response_due=T0 + timedelta(minutes=30),
        resolution_due=T0 + timedelta(hours=24),
        reason="re-categorised by agent-7; queue finance by rule recategorised-in-place",
        rule="recategorised-in-place",
        routed_at=T0,
    )
    assert [n.template for n in notices_for(in_place, "acme", Directory())] == []


def escalated(*, queue: str = "expert", due_in: timedelta = timedelta(0)) -> events.TicketRouted:
    """Routing's re-publish at an SLA breach: the clocks keep their (passed) deadlines."""
    breached_at = T0 + timedelta(minutes=5, seconds=1)
    return events.TicketRouted(
        ticket_id="TC-1",
        traveller=TRAVELLER,
        queue=queue,
        assignee="expert-1",
        priority=Priority.CRITICAL,
        first_response_due=T0 + timedelta(minutes=5) + due_in,
        resolution_due=T0 + timedelta(hours=4),
        reason="SLA first_response breached: escalated to expert_team",
        rule="sla-escalated",
        routed_at=breached_at,
    )


def test_an_escalation_at_a_breach_repeats_no_promise_whose_deadline_has_passed() -> None:
    notices = notices_for(escalated(), "acme", NO_STAFF)

    assert [n.role for n in notices if n.role is Role.TRAVELLER] == []
    assert [n.template for n in notices] == [], "sla.breached tells the holder, by name"


def test_an_escalation_after_the_first_answer_tells_the_traveller_nothing() -> None:
    """A resolution (or supplier) breach keeps the first-response deadline of a reply already
    given, still ahead when the answer came early: the traveller was told "now with our senior
    specialist team, expect an answer by" that time, and the expert who kept the ticket a
    second "assigned to you" beside sla.breached's "it stays with you"."""
    after_answer = escalated(due_in=timedelta(minutes=30))

    assert notices_for(after_answer, "acme", NO_STAFF) == []


def test_a_routing_that_promises_a_deadline_still_ahead_is_told_with_that_deadline() -> None:
    rerouted = escalated(queue="disruption", due_in=timedelta(minutes=30))
    rerouted = rerouted.model_copy(
        update={
            "traveller": TRAVELLER.model_copy(update={"language": "zh-Hans"}),
            "rule": "reopened",
        }
    )

    (told,) = [n for n in notices_for(rerouted, "acme", NO_STAFF) if n.role is Role.TRAVELLER]
    body = Renderer().render(told).body
    assert "2026年11月25日 02:35（UTC）" in body
    assert "航班异常处理团队" in body


def test_deadlines_a_wait_moved_tell_nobody_not_even_a_critical_tickets_managers() -> None:
    moved = escalated(due_in=timedelta(hours=2)).model_copy(
        update={"rule": "sla-resumed", "account_manager": "am-1", "support_manager": "sm-1"}
    )

    assert notices_for(moved, "acme", NO_STAFF) == []


def test_the_category_a_transfer_set_tells_nobody() -> None:
    """``ticket.transferred`` told its agent; the category it implies is news to nobody."""
    category_set = escalated(due_in=timedelta(hours=2)).model_copy(
        update={"rule": "transferred", "previous_priority": Priority.HIGH}
    )

    assert notices_for(category_set, "acme", NO_STAFF) == []


def test_a_right_to_left_override_in_a_name_stops_at_the_name() -> None:
    """A name ending in U+202E turned the acknowledgement's words and link around."""
    event = acknowledged("en").model_copy(
        update={"traveller": Traveller(id="trav-1", name="Eve \u202eKCAJ", language="en")}
    )

    body = Renderer().render(only(notices_for(event, "acme", NO_STAFF))).body

    assert "Eve \u202eKCAJ\u202c, we received your message" in body


def transferred(**changes: object) -> events.TicketTransferred:
    values: dict[str, object] = {
        "ticket_id": "TC-1",
        "from_queue": "general",
        "to_queue": "finance",
        "from_assignee": "agent-7",
        "to_assignee": "agent-9",
        "by": "agent-7",
        "reason": "invoice question",
        "transferred_at": T0,
        "priority": Priority.HIGH,
        "traveller": TRAVELLER.model_copy(update={"name": "Li Lei"}),
    }
    return events.TicketTransferred.model_validate({**values, **changes})


def test_the_agent_a_transfer_names_is_told_it_is_theirs_as_for_an_assignment() -> None:
    directory = Directory(agents={"agent-9": Traveller(id="agent-9", language="en")})

    notice = only(notices_for(transferred(), "acme", directory))
    rendered = Renderer().render(notice)

    assert (notice.role, notice.recipient.id, notice.template) == (
        Role.AGENT,
        "agent-9",
        "ticket_transferred",
    )
    assert rendered.subject == "[high] Ticket TC-1 was transferred to you"
    assert "agent-7 transferred ticket TC-1 from Li Lei to you in the finance queue" in (
        rendered.body
    )
    assert "invoice question" in rendered.body


@pytest.mark.parametrize(
    "changes",
    [
        {"to_assignee": None},  # to a queue: dispatch's assignment tells its agent
        {"to_assignee": "agent-7", "by": "agent-7", "from_assignee": None},  # took it
        {"to_assignee": "agent-9", "from_assignee": "agent-9"},  # already theirs
    ],
    ids=["queue", "themselves", "unchanged"],
)
def test_no_agent_is_told_of_a_transfer_that_hands_nobody_a_ticket(
    changes: dict[str, object],
) -> None:
    assert notices_for(transferred(**changes), "acme", NO_STAFF) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_older_transfer_without_priority_or_traveller_still_tells_the_agent(
    language: str,
) -> None:
    older = transferred().model_dump(mode="json", exclude={"priority", "traveller", "reason"})
    directory = Directory(agents={"agent-9": Traveller(id="agent-9", language=language)})

    notice = only(notices_for(events.TicketTransferred.model_validate(older), "acme", directory))
    rendered = Renderer().render(notice)

    assert rendered.language == language
    assert "TC-1" in rendered.subject
    assert "[" not in rendered.subject
    assert "None" not in rendered.body


def test_a_bot_answered_ticket_taken_over_by_a_reply_tells_nobody_anew() -> None:
    """The traveller has the agent's answer and the agent replied themselves: routing's
    re-publish (rule taken-over) only brings the queue and deadlines to intake."""
    event = routed(assignee="agent-7").model_copy(update={"rule": "taken-over"})

    assert notices_for(event, "acme", NO_STAFF) == []
