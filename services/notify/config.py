"""Every setting notify reads: the shared ones (``runtime.settings``) and its own
(``TRIPCARE_NOTIFY_*``): gateways, SMTP, retries, rate limit, staff.

Notify's own settings keep their ``TRIPCARE_NOTIFY_`` names: each field's alias is its
environment variable, and code passes it by field name. Structured values
(``GATEWAYS``, ``DIRECTORY``) are JSON, as pydantic-settings reads them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from contracts.events import ReplyChannel
from contracts.teams import DEFAULT_TEAM_NAMES, TeamNames
from contracts.text import secret
from runtime.settings import Port, ServiceSettings, consumer_linger
from services.notify.domain.rate_limit import RateLimit
from services.notify.domain.recipients import Directory
from services.notify.domain.retry import RetryPolicy


class Gateway(BaseModel):
    """A channel gateway's webhook: where notify POSTs a message and the key it signs with."""

    model_config = ConfigDict(frozen=True)

    url: str = Field(pattern=r"^https?://")
    secret: Annotated[SecretStr, secret(min_length=16, max_length=1024)]
    timeout_s: float = Field(default=10.0, gt=0)


class SmsProvider(BaseModel):
    """An SMS provider's HTTP API (Twilio's Messages API, or a service speaking it)."""

    model_config = ConfigDict(frozen=True)

    provider: Literal["twilio"] = "twilio"
    url: str = Field(default="https://api.twilio.com", pattern=r"^https?://")
    account: str = Field(min_length=1, description="Account SID: the path and the user name.")
    token: Annotated[SecretStr, secret(min_length=1, max_length=1024)] = Field(
        description="Auth token: the password."
    )
    sender: str = Field(min_length=1, description="From: an E.164 number or a sender id.")
    timeout_s: float = Field(default=10.0, gt=0)


class NotifySettings(ServiceSettings):
    service: str = "notify"
    consumer_linger_ms: float = consumer_linger(100.0)

    gateways: dict[ReplyChannel, Gateway] = Field(
        default_factory=dict,
        validation_alias="TRIPCARE_NOTIFY_GATEWAYS",
        description='Per channel (sms, wechat, wecom, dingtalk, web_chat): {"url", "secret"}.',
    )
    smtp_host: str = Field(
        default="127.0.0.1",
        validation_alias="TRIPCARE_NOTIFY_SMTP_HOST",
        description="Empty: no e-mail channel.",
    )
    smtp_port: Port = Field(default=8025, validation_alias="TRIPCARE_NOTIFY_SMTP_PORT")
    smtp_sender: str = Field(
        default="TripCare Support <support@tripcare.example>",
        validation_alias="TRIPCARE_NOTIFY_SMTP_SENDER",
    )
    smtp_username: str | None = Field(
        default=None, validation_alias="TRIPCARE_NOTIFY_SMTP_USERNAME"
    )
    smtp_password: SecretStr | None = Field(
        default=None, validation_alias="TRIPCARE_NOTIFY_SMTP_PASSWORD"
    )
    smtp_starttls: bool = Field(default=False, validation_alias="TRIPCARE_NOTIFY_SMTP_STARTTLS")
    smtp_timeout_s: float = Field(
        default=10.0, gt=0, validation_alias="TRIPCARE_NOTIFY_SMTP_TIMEOUT_S"
    )
    attachment_max_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=0,
        validation_alias="TRIPCARE_NOTIFY_ATTACHMENT_MAX_BYTES",
        description="Files of one e-mail, fetched from intake; larger ones go as links only.",
    )
    max_attempts: int = Field(
        default=5,
        ge=1,
        validation_alias="TRIPCARE_NOTIFY_MAX_ATTEMPTS",
        description="Attempts per channel.",
    )
    backoff_base_s: float = Field(
        default=3.0, gt=0, validation_alias="TRIPCARE_NOTIFY_BACKOFF_BASE_S"
    )
    backoff_cap_s: float = Field(
        default=300.0, gt=0, validation_alias="TRIPCARE_NOTIFY_BACKOFF_CAP_S"
    )
    rate_limit: int = Field(
        default=3,
        ge=1,
        validation_alias="TRIPCARE_NOTIFY_RATE_LIMIT",
        description="Messages per recipient and channel…",
    )
    rate_window_s: float = Field(
        default=300.0,
        gt=0,
        validation_alias="TRIPCARE_NOTIFY_RATE_WINDOW_S",
        description="…in any window this long.",
    )
    poll_interval_s: float = Field(
        default=0.5,
        gt=0,
        validation_alias="TRIPCARE_NOTIFY_POLL_INTERVAL_S",
        description="How often due work is looked for.",
    )
    lease_s: float = Field(
        default=60.0,
        gt=0,
        validation_alias="TRIPCARE_NOTIFY_LEASE_S",
        description="An attempt with no outcome after this is retried.",
    )
    concurrency: int = Field(
        default=16,
        ge=1,
        validation_alias="TRIPCARE_NOTIFY_CONCURRENCY",
        description="Recipients served at once.",
    )
    sms: SmsProvider | None = Field(
        default=None,
        validation_alias="TRIPCARE_NOTIFY_SMS",
        description="SMS over a provider's API; takes precedence over an sms gateway webhook.",
    )
    phone_region: str = Field(
        default="CN",
        pattern=r"^[A-Za-z]{2}$",
        validation_alias="TRIPCARE_NOTIFY_PHONE_REGION",
        description="Region of phone numbers without a country code (after the traveller's "
        "and the tenant's).",
    )
    phone_regions: dict[str, str] = Field(
        default_factory=dict,
        validation_alias="TRIPCARE_NOTIFY_PHONE_REGIONS",
        description="Tenant id → its travellers' default phone region.",
    )
    directory: Directory = Field(
        default_factory=Directory, validation_alias="TRIPCARE_NOTIFY_DIRECTORY"
    )
    team_names: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        validation_alias="TRIPCARE_NOTIFY_TEAM_NAMES",
        description='Queue id → {"en": "booking team", "zh-Hans": …}; over the defaults.',
    )

    @property
    def teams(self) -> TeamNames:
        """The default queues' names, with the configured ones added or replacing them."""
        return {**DEFAULT_TEAM_NAMES, **self.team_names}

    def region_of(self, tenant_id: str) -> str:
        """Where a tenant's travellers' national phone numbers are read."""
        return self.phone_regions.get(tenant_id) or self.phone_region

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.max_attempts,
            base=timedelta(seconds=self.backoff_base_s),
            cap=timedelta(seconds=self.backoff_cap_s),
        )

    @property
    def rate(self) -> RateLimit:
        return RateLimit(limit=self.rate_limit, window=timedelta(seconds=self.rate_window_s))
