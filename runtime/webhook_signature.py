"""HMAC-SHA256 signatures of raw webhook bodies, with a timestamp against replays.

Header format (the same as notify's outgoing webhooks, docs/notify.md)::

    X-TripCare-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>

A sender may carry several ``v1=`` values while it rotates its secret; the
receiver accepts any of its active secrets. Only the raw bytes are signed, so a
body re-serialised by a proxy fails, as it should.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

HEADER = "X-TripCare-Signature"
REPLAY_WINDOW = timedelta(minutes=5)
TIMESTAMP = re.compile(r"[0-9]{1,12}")
HEX_MAC = re.compile(r"[0-9a-fA-F]{64}")


class SignatureError(Exception):
    """The request is not signed by the partner (or not recently): refuse it."""


class MalformedSignature(SignatureError):
    pass


class BadSignature(SignatureError):
    pass


class StaleSignature(SignatureError):
    """Signed outside the replay window (either way: old, or a clock far ahead)."""


def mac(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return digest.hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value a sender attaches."""
    return f"t={timestamp},v1={mac(secret, timestamp, body)}"


def parse(header: str) -> tuple[int, list[str]]:
    """``(timestamp, [v1 macs])``; raises ``MalformedSignature``.

    Only ASCII digits (at most 12: unix seconds until the year 33658) and 64 hex
    digits are read; anything else is ignored, so no value reaches ``int`` or
    ``compare_digest`` in a shape they refuse.
    """
    timestamp: int | None = None
    macs: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and TIMESTAMP.fullmatch(value):
            timestamp = int(value)
        elif key == "v1" and HEX_MAC.fullmatch(value):
            macs.append(value.lower())
    if timestamp is None or not macs:
        raise MalformedSignature("expected t=<unix seconds>,v1=<64 hex digits>")
    return timestamp, macs


def verify(
    header: str | None,
    body: bytes,
    secrets: Sequence[str],
    now: datetime,
    window: timedelta = REPLAY_WINDOW,
) -> int:
    """Check the signature against every active secret; returns the signed timestamp.

    The MAC is checked before the time, so an attacker learns nothing about the
    window from a forged request.
    """
    if not header:
        raise MalformedSignature(f"missing {HEADER}")
    timestamp, macs = parse(header)
    expected = [mac(secret, timestamp, body) for secret in secrets]
    if not any(hmac.compare_digest(a, b) for a in expected for b in macs):
        raise BadSignature("signature does not match")
    if abs(now.timestamp() - timestamp) > window.total_seconds():
        raise StaleSignature(f"timestamp outside the {int(window.total_seconds())} s window")
    return timestamp
