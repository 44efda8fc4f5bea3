"""Every text in one language that TripCare can send or show a traveller or staff member,
for the wording tests (``test_ja_wording.py``, ``test_zh_hant_wording.py``): notify's
templates (their source, so every branch), routing's reasons as staff notices write them,
the team names, the knowledge base's answers (the bot's reply), intake's replies, markers and
tracking page, feedback's pages, and the dates and times notices write."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from contracts.local_time import local_date, local_span, local_text
from contracts.teams import DEFAULT_TEAM_NAMES, SUPPORT_TEAM
from services.intake.api.callbacks.common import PASSIVE_TEXT
from services.intake.channels.email import ATTACHMENTS_ONLY
from services.intake.channels.long_mail import SHORTENED
from services.notify.domain.fit import READ_ON
from services.notify.domain.routing_reasons import LANGUAGES as REASON_LANGUAGES
from services.notify.domain.routing_reasons import PHRASES as ROUTING_REASON_PHRASES
from services.notify.render import TEMPLATES
from services.routing.kb.articles import SEED_DIR

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {"notify", "routing", "team", "KB", "intake", "tracking", "feedback", "dates"}
"""The first word of every source's name: a test checks none went missing."""


def texts(language: str) -> Iterator[tuple[str, str]]:
    """(where, text) for every ``language`` text of the sources above."""
    for path in sorted((TEMPLATES / language).glob("*.j2")):
        yield f"notify template {path.name}", path.read_text(encoding="utf-8")
    yield "notify cut reply's link", READ_ON[language]
    column = 1 + REASON_LANGUAGES.index(language)
    yield "routing reasons", "\n".join(phrase[column] for phrase in ROUTING_REASON_PHRASES)
    yield "generic team name", SUPPORT_TEAM[language]
    for queue, names in DEFAULT_TEAM_NAMES.items():
        yield f"team name of {queue}", names[language]
    for path in sorted(SEED_DIR.glob("*.json")):
        translation = json.loads(path.read_text(encoding="utf-8"))["translations"][language]
        yield f"KB article {path.stem}", f"{translation['title']}\n{translation['answer']}"
    yield "intake passive reply", "\n".join(PASSIVE_TEXT[language])
    yield "intake attachments-only text", ATTACHMENTS_ONLY[language]
    yield "intake shortened-mail marker", "\n".join(SHORTENED[language].values())
    tracking = ROOT / "services/intake/templates/tracking/messages.json"
    for key, text in json.loads(tracking.read_text(encoding="utf-8")).items():
        yield f"tracking page {key}", text[language]
    feedback = ROOT / f"services/feedback/templates/messages/{language}.json"
    for key, text in json.loads(feedback.read_text(encoding="utf-8")).items():
        yield f"feedback page {key}", text
    day, moment = date(2026, 11, 26), datetime(2026, 11, 26, 5, 30, tzinfo=UTC)
    written = (
        local_date(day, language),
        local_span(day, day + timedelta(days=2), language),
        local_text(moment.astimezone(timezone(timedelta(hours=9))), language),
    )
    yield "dates and times", "\n".join(written)
