"""Who is told: the role a person is told in, and the directory that reaches staff."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from contracts.events import Traveller


class Role(StrEnum):
    TRAVELLER = "traveller"
    BOOKER = "booker"
    AGENT = "agent"
    ACCOUNT_MANAGER = "account_manager"
    SUPPORT_MANAGER = "support_manager"
    MANAGER = "manager"  # the holder's team lead, told of a breach
    TEAM = "team"  # a queue's team, when a ticket has no assignee


APP_ROLES = frozenset({Role.TRAVELLER, Role.BOOKER})
"""Whose messages the traveller-facing app (a gateway token) reads: the traveller's side.
Told by the message's role, never by the id's shape: a traveller's id may equal an agent's."""
SHARED_ROLES = APP_ROLES | {Role.TEAM}
"""Whose messages staff may mark read for their recipient: a team's inbox is shared by the
queue's agents, and a traveller's messages are marked for them (by the app, or by staff)."""


def not_theirs_to_mark(actor: str, recipient: str, role: Role) -> str | None:
    """Why ``actor`` (staff) may not mark ``recipient``'s message read, or None if they may.

    A staff member's own messages are theirs alone to mark: read by anyone else, the
    breach notice a manager got about an agent could be marked read by that agent and
    missed. Managers and admins may read another's inbox, not mark it."""
    if role in SHARED_ROLES or actor == recipient:
        return None
    return f"only {recipient} marks their own messages read; {actor} may read them, not mark them"


class TenantStaff(BaseModel):
    """The people of one tenant's account who hear of escalations."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    account_manager: Traveller | None = None
    support_manager: Traveller | None = None


class Directory(BaseModel):
    """How to reach staff; entries have a traveller's shape. Unknown agents get the inbox;
    a queue's team without an entry gets the inbox ``team:<queue id>``.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    agents: dict[str, Traveller] = Field(default_factory=dict)
    tenants: dict[str, TenantStaff] = Field(default_factory=dict)
    teams: dict[str, Traveller] = Field(
        default_factory=dict, description="Queue id → the team's shared address (a group chat)."
    )

    def agent(self, agent_id: str) -> Traveller:
        return self.agents.get(agent_id) or Traveller(id=agent_id)

    def staff(self, tenant_id: str) -> TenantStaff:
        return self.tenants.get(tenant_id) or TenantStaff()

    def team(self, queue: str) -> Traveller:
        return self.teams.get(queue) or Traveller(id=f"team:{queue}")

    def manager(self, tenant_id: str, person_id: str) -> Traveller:
        """A manager named by an event: the tenant's entry of that id, else an agent entry,
        else the inbox of that id.
        """
        staff = self.staff(tenant_id)
        for known in (staff.account_manager, staff.support_manager):
            if known is not None and known.id == person_id:
                return known
        return self.agent(person_id)
