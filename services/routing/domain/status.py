"""Where a case file stands, and the bot's answer when it gave one."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from services.routing.kb.domain import BotDecision

REOPENED_AFTER_BOT = "the bot's answer did not help: a person answers"
TAKEN_OVER = "a person took over from the bot's answer"
DISRUPTION_JOINED = "a disruption joined the ticket: a person takes it from the bot"
QUIET = (
    "list or bulk mail, or its sender asked for no automatic answer: never answered "
    "automatically (RFC 3834)"
)

WAITING_ON_TRAVELLER = "waiting_on_traveller"
WAITING_ON_SUPPLIER = "waiting_on_supplier"
WAITING = frozenset({WAITING_ON_TRAVELLER, WAITING_ON_SUPPLIER})
"""Intake's waiting statuses (``services.intake.domain.WAITING``), as ``ticket.status_changed``
names them."""


class CaseStatus(StrEnum):
    PENDING = "pending"
    """Created by an event that overtook ``ticket.opened``."""
    OPEN = "open"
    BOT_ANSWERED = "bot_answered"
    RESOLVED = "resolved"
    CLOSED = "closed"


class BotAnswer(BaseModel):
    article_id: str
    title: str
    language: str
    confidence: float
    answered_at: datetime

    @classmethod
    def given(cls, decision: BotDecision, now: datetime) -> tuple[BotAnswer, str]:
        """The answer a bot decision to answer gives, and its text in the answer's language."""
        match, language = decision.match, decision.language
        assert match is not None
        assert language is not None
        title, answer = match.answers[language]
        given = cls(
            article_id=match.article_id,
            title=title,
            language=language,
            confidence=match.score,
            answered_at=now,
        )
        return given, answer
