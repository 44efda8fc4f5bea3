"""Where the supplier ingress finds a partner's active webhook secrets: its registration in
the store (``domain.partners``), else ``TRIPCARE_SUPPLIER_PARTNERS``."""

from __future__ import annotations

from runtime.store import Repository
from services.routing.care.domain.partners import PartnerRegistration
from services.routing.care.domain.suppliers import SUPPLIER_SCOPE, SupplierSettings


def no_active_secret(partner: str) -> str:
    """The answer to a registered partner with no secret left: a mismatch would send it
    looking for a fault in its own signing. It names only the partner in the path, so it
    tells a forger nothing a signed request would not."""
    return (
        f"partner {partner!r} has no active signing secret: TripCare's operator must "
        f"create one (POST /v1/partners/{partner}/secrets) before its events are accepted"
    )


class PartnerSecrets:
    """Where the ingress finds a partner's active secrets: the store, else the environment."""

    def __init__(
        self, registrations: Repository[PartnerRegistration] | None, settings: SupplierSettings
    ) -> None:
        self.registrations = registrations
        self.settings = settings

    def environment(self, partner: str) -> list[str]:
        """Every secret the environment gives this partner (both, midway through a rotation)."""
        known = self.settings.partners.get(partner)
        return list(known.secrets) if known else []

    async def active(self, partner: str) -> list[str] | None:
        """The secrets to verify against; None for a partner nobody registered."""
        if self.registrations is not None:
            stored = await self.registrations.get(SUPPLIER_SCOPE, partner)
            if stored is not None:
                return stored.active
        bootstrap = self.settings.partners.get(partner)
        return list(bootstrap.secrets) if bootstrap else None
