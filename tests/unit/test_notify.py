"""What notify says to whom, in which language, and once per (event, recipient, channel)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts import events
from contracts.events import Priority, Traveller
from services.notify.domain import LANGUAGES, Delivery, Notice, delivery_id, notice_for
from services.notify.render import TEMPLATES, Renderer
from tests.factories import T0, TRAVELLER

TEMPLATE_NAMES = ("ticket_acknowledged", "ticket_routed", "ticket_resolved", "survey")


def acknowledged(language: str | None) -> events.TicketAcknowledged:
    return events.TicketAcknowledged(
        ticket_id="TC-1",
        channel=events.Channel.WECHAT,
        traveller=Traveller(id="trav-1", name="Aiko", language=language),
        tracking_url="https://track/abc",
        acknowledged_at=T0,
    )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_every_template_exists_in_every_language(language: str, template: str) -> None:
    assert (TEMPLATES / language / f"{template}.j2").is_file()


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
    notice = notice_for(acknowledged(language))
    assert notice is not None
    rendered = Renderer().render(notice)

    assert rendered.language == language
    assert expected in rendered.subject
    assert "https://track/abc" in rendered.body


def test_an_unknown_language_falls_back_to_english() -> None:
    notice = notice_for(acknowledged("ko"))
    assert notice is not None
    assert Renderer().render(notice).language == "en"


def test_a_missing_translation_falls_back_to_english(tmp_path: pytest.TempPathFactory) -> None:
    root = tmp_path  # type: ignore[assignment]
    (root / "en").mkdir()  # type: ignore[operator]
    (root / "en" / "hello.j2").write_text("{% set subject %}Hi{% endset %}Hello {{ who }}")  # type: ignore[operator]
    notice = Notice("TC-1", Traveller(id="t", language="ja"), "hello", {"who": "Aiko"})

    rendered = Renderer(root).render(notice)  # type: ignore[arg-type]

    assert (rendered.language, rendered.subject, rendered.body) == ("en", "Hi", "Hello Aiko")


def test_routing_notice_tells_the_expected_answer_time() -> None:
    routed = events.TicketRouted(
        ticket_id="TC-1",
        traveller=TRAVELLER,
        queue="general",
        priority=Priority.NORMAL,
        first_response_due=T0 + timedelta(minutes=30),
        resolution_due=T0 + timedelta(hours=24),
        reason="default",
        routed_at=T0,
    )
    notice = notice_for(routed)
    assert notice is not None
    assert "2026-11-25 02:30 UTC" in Renderer().render(notice).body


def test_events_travellers_need_not_hear_of_make_no_notice() -> None:
    assert (
        notice_for(events.FeedbackReceived(survey_id="s", ticket_id="TC-1", csat=4, received_at=T0))
        is None
    )


def test_a_redelivered_event_maps_to_the_same_delivery() -> None:
    assert delivery_id("m1", "trav-1", "in_app") == delivery_id("m1", "trav-1", "in_app")
    assert delivery_id("m1", "trav-1", "in_app") != delivery_id("m2", "trav-1", "in_app")
    assert delivery_id("m1", "trav-1", "in_app") != delivery_id("m1", "trav-1", "email")


def test_an_inbox_delivery_is_delivered_on_creation_and_announces_it() -> None:
    notice = notice_for(acknowledged("en"))
    assert notice is not None
    delivery = Delivery.to_inbox(
        "acme", notice, Renderer().render(notice), source_message_id="m1", now=T0
    )

    (delivered,) = delivery.take_events()
    assert isinstance(delivered, events.NotificationDelivered)
    assert (delivered.ticket_id, delivered.recipient, delivered.template) == (
        "TC-1",
        "trav-1",
        "ticket_acknowledged",
    )
    delivery.mark_read(T0 + timedelta(minutes=1))
    delivery.mark_read(T0 + timedelta(minutes=2))
    assert delivery.read_at == T0 + timedelta(minutes=1)
