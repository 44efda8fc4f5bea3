"""A variable that is almost a setting's name (``TRIPCARE_AMPQ_URL``) was ignored without a
word: the service started on the default broker, and nothing said why the address given was
not used. Start-up now says which variable it ignores and which setting it resembles; the
variables the services share a ConfigMap with (each other's settings) never trigger it."""

from __future__ import annotations

import json

import pytest
from pydantic_settings import BaseSettings

from runtime.settings import Settings
from runtime.settings_errors import environment_names, misspelt
from services.feedback import main as feedback_main
from services.feedback.config import FeedbackSettings
from services.intake.config import IntakeSettings
from services.notify.config import NotifySettings
from services.routing.config import RoutingSettings

SERVICES: tuple[type[BaseSettings], ...] = (
    IntakeSettings,
    RoutingSettings,
    NotifySettings,
    FeedbackSettings,
)


async def test_a_misspelt_variable_is_named_at_start_up_with_the_setting_it_resembles(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRIPCARE_AMPQ_URL", "amqp://guest:secret@mq:5672/")
    monkeypatch.setenv("TRIPCARE_DELIVERY_LIMT", "10")
    app = feedback_main.bootstrap()
    await app.state.runtime.client.close()

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    said = [line["msg"] for line in lines if line["level"] == "WARNING"]
    assert any("TRIPCARE_AMPQ_URL" in line and "TRIPCARE_AMQP_URL" in line for line in said)
    assert any(
        "TRIPCARE_DELIVERY_LIMT" in line and "TRIPCARE_DELIVERY_LIMIT" in line for line in said
    )
    assert not any("secret" in line for line in said)


def test_no_service_takes_another_services_settings_for_typos() -> None:
    every = set().union(*(environment_names(cls) for cls in (Settings, *SERVICES)))
    every |= {"TRIPCARE_SERVICE", "TRIPCARE_TEST_STORE"}
    for cls in SERVICES:
        assert misspelt(cls, dict.fromkeys(every, "x")) == [], cls.__name__
