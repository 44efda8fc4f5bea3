"""Who is calling: agents, experts, managers and admins carry signed bearer tokens.

A token names the person, their role and the tenants they work for. A request
acts for one tenant: the only one in the token, or the one named in
``X-Tenant-Id``. Resources of other tenants are simply not found (404).

Issue a token from the command line (signed with the first of ``TRIPCARE_STAFF_KEYS``;
with ``TRIPCARE_ENV=production`` it refuses the development keys)::

    python -m runtime.auth --sub agent-7 --role agent --tenant acme
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status
from pydantic import BaseModel, ValidationError
from pydantic_settings.exceptions import SettingsError

from runtime.clock import SystemClock
from runtime.error_docs import Credential, answers
from runtime.settings import Settings
from runtime.settings_errors import configuration_error
from runtime.signing import Signer, TokenError

PURPOSE = "staff"
STAFF_TOKEN = Credential(
    "staffToken",
    {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A staff member's signed token (role, tenants): "
        "`python -m runtime.auth --sub agent-7 --role agent --tenant acme`.",
    },
)


class Role(StrEnum):
    AGENT = "agent"
    EXPERT = "expert"
    MANAGER = "manager"
    ADMIN = "admin"


RANK = {Role.AGENT: 0, Role.EXPERT: 1, Role.MANAGER: 2, Role.ADMIN: 3}


class Principal(BaseModel):
    id: str
    role: Role
    tenants: list[str]


class Scope(BaseModel):
    """The caller and the one tenant this request acts for."""

    principal: Principal
    tenant: str

    @property
    def actor(self) -> str:
        return self.principal.id


def issue_token(signer: Signer, principal: Principal, ttl: timedelta) -> str:
    return signer.sign(
        subject=principal.id,
        tenant=principal.tenants[0],
        tenants=principal.tenants,
        role=principal.role.value,
        purpose=PURPOSE,
        expires_at=SystemClock().now() + ttl,
    )


def unauthorized(detail: str) -> HTTPException:
    """A 401 asking for a bearer token; ``detail`` says what was wrong with the one sent."""
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )


def bearer_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("a bearer token is required")
    return token.strip()


@answers(
    {401: "No bearer token, or one that is invalid, expired or not a staff token."},
    credentials=[STAFF_TOKEN],
)
def current_principal(
    request: Request,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    token = bearer_token(authorization)
    runtime = request.app.state.runtime
    try:
        claims = runtime.staff_signer.verify(token, purpose=PURPOSE, now=runtime.clock.now())
        return Principal(id=claims.sub, role=Role(claims.role), tenants=claims.tenants)
    except (TokenError, ValueError) as exc:
        raise unauthorized(f"invalid token: {exc}") from exc


@answers(
    {
        400: "The token has several tenants and `X-Tenant-Id` names none.",
        403: "`X-Tenant-Id` names a tenant not in the token.",
    }
)
def current_scope(
    principal: Annotated[Principal, Depends(current_principal)],
    tenant: Annotated[
        str | None, Header(alias="X-Tenant-Id", description="Needed when the token has several.")
    ] = None,
) -> Scope:
    if tenant is None:
        if len(principal.tenants) != 1:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "name the tenant in X-Tenant-Id")
        tenant = principal.tenants[0]
    if tenant not in principal.tenants:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "not allowed for this tenant")
    return Scope(principal=principal, tenant=tenant)


def at_least(role: Role) -> object:
    """A dependency refusing callers below ``role`` (403)."""

    @answers({403: f"A role below {role.value}."})
    def check(scope: Annotated[Scope, Depends(current_scope)]) -> Scope:
        if RANK[scope.principal.role] < RANK[role]:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"needs the {role.value} role")
        return scope

    return check


StaffScope = Annotated[Scope, Depends(current_scope)]
ManagerScope = Annotated[Scope, Depends(at_least(Role.MANAGER))]
AdminScope = Annotated[Scope, Depends(at_least(Role.ADMIN))]


def main() -> None:
    parser = argparse.ArgumentParser(description="Issue a staff token for TripCare's APIs.")
    parser.add_argument("--sub", required=True, help="agent or user id")
    parser.add_argument("--role", choices=[r.value for r in Role], default=Role.AGENT.value)
    parser.add_argument("--tenant", action="append", required=True, help="repeat for several")
    parser.add_argument("--ttl-hours", type=float, default=12.0)
    args = parser.parse_args()
    principal = Principal(id=args.sub, role=Role(args.role), tenants=args.tenant)
    try:
        settings = Settings()
    except (ValidationError, SettingsError) as exc:
        parser.exit(2, f"refused: {configuration_error(Settings, exc)}\n")
    signer = Signer(settings.staff_ring())
    print(issue_token(signer, principal, timedelta(hours=args.ttl_hours)))


if __name__ == "__main__":
    main()
