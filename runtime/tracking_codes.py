"""The traveller's short tracking link, ``/t/{code}``: made and checked without a lookup,
so any service holding the link key ring (``TRIPCARE_LINK_KEYS``) can mint one.

A code is 25 base62 characters packing 148 bits: the ticket id's 60 (``TC-`` and 12
base32 letters, unique across tenants), the UTC day the link expires (16 bits, days since
1970, until 2149) and a 72-bit tag of the two by the link key ring (``Signer.tag``). It is
checked before anything is read, so a forged code costs no query. Intake mints it for the
acknowledgement and opens it (``services.intake.tracking_links``); notify mints it for a
cut reply whose ticket's acknowledgement it never stored. Why not a random code in a
table: docs/api.md.
"""

from __future__ import annotations

import re
import string
from datetime import datetime, timedelta

from runtime.signing import TAG_BYTES, Signer

TRACKING_LINK_TTL = timedelta(days=90)
PURPOSE = "track"
SHORT_PATH = "/t"
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
BASE32 = string.ascii_uppercase + "234567"
TICKET_ID = re.compile(r"TC-([A-Z2-7]{12})")
ID_BITS, DAY_BITS, TAG_BITS = 60, 16, TAG_BYTES * 8
CODE_BITS = ID_BITS + DAY_BITS + TAG_BITS
CODE_LENGTH = 25
"""The fewest base62 characters holding ``CODE_BITS`` (62^25 > 2^148)."""
CODE = re.compile(rf"[0-9A-Za-z]{{{CODE_LENGTH}}}")
DAY_S = 86_400


def short_link(signer: Signer, public_url: str, ticket_id: str, now: datetime) -> str:
    """The link to ``ticket_id``'s tracking page at ``public_url`` (intake's public address),
    valid ``TRACKING_LINK_TTL``; no tenant in it: the id names one ticket."""
    code = short_code(signer, ticket_id, now + TRACKING_LINK_TTL)
    return f"{public_url.rstrip('/')}{SHORT_PATH}/{code}"


def short_code(signer: Signer, ticket_id: str, expires_at: datetime) -> str:
    """The code of ``ticket_id``'s link, valid until the UTC midnight ending the day of
    ``expires_at`` (so never shorter than asked)."""
    found = TICKET_ID.fullmatch(ticket_id)
    if found is None:
        raise ValueError(f"not a ticket id: {ticket_id!r}")
    day = -(-int(expires_at.timestamp()) // DAY_S)
    claims = _number(found.group(1), BASE32) << DAY_BITS | day
    tag = int.from_bytes(signer.tag(PURPOSE, _bytes(claims)))
    return _text(claims << TAG_BITS | tag, BASE62, CODE_LENGTH)


def ticket_of_code(signer: Signer, code: str, now: datetime) -> str | None:
    """The ticket id a genuine, unexpired code names; None for anything else."""
    if CODE.fullmatch(code) is None or (number := _number(code, BASE62)) >> CODE_BITS:
        return None
    claims, tag = number >> TAG_BITS, number & (1 << TAG_BITS) - 1
    if not signer.tag_matches(PURPOSE, _bytes(claims), tag.to_bytes(TAG_BYTES)):
        return None
    if (claims & (1 << DAY_BITS) - 1) * DAY_S < now.timestamp():
        return None
    return "TC-" + _text(claims >> DAY_BITS, BASE32, 12)


def _bytes(claims: int) -> bytes:
    return claims.to_bytes((ID_BITS + DAY_BITS + 7) // 8)


def _number(text: str, alphabet: str) -> int:
    number = 0
    for char in text:
        number = number * len(alphabet) + alphabet.index(char)
    return number


def _text(number: int, alphabet: str, length: int) -> str:
    chars = []
    for _ in range(length):
        number, digit = divmod(number, len(alphabet))
        chars.append(alphabet[digit])
    return "".join(reversed(chars))
