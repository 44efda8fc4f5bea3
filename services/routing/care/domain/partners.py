"""Supplier partners' webhook secrets, registered and rotated over the admin API (#18).

A partner signs each event with one of its active secrets (HMAC-SHA256,
``runtime.webhook_signature``). Up to two are active at once, so a partner
rotates without downtime: add a new one, switch, revoke the old one. A
registration in the store is authoritative — even with no secret left (the
partner is then refused); a partner never registered falls back to
``TRIPCARE_SUPPLIER_PARTNERS``, the bootstrap the environment provides. The
first registration carries every secret the environment gives the partner over
(``env-1``, ``env-2`` midway through a rotation), so moving a partner to the API
changes nothing for it until it switches to the new secret and the old one is
revoked: carrying only the first cut off a partner still signing with the old.

Secrets are kept as they are: verifying an HMAC needs the key itself, so a hash
would not do. They are generated here (32 random bytes), shown once in the
answer that creates them and never again; listings show a fingerprint (the
first 12 hex digits of its SHA-256) to tell them apart. Whoever can read
routing's database can read them: protect it (and its backups) as a key store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from runtime.aggregate import Aggregate
from services.routing.care.domain.suppliers import SUPPLIER_SCOPE

MAX_ACTIVE = 2


class TooManySecrets(Exception):
    """Two secrets are active: revoke one before adding another."""


class UnknownSecret(Exception):
    pass


def fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


class PartnerSecret(BaseModel):
    id: str
    secret: str = Field(repr=False)
    fingerprint: str
    created_at: datetime
    created_by: str


class PartnerRegistration(Aggregate):
    """One supplier partner's active webhook secrets (scope ``_suppliers``)."""

    partner: str
    secrets: list[PartnerSecret] = Field(default_factory=list)
    updated_at: datetime | None = None

    @classmethod
    def new(cls, partner: str, environment: Sequence[str], now: datetime) -> PartnerRegistration:
        """A first registration, keeping every secret the environment gives the partner
        active as ``env-1``, ``env-2`` (at most two, as there): both of a rotation's overlap."""
        registration = cls(id=partner, tenant_id=SUPPLIER_SCOPE, partner=partner)
        for n, secret in enumerate(environment, start=1):
            registration.add_secret(f"env-{n}", secret, "environment", now)
        return registration

    def add_secret(self, secret_id: str, secret: str, by: str, now: datetime) -> PartnerSecret:
        if len(self.secrets) >= MAX_ACTIVE:
            raise TooManySecrets(self.partner)
        added = PartnerSecret(
            id=secret_id,
            secret=secret,
            fingerprint=fingerprint(secret),
            created_at=now,
            created_by=by,
        )
        self.secrets.append(added)
        self.updated_at = now
        return added

    def revoke(self, secret_id: str, now: datetime) -> None:
        if all(s.id != secret_id for s in self.secrets):
            raise UnknownSecret(secret_id)
        self.secrets = [s for s in self.secrets if s.id != secret_id]
        self.updated_at = now

    @property
    def active(self) -> list[str]:
        return [s.secret for s in self.secrets]
