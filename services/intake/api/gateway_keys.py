"""Gateway keys for admins (create, list, revoke) and gateway tokens for gateways.

A key is shown once at creation; afterwards only its public id (the first 16 hex
digits of its hash), name, scopes and dates. A revoked key is refused by every
intake replica from the next request on (keys are not cached). A key with the
``inbox:read`` scope trades itself here for a short-lived gateway token, which
notify accepts for the in-app inbox (``runtime/gateway_auth.py``, docs/notify.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi import status as http
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictFloat

from contracts.events import Channel
from contracts.text import one_line
from runtime.auth import AdminScope
from runtime.errors import StrictJsonRoute
from runtime.gateway_auth import GatewayScope, issue_gateway_token
from runtime.idempotency import Answer, IdempotencyDep, IdempotencyKey, fingerprint, of_staff, once
from services.intake.api.deps import KeysDep, gateway_key
from services.intake.store import KEY_ID_LENGTH, GatewayKey

KeyId = Annotated[
    str, Path(pattern=f"^[0-9a-f]{{{KEY_ID_LENGTH}}}$", examples=["3f1c0e9a7b2d4c51"])
]
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"description": "No key, an unknown key or a revoked one."}
}


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, one_line(min_length=1, max_length=100)] = Field(examples=["app-gateway"])
    channels: list[Channel] = Field(
        default_factory=list, max_length=len(Channel), description="Empty: every channel."
    )
    scopes: list[GatewayScope] = Field(
        default_factory=lambda: [GatewayScope.CONTACTS_WRITE],
        min_length=1,
        max_length=len(GatewayScope),
        description="`contacts:write` posts contacts; `inbox:read` gets gateway tokens for "
        "travellers' in-app inboxes (notify).",
    )
    rate_per_s: StrictFloat = Field(default=50.0, gt=0, le=10_000)


class ApiKeyView(BaseModel):
    """A key as admins see it after creation: never the key itself."""

    id: str = Field(description="Public id: the first 16 hex digits of the key's SHA-256.")
    name: str
    tenant_id: str
    channels: list[Channel]
    scopes: list[GatewayScope]
    rate_per_s: float
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    revoked_by: str | None

    @classmethod
    def of(cls, record: GatewayKey) -> ApiKeyView:
        return cls(
            id=record.key_id,
            **record.model_dump(exclude={"id"}),
        )


class ApiKeyCreated(ApiKeyView):
    key: str = Field(description="Shown once; only its hash is stored.")


class GatewayToken(BaseModel):
    access_token: str = Field(description="Send as `Authorization: Bearer …` to notify's inbox.")
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds; fetch a new one before then.")
    scopes: list[GatewayScope]


router = APIRouter(prefix="/v1", route_class=StrictJsonRoute)


@router.post(
    "/admin/api-keys",
    tags=["admin"],
    status_code=http.HTTP_201_CREATED,
    response_model=ApiKeyCreated,
    responses={409: {"description": "A retry of a key already made: it is not kept."}},
)
async def create_api_key(
    body: ApiKeyIn,
    scope: AdminScope,
    keys: KeysDep,
    idempotency: IdempotencyDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A gateway key for the caller's tenant; the key is shown once, and kept nowhere: a
    retry with the same ``Idempotency-Key`` gets 409 and no second key."""

    async def produce() -> Answer:
        key, record = await keys.create(
            tenant_id=scope.tenant,
            name=body.name,
            channels=body.channels,
            scopes=sorted(set(body.scopes)),
            rate_per_s=body.rate_per_s,
            by=scope.actor,
        )
        created = ApiKeyCreated(key=key, **ApiKeyView.of(record).model_dump())
        return http.HTTP_201_CREATED, created.model_dump(mode="json")

    request = fingerprint("api-key", body.model_dump_json())
    return await once(
        idempotency,
        of_staff(scope),
        idempotency_key,
        request,
        produce,
        secret_hint="list keys to find it",
    )


@router.get("/admin/api-keys", tags=["admin"])
async def list_api_keys(scope: AdminScope, keys: KeysDep) -> list[ApiKeyView]:
    """The tenant's gateway keys, revoked ones included, oldest first."""
    return [ApiKeyView.of(record) for record in await keys.of_tenant(scope.tenant)]


@router.delete(
    "/admin/api-keys/{key_id}",
    tags=["admin"],
    responses={404: {"description": "No such key in this tenant."}},
)
async def revoke_api_key(key_id: KeyId, scope: AdminScope, keys: KeysDep) -> ApiKeyView:
    """Revoke a key: from the next request on it gets 401 on every replica. Revoking a
    revoked key changes nothing."""
    record = await keys.revoke(scope.tenant, key_id, by=scope.actor)
    if record is None:
        raise HTTPException(http.HTTP_404_NOT_FOUND, "no such key")
    return ApiKeyView.of(record)


@router.post(
    "/gateway/token",
    tags=["gateways"],
    responses={**UNAUTHORIZED, 403: {"description": "The key lacks the inbox:read scope."}},
)
async def gateway_token(
    request: Request, record: Annotated[GatewayKey, Depends(gateway_key)]
) -> GatewayToken:
    """Trade an `inbox:read` key for a short-lived gateway token (notify's inbox)."""
    if GatewayScope.INBOX_READ not in record.scopes:
        raise HTTPException(http.HTTP_403_FORBIDDEN, "this key lacks the inbox:read scope")
    scopes = [GatewayScope.INBOX_READ]
    runtime = request.app.state.runtime
    token_ttl_s: int = request.app.state.gateway_token_ttl_s
    token = issue_gateway_token(
        runtime.staff_signer,
        runtime.clock,
        key_id=record.key_id,
        tenant=record.tenant_id,
        scopes=scopes,
        ttl=timedelta(seconds=token_ttl_s),
    )
    return GatewayToken(access_token=token, expires_in=token_ttl_s, scopes=scopes)
