"""A notice that tells a traveller what to press names it as the page they land on does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contracts import events
from contracts.events import Traveller
from contracts.languages import LANGUAGES
from services.notify.domain.notices import notices_for
from services.notify.domain.recipients import Directory
from services.notify.render import Renderer
from tests.factories import T0

TRACKING_PAGE = Path(__file__).parents[2] / "services/intake/templates/tracking/messages.json"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_bot_answer_names_the_tracking_pages_did_not_help_button(language: str) -> None:
    """The Japanese notice said to choose 「解決しなかった」; the page's button reads
    「解決しませんでした」, so a traveller looked for a button that is not there."""
    button = json.loads(TRACKING_PAGE.read_text(encoding="utf-8"))["not_helped"][language]
    answered = events.TicketBotAnswered(
        ticket_id="TC-1",
        channel=events.Channel.IN_APP,
        traveller=Traveller(id="trav-1"),
        article_id="password-reset",
        title="Password",
        answer="Use the login page.",
        language=language,
        confidence=0.95,
        threshold=0.93,
        reason="knowledge base match",
        answered_at=T0,
    )
    (notice,) = notices_for(answered, "acme", Directory())

    assert button in Renderer().render(notice).body
