"""The language a ticket speaks after the traveller writes again (intake's domain rule),
and how confidently intake reads a follow-up's language."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts import events
from contracts.events import Traveller
from services.intake.channels.language import confident_languages, written_in
from services.intake.domain.language import language_after_follow_up
from services.notify.domain.notice import language_of
from tests.factories import T0, contact
from tests.unit.test_threading import intake
from tests.unit.test_ticket import opened_ticket

GUESSED = Traveller(id="t-1", detected_language="en")
"""Their first mail was a one-word "Hi": English, guessed."""
STATED = Traveller(id="t-1", language="zh-Hant", detected_language="zh-Hant")
"""They chose Traditional Chinese in the app."""
NOBODY_KNOWS = Traveller(id="t-1")
STATED_TW = Traveller(id="t-1", language="zh-TW")
SAYS_JA = Traveller(id="t-1", language="ja-JP")
SAYS_HK = Traveller(id="t-1", language="zh-HK")
SAYS_FR = Traveller(id="t-1", language="fr")
COLLEAGUE = Traveller(id="colleague")
EITHER_ZH = ("zh-Hans", "zh-Hant")
"""A Chinese text whose characters read the same in both scripts."""
TO_JA = ("ja", None, "ja")
TO_HANS = ("zh-Hans", None, "zh-Hans")
NOW_JA = ("ja", "ja-JP", "zh-Hant")
"""(ticket language, traveller.language, traveller.detected_language) after the follow-up."""
LATER = timedelta(minutes=5)
JAPANESE = "明日の便を変更したいのですが、午後の便に空席はありますか。"
ENGLISH = "Switching to English so my manager can follow this, please rebook the flight."


@pytest.mark.parametrize(
    ("case", "language", "traveller", "writer", "written", "expected"),
    [
        ("short follow-up: no guess", "en", GUESSED, GUESSED, (), None),
        ("same language", "en", GUESSED, GUESSED, ("en",), None),
        ("confident switch", "en", GUESSED, GUESSED, ("ja",), ("ja", None, "ja")),
        ("either Chinese, one already", "zh-Hant", GUESSED, GUESSED, EITHER_ZH, None),
        ("either Chinese, from English", "en", GUESSED, GUESSED, EITHER_ZH, TO_HANS),
        ("no language yet (proactive)", None, NOBODY_KNOWS, NOBODY_KNOWS, ("ja",), TO_JA),
        ("stated language beats a guess", "zh-Hant", STATED, GUESSED, ("en",), None),
        ("stated regional tag beats a guess", "zh-Hant", STATED_TW, GUESSED, ("en",), None),
        ("someone else on the thread", "en", GUESSED, COLLEAGUE, ("ja",), None),
        ("a new statement replaces the old", "zh-Hant", STATED, SAYS_JA, ("en",), NOW_JA),
        ("the same statement again", "zh-Hant", STATED, SAYS_HK, ("en",), None),
        ("an unsupported one is no statement", "en", GUESSED, SAYS_FR, ("ja",), TO_JA),
    ],
)
def test_the_language_follows_the_latest_confident_message_unless_one_was_stated(
    case: str,
    language: str | None,
    traveller: Traveller,
    writer: Traveller,
    written: tuple[str, ...],
    expected: tuple[str, str | None, str | None] | None,
) -> None:
    after = language_after_follow_up(language, traveller, writer, written)
    if expected is None:
        assert after is None, case
    else:
        assert after is not None, case
        speaks = (after.language, after.traveller.language, after.traveller.detected_language)
        assert speaks == expected, case


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ok", ()),
        ("Thanks!", ()),
        ("Hi", ()),
        ("Thank you very much", ()),
        ("CA1501 / PNR ABC123", ()),
        ("ありがとうございます", ()),
        ("谢谢您的帮助", ()),
        ("https://www.example.com/booking/confirm/change/flight/today", ()),
        ("booking一直pending怎么办，请帮我看一下", ()),
        (JAPANESE, ("ja",)),
        (ENGLISH, ("en",)),
        ("我的航班被取消了，请帮我改签到明天上午", ("zh-Hans",)),
        ("我的航班被取消了，請幫我改簽到明天上午", ("zh-Hant",)),
        ("今天下午到上海，明天早上回北京。", ("zh-Hans", "zh-Hant")),
    ],
)
def test_only_a_long_enough_unmixed_text_says_its_language(
    text: str, expected: tuple[str, ...]
) -> None:
    assert confident_languages(text) == expected


def test_the_gateways_hint_for_the_message_is_its_language_whatever_its_length() -> None:
    assert written_in(contact(text="ok", language_hint="ja-JP")) == ("ja",)
    assert written_in(contact(text="ok")) == ()


def test_a_confident_switch_changes_the_ticket_logs_it_and_travels_on_its_events() -> None:
    ticket = opened_ticket(traveller=Traveller(id="t-1"), text="Hi")
    ticket.language = "en"
    ticket.traveller = ticket.traveller.model_copy(update={"detected_language": "en"})
    ticket.take_events()
    later = contact(traveller=Traveller(id="t-1"), channel_message_id="m2", text=JAPANESE)

    ticket.follow_up(later, "c2", T0 + LATER, written_in(later))

    assert (ticket.language, ticket.traveller.detected_language) == ("ja", "ja")
    entry = ticket.timeline[-1]
    assert (entry.kind, entry.details) == ("language", {"from": "en", "to": "ja", "by": "guess"})
    (followed,) = ticket.take_events()
    assert isinstance(followed, events.TicketFollowedUp)
    assert followed.traveller.detected_language == "ja"
    ticket.reply(message="承知しました", agent="agent-7", now=T0 + 2 * LATER)
    (replied,) = ticket.take_events()
    assert isinstance(replied, events.TicketReplied)
    assert (replied.language, replied.traveller.detected_language) == ("ja", "ja")


def test_a_short_follow_up_leaves_the_language_and_the_timeline_alone() -> None:
    ticket = opened_ticket(traveller=Traveller(id="t-1"))
    later = contact(traveller=Traveller(id="t-1"), channel_message_id="m2", text="ok")

    ticket.follow_up(later, "c2", T0 + LATER, written_in(later))

    assert (ticket.language, ticket.traveller.detected_language) == ("zh-Hans", "zh-Hans")
    assert "language" not in [entry.kind for entry in ticket.timeline]


def test_a_stated_language_is_kept_against_a_confident_guess() -> None:
    ticket = opened_ticket()  # Li Lei chose zh-Hans
    later = contact(channel_message_id="m2", text=ENGLISH)

    ticket.follow_up(later, "c2", T0 + LATER, written_in(later))

    assert (ticket.language, ticket.traveller.language) == ("zh-Hans", "zh-Hans")


@pytest.mark.parametrize(
    ("preferred", "hint", "text", "served"),
    [
        ("fr", None, "My flight to Paris was cancelled", "en"),
        ("fr", None, "我的航班被取消了，需要改签", "zh-Hans"),
        ("klingon", None, "My flight to Paris was cancelled", "en"),
        ("ja-JP", None, "My flight to Paris was cancelled", "ja"),
        ("zh-TW", None, "My flight to Paris was cancelled", "zh-Hant"),
        ("en-GB", None, "我的航班被取消了", "en"),
        ("fr", "zh-HK", "My flight to Paris was cancelled", "zh-Hant"),
        (None, "fr", "航班が欠航になりました", "ja"),
    ],
)
async def test_a_ticket_serves_a_supported_language_and_keeps_the_stated_preference(
    preferred: str | None, hint: str | None, text: str, served: str
) -> None:
    """A real-world tag maps onto the language it names (ja-JP → ja); one TripCare does not
    speak (fr) stays the traveller's preference, and the ticket speaks what they wrote."""
    desk, _, _ = intake()
    traveller = Traveller(id="t-1", language=preferred)

    ticket, _ = await desk.receive_contact(
        "acme", contact(traveller=traveller, language_hint=hint, text=text)
    )

    assert (ticket.language, ticket.traveller.language) == (served, preferred)


@pytest.mark.parametrize(
    ("preferred", "hint", "text", "served"),
    [
        ("en", "ja", "My flight to Osaka was cancelled, please rebook me", "en"),
        ("zh-Hant", "en-US", "我的航班被取消了，需要改签", "zh-Hant"),
        ("ja-JP", "zh-CN", "航班が欠航になりました", "ja"),
        ("fr", "ja", "My flight to Osaka was cancelled, please rebook me", "ja"),
        (None, "ja", "My flight to Osaka was cancelled, please rebook me", "ja"),
    ],
)
async def test_the_travellers_stated_language_beats_the_gateways_hint(
    preferred: str | None, hint: str, text: str, served: str
) -> None:
    """The profile's language is the traveller's own choice; the hint is the device's or the
    IVR's reading of one message (docs/api.md). The ticket used to speak the hint while
    notify's acknowledgement spoke the preference: they now agree."""
    desk, _, _ = intake()
    traveller = Traveller(id="t-1", language=preferred)

    ticket, _ = await desk.receive_contact(
        "acme", contact(traveller=traveller, language_hint=hint, text=text)
    )

    assert ticket.language == served
    assert language_of(ticket.traveller, ticket.language) == served
