"""Every environment variable a service reads is in the docs an operator configures from:
the README's Configuration table or a service's page (notify's table names its
``TRIPCARE_NOTIFY_*`` variables without the prefix). Intake read
``TRIPCARE_REOPEN_WINDOW_H`` and ``TRIPCARE_REFERENCE_WINDOW_H`` with no word anywhere,
while docs/api.md gave their defaults, 7 days and 72 h, as fixed."""

from __future__ import annotations

import re
from pathlib import Path

from runtime.settings import Settings
from runtime.settings_errors import environment_names
from services.feedback.config import FeedbackSettings
from services.intake.config import IntakeSettings
from services.notify.config import NotifySettings
from services.routing.config import RoutingSettings

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {
    "intake": IntakeSettings,
    "routing": RoutingSettings,
    "notify": NotifySettings,
    "feedback": FeedbackSettings,
}


variables = environment_names


def documented(name: str, service: str) -> bool:
    everywhere = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    if any(re.search(rf"\b{name}\b", page.read_text()) for page in everywhere):
        return True
    page = ROOT / "docs" / f"{service}.md"
    short = name.removeprefix(f"TRIPCARE_{service.upper()}_")
    return page.exists() and short != name and f"`{short}`" in page.read_text()


def test_every_variable_a_service_reads_is_documented() -> None:
    missing = {
        (service, name)
        for service, settings in {"all": Settings, **SERVICES}.items()
        for name in variables(settings)
        if not documented(name, service)
    }
    assert sorted(missing) == []
