"""The ticket any tracking credential opens: a short code (``runtime.tracking_codes``), made
and checked without a lookup, or a long JWT. The code's ticket id leads to its one document,
whose tenant it is."""

from __future__ import annotations

from datetime import datetime

from runtime.signing import Signer, TokenError
from runtime.tracking_codes import CODE, PURPOSE, ticket_of_code
from services.intake.domain import Ticket
from services.intake.store import TicketStore


async def tracked_ticket(
    tickets: TicketStore, signer: Signer, credential: str, now: datetime
) -> Ticket | None:
    """The ticket a tracking code or long token opens; None, whatever is wrong with it, so
    a forged code and a bad token read the same."""
    if CODE.fullmatch(credential):
        ticket_id = ticket_of_code(signer, credential, now)
        return None if ticket_id is None else await tickets.by_id(ticket_id)
    try:
        claims = signer.verify(credential, purpose=PURPOSE, now=now)
    except TokenError:
        return None
    return await tickets.repo.get(claims.tenant, claims.sub)
