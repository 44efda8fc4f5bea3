"""A bad environment stops a service at start-up with a message an operator can act on:
every problem by its variable's name, no traceback, and no value repeated (keys, passwords)."""

from __future__ import annotations

import pytest

from runtime.settings import DEV_SECRETS_KEY, Settings, from_environment
from services.feedback.config import FeedbackSettings
from services.intake.config import IntakeSettings
from services.notify.config import NotifySettings
from services.routing.config import RoutingSettings


def refusal(cls: type[Settings]) -> str:
    with pytest.raises(SystemExit) as stopped:
        from_environment(cls)
    message = stopped.value.code
    assert isinstance(message, str), "SystemExit with a message: printed, exit status 1"
    return message


def test_each_bad_variable_is_named_and_no_value_is_repeated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRIPCARE_PREFETCH", "0")
    monkeypatch.setenv("TRIPCARE_STAFF_KEYS", '{"k1": "a-short-but-secret-value"}')
    monkeypatch.setenv("AMQP_URL", "rabbit.internal:5672")

    message = refusal(IntakeSettings)

    assert "TRIPCARE_PREFETCH: Input should be greater than or equal to 1" in message
    assert "TRIPCARE_STAFF_KEYS: key 'k1' is shorter than 32 bytes" in message
    assert "AMQP_URL: must be an amqp:// or amqps:// URL" in message
    assert "a-short-but-secret-value" not in message
    assert "input_value" not in message


def test_a_rule_across_variables_names_them_without_the_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRIPCARE_ENV", "production")
    monkeypatch.setenv("MONGO_URL", "mongodb://app:s3cret-store-password@db:27017/")

    message = refusal(NotifySettings)

    assert "TRIPCARE_ENV=production: set TRIPCARE_STAFF_KEYS, not the dev key" in message
    assert "s3cret-store-password" not in message


def test_a_ring_that_is_not_json_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPCARE_LINK_KEYS", "links-secret-not-json")

    message = refusal(Settings)

    assert "TRIPCARE_LINK_KEYS: not valid JSON" in message
    assert "links-secret-not-json" not in message


@pytest.mark.parametrize(
    ("cls", "variable", "value", "expected"),
    [
        (NotifySettings, "TRIPCARE_NOTIFY_SMTP_PORT", "smtp", "TRIPCARE_NOTIFY_SMTP_PORT: "),
        (RoutingSettings, "TRIPCARE_SLA_POLL_INTERVAL_S", "5", "TRIPCARE_SLA_POLL_INTERVAL_S: "),
        (RoutingSettings, "TRIPCARE_DISPATCH_SWEEP_S", "0", "TRIPCARE_DISPATCH_SWEEP_S: "),
        (Settings, "TRIPCARE_LOG_LEVEL", "LOUD", "TRIPCARE_LOG_LEVEL: must be one of"),
        (Settings, "TRIPCARE_SECRETS_KEY", "not-fernet", "TRIPCARE_SECRETS_KEY: must be a Fernet"),
        (Settings, "MONGO_URL", "mongodb://[::1", "MONGO_URL: not a MongoDB connection string"),
        (Settings, "TRIPCARE_OUTBOX_SWEEP_INTERVAL_S", "0", "TRIPCARE_OUTBOX_SWEEP_INTERVAL_S: "),
        (Settings, "TRIPCARE_STORE_RETRY_BUDGET_S", "-1", "TRIPCARE_STORE_RETRY_BUDGET_S: "),
        (FeedbackSettings, "TRIPCARE_FEEDBACK_RETENTION_DAYS", "1", "TRIPCARE_FEEDBACK_RETENTION"),
    ],
)
def test_values_checked_at_start_up_not_later(
    monkeypatch: pytest.MonkeyPatch, cls: type[Settings], variable: str, value: str, expected: str
) -> None:
    """Routing's SLA and dispatch parameters, the log level and the secrets key used to be
    read only while the app was built (a traceback from uvicorn, or a field name)."""
    monkeypatch.setenv(variable, value)

    assert expected in refusal(cls)


@pytest.mark.parametrize(
    ("cls", "variable", "value"),
    [
        (NotifySettings, "TRIPCARE_PORT", "99999"),
        (NotifySettings, "TRIPCARE_PORT", "0"),
        (IntakeSettings, "TRIPCARE_PORT", "65536"),
        (RoutingSettings, "TRIPCARE_PORT", "-1"),
        (FeedbackSettings, "TRIPCARE_PORT", "70000"),
        (NotifySettings, "TRIPCARE_NOTIFY_SMTP_PORT", "0"),
        (NotifySettings, "TRIPCARE_NOTIFY_SMTP_PORT", "65536"),
        (NotifySettings, "TRIPCARE_NOTIFY_SMTP_TIMEOUT_S", "0"),
        (Settings, "TRIPCARE_PREFETCH", "65536"),
        (Settings, "TRIPCARE_MAX_BODY_BYTES", "0"),
    ],
)
def test_numbers_out_of_range_are_refused(
    monkeypatch: pytest.MonkeyPatch, cls: type[Settings], variable: str, value: str
) -> None:
    """A port uvicorn cannot bind (it listened on a random one and said the bad one), an
    AMQP prefetch over the protocol's 16 bits, a body limit refusing every request."""
    monkeypatch.setenv(variable, value)

    assert f"{variable}: Input should be" in refusal(cls)


@pytest.mark.parametrize("value", ["1", "65535"])
def test_every_port_a_socket_can_have_is_taken(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("TRIPCARE_PORT", value)

    assert from_environment(IntakeSettings).port == int(value)


def test_a_good_environment_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPCARE_LOG_LEVEL", "debug")
    monkeypatch.setenv("MONGO_URL", "mongodb://a:1,b:2/?replicaSet=rs0&w=majority")

    assert from_environment(RoutingSettings).log_level == "DEBUG"


STAFF_KEYS = '{"s1": "an-operators-own-staff-key-0123456789"}'
LINK_KEYS = '{"l1": "an-operators-own-link-key-01234567890"}'


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "tripcare.internal", ""])
def test_development_on_the_public_keys_will_not_listen_beyond_loopback(
    monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    """The development keys are public: anyone reaching the port could mint admin tokens."""
    monkeypatch.setenv("TRIPCARE_HOST", host)

    message = refusal(NotifySettings)

    assert message.count("\n") == 1, "one line after the heading"
    assert (
        f"TRIPCARE_HOST={host} is not loopback and the development keys are public: set "
        "TRIPCARE_ENV=production with TRIPCARE_STAFF_KEYS and TRIPCARE_LINK_KEYS" in message
    )


SECRETS_KEY = "YW4tb3BlcmF0b3JzLW93bi1zZWNyZXRzLWtleS0wMTI="
OWN_KEYS = {"TRIPCARE_STAFF_KEYS": STAFF_KEYS, "TRIPCARE_LINK_KEYS": LINK_KEYS}


@pytest.mark.parametrize(
    "keys",
    [{}, OWN_KEYS, {**OWN_KEYS, "TRIPCARE_SECRETS_KEY": DEV_SECRETS_KEY}],
    ids=["public-rings", "public-secrets-key-unset", "public-secrets-key-set"],
)
def test_intakes_public_secrets_key_will_not_listen_beyond_loopback_either(
    monkeypatch: pytest.MonkeyPatch, keys: dict[str, str]
) -> None:
    """The development secrets key is public too: it opens the stored mailbox passwords."""
    monkeypatch.setenv("TRIPCARE_HOST", "0.0.0.0")
    for name, value in keys.items():
        monkeypatch.setenv(name, value)

    message = refusal(IntakeSettings)

    assert message.count("\n") == 1, "one line after the heading"
    assert (
        "TRIPCARE_HOST=0.0.0.0 is not loopback and the development keys are public: set "
        "TRIPCARE_ENV=production with TRIPCARE_STAFF_KEYS, TRIPCARE_LINK_KEYS and "
        "TRIPCARE_SECRETS_KEY" in message
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_development_listens_on_loopback_with_the_public_keys(
    monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    monkeypatch.setenv("TRIPCARE_HOST", host)

    assert from_environment(IntakeSettings).host == host


def test_development_listens_beyond_loopback_on_keys_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRIPCARE_HOST", "0.0.0.0")
    monkeypatch.setenv("TRIPCARE_STAFF_KEYS", STAFF_KEYS)
    monkeypatch.setenv("TRIPCARE_LINK_KEYS", LINK_KEYS)

    assert from_environment(NotifySettings).host == "0.0.0.0", "notify keeps no credentials"
    monkeypatch.setenv("TRIPCARE_SECRETS_KEY", SECRETS_KEY)
    assert from_environment(IntakeSettings).host == "0.0.0.0"
