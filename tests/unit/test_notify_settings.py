"""Notify reads every setting from one class: its own under their ``TRIPCARE_NOTIFY_`` names
only, the shared ones under the names every service uses; code passes them by field name.
"""

from __future__ import annotations

import pytest

from contracts.events import ReplyChannel
from services.notify.config import NotifySettings


def test_own_settings_are_read_under_their_notify_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPCARE_NOTIFY_SMTP_PORT", "2525")
    monkeypatch.setenv("TRIPCARE_NOTIFY_CONCURRENCY", "4")
    monkeypatch.setenv(
        "TRIPCARE_NOTIFY_GATEWAYS", '{"wecom": {"url": "https://gw", "secret": "0123456789abcdef"}}'
    )

    settings = NotifySettings()

    assert (settings.smtp_port, settings.concurrency) == (2525, 4)
    assert settings.gateways[ReplyChannel.WECOM].url == "https://gw"


def test_a_shared_variable_of_the_same_name_is_not_a_notify_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``TRIPCARE_CONCURRENCY`` may be another service's setting in a shared configuration."""
    monkeypatch.setenv("TRIPCARE_CONCURRENCY", "2")
    monkeypatch.setenv("TRIPCARE_SMTP_HOST", "elsewhere")

    settings = NotifySettings()

    assert (settings.concurrency, settings.smtp_host) == (16, "127.0.0.1")


def test_shared_settings_keep_their_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPCARE_NAMESPACE", "blue")
    monkeypatch.setenv("MONGO_URL", "mongodb://store:27017/")
    monkeypatch.setenv("TRIPCARE_PREFETCH", "50")

    settings = NotifySettings()

    assert (settings.namespace, settings.mongo_url, settings.prefetch) == (
        "blue",
        "mongodb://store:27017/",
        50,
    )
    assert (settings.service, settings.database) == ("notify", "blue_notify")


def test_code_passes_settings_by_field_name() -> None:
    settings = NotifySettings(namespace="green", smtp_host="", max_attempts=2, lease_s=5)

    assert (settings.namespace, settings.smtp_host) == ("green", "")
    assert (settings.retry_policy.max_attempts, settings.lease_s) == (2, 5)
