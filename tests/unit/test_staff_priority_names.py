"""Staff notices name a ticket's priority in their own language.

An agent or manager whose directory entry says zh-Hans, zh-Hant or ja read
"[critical] SLA 预警" and "优先级由 high 提升为 critical": the English code inside a Chinese
or Japanese sentence. The priority now reads as the staff console names it (紧急, 高, 普通,
低; 通常 in Japanese), the code kept after it in parentheses — "紧急（critical）" — since it
is what the API, the console's filters and any mail rule on the subject tag match.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from contracts.events import Priority, Traveller
from contracts.languages import LANGUAGES
from services.notify.domain.notice import Notice
from services.notify.domain.priorities import PRIORITY_NAMES, priority_text
from services.notify.domain.recipients import Role
from services.notify.domain.templates import (
    ASSIGNED,
    SLA_BREACHED,
    SLA_BREACHED_FOR_MANAGEMENT,
    SLA_HANDED_OVER,
    SLA_WARNING,
    TRANSFERRED,
)
from services.notify.render import Renderer

CONSOLE = Path(__file__).resolve().parents[2] / "services/intake/templates/console/messages.json"
STAFF_TEMPLATES = (
    ASSIGNED,
    TRANSFERRED,
    SLA_WARNING,
    SLA_BREACHED,
    SLA_BREACHED_FOR_MANAGEMENT,
    SLA_HANDED_OVER,
)
VALUES = {
    "ticket_id": "TC-1",
    "priority": "critical",
    "previous_priority": "high",
    "queue": "disruption",
    "traveller": "Li Lei",
    "reason": "rule vip",
    "due": "2026年11月26日 14:30（UTC+08:00）",
    "deadline": "2026年11月26日 14:30（UTC+08:00）",
    "clock": "first_response",
    "level": "expert_team",
    "minutes_left": "7",
    "assigned": "yes",
    "kept": "",
    "previous_assignee": "agent-3",
    "holder": "agent-7",
    "by": "agent-2",
}
CODES = re.compile(r"\b(critical|high|normal|low)\b")
RENDERER = Renderer()


def _read(template: str, language: str, values: dict[str, str] = VALUES) -> str:
    agent = Traveller(id="agent-7", language=language)
    rendered = RENDERER.render(Notice("TC-1", agent, template, values, Role.AGENT))
    assert rendered.language == language
    return f"{rendered.subject}\n{rendered.body}"


@pytest.mark.parametrize("template", STAFF_TEMPLATES)
@pytest.mark.parametrize("language", ["zh-Hans", "zh-Hant", "ja"])
def test_a_staff_notice_names_the_priority_in_its_language(template: str, language: str) -> None:
    text = _read(template, language)
    critical = PRIORITY_NAMES[language][Priority.CRITICAL]

    assert f"{critical}（critical）" in text
    assert not CODES.search(re.sub(r"（[a-z]+）", "", text)), text


@pytest.mark.parametrize("template", [SLA_BREACHED, SLA_BREACHED_FOR_MANAGEMENT, SLA_HANDED_OVER])
def test_a_raised_priority_names_both_priorities(template: str) -> None:
    assert "由 高（high） 提升为 紧急（critical）" in _read(template, "zh-Hans")
    assert "高（high）から緊急（critical）に引き上げ" in _read(template, "ja")


def test_english_staff_notices_keep_the_code() -> None:
    assert _read(SLA_WARNING, "en").startswith("[critical] SLA warning: TC-1")
    assert _read(TRANSFERRED, "en", {**VALUES, "priority": ""}).startswith("Ticket TC-1 was")


def test_an_older_transfer_without_priority_names_none() -> None:
    text = _read(TRANSFERRED, "zh-Hant", {**VALUES, "priority": ""})

    assert "優先順序" not in text
    assert "（）" not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_names_are_the_staff_console_s(language: str) -> None:
    """One word per priority for staff, in their notices and on their console."""
    console = json.loads(CONSOLE.read_text(encoding="utf-8"))
    for priority in Priority:
        console_name = console[f"priority_{priority.value}"][language]
        if language == "en":
            assert priority_text(priority.value, language) == priority.value
        else:
            assert PRIORITY_NAMES[language][priority] == console_name


def test_a_code_without_a_name_is_shown_as_sent() -> None:
    assert priority_text("urgent", "ja") == "urgent"
    assert priority_text("", "ja") == ""
