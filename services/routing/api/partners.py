"""Supplier partners' webhook secrets (#18): the operator's admins
(``TRIPCARE_SUPPLIER_OPERATOR_TENANT``) register and rotate them without a restart
(``services.routing.care.partners``). A secret is shown once, in the answer that creates it.
"""

from __future__ import annotations

import secrets
from contextlib import suppress
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from runtime.auth import AdminScope
from runtime.errors import StrictJsonRoute
from runtime.idempotency import Answer, IdempotencyDep, IdempotencyKey, of_staff, once
from runtime.idempotency import fingerprint as request_hash
from runtime.store import AlreadyExists, ConcurrencyError, NotFound, Repository
from services.routing.api.deps import CareDep, RegistrationsDep
from services.routing.api.models import PARTNER
from services.routing.api.writes import WRITE_RETRIES
from services.routing.care.domain.partners import (
    PartnerRegistration,
    TooManySecrets,
    UnknownSecret,
    fingerprint,
)
from services.routing.care.domain.suppliers import SUPPLIER_SCOPE
from services.routing.care.service import ProactiveCare

router = APIRouter(prefix="/v1", tags=["partner admin"], route_class=StrictJsonRoute)


class SecretView(BaseModel):
    id: str
    fingerprint: str = Field(description="First 12 hex digits of the secret's SHA-256.")
    created_at: datetime | None
    created_by: str
    source: Literal["store", "environment"]


class PartnerView(BaseModel):
    partner: str
    secrets: list[SecretView] = Field(description="Active secrets; never the secrets themselves.")


class SecretCreated(SecretView):
    partner: str
    secret: str = Field(description="Shown once: store it with the partner now.")


def operator(care: ProactiveCare, scope: AdminScope) -> str:
    """The admin's id, if they are the platform operator's: partners serve every tenant."""
    if scope.tenant != care.settings.operator_tenant:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "partners are managed by the operator")
    return scope.actor


def view(care: ProactiveCare, partner: str, stored: PartnerRegistration | None) -> PartnerView:
    """A stored partner's secrets, else those the environment gives it (404: neither)."""
    if stored is None:
        known = care.settings.partners.get(partner)
        if known is None:
            raise NotFound(partner)
        shown = [
            SecretView(
                id=f"env-{n}",
                fingerprint=fingerprint(secret),
                created_at=None,
                created_by="environment",
                source="environment",
            )
            for n, secret in enumerate(known.secrets, start=1)
        ]
        return PartnerView(partner=partner, secrets=shown)
    return PartnerView(
        partner=partner,
        secrets=[
            SecretView(**s.model_dump(exclude={"secret"}), source="store") for s in stored.secrets
        ],
    )


@router.get("/partners")
async def list_partners(
    scope: AdminScope, care: CareDep, registrations: RegistrationsDep
) -> list[PartnerView]:
    """Every partner, stored or only in the environment, with its active secrets' ids."""
    operator(care, scope)
    cursor = registrations.collection.find({"tenant_id": SUPPLIER_SCOPE})
    stored = {doc["partner"]: PartnerRegistration.model_validate(doc) async for doc in cursor}
    names = sorted({*stored, *care.settings.partners})
    return [view(care, name, stored.get(name)) for name in names]


@router.get("/partners/{partner}")
async def get_partner(
    partner: str, scope: AdminScope, care: CareDep, registrations: RegistrationsDep
) -> PartnerView:
    operator(care, scope)
    return view(care, partner, await registrations.get(SUPPLIER_SCOPE, partner))


async def new_secret(
    care: ProactiveCare, registrations: Repository[PartnerRegistration], partner: str, by: str
) -> SecretCreated:
    """Store a new secret (409: two are active), retrying a write another replica raced."""
    value = secrets.token_urlsafe(32)
    secret_id = "s-" + secrets.token_hex(4)
    for _ in range(WRITE_RETRIES):
        now = care.clock.now()
        stored = await registrations.get(SUPPLIER_SCOPE, partner)
        fresh = stored is None
        registration = stored or PartnerRegistration.new(
            partner, care.partners.environment(partner), now
        )
        try:
            added = registration.add_secret(secret_id, value, by, now)
        except TooManySecrets as exc:
            active = ", ".join(s.id for s in registration.secrets)
            raise HTTPException(
                status.HTTP_409_CONFLICT, f"two secrets are active ({active}): revoke one first"
            ) from exc
        try:
            await (registrations.add if fresh else registrations.save)(registration)
        except (AlreadyExists, ConcurrencyError):
            continue
        return SecretCreated(
            partner=partner,
            source="store",
            **added.model_dump(),  # the one time the secret itself is shown
        )
    raise ConcurrencyError(partner)


@router.post(
    "/partners/{partner}/secrets",
    status_code=status.HTTP_201_CREATED,
    response_model=SecretCreated,
    responses={
        409: {"description": "Two secrets are active (revoke one first), or a retry of one made."}
    },
)
async def add_secret(
    partner: Annotated[str, Path(pattern=PARTNER)],
    scope: AdminScope,
    care: CareDep,
    registrations: RegistrationsDep,
    idempotency: IdempotencyDep,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """A new secret for the partner, active at once on every replica (at most two). A retry
    with the same ``Idempotency-Key`` gets 409 and no second secret (the answer is not kept)."""
    by = operator(care, scope)

    async def produce() -> Answer:
        created = await new_secret(care, registrations, partner, by)
        return status.HTTP_201_CREATED, created.model_dump(mode="json")

    request = request_hash("partner-secret", partner)
    hint = "list the partner's secrets to find it"
    return await once(idempotency, of_staff(scope), key, request, produce, secret_hint=hint)


@router.delete("/partners/{partner}/secrets/{secret_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_secret(
    partner: str,
    secret_id: str,
    scope: AdminScope,
    care: CareDep,
    registrations: RegistrationsDep,
) -> None:
    """Requests signed with it are refused from now on, on every replica. A partner only in
    the environment is registered with its other environment secret (``env-1`` of
    ``env-1``, ``env-2``): how the operator ends a rotation begun there."""
    operator(care, scope)

    def revoke(registration: PartnerRegistration) -> None:
        registration.revoke(secret_id, care.clock.now())

    try:
        for _ in range(WRITE_RETRIES):
            try:
                await registrations.change(SUPPLIER_SCOPE, partner, revoke)
                return
            except NotFound:  # never registered: its environment secrets, less this one
                environment = care.partners.environment(partner)
                registration = PartnerRegistration.new(partner, environment, care.clock.now())
                revoke(registration)
            with suppress(AlreadyExists):  # registered meanwhile: revoke it there
                await registrations.add(registration)
                return
    except UnknownSecret as exc:
        raise NotFound(secret_id) from exc
    raise ConcurrencyError(partner)
