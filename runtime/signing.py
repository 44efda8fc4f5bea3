"""Signed, expiring tokens: JSON Web Tokens (HS256, PyJWT) with a key id.

One ``Signer`` holds a key ring, ``{kid: secret}``: the first key signs, every key
verifies, so a key rotates by putting the new one first and dropping the old one
once the tokens it signed have expired. The header names the key (``kid``); the
audience (``aud``) is the token's purpose (``staff``, ``gateway``, ``track``,
``survey``), so a token made for one purpose opens nothing else. Staff and gateway
tokens and travellers' links are signed by different rings (``runtime/settings.py``).

Whatever a caller sends — truncated, forged, not ASCII, a header that is not
JSON — ends in ``TokenError``, never in another exception. Two kinds say more:
``TokenWrongPurpose`` (a genuine token made for another audience, so a caller
accepting several purposes tries the next one) and ``TokenExpired`` (a genuine
token whose time is up, so its holder fetches a new one).

A link too short for a JWT (intake's ``/t/{code}``) carries a ``tag`` instead: an HMAC of
its own bytes, truncated to ``TAG_BYTES``, from the same ring, so rotating or dropping a
key does to tags what it does to tokens.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import jwt
from pydantic import BaseModel, ValidationError

ISSUER = "tripcare"
ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32
"""HS256 keys shorter than the hash (RFC 7518 §3.2) are refused everywhere."""
KID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
TAG_BYTES = 9
"""72 bits: guessing one tag takes 2^71 tries on average, each a request."""
TAG_PREFIX = b"tripcare-tag\x1f"
"""Keeps a tag's input apart from a JWT's (base64url text, never a control character)."""


class TokenError(Exception):
    """The token is malformed, forged, for another purpose or expired."""


class TokenExpired(TokenError):
    """The token was genuine but its time is up. Its ``claims`` say whose it was, so an
    expired link's page can still speak its reader's language (never grant anything)."""

    def __init__(self, message: str, claims: TokenClaims | None = None) -> None:
        super().__init__(message)
        self.claims = claims


class TokenWrongPurpose(TokenError):
    """The token was made for another audience (``aud``) than the one asked for."""


class TokenClaims(BaseModel):
    sub: str
    tenant: str
    purpose: str
    exp: int
    role: str | None = None
    tenants: list[str] = []
    scopes: list[str] = []


class Signer:
    """Signs with the first key of its ring, verifies with any of them."""

    def __init__(self, keys: Mapping[str, str] | str) -> None:
        ring = {"default": keys} if isinstance(keys, str) else dict(keys)
        if not ring:
            raise ValueError("a signer needs at least one key")
        short = [kid for kid, secret in ring.items() if len(secret.encode()) < MIN_SECRET_BYTES]
        if short:
            raise ValueError(f"keys shorter than {MIN_SECRET_BYTES} bytes: {', '.join(short)}")
        self._ring = {kid: secret.encode() for kid, secret in ring.items()}
        self.signing_kid = next(iter(self._ring))

    def sign(
        self,
        *,
        subject: str,
        tenant: str,
        purpose: str,
        expires_at: datetime,
        role: str | None = None,
        tenants: list[str] | None = None,
        scopes: list[str] | None = None,
    ) -> str:
        payload: dict[str, Any] = {
            "iss": ISSUER,
            "aud": purpose,
            "sub": subject,
            "tenant": tenant,
            "tenants": tenants or [tenant],
            "exp": int(expires_at.timestamp()),
        }
        if role is not None:
            payload["role"] = role
        if scopes:
            payload["scopes"] = scopes
        key = self._ring[self.signing_kid]
        return jwt.encode(payload, key, algorithm=ALGORITHM, headers={"kid": self.signing_kid})

    def verify(self, token: str, *, purpose: str, now: datetime) -> TokenClaims:
        """The claims of a genuine, unexpired token made for ``purpose``; else ``TokenError``.

        Expiry is checked against ``now`` (the service's clock), not PyJWT's own.
        """
        key = self._key_of(token)
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=purpose,
                issuer=ISSUER,
                options={
                    "verify_exp": False,
                    "strict_aud": True,
                    "require": ["iss", "aud", "sub", "exp"],
                },
            )
            claims = TokenClaims.model_validate({**payload, "purpose": purpose})
        except jwt.InvalidAudienceError as exc:
            raise TokenWrongPurpose("wrong purpose") from exc
        except jwt.InvalidSignatureError as exc:
            raise TokenError("invalid signature") from exc
        except (jwt.InvalidTokenError, ValidationError, ValueError, TypeError) as exc:
            raise TokenError("malformed token") from exc
        if claims.exp < now.timestamp():
            raise TokenExpired("expired", claims)
        return claims

    def tag(self, purpose: str, message: bytes) -> bytes:
        """The signing key's tag of ``message`` for ``purpose``."""
        return _tag(self._ring[self.signing_kid], purpose, message)

    def tag_matches(self, purpose: str, message: bytes, tag: bytes) -> bool:
        """Whether a key of the ring made ``tag`` (compared in constant time)."""
        return any(
            hmac.compare_digest(_tag(key, purpose, message), tag) for key in self._ring.values()
        )

    def _key_of(self, token: str) -> bytes:
        try:
            header = jwt.get_unverified_header(token)
        except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
            raise TokenError("malformed token") from exc
        kid = header.get("kid")
        key = self._ring.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise TokenError("unknown signing key")
        return key


def _tag(key: bytes, purpose: str, message: bytes) -> bytes:
    signed = TAG_PREFIX + purpose.encode() + b"\x1f" + message
    return hmac.new(key, signed, hashlib.sha256).digest()[:TAG_BYTES]
