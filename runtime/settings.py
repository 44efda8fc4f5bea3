"""Settings from the environment, one class for every service (pydantic-settings)."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError
from pymongo.errors import InvalidURI
from pymongo.uri_parser import parse_uri

from contracts.mail import DEFAULT_MAIL_DOMAIN
from runtime.settings_errors import configuration_error
from runtime.signing import KID_PATTERN, MIN_SECRET_BYTES

Environment = Literal["development", "production"]
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEV_STAFF_KEYS = {"dev-staff": "dev-only-staff-key-not-for-production-0001"}
DEV_LINK_KEYS = {"dev-links": "dev-only-link-key-not-for-production-00001"}
DEV_SECRETS_KEY = "ZGV2LW9ubHktc2VjcmV0cy1rZXktbm90LWZvci1wcm8="
"""Public values, so ``make up`` and the tests need no configuration; production refuses them."""
MAX_MESSAGE_BYTES = 8 * 1024 * 1024
"""``max_message_bytes``' default (``runtime.consumer_policy``)."""
Port = Annotated[int, Field(ge=1, le=65535)]
"""A TCP port to listen on or connect to: uvicorn given 0 or more than 65535 binds a random
port while it logs the one it was given."""


def consumer_linger(default_ms: float) -> Any:
    """``consumer_linger_ms`` with a service's own default: a service whose consumed
    messages nobody waits on (routing, notify but its acknowledgements, feedback) lingers
    longer (#20)."""
    return Field(
        default=default_ms,
        ge=0,
        le=1000,
        description="How long a consumed message's load or write waits to share one store "
        "command with others, in collections that allow it (intake's tickets, routing's cases, "
        "care lookups and SLA timers, notify's deliveries but acknowledgements, feedback's "
        "facts and pulses); a request someone waits on never waits; 0 turns it off.",
    )


class Settings(BaseSettings):
    """Everything a service reads from its environment.

    ``AMQP_URL`` and ``MONGO_URL`` are read without prefix so that a real
    RabbitMQ cluster or MongoDB replica set can be pointed at unchanged; the
    rest use the ``TRIPCARE_`` prefix.
    """

    model_config = SettingsConfigDict(env_prefix="TRIPCARE_", extra="ignore")
    keeps_credentials: ClassVar[bool] = False
    """Whether the service seals credentials with ``TRIPCARE_SECRETS_KEY`` (intake)."""

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
    port: Port = 8001
    public_url: str = Field(default="", description="External base URL; defaults to host:port.")
    env: Environment = Field(
        default="development",
        description="production refuses development keys and dev sign-in, and marks cookies "
        "Secure and pages HSTS; the images set it (deploy/Dockerfile).",
    )
    api_docs: bool | None = Field(
        default=None, description="Serve /docs (Swagger UI); unset: in development only."
    )
    staff_keys: dict[str, SecretStr] = Field(
        default_factory=lambda: {k: SecretStr(v) for k, v in DEV_STAFF_KEYS.items()},
        min_length=1,
        description="JSON {kid: secret}: the first signs staff and gateway tokens, all verify.",
    )
    link_keys: dict[str, SecretStr] = Field(
        default_factory=lambda: {k: SecretStr(v) for k, v in DEV_LINK_KEYS.items()},
        min_length=1,
        description="JSON {kid: secret}: the first signs travellers' links, all verify.",
    )
    gateway_token_ttl_s: int = Field(
        default=300, ge=30, le=3600, description="Lifetime of a gateway's inbox token."
    )
    secrets_key: SecretStr | None = Field(
        default=None,
        description="Fernet key (32 url-safe base64 bytes) of credentials stored in the database "
        "(intake's mailboxes and channel keys); required in production, a public development "
        "key otherwise.",
    )
    prefetch: int = Field(
        default=100,
        ge=1,
        le=65535,
        description="Unacked messages per consumer channel (AMQP's prefetch count is 16 bits).",
    )
    delivery_limit: int = Field(default=5, ge=1, description="Redeliveries before dead-lettering.")
    store_retry_budget_s: float = Field(
        default=120.0, ge=0, description="How long a consumer waits for an unreachable store."
    )
    startup_retry_s: float = Field(
        default=60.0,
        ge=0,
        description="How long a starting process waits for an unreachable store or broker "
        "before it exits (status 3); 0: at the first failure.",
    )
    outbox_sweep_interval_s: float = Field(default=1.0, gt=0)
    outbox_grace_s: float = Field(
        default=2.0,
        ge=0,
        description="Age after which the sweeper publishes what the fast path has not.",
    )
    gateway_key_cache_s: float = Field(
        default=1.0,
        ge=0,
        le=300,
        description="How long an intake replica trusts a gateway key it read: a key revoked "
        "through another replica is refused within this (0: read the key on every request; "
        "at most a gateway token's default lifetime, so a revocation always takes hold).",
    )
    config_cache_s: float = Field(
        default=2.0,
        ge=0,
        description="How long a process serves a tenant's configuration from memory.",
    )
    consumer_linger_ms: float = consumer_linger(20.0)
    gc_young_threshold: int = Field(
        default=10_000,
        ge=0,
        description="Allocations between collections of the garbage collector's young "
        "generation, set once the service is up, when what start-up built is frozen out of "
        "the collector (runtime/heap.py); 0 leaves the collector as CPython sets it.",
    )
    store_command_metrics: bool = Field(
        default=False,
        description="Count store commands in /metrics (store_commands_total); costs a "
        "PyMongo command listener, so off unless measuring.",
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
        description="Outbox backlog (commits queued for the relay or overdue in the "
        "outbox: the broker is slow or down) above which contact requests are refused (503).",
    )
    ingress_max_ack_lag_s: float = Field(
        default=2.0,
        ge=0,
        description="Target for the wait from a contact to notify taking up its acknowledgement "
        "(from its publication when it waited in the outbox; median of the last 2 s; the "
        "channel's own delivery time is not in it): above it, a "
        "share of contact requests that grows with the excess is refused (503), below it the "
        "share shrinks back to none; 0 turns the check off.",
    )
    ingress_max_request_age_s: float = Field(
        default=0.0,
        ge=0,
        description="Target for how long contact requests wait before intake reads them, from "
        "the X-Request-Start a proxy in front stamps (median of the last 2 s): above it, a "
        "share of contact requests that grows with the excess is refused (503). 0 (the "
        "default) ignores the header: turn it on only behind a proxy that sets it, with its "
        "clock in step with intake's.",
    )
    graceful_timeout_s: float = Field(default=15.0, ge=0)
    max_body_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1, description="Larger requests get 413."
    )
    max_message_bytes: int = Field(
        default=MAX_MESSAGE_BYTES,
        ge=64 * 1024,
        description="Largest bus message body a consumer reads; a larger one is dead-lettered "
        "at once (rejected) without being parsed. The default is above the largest message "
        "the contracts allow: a channel.message of 1,000,000 characters, 6 MB with every "
        "one escaped as \\uXXXX.",
    )
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

    @field_validator("amqp_url")
    @classmethod
    def _amqp_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
            raise ValueError("must be an amqp:// or amqps:// URL naming the broker's host")
        return url

    @field_validator("mongo_url")
    @classmethod
    def _mongo_url(cls, url: str) -> str:
        if url.startswith("mongodb+srv://"):
            return url  # parsing it would look up DNS; the driver says what is wrong at start
        try:
            parse_uri(url)
        except (InvalidURI, ValueError) as exc:
            raise ValueError(f"not a MongoDB connection string ({exc})") from None
        return url

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, level: str) -> str:
        if level.upper() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level.upper()

    @field_validator("secrets_key")
    @classmethod
    def _fernet_key(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None:
            try:
                Fernet(key.get_secret_value().encode())
            except ValueError:
                raise ValueError(
                    "must be a Fernet key (32 url-safe base64-encoded bytes)"
                ) from None
        return key

    @field_validator("staff_keys", "link_keys")
    @classmethod
    def _keys_well_formed(cls, ring: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for kid, secret in ring.items():
            if not re.fullmatch(KID_PATTERN, kid):
                raise ValueError(f"key id {kid!r} must match {KID_PATTERN}")
            if len(secret.get_secret_value().encode()) < MIN_SECRET_BYTES:
                raise ValueError(f"key {kid!r} is shorter than {MIN_SECRET_BYTES} bytes")
        return ring

    @model_validator(mode="after")
    def _public_keys_stay_local(self) -> Self:
        """Development on its public keys listens on loopback only: anyone reaching the port
        could mint admin tokens with them, or open the credentials a service seals (a
        deployment that forgot ``TRIPCARE_ENV``)."""
        if not self.development or loopback(self.host):
            return self
        keys = {*self.staff_ring().values(), *self.link_ring().values()}
        names = "TRIPCARE_STAFF_KEYS and TRIPCARE_LINK_KEYS"
        if self.keeps_credentials:
            keys.add(self.secrets_box_key())
            names = "TRIPCARE_STAFF_KEYS, TRIPCARE_LINK_KEYS and TRIPCARE_SECRETS_KEY"
        if keys & {*DEV_STAFF_KEYS.values(), *DEV_LINK_KEYS.values(), DEV_SECRETS_KEY}:
            raise ValueError(
                f"TRIPCARE_HOST={self.host} is not loopback and the development keys are public: "
                f"set TRIPCARE_ENV=production with {names}"
            )
        return self

    @model_validator(mode="after")
    def _production_guard(self) -> Self:
        """Outside development, refuse what only a local run may use: start-up fails."""
        if self.env == "development":
            return self
        development = {*DEV_STAFF_KEYS.values(), *DEV_LINK_KEYS.values()}
        staff, links = set(self.staff_ring().values()), set(self.link_ring().values())
        if staff & development:
            raise ValueError(f"TRIPCARE_ENV={self.env}: set TRIPCARE_STAFF_KEYS, not the dev key")
        if links & development:
            raise ValueError(f"TRIPCARE_ENV={self.env}: set TRIPCARE_LINK_KEYS, not the dev key")
        if staff & links:
            raise ValueError(
                "staff and link keys must differ (a link key must mint no staff token)"
            )
        if self.dev_login:
            raise ValueError(f"TRIPCARE_ENV={self.env}: TRIPCARE_DEV_LOGIN is for local runs only")
        return self

    @property
    def development(self) -> bool:
        return self.env == "development"

    def staff_ring(self) -> dict[str, str]:
        return {kid: secret.get_secret_value() for kid, secret in self.staff_keys.items()}

    def secrets_box_key(self) -> str:
        """The key of credentials kept at rest; outside development it must be configured
        (a service that keeps credentials asks for it at start-up)."""
        if self.secrets_key is not None:
            key = self.secrets_key.get_secret_value()
            if key != DEV_SECRETS_KEY or self.development:
                return key
        if self.development:
            return DEV_SECRETS_KEY
        raise ValueError(f"TRIPCARE_ENV={self.env}: set TRIPCARE_SECRETS_KEY (a Fernet key)")

    def link_ring(self) -> dict[str, str]:
        return {kid: secret.get_secret_value() for kid, secret in self.link_keys.items()}

    @property
    def database(self) -> str:
        """Each service owns one database."""
        return f"{self.namespace}_{self.service}".replace("-", "_")

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


def loopback(host: str) -> bool:
    """Whether a listening address reaches this machine only (``localhost``, 127/8, ::1); a
    name, or "" (every address), may be reached from outside."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ServiceSettings(Settings):
    """A service's own settings beside the shared ones, each read only by its alias.

    Code may pass a setting by its field name; the environment names it only by its
    alias (``TRIPCARE_NOTIFY_CONCURRENCY``), never also by prefix and field name
    (``TRIPCARE_CONCURRENCY``), which a configuration shared by the four services may
    hold for another one.
    """

    model_config = SettingsConfigDict(env_prefix="TRIPCARE_", extra="ignore", validate_by_name=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        env_settings.config = {**env_settings.config, "validate_by_name": False}
        return init_settings, env_settings, dotenv_settings, file_secret_settings


S = TypeVar("S", bound=BaseSettings)


def from_environment(cls: type[S]) -> S:
    """The settings a process starts with. A missing or bad value ends the process with one
    line per problem naming its environment variable, and no traceback: the values are
    never repeated (they may be keys, or URLs with passwords)."""
    try:
        return cls()
    except (ValidationError, SettingsError) as exc:
        raise SystemExit(configuration_error(cls, exc)) from None
