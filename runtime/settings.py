"""Settings from the environment, one class for every service (pydantic-settings)."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.mail import DEFAULT_MAIL_DOMAIN


class Settings(BaseSettings):
    """Everything a service reads from its environment.

    ``AMQP_URL`` and ``MONGO_URL`` are read without prefix so that a real
    RabbitMQ cluster or MongoDB replica set can be pointed at unchanged; the
    rest use the ``TRIPCARE_`` prefix.
    """

    model_config = SettingsConfigDict(env_prefix="TRIPCARE_", extra="ignore")

    service: str = "intake"
    amqp_url: str = Field(
        default="amqp://guest:guest@127.0.0.1:5672/",
        validation_alias=AliasChoices("AMQP_URL", "TRIPCARE_AMQP_URL"),
    )
    mongo_url: str = Field(
        default="mongodb://127.0.0.1:27117/",
        validation_alias=AliasChoices("MONGO_URL", "TRIPCARE_MONGO_URL"),
    )
    namespace: str = Field(
        default="tripcare",
        pattern=r"^[a-z][a-z0-9_-]{0,40}$",
        description="Prefix of exchange, queue and database names.",
    )
    host: str = "127.0.0.1"
    port: int = 8001
    public_url: str = Field(default="", description="External base URL; defaults to host:port.")
    signing_secret: str = Field(
        default="dev-only-signing-secret-change-me",
        min_length=16,
        description="HMAC key of tracking and survey links.",
    )
    secrets_key: SecretStr | None = Field(
        default=None,
        description="Fernet key of credentials stored in the database; else from signing_secret.",
    )
    prefetch: int = Field(default=100, ge=1, description="Unacked messages per consumer channel.")
    delivery_limit: int = Field(default=5, ge=1, description="Redeliveries before dead-lettering.")
    store_retry_budget_s: float = Field(
        default=120.0, description="How long a consumer waits for an unreachable store."
    )
    outbox_sweep_interval_s: float = 1.0
    outbox_grace_s: float = Field(
        default=2.0, description="Age after which the sweeper publishes what the fast path has not."
    )
    config_cache_s: float = Field(
        default=2.0,
        ge=0,
        description="How long a process serves a tenant's configuration from memory.",
    )
    outbox_workers: int = Field(
        default=4, ge=1, description="Commits the relay's fast path publishes at once."
    )
    ingress_max_in_flight: int = Field(
        default=64, ge=1, description="Contact requests handled at once; more are refused (503)."
    )
    ingress_max_outbox_backlog: int = Field(
        default=1000,
        ge=0,
        description="Relay backlog above which contact requests are refused (503).",
    )
    ingress_max_ack_lag_s: float = Field(
        default=5.0,
        ge=0,
        description="Contact → acknowledgement lag (median of the last 5 s) above which contact "
        "requests are refused (503); above the slowest healthy channel's delivery time (an "
        "e-mail relay, an SMS gateway), so only a backlog trips it; 0 turns the check off.",
    )
    graceful_timeout_s: float = 15.0
    max_body_bytes: int = Field(default=2 * 1024 * 1024, description="Larger requests get 413.")
    log_level: str = "INFO"
    otel_console: bool = Field(default=False, description="Print spans to stdout (debugging).")
    mail_domain: str = Field(
        default=DEFAULT_MAIL_DOMAIN,
        pattern=r"^[A-Za-z0-9.-]+$",
        description="Domain of the Message-IDs notify writes and intake threads replies on.",
    )
    dev_login: bool = Field(
        default=False, description="Consoles offer a sign-in minting any staff token (local only)."
    )

    @property
    def database(self) -> str:
        """Each service owns one database."""
        return f"{self.namespace}_{self.service}".replace("-", "_")

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"
