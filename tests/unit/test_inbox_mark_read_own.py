"""A staff member's in-app messages are marked read by that person alone. Any staff token
used to mark any inbox's message read, so the agent an SLA breach was about could mark the
notice their manager got read, and the manager would miss it among read messages. Reading
stays open to staff (a manager or admin looks into an agent's inbox); marking read a staff
member's message is refused (403, saying whose it is) to everyone but its recipient. A
team's messages (``team:<queue>``) are the team's to share, and a traveller's are marked
for them by the app or by staff as before.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from runtime.auth import Principal, Role, issue_token
from services.notify.service import Notifier
from tests.unit.test_inbox_staff_messages import told
from tests.unit.test_inbox_traveller_ids import notify  # noqa: F401  (fixture)
from tests.unit.test_notify_api import SIGNER
from tests.unit.test_notify_appeals_sla import breached, warning


def as_staff(person: str, role: Role) -> dict[str, str]:
    principal = Principal(id=person, role=role, tenants=["acme"])
    return {"Authorization": f"Bearer {issue_token(SIGNER, principal, timedelta(hours=1))}"}


@pytest.mark.parametrize(
    ("person", "role"), [("agent-9", Role.AGENT), ("mgr-2", Role.MANAGER), ("root", Role.ADMIN)]
)
async def test_nobody_but_the_recipient_marks_a_managers_breach_notice_read(
    notify: tuple[httpx.AsyncClient, Notifier],  # noqa: F811
    person: str,
    role: Role,
) -> None:
    http, notifier = notify
    (breach,) = await told(notifier, breached(support_manager="mgr-1"), "mgr-1")
    other = as_staff(person, role)

    refused = await http.post(f"/v1/inbox/mgr-1/{breach.id}/read", headers=other)
    shown = await http.get("/v1/inbox/mgr-1", headers=other)

    assert refused.status_code == 403
    assert "only mgr-1 marks their own messages read" in refused.json()["detail"]
    stored = await notifier.deliveries.get("acme", breach.id)
    assert stored is not None
    assert stored.read_at is None
    assert [(m["id"], m["read_at"]) for m in shown.json()] == [(breach.id, None)]
    own = await http.post(
        f"/v1/inbox/mgr-1/{breach.id}/read", headers=as_staff("mgr-1", Role.MANAGER)
    )
    assert (own.status_code, own.json()["read_at"] is not None) == (200, True)


async def test_a_teams_message_is_marked_read_by_any_staff_member(
    notify: tuple[httpx.AsyncClient, Notifier],  # noqa: F811
) -> None:
    http, notifier = notify
    (message,) = await told(notifier, warning(assignee=None), "team:disruption")

    read = await http.post(
        f"/v1/inbox/team:disruption/{message.id}/read", headers=as_staff("agent-3", Role.AGENT)
    )

    assert (read.status_code, read.json()["read_at"] is not None) == (200, True)
