"""Feedback's one settings class: the runtime's settings and its own, under their old names."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from runtime.settings import Settings
from services.feedback.config import FeedbackSettings


def test_feedbacks_own_settings_keep_their_environment_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRIPCARE_FEEDBACK_APPEAL_WINDOW_DAYS", "10")
    monkeypatch.setenv("TRIPCARE_FEEDBACK_ROUTING_URL", "http://routing:8002")
    monkeypatch.setenv("TRIPCARE_NAMESPACE", "staging")
    settings = FeedbackSettings()
    assert (settings.appeal_window, settings.routing_url) == (
        timedelta(days=10),
        "http://routing:8002",
    )
    assert (settings.service, settings.namespace) == ("feedback", "staging")


def test_plain_settings_keep_what_was_given_and_feedback_fills_in_its_own() -> None:
    given = Settings(namespace="unit", port=8104)
    settings = FeedbackSettings.of(given)
    assert (settings.service, settings.namespace, settings.port) == ("feedback", "unit", 8104)
    assert settings.nps_cadence == timedelta(days=90)
    assert FeedbackSettings.of(settings) is settings


def test_retention_must_outlive_what_can_still_be_rated_or_appealed() -> None:
    with pytest.raises(ValidationError, match="retention_days"):
        FeedbackSettings(retention_days=10)
