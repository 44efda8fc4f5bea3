"""Japanese notices put no space before a particle: "2026年12月8日のCA1501便", never
"2026年12月8日 の CA1501 便".

A space between a Latin code and kana or kanji is a style some writers keep ("チケット
TC-9"); one before の, に, は, を, が (or へ, で, と, から, まで, について) after a date, a
time or a code splits the phrase, as no Japanese writer would. Every ja template is rendered
here, each branch's values in turn, and every other ja text a traveller or staff member is
sent or shown (``tests/wording_sources.py``: routing's reasons, team names, the tracking
page, the dates) is scanned as written, its placeholders standing for the values.

Nor a space around a number inside a sentence ("残り5分", never "残り 5 分"), checked the same
way, the other texts' number placeholders standing for numbers; the staff console's ja
messages too ("{replied}件に返信しました", never "{replied} 件").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from contracts.local_time import local_date, local_span, local_text
from services.notify.domain.notice import Rendered
from services.notify.domain.templates import DIGEST, DISRUPTION, TEMPLATE_NAMES
from services.notify.render import Renderer
from tests.wording_sources import texts

LANGUAGE = "ja"
SPACE_BEFORE_PARTICLE = re.compile(
    r"\S[ \u3000](?:について|から|まで|より|への|の|に|は|を|が|へ|で|と)(?![A-Za-z0-9])"
)
"""A space after a word (a date, a time, a code, a placeholder) and before a particle."""
KANA_KANJI = r"[\u3005\u3040-\u30ff\u4e00-\u9fff]"
SPACED_NUMBER = re.compile(
    rf"{KANA_KANJI}[ \u3000]\d+(?:[.,]\d+)*(?![A-Za-z0-9_:\-])"
    rf"|(?<![A-Za-z0-9_\-.:/+])\d+(?:[.,]\d+)*[ \u3000]{KANA_KANJI}"
)
"""A space between kana or kanji and a number standing alone ("残り 5 分", "5 件"): not one
that is part of a code ("TC-9 は" is the particle rule's, "チケット TC-9" a style kept) nor the
time after a date ("2026年12月8日 17:59")."""
NUMBERS = {
    "count": "3",
    "revision": "2",
    "n": "4",
    "load": "3/5",
    "score": "0.82",
    "threshold": "0.75",
    "near": "0.80",
    "replied": "3",
    "skipped": "1",
    "limit": "500",
    "t": "5 min",
}
"""What the other texts' number placeholders stand for when they are scanned for numbers (the
console's SLA clock writes its minutes "5 min" in every language)."""
CONSOLE = Path(__file__).parents[2] / "services/intake/templates/console/messages.json"
MOMENT = datetime(2026, 12, 8, 8, 59, tzinfo=UTC).astimezone(timezone(timedelta(hours=9)))
DISRUPTION_KINDS = (
    "flight_delayed",
    "flight_cancelled",
    "flight_schedule_change",
    "flight_diverted",
    "hotel_overbooked",
    "hotel_closed",
    "hotel_reservation_not_found",
    "hotel_cancelled",
    "hotel_date_change",
    "train_delayed",
    "train_cancelled",
    "train_schedule_change",
    "car_no_show",
    "something_else",
)
VALUES: dict[str, Any] = {
    "ticket_id": "TC-20261208-0042",
    "name": "Sato",
    "link": "https://care.example/t/abc",
    "team": "サポートチーム",
    "queue": "general",
    "due": local_text(MOMENT, LANGUAGE),
    "deadline": local_text(MOMENT, LANGUAGE),
    "priority": "critical",
    "previous_priority": "high",
    "traveller": "Li Lei",
    "reason": "default",
    "by": "agent-7",
    "holder": "agent-8",
    "previous_assignee": "agent-7",
    "clock": "first_response",
    "level": "expert_team",
    "minutes_left": "5",
    "kept": "",
    "assigned": "yes",
    "message": "CA1502 便に振り替えました。",
    "files": "ticket.pdf: https://care.example/f/1",
    "title": "Rebooking",
    "answer": "Reply to this message.",
    "appeal_number": "2",
    "outcome": "resolved",
    "kind": "flight_cancelled",
    "reference": "CA1501",
    "service_date": local_date(date(2026, 12, 8), LANGUAGE),
    "departs": local_text(MOMENT, LANGUAGE),
    "delay": "45",
    "gate": "B12",
    "terminal": "T3",
    "platform": "7",
    "diverted_to": "PVG",
    "new_date": local_date(date(2026, 12, 9), LANGUAGE),
    "new_departure": local_text(MOMENT, LANGUAGE),
    "next_step": "rebooking",
    "on_schedule": "",
}
BRANCHES: tuple[dict[str, Any], ...] = (
    {},
    {"due": "", "name": "", "files": "", "message": "", "priority": "", "queue": ""},
    {"kept": "yes", "level": "management", "previous_priority": "critical"},
    {"assigned": "", "level": "senior_agent", "previous_assignee": "", "outcome": "closed"},
    {"level": "support_manager", "outcome": "merged", "appeal_number": "1"},
    {"service_date": local_span(date(2026, 12, 8), date(2026, 12, 10), LANGUAGE)},
    {"next_step": "none", "delay": "", "gate": "", "terminal": "", "new_date": ""},
)


def _variants() -> Iterator[tuple[str, dict[str, Any]]]:
    for name in TEMPLATE_NAMES:
        kinds = DISRUPTION_KINDS if name == DISRUPTION else (VALUES["kind"],)
        for kind in kinds:
            for number, branch in enumerate(BRANCHES):
                for on_schedule in ("", "yes") if name == DISRUPTION else ("",):
                    values = {**VALUES, **branch, "kind": kind, "on_schedule": on_schedule}
                    yield f"{name}/{kind}/{number}/{on_schedule}", values


def _render(name: str, values: dict[str, Any]) -> Rendered:
    renderer = Renderer()
    if name != DIGEST:
        return renderer._render(name, LANGUAGE, values)
    items = [renderer._render(n, LANGUAGE, values) for n in TEMPLATE_NAMES if n != DIGEST]
    entries = [{"subject": i.subject, "body": i.body} for i in items]
    digest = {"count": len(entries), "items": entries, "tickets": 2}
    return renderer.digest(LANGUAGE, {**digest, "one_request": bool(values["message"])})


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("2026年12月8日 の CA1501 便が欠航となりました", ["日 の"]),
        ("チケット TC-9 は解決いたしました", ["9 は"]),
        ("2026年12月8日 17:59（UTC+09:00） までにご回答", ["） まで"]),
        ("{agent} が {target} に転送", ["} が", "} に"]),
        ("2026年12月8日のCA1501便が欠航となりました", []),
        ("チケット TC-9の対応", []),
        ("SLA 超過：優先度 通常（normal）", []),
        ("（のりば 7）。", []),
    ],
)
def test_the_rule_finds_a_space_before_a_particle(text: str, found: list[str]) -> None:
    assert [m.group() for m in SPACE_BEFORE_PARTICLE.finditer(text)] == found


VARIANTS = list(_variants())
OTHER_TEXTS = [(w, t) for w, t in texts(LANGUAGE) if not w.startswith("notify template")]
CONSOLE_TEXTS = [
    (f"console {key}", text[LANGUAGE])
    for key, text in json.loads(CONSOLE.read_text(encoding="utf-8")).items()
]


@pytest.mark.parametrize(("where", "values"), VARIANTS, ids=[w for w, _ in VARIANTS])
def test_no_rendered_ja_notice_spaces_a_particle(where: str, values: dict[str, Any]) -> None:
    name = where.split("/")[0]
    rendered = _render(name, values)
    for part in (rendered.subject, rendered.body):
        found = SPACE_BEFORE_PARTICLE.findall(part)
        assert not found, f"{where}: a space before a particle in {part!r}"


@pytest.mark.parametrize(("where", "text"), OTHER_TEXTS, ids=[w for w, _ in OTHER_TEXTS])
def test_no_other_ja_text_spaces_a_particle(where: str, text: str) -> None:
    found = [m.group() for m in SPACE_BEFORE_PARTICLE.finditer(text)]
    assert not found, f"{where}: a space before a particle: {found}"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("残り 5 分です", ["り 5"]),
        ("お問い合わせに 3 件の更新", ["に 3"]),
        ("期限は 2026年12月8日 17:59（UTC+09:00）", ["は 2026"]),
        ("スコア 0.82、しきい値 0.75 未満", ["ア 0.82", "値 0.75"]),
        ("残り5分です", []),
        ("2026年12月8日 17:59（UTC+09:00）までに", []),
        ("チケット TC-20261208-0042 を", []),
        ("CA1502 便に振り替えました", []),
        ("SLA 超過", []),
        ("{replied} 件に返信", []),
        ("3 件に返信しました。1 件はスキップ", ["3 件", "1 件"]),
        ("各 10 MB まで", ["各 10"]),
        ("残り5 min", []),
        ("5 min 超過", []),
    ],
)
def test_the_rule_finds_a_space_by_a_number(text: str, found: list[str]) -> None:
    assert [m.group() for m in SPACED_NUMBER.finditer(text)] == found


@pytest.mark.parametrize(("where", "values"), VARIANTS, ids=[w for w, _ in VARIANTS])
def test_no_rendered_ja_notice_spaces_a_number(where: str, values: dict[str, Any]) -> None:
    rendered = _render(where.split("/")[0], {**values, "message": "ご確認ください。"})
    for part in (rendered.subject, rendered.body):
        found = SPACED_NUMBER.findall(part)
        assert not found, f"{where}: a space by a number in {part!r}"


@pytest.mark.parametrize(
    ("where", "text"), OTHER_TEXTS + CONSOLE_TEXTS, ids=[w for w, _ in OTHER_TEXTS + CONSOLE_TEXTS]
)
def test_no_other_ja_text_spaces_a_number(where: str, text: str) -> None:
    numbered = re.sub(r"\{(\w+)\}", lambda m: NUMBERS.get(m[1], m[0]), text)
    found = [m.group() for m in SPACED_NUMBER.finditer(numbered)]
    assert not found, f"{where}: a space by a number: {found}"
