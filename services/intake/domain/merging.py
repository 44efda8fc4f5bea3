"""Which merges two tickets forbid whatever the person merging: pure; ``Ticket.merge_into``
asks before it changes anything."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.intake.domain.status import IllegalMerge, TicketStatus

if TYPE_CHECKING:
    from services.intake.domain.ticket import Ticket


def check_merge(duplicate: Ticket, target: Ticket) -> None:
    """Refuse (409) a merge into itself, into a ticket it absorbed (that one is, or is
    being, merged into this one), into another traveller's (a ticket answers one
    traveller, so the duplicate's would write on into a ticket whose answers reach only
    the other), or into a closed one: each named as the reason, whatever the
    duplicate's own status. Then a duplicate already closed (or merged elsewhere) is
    named as closed: "a closed ticket cannot become closed" was true, but not what the
    agent tried."""
    if target.id == duplicate.id:
        raise IllegalMerge(duplicate.status, "a ticket cannot be merged into itself")
    if target.id in duplicate.absorbed:
        raise IllegalMerge(
            duplicate.status,
            f"a ticket cannot be merged into {target.id}, which was merged into it",
        )
    if target.traveller.id != duplicate.traveller.id:
        raise IllegalMerge(
            duplicate.status,
            f"a ticket cannot be merged into {target.id}, which is another traveller's "
            f"({target.traveller.id}, not {duplicate.traveller.id})",
        )
    if target.status is TicketStatus.CLOSED:
        raise IllegalMerge(
            duplicate.status, f"a ticket cannot be merged into {target.id}, which is closed"
        )
    if duplicate.status is TicketStatus.CLOSED:
        went = f" (merged into {duplicate.merged_into})" if duplicate.merged_into else ""
        raise IllegalMerge(duplicate.status, f"{duplicate.id} is closed{went} and cannot be merged")
