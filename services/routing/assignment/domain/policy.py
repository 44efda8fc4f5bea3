"""A tenant's routing policy: VIP status, who serves VIPs and appeals, the bot, how agents
are picked, and the triage threshold. Pure."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from runtime.aggregate import Aggregate
from services.routing.assignment.domain.queues import DEFAULT_TRIAGE_THRESHOLD


class AssignmentMode(StrEnum):
    """How a ticket picks among the free agents able to take it (a tenant setting)."""

    LEAST_LOADED = "least_loaded"
    """The lowest share of capacity in use; ties to whoever waited longest."""
    ROUND_ROBIN = "round_robin"
    """Whoever waited longest since their last assignment, whatever their load."""


class RoutingPolicy(Aggregate):
    """A tenant's routing settings: VIP status, who serves VIPs and appeals, the bot."""

    vip: bool = False
    """The whole tenant is a VIP account: every case one level more urgent."""
    vip_travellers: list[str] = Field(default_factory=list)
    account_manager: str | None = None
    """The tenant's dedicated account manager: preferred for its VIP travellers."""
    support_manager: str | None = None
    """Reviews second appeals: a manager or admin, the roles that may decide one."""
    deputy_support_manager: str | None = None
    """Reviews a second appeal of the support manager's own resolution (nobody reviews their
    own decision), and takes a breached appeal the support manager cannot: a manager or
    admin too. Not the account manager, who serves VIPs and may hold a role that decides
    no appeal (docs/feedback.md#who-decides-an-appeal)."""
    bot_enabled: bool = True
    assignment: AssignmentMode = AssignmentMode.LEAST_LOADED
    triage_threshold: float = Field(default=DEFAULT_TRIAGE_THRESHOLD, ge=0.0, le=1.0)
    """Below this category confidence a case waits in the triage queue for a human look."""

    @classmethod
    def default(cls, tenant_id: str) -> RoutingPolicy:
        return cls(id=tenant_id, tenant_id=tenant_id)

    def vip_reason(self, traveller_id: str | None) -> str | None:
        if traveller_id in self.vip_travellers:
            return "VIP traveller"
        return "VIP tenant" if self.vip else None

    def account_manager_for(self, traveller_id: str | None) -> str | None:
        return self.account_manager if traveller_id in self.vip_travellers else None

    def managers_for(self, appeal: bool) -> tuple[tuple[str, str | None], ...]:
        """Who management hands a breached case by name, in order, with their title: for an
        appeal, those named to decide one (support manager, their deputy); else the support
        manager, then the account manager."""
        if appeal:
            return (
                ("support manager", self.support_manager),
                ("deputy support manager", self.deputy_support_manager),
            )
        return (
            ("support manager", self.support_manager),
            ("account manager", self.account_manager),
        )
