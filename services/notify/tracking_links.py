"""The traveller's tracking link for a message whose event carries none (an agent's reply, the
bot's answer): one rule for the dispatcher's cut reply and the consumer's bot answer, so the
two never name different pages.

The link the ticket's acknowledgement (or a proactive ticket's disruption notice) carried,
kept in notify's delivery log; else, for a ticket whose acknowledgement notify never stored,
one signed from the ticket id with the deployment's link keys (``runtime.tracking_codes``,
stateless: the code intake mints and opens) at intake's public address. Without that address
nothing is minted: notify's own is no page of intake's.
"""

from __future__ import annotations

from dataclasses import dataclass

from pymongo.asynchronous.collection import AsyncCollection

from runtime.clock import Clock
from runtime.signing import Signer
from runtime.store import Document
from runtime.tracking_codes import TICKET_ID, short_link
from services.notify import store


@dataclass(frozen=True)
class Minting:
    """What signs a tracking link: the link key ring and intake's public address."""

    signer: Signer
    public_url: str


class TrackingLinks:
    def __init__(
        self,
        deliveries: AsyncCollection[Document],
        clock: Clock,
        signer: Signer | None = None,
        public_url: str = "",
    ) -> None:
        self.deliveries = deliveries
        self.clock = clock
        self.minting = Minting(signer, public_url) if signer and public_url else None

    async def of(self, tenant_id: str, ticket_id: str | None) -> str | None:
        """The stored link, else one minted from ``ticket_id``; None for no ticket, or none
        stored and none to mint (no public address, or not a ticket id)."""
        if ticket_id is None:
            return None
        stored = await store.tracking_link(self.deliveries, tenant_id, ticket_id)
        if stored or self.minting is None or not TICKET_ID.fullmatch(ticket_id):
            return stored
        minting = self.minting
        return short_link(minting.signer, minting.public_url, ticket_id, self.clock.now())
