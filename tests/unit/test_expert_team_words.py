"""A traveller reads the expert desk by its team's name (``contracts/teams.py``) everywhere:
the routed notice of a VIP's critical ticket says "our senior specialist team", so the appeal
notices do not say "our expert team" of the same people."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts import events
from contracts.events import AppealLevel, Channel, Priority
from contracts.languages import LANGUAGES
from contracts.teams import DEFAULT_TEAM_NAMES
from services.notify.domain.notices import notices_for
from services.notify.domain.recipients import Directory
from services.notify.render import Renderer
from tests.factories import T0, TRAVELLER

FILED = events.AppealFiled(
    appeal_id="A-TC-1-1",
    ticket_id="TC-1",
    traveller=TRAVELLER,
    reason="charged twice",
    appeal_number=1,
    level=AppealLevel.EXPERT,
    appealed_resolution=1,
    via="survey",
    filed_at=T0,
)
DECIDED = events.TicketResolved(
    ticket_id="TC-1",
    channel=Channel.IN_APP,
    traveller=TRAVELLER,
    resolution_code="refunded",
    message="Refunded.",
    resolved_by="exp-2",
    opened_at=T0,
    first_response_at=T0,
    resolved_at=T0 + timedelta(hours=1),
    resolution_count=2,
    appeal_id="A-TC-1-1",
    appeal_number=1,
    appeal_level=AppealLevel.EXPERT,
)
ROUTED = events.TicketRouted(
    ticket_id="TC-1",
    traveller=TRAVELLER,
    queue="expert",
    priority=Priority.CRITICAL,
    first_response_due=T0 + timedelta(minutes=15),
    resolution_due=T0 + timedelta(hours=4),
    reason="VIP traveller",
    routed_at=T0,
)


def bodies(event: events.Event, language: str, renderer: Renderer) -> list[str]:
    event = event.model_copy(
        update={"traveller": TRAVELLER.model_copy(update={"language": language})}
    )
    told = [n for n in notices_for(event, "acme", Directory()) if n.recipient.id == TRAVELLER.id]
    return [renderer.render(n).body for n in told]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_appeal_notices_name_the_team_the_routed_notice_names(language: str) -> None:
    team = DEFAULT_TEAM_NAMES["expert"][language]
    [routed] = bodies(ROUTED, language, Renderer())
    assert team in routed

    for event in (FILED, DECIDED):
        [body] = bodies(event, language, Renderer())
        assert team in body
        assert "expert team" not in body


def test_a_renamed_expert_team_is_renamed_in_the_appeal_notices() -> None:
    renderer = Renderer(team_names={"expert": {"en": "escalations team"}})

    for event in (ROUTED, FILED, DECIDED):
        [body] = bodies(event, "en", renderer)
        assert "our escalations team" in body.lower()
