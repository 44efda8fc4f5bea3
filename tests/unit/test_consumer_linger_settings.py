"""How long a consumed message's store operation waits for company is one setting,
``TRIPCARE_CONSUMER_LINGER_MS``, whose default is each service's own: short where an
HTTP request may join the batch (intake), longer where nobody waits on the consumer
(routing's cases, notify's notices but the acknowledgement, feedback's facts)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from runtime.settings import Settings
from services.feedback.config import FeedbackSettings
from services.notify.config import NotifySettings
from services.routing.config import RoutingSettings


def test_each_service_has_its_own_default() -> None:
    assert Settings().consumer_linger_ms == 20
    assert RoutingSettings().consumer_linger_ms == 100
    assert FeedbackSettings().consumer_linger_ms == 100
    assert NotifySettings().consumer_linger_ms == 100


def test_the_environment_sets_it_for_every_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPCARE_CONSUMER_LINGER_MS", "0")

    assert [s().consumer_linger_ms for s in (Settings, RoutingSettings, FeedbackSettings)] == [
        0,
        0,
        0,
    ]


@pytest.mark.parametrize("value", ["-1", "1001", "soon", "nan", "inf", ""])
def test_a_linger_out_of_bounds_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("TRIPCARE_CONSUMER_LINGER_MS", value)

    with pytest.raises(ValidationError, match="consumer_linger_ms"):
        FeedbackSettings()
