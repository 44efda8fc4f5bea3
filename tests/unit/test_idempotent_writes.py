"""Only a service with an endpoint that takes ``Idempotency-Key`` keeps first answers
(and so creates the ``idempotency`` collection's index at start-up)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from runtime.settings import Settings
from services.feedback.main import bootstrap as feedback_app
from services.intake.config import IntakeSettings
from services.intake.main import bootstrap as intake_app
from services.notify.config import NotifySettings
from services.notify.main import bootstrap as notify_app
from services.routing.main import bootstrap as routing_app

APPS: dict[str, tuple[Callable[[Any], FastAPI], type[Settings]]] = {
    "intake": (intake_app, IntakeSettings),
    "routing": (routing_app, Settings),
    "notify": (notify_app, NotifySettings),
    "feedback": (feedback_app, Settings),
}


def takes_idempotency_key(app: FastAPI) -> bool:
    """Whether any operation of the app's OpenAPI document reads the header."""
    return any(
        parameter.get("in") == "header" and parameter.get("name") == "Idempotency-Key"
        for path in app.openapi()["paths"].values()
        for operation in path.values()
        for parameter in operation.get("parameters", [])
    )


async def test_only_services_whose_endpoints_take_an_idempotency_key_keep_answers() -> None:
    kept = {}
    for service, (bootstrap, settings) in APPS.items():
        app = bootstrap(settings(service=service, namespace="unit"))
        runtime = app.state.runtime
        assert (runtime.idempotency is not None) == takes_idempotency_key(app), service
        kept[service] = runtime.idempotency is not None
        await runtime.client.close()

    assert kept == {"intake": True, "routing": True, "notify": False, "feedback": False}
