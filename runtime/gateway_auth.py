"""Gateway tokens: a channel gateway's short-lived, scoped credential for other services.

A gateway holds an API key, which only intake can check (keys are hashed in
intake's database). To read travellers' in-app inboxes at notify it trades the
key at intake (``POST /v1/gateway/token``) for a token signed with the staff key
ring: audience ``gateway``, the key's id as subject, its tenant, and only the
scopes the key was given. Notify verifies it with the same keys and reads no
database of intake's. The token is not a staff token (another audience), so it
opens no agent endpoint; it lives minutes (``TRIPCARE_GATEWAY_TOKEN_TTL_S``), so
a revoked key stops reading inboxes when its last token runs out, and at intake
at once.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status
from pydantic import BaseModel

from runtime.auth import (
    STAFF_TOKEN,
    Scope,
    bearer_token,
    current_principal,
    current_scope,
    unauthorized,
)
from runtime.clock import Clock
from runtime.error_docs import Credential, answers
from runtime.signing import Signer, TokenError, TokenWrongPurpose

PURPOSE = "gateway"
GATEWAY_TOKEN = Credential(
    "gatewayToken",
    {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A channel gateway's short-lived token: `POST /v1/gateway/token` at "
        "intake, with an API key of the scope the token is for.",
    },
)


class GatewayScope(StrEnum):
    CONTACTS_WRITE = "contacts:write"
    """Post contacts (intake, with the API key itself)."""
    INBOX_READ = "inbox:read"
    """Read travellers' in-app inboxes and mark their messages read (notify, with a token)."""


TOKEN_SCOPES = frozenset({GatewayScope.INBOX_READ})
"""What a gateway token can carry; posting contacts takes the key itself."""


class Caller(BaseModel):
    """Whoever reads an inbox: a staff member acting for a tenant, or a tenant's gateway."""

    tenant: str
    actor: str
    gateway: bool


def issue_gateway_token(
    signer: Signer,
    clock: Clock,
    *,
    key_id: str,
    tenant: str,
    scopes: list[GatewayScope],
    ttl: timedelta,
) -> str:
    return signer.sign(
        subject=key_id,
        tenant=tenant,
        purpose=PURPOSE,
        expires_at=clock.now() + ttl,
        scopes=sorted(scope.value for scope in scopes if scope in TOKEN_SCOPES),
    )


def staff_or_gateway(needed: GatewayScope) -> object:
    """A dependency admitting any staff member, or a gateway token carrying ``needed``.

    Only a token of another audience is tried as a staff token: a gateway token that is
    expired (or otherwise bad) is refused with its own reason, so the gateway knows to
    fetch a new one rather than read "wrong purpose".
    """

    @answers(
        {
            400: "A staff token has several tenants and `X-Tenant-Id` names none.",
            401: "No bearer token, or one that is invalid or expired.",
            403: f"A gateway token without `{needed.value}`, or a tenant not in the token.",
        },
        credentials=[STAFF_TOKEN, GATEWAY_TOKEN],
    )
    def check(
        request: Request,
        authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
        tenant: Annotated[
            str | None,
            Header(alias="X-Tenant-Id", description="Staff tokens of several tenants only."),
        ] = None,
    ) -> Caller:
        runtime = request.app.state.runtime
        token = bearer_token(authorization)
        try:
            claims = runtime.staff_signer.verify(token, purpose=PURPOSE, now=runtime.clock.now())
        except TokenWrongPurpose:
            scope: Scope = current_scope(current_principal(request, authorization), tenant)
            return Caller(tenant=scope.tenant, actor=scope.actor, gateway=False)
        except TokenError as exc:
            raise unauthorized(f"invalid token: {exc}") from exc
        if needed.value not in claims.scopes:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"needs the {needed.value} scope")
        if tenant is not None and tenant != claims.tenant:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "not allowed for this tenant")
        return Caller(tenant=claims.tenant, actor=f"gateway:{claims.sub}", gateway=True)

    return check


InboxReader = Annotated[Caller, Depends(staff_or_gateway(GatewayScope.INBOX_READ))]
