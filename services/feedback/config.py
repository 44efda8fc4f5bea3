"""Feedback's own settings (``TRIPCARE_FEEDBACK_*``): NPS cadence, appeals, retention."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.feedback.domain import SURVEY_TTL


class FeedbackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRIPCARE_FEEDBACK_", extra="ignore")

    nps_cadence_days: float = Field(
        default=90, ge=0, description="Ask a traveller for NPS at most once in this many days."
    )
    appeal_window_days: float = Field(
        default=30, gt=0, description="How long after a resolution it may be appealed."
    )
    retention_days: float = Field(
        default=400, gt=0, description="Facts, surveys and appeals quiet this long are archived."
    )
    archive_interval_s: float = Field(
        default=3600, gt=0, description="How often the archiver looks for old documents."
    )
    routing_url: str = Field(
        default="http://127.0.0.1:8002",
        description="Routing's API: open incidents on the dashboard.",
    )

    @model_validator(mode="after")
    def _keeps_what_is_still_live(self) -> FeedbackSettings:
        """Archiving must not take a ticket that can still be rated or appealed."""
        if self.retention < max(self.appeal_window, SURVEY_TTL):
            raise ValueError("retention_days must exceed the appeal window and the survey TTL")
        return self

    @property
    def nps_cadence(self) -> timedelta:
        return timedelta(days=self.nps_cadence_days)

    @property
    def appeal_window(self) -> timedelta:
        return timedelta(days=self.appeal_window_days)

    @property
    def archive_interval(self) -> timedelta:
        return timedelta(seconds=self.archive_interval_s)

    @property
    def retention(self) -> timedelta:
        return timedelta(days=self.retention_days)
