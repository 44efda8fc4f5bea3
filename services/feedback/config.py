"""Everything feedback reads from its environment: the runtime's settings and its own.

Its own keep their ``TRIPCARE_FEEDBACK_*`` names (NPS cadence, appeals,
retention, routing's address); the rest are ``runtime.settings.Settings``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from runtime.settings import Settings, consumer_linger
from services.feedback.domain.surveys import SURVEY_TTL


class FeedbackSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="TRIPCARE_", extra="ignore", populate_by_name=True)

    service: str = "feedback"
    consumer_linger_ms: float = consumer_linger(100.0)
    nps_cadence_days: float = Field(
        default=90,
        ge=0,
        validation_alias="TRIPCARE_FEEDBACK_NPS_CADENCE_DAYS",
        description="Ask a traveller for NPS at most once in this many days.",
    )
    appeal_window_days: float = Field(
        default=30,
        gt=0,
        validation_alias="TRIPCARE_FEEDBACK_APPEAL_WINDOW_DAYS",
        description="How long after a resolution it may be appealed.",
    )
    retention_days: float = Field(
        default=400,
        gt=0,
        validation_alias="TRIPCARE_FEEDBACK_RETENTION_DAYS",
        description="Facts, surveys and appeals quiet this long are archived.",
    )
    archive_interval_s: float = Field(
        default=3600,
        gt=0,
        validation_alias="TRIPCARE_FEEDBACK_ARCHIVE_INTERVAL_S",
        description="How often the archiver looks for old documents.",
    )
    routing_url: str = Field(
        default="http://127.0.0.1:8002",
        validation_alias="TRIPCARE_FEEDBACK_ROUTING_URL",
        description="Routing's API: open incidents on the dashboard.",
    )

    @classmethod
    def of(cls, settings: Settings | None = None) -> FeedbackSettings:
        """Feedback's settings; from plain ``Settings`` (as tools and tests build them) the
        runtime's values are kept and feedback's own read from the environment."""
        if isinstance(settings, cls):
            return settings
        return cls(**settings.model_dump(exclude_unset=True)) if settings is not None else cls()

    @model_validator(mode="after")
    def _keeps_what_is_still_live(self) -> Self:
        """Archiving must not take a ticket that can still be rated or appealed."""
        if self.retention < max(self.appeal_window, SURVEY_TTL):
            raise ValueError(
                "TRIPCARE_FEEDBACK_RETENTION_DAYS must exceed TRIPCARE_FEEDBACK_APPEAL_WINDOW_DAYS "
                "and the survey link's lifetime"
            )
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
