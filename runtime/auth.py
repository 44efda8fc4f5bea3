"""Who is calling: agents, experts, managers and admins carry signed bearer tokens.

A token names the person, their role and the tenants they work for. A request
acts for one tenant of the token (``tenant_for``): the one its path or query
names (feedback's reports and metrics), else the one named in ``X-Tenant-Id``,
else the token's only one. Resources of other tenants are simply not found (404).

Issue a token from the command line (signed with the first of ``TRIPCARE_STAFF_KEYS``;
with ``TRIPCARE_ENV=production`` it refuses the development keys)::

    python -m runtime.auth --sub agent-7 --role agent --tenant acme
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Query, Request, status
from pydantic import BaseModel, ValidationError
from pydantic_settings.exceptions import SettingsError

from runtime.clock import SystemClock
from runtime.error_docs import Credential, answers
from runtime.settings import Settings
from runtime.settings_errors import configuration_error
from runtime.signing import Signer, TokenError
from runtime.web import TENANT_PATTERN

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


def tenant_for(principal: Principal, header: str | None, named: str | None = None) -> str:
    """The tenant a request acts for, the one rule of every service.

    ``named`` is the tenant the path or query names: it is the request's subject, so a
    token of several tenants needs no header there. A header that names another tenant
    is refused rather than one of the two silently picked; a tenant not in the token is
    403 whichever of the two names it.
    """
    for tenant in (named, header):
        if tenant is not None and tenant not in principal.tenants:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "not allowed for this tenant")
    if named is not None and header is not None and named != header:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"the request is for tenant {named} but X-Tenant-Id names {header}",
        )
    tenant = named or header
    if tenant is None:
        if len(principal.tenants) != 1:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "name the tenant in X-Tenant-Id")
        tenant = principal.tenants[0]
    return tenant


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
    return Scope(principal=principal, tenant=tenant_for(principal, tenant))


@answers(
    {
        400: "`X-Tenant-Id` names another tenant than the path.",
        403: "The path or `X-Tenant-Id` names a tenant not in the token.",
    }
)
def path_scope(
    principal: Annotated[Principal, Depends(current_principal)],
    tenant_id: Annotated[str, Path(pattern=TENANT_PATTERN)],
    tenant: Annotated[
        str | None,
        Header(alias="X-Tenant-Id", description="Not needed: if sent, the path's tenant."),
    ] = None,
) -> Scope:
    """For a route whose path names the tenant as ``{tenant_id}``."""
    return Scope(principal=principal, tenant=tenant_for(principal, tenant, tenant_id))


@answers(
    {
        400: "The token has several tenants and neither `tenant` nor `X-Tenant-Id` names one, "
        "or the two name different tenants.",
        403: "`tenant` or `X-Tenant-Id` names a tenant not in the token.",
    }
)
def query_scope(
    principal: Annotated[Principal, Depends(current_principal)],
    named: Annotated[
        str | None,
        Query(
            alias="tenant",
            max_length=64,
            pattern=TENANT_PATTERN,
            description="One of the token's tenants; default: `X-Tenant-Id`, else its only one.",
        ),
    ] = None,
    tenant: Annotated[
        str | None,
        Header(
            alias="X-Tenant-Id",
            description="Needed when the token has several and `tenant` is not given; "
            "if both are, the same tenant.",
        ),
    ] = None,
) -> Scope:
    """For a route that takes the tenant as an optional ``?tenant=``."""
    return Scope(principal=principal, tenant=tenant_for(principal, tenant, named))


def ranked(scope: Scope, role: Role) -> Scope:
    if RANK[scope.principal.role] < RANK[role]:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"needs the {role.value} role")
    return scope


def at_least(role: Role) -> object:
    """A dependency refusing callers below ``role`` (403)."""

    @answers({403: f"A role below {role.value}."})
    def check(scope: Annotated[Scope, Depends(current_scope)]) -> Scope:
        return ranked(scope, role)

    return check


@answers({403: "A role below manager."})
def manager_of_path(scope: Annotated[Scope, Depends(path_scope)]) -> Scope:
    return ranked(scope, Role.MANAGER)


@answers({403: "A role below manager."})
def manager_of_query(scope: Annotated[Scope, Depends(query_scope)]) -> Scope:
    return ranked(scope, Role.MANAGER)


StaffScope = Annotated[Scope, Depends(current_scope)]
ManagerScope = Annotated[Scope, Depends(at_least(Role.MANAGER))]
AdminScope = Annotated[Scope, Depends(at_least(Role.ADMIN))]
ManagerOfPath = Annotated[Scope, Depends(manager_of_path)]
"""A manager acting for the tenant the path names as ``{tenant_id}``."""
ManagerOfQuery = Annotated[Scope, Depends(manager_of_query)]
"""A manager acting for the tenant ``?tenant=`` names, else as for ``ManagerScope``."""


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
