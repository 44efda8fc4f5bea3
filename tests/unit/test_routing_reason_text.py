"""Routing's reason in a staff notice reads in the notice's language.

An agent whose directory entry says zh-Hans, zh-Hant or ja was told a ticket is theirs
"（队列 finance，优先级 普通（normal）；category invoice 0.97; queue finance by rule category;
…）": routing's explanation (``ticket.routed.reason``) in English inside a Chinese sentence.
Routing builds it from a finite set of phrases; notify now reads each phrase and writes it in
the notice's language (``domain/routing_reasons.py``), and shows a phrase it does not know (a
tenant's own rule name, an agent's free text) as it is.

The last test keeps the set finite: every phrase routing's reason-building code can write
must be one notify translates, so a new phrase in routing fails here until it has one.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts import events
from contracts.events import Priority, Traveller
from services.notify.domain.notice import Notice
from services.notify.domain.notices import notices_for
from services.notify.domain.recipients import Directory, Role
from services.notify.domain.routing_reasons import PHRASES, routing_reason_text
from services.notify.domain.templates import ASSIGNED, ESCALATED, TRANSFERRED
from services.notify.render import Renderer
from tests.factories import T0, TRAVELLER

ROOT = Path(__file__).resolve().parents[2]
STAFF_LANGUAGES = ("zh-Hans", "zh-Hant", "ja")
DOCUMENTED = (
    "category invoice 0.97 (billing 0.02, reimbursement 0.01); queue finance by rule category; "
    "priority high (classifier normal, raised: VIP tenant); agent-7: least loaded of 2 "
    "qualified (1/5); bot: no article covers billing"
)
"""docs/routing.md's example of a reason."""
CODES = {"VIP", "RFC", "SLA", "critical", "high", "normal", "low", "none"}
"""English words a translation keeps: priority codes, acronyms and the ``none`` of an id."""
RENDERER = Renderer()
ROUTED = events.TicketRouted(
    ticket_id="TC-1",
    traveller=TRAVELLER,
    queue="finance",
    assignee="agent-7",
    category="invoice",
    priority=Priority.HIGH,
    first_response_due=T0,
    resolution_due=T0,
    reason=DOCUMENTED,
    rule="category",
    routed_at=T0,
)


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[A-Za-z]{3,}", text) if w not in CODES}


def test_the_documented_reason_reads_in_chinese() -> None:
    assert routing_reason_text(DOCUMENTED, "zh-Hans") == (
        "类别 invoice 0.97 (billing 0.02, reimbursement 0.01)；按规则 category 进入队列 finance；"
        "优先级 high（分类器判定 normal，上调原因：VIP 企业客户）；"
        "agent-7：2 名符合条件的坐席中负载最低（1/5）；机器人：没有文章涵盖 billing"
    )


@pytest.mark.parametrize("language", STAFF_LANGUAGES)
def test_an_assigned_agent_reads_routings_reason_in_their_language(language: str) -> None:
    agent = Traveller(id="agent-7", language=language)
    directory = Directory(agents={"agent-7": agent})
    (notice,) = [n for n in notices_for(ROUTED, "acme", directory) if n.template == ASSIGNED]

    body = RENDERER.render(notice).body

    kept = {"invoice", "billing", "reimbursement", "finance", "category", "agent", "Lei", "UTC"}
    assert _words(body) <= kept, body


@pytest.mark.parametrize("language", STAFF_LANGUAGES)
def test_a_managers_critical_alert_reads_routings_reason_in_their_language(
    language: str,
) -> None:
    manager = Traveller(id="sm-1", language=language)
    reason = "reopened (not helped); queue expert by rule critical; priority critical (reopened from high); agent-7: back to the agent who had it"  # noqa: E501
    values = {"ticket_id": "TC-1", "queue": "expert", "traveller": "Li Lei", "due": "—"}
    notice = Notice("TC-1", manager, ESCALATED, {**values, "reason": reason}, Role.MANAGER)

    body = RENDERER.render(notice).body

    assert "（not helped）" in body, "intake's reopen reason is shown as written"
    assert _words(body) <= {"not", "helped", "expert", "agent", "Lei"}, body


def test_english_notices_keep_the_reason_as_routing_wrote_it() -> None:
    assert routing_reason_text(DOCUMENTED, "en") == DOCUMENTED


def test_a_phrase_notify_does_not_know_is_shown_as_it_is() -> None:
    """A tenant's own rule name, or text routing adds before notify knows it."""
    assert routing_reason_text("rule vip", "ja") == "rule vip"
    assert routing_reason_text("rule vip; left in queue", "ja") == "rule vip；キューで待機"


def test_a_raise_by_a_disruption_reads_in_japanese() -> None:
    reason = (
        "priority raised to critical: flight_cancelled (revision 2); "
        "bot: a disruption joined the ticket: a person takes it from the bot"
    )
    assert routing_reason_text(reason, "ja") == (
        "優先度を criticalに引き上げ：flight_cancelled（第2報）；"
        "ボット：運行障害がこのチケットに加わった：担当者がボットから引き継ぐ"
    )


def test_an_agents_transfer_reason_is_their_own_words() -> None:
    agent = Traveller(id="agent-7", language="zh-Hans")
    values = {"ticket_id": "TC-1", "traveller": "", "priority": "", "queue": "", "by": "a-2"}
    notice = Notice("TC-1", agent, TRANSFERRED, {**values, "reason": "left in queue"})

    assert "原因：left in queue" in RENDERER.render(notice).body


def _sample(english: str) -> str:
    """The phrase with each placeholder filled: values as ids, nested ones a known phrase."""
    nested = {
        "note": "left in queue",
        "why": "not registered",
        "refusals": "a-1 offline; a-2 no ja",
        "signals": "VIP tenant, negative sentiment",
    }
    return re.sub(r"\{(\w+)\}", lambda m: nested.get(m.group(1), "x-1"), english)


@pytest.mark.parametrize("language", STAFF_LANGUAGES)
@pytest.mark.parametrize("english", [p[0] for p in PHRASES])
def test_every_phrase_is_translated(english: str, language: str) -> None:
    sample = _sample(english)
    text = routing_reason_text(sample, language)

    assert not _words(text) & _words(english), text


REASON_BUILDERS = {
    "services/routing/domain/case.py": (
        "RoutingCase.hand_to",
        "RoutingCase.follow_up",
        "RoutingCase.reopen",
        "RoutingCase.take_over",
        "RoutingCase.recategorise",
        "RoutingCase.transfer",
        "RoutingCase.raise_in_place",
    ),
    "services/routing/domain/raises.py": ("hand_over", "revision"),
    "services/routing/domain/route.py": (
        "Route.explain",
        "reassign",
        "assign",
        "second_appeal_reviewer",
    ),
    "services/routing/domain/priority.py": ("UrgencySignals.reasons", "opening_priority"),
    "services/routing/domain/triage_view.py": ("TriageView.summary",),
    "services/routing/domain/status.py": (
        "REOPENED_AFTER_BOT",
        "TAKEN_OVER",
        "DISRUPTION_JOINED",
        "QUIET",
    ),
    "services/routing/assignment/domain/policy.py": ("RoutingPolicy.vip_reason",),
    "services/routing/assignment/domain/agents.py": (
        "Agent.unavailable",
        "Agent.unskilled",
        "choose_agent",
        "_back_to",
    ),
    "services/routing/assignment/domain/dispatch_rules.py": ("next_handout",),
    "services/routing/takeover.py": ("transfer_takeover", "disruption_takeover", "holder_note"),
    "services/routing/service.py": ("Router.ticket_reopened", "Router.route"),
    "services/routing/recategorise.py": ("reroute",),
    "services/routing/kb/domain.py": (
        "bot_refusal",
        "priority_refusal",
        "person_refusal",
        "decide_bot",
    ),
}
"""Where routing writes the reasons of the routings notify tells staff of. Not an SLA
escalation's (``RoutingCase.breach``, ``assignment/domain/escalation.py``): notify tells no
one its ``ticket.routed``; ``sla.breached`` tells them, in notify's own words."""


def _fragments(path: str, names: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(where, text) for each string literal, or literal part of an f-string, in ``names``."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    found: set[str] = set()
    for scope, node in _scopes(tree):
        target = next((n for n in names if scope == n), None)
        if target is None:
            continue
        found.add(target)
        docstrings = {id(n.body[0].value) for n in ast.walk(node) if _documented(n)}
        for inner in ast.walk(node):
            if (
                isinstance(inner, ast.Constant)
                and isinstance(inner.value, str)
                and id(inner) not in docstrings
            ):
                yield f"{path}:{target}", inner.value
    assert found == set(names), f"{path}: no {set(names) - found}"


def _documented(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and bool(node.body)
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    )


def _scopes(tree: ast.Module) -> Iterator[tuple[str, ast.AST]]:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    yield f"{node.name}.{item.name}", item
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    yield target.id, node


NOT_REASONS = {"none", "unknown", "triage"}
"""Literals in those functions that are values, not phrases."""


def test_every_phrase_routing_writes_is_one_notify_translates() -> None:
    """A literal with a letter in routing's reason builders must be part of a known phrase:
    routing adding or rewording one fails here until ``PHRASES`` has it."""
    literal = [re.sub(r"\{\w+\}", "\x00", p[0]) for p in PHRASES]
    unknown = [
        (where, text)
        for path, names in REASON_BUILDERS.items()
        for where, text in _fragments(path, names)
        if re.search(r"[A-Za-z]", text)
        and not re.fullmatch(r"\.\d+f", text)  # a number's format
        and text.strip(" ;:,") not in NOT_REASONS
        and not any(text.strip(" ;:,") in phrase for phrase in literal)
    ]
    assert unknown == [], "routing writes a phrase notify cannot translate: add it to PHRASES"
