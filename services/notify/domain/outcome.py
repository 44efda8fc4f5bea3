"""What a channel's answer means: delivered, worth retrying, or final."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    DELIVERED = "delivered"
    TEMPORARY = "temporary"
    PERMANENT = "permanent"


TEMPORARY_HTTP = frozenset({408, 425, 429})


def http_outcome(status: int) -> Outcome:
    """2xx delivered; 5xx, 408, 425 and 429 worth retrying; any other answer is final."""
    if 200 <= status < 300:
        return Outcome.DELIVERED
    if status >= 500 or status in TEMPORARY_HTTP:
        return Outcome.TEMPORARY
    return Outcome.PERMANENT


def smtp_outcome(code: int) -> Outcome:
    """SMTP 4xx are transient by RFC 5321; 5xx (unknown mailbox, refused) are final."""
    return Outcome.TEMPORARY if 400 <= code < 500 else Outcome.PERMANENT
