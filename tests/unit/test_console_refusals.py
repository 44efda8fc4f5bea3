"""Every refusal the agent console shows is in the reader's language (docs/consoles.md).

The APIs answer a refusal in English ("a routed ticket cannot resume"); the console
looked up nothing and showed that English text to a zh-Hant desk. Each refusal now
carries a stable code (``contracts.refusals.Reason``) that the console says in its own
words. Two scans keep it so: every code in the source has words in the console's
table, and every action in every status, with every kind of bad input, read in
zh-Hans, zh-Hant and ja, shows no English sentence.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from httpx import MockTransport

from contracts.events import AppealLevel
from contracts.refusals import Reason
from runtime.staff_session import COOKIE
from services.intake.attachments import AttachmentPolicy, IncomingFile, check
from services.intake.domain import Decider, NotTheReviewer, TicketStatus
from services.intake.domain.appeal_review import PendingAppeal, check_decider
from services.intake.pages.refusals import refusal_text, say
from services.intake.routing_reader import RoutingReader
from services.intake.service import FilesRefused
from tests.factories import T0
from tests.unit.test_agent_actions import Routing
from tests.unit.test_consoles import Desk, desk  # noqa: F401

ROOT = Path(__file__).parents[2]
TABLE = json.loads((ROOT / "services/intake/templates/console/messages.json").read_text("utf-8"))
SOURCES = [*(ROOT / "contracts").rglob("*.py"), *(ROOT / "services/intake").rglob("*.py")]
CODE = re.compile(r"""Reason\(\s*"(\w+)"|\{"code": "(\w+)"\}""")
ENGLISH = re.compile(r"[A-Za-z]{3,}[ ,]+(?:[a-z]{2,} )+[a-z]{2,}")
"""Three English words in a row: a sentence, not an id, a field name or a file name."""
ASIAN = ("zh-Hans", "zh-Hant", "ja")
VALID = {
    "reply": {"message": "好的"},
    "note": {"text": "已致电航空公司"},
    "transfer": {"queue": "finance"},
    "wait": {"on": "traveller"},
    "resume": {},
    "resolve": {"resolution_code": "rebooked", "message": "已改签"},
}
BAD = [
    ("note", {"text": "a\x00b"}),
    ("note", {"text": "a\x07b"}),
    ("note", {"text": "\u200b"}),
    ("transfer", {"queue": "fin\nance"}),
    ("transfer", {"queue": "no-such-queue"}),
    ("transfer", {"assignee": "nobody-at-all"}),
    ("transfer", {"reason": "wrong desk"}),
    ("resolve", {"resolution_code": "a\x1bb", "message": "ok"}),
    ("wait", {"on": "godot"}),
    ("note", {"text": "x" * 30_000}),
]


def codes_in_source() -> set[str]:
    found = set()
    for path in SOURCES:
        for match in CODE.finditer(path.read_text("utf-8")):
            found.add(match.group(1) or match.group(2))
    return found


def test_every_refusal_code_in_the_source_has_the_consoles_words() -> None:
    codes = codes_in_source()
    assert {"illegal_transition", "unknown_queue", "text_line_break"} <= codes  # the scan sees
    assert sorted(c for c in codes if f"refusal_{c}" not in TABLE) == []


def alert(page: str) -> str:
    found = re.search(r'<div class="errors" role="alert">(.*?)</div>', page, re.S)
    assert found, page[:500]
    return html.unescape(found.group(1))


@pytest.mark.parametrize("language", ASIAN)
async def test_no_refused_action_in_any_status_speaks_english(
    desk: Desk,  # noqa: F811
    language: str,
) -> None:
    desk.console.routing = RoutingReader(
        "http://routing", transport=MockTransport(Routing().answer)
    )
    desk.http.cookies.set(COOKIE, desk.token)
    shown: dict[str, str] = {}
    for status in TicketStatus:
        await desk.intake.act("acme", desk.ticket_id, lambda t, s=status: setattr(t, "status", s))
        tries = [*VALID.items(), *(BAD if status is TicketStatus.ROUTED else [])]
        for action, form in tries:
            url = f"/console/tickets/{desk.ticket_id}/{action}?lang={language}"
            answer = await desk.http.post(url, data=form)
            if answer.status_code >= 400:
                shown[f"{status.value} {action} {str(form)[:60]}"] = alert(answer.text)
            else:  # done: back to the status under test
                await desk.intake.act(
                    "acme", desk.ticket_id, lambda t, s=status: setattr(t, "status", s)
                )

    assert len(shown) > 20, shown
    assert {case: text for case, text in shown.items() if ENGLISH.search(text)} == {}


@pytest.mark.parametrize("language", ASIAN)
def test_refused_files_are_named_with_why_in_the_readers_words(language: str) -> None:
    limits = AttachmentPolicy()
    files = [
        IncomingFile("empty.pdf", "application/pdf", b""),
        IncomingFile("setup.exe", "application/octet-stream", b"MZ\x90\x00" * 30),
        IncomingFile("huge.pdf", "application/pdf", b"%PDF-" + b"0" * limits.max_file_bytes),
    ]
    words = {key: row[language] for key, row in TABLE.items()}
    refused = [c for c in check(files, limits) if not c.kept]
    texts = [
        refusal_text(FilesRefused(refused), words, "reply"),
        refusal_text(FilesRefused([]), words, "reply"),
    ]

    assert [text for text in texts if ENGLISH.search(text)] == []
    assert texts[0].startswith("empty.pdf: ")


def test_an_unknown_code_or_an_uncoded_refusal_is_said_in_english() -> None:
    words = {key: row["zh-Hant"] for key, row in TABLE.items()}

    assert say(Reason("no_such_code", "a brand new refusal"), words) == "a brand new refusal"
    assert refusal_text(ValueError("some other refusal"), words, "reply") == "some other refusal"


@pytest.mark.parametrize("language", ASIAN)
@pytest.mark.parametrize(
    ("level", "decider"),
    [
        (AppealLevel.EXPERT, Decider("agent-7", "expert")),
        (AppealLevel.EXPERT, Decider("agent-8", "agent")),
        (AppealLevel.SUPPORT_MANAGER, Decider("agent-8", "expert")),
    ],
)
def test_who_may_decide_an_appeal_is_said_in_the_readers_words(
    language: str, level: AppealLevel, decider: Decider
) -> None:
    pending = PendingAppeal(
        appeal_id="A-1", number=1, level=level, appealed_by="agent-7", filed_at=T0
    )
    words = {key: row[language] for key, row in TABLE.items()}

    with pytest.raises(NotTheReviewer) as refused:
        check_decider(pending, decider, "resolve")

    assert not ENGLISH.search(refusal_text(refused.value, words, "resolve"))
