"""Signed, expiring tokens for links handed to travellers (tracking, surveys).

Format: ``base64url(json payload).base64url(HMAC-SHA256)``; the payload holds
the subject, the tenant and the expiry. Nothing needs storing to verify one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

import orjson
from pydantic import BaseModel, ValidationError


class TokenError(Exception):
    """The token is malformed, forged or expired."""


class TokenExpired(TokenError):
    """The token was genuine but its time is up."""


class TokenClaims(BaseModel):
    sub: str
    tenant: str
    purpose: str
    exp: int
    role: str | None = None
    tenants: list[str] = []


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    def __init__(self, secret: str) -> None:
        self._key = secret.encode()

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def sign(
        self,
        *,
        subject: str,
        tenant: str,
        purpose: str,
        expires_at: datetime,
        role: str | None = None,
        tenants: list[str] | None = None,
    ) -> str:
        claims = TokenClaims(
            sub=subject,
            tenant=tenant,
            purpose=purpose,
            exp=int(expires_at.timestamp()),
            role=role,
            tenants=tenants or [tenant],
        )
        body = _b64(orjson.dumps(claims.model_dump(exclude_none=True)))
        return f"{body}.{self._mac(body)}"

    def verify(self, token: str, *, purpose: str, now: datetime) -> TokenClaims:
        body, _, mac = token.partition(".")
        # compare_digest raises TypeError on non-ASCII str (#17; i17-auth rewrites this module).
        if not body or not mac.isascii() or not hmac.compare_digest(mac, self._mac(body)):
            raise TokenError("invalid signature")
        try:
            claims = TokenClaims.model_validate_json(_unb64(body))
        except (ValidationError, ValueError) as exc:
            raise TokenError("malformed token") from exc
        if claims.purpose != purpose:
            raise TokenError("wrong purpose")
        if claims.exp < now.timestamp():
            raise TokenExpired("expired")
        return claims
