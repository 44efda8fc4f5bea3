"""Phone numbers: E.164 where a number reads as one, so one person is one number. Pure.

Travellers, IVRs and gateways write numbers every way: ``+86 138 0013 8000``,
``+86-138-0013-8000``, ``008613800138000``, ``+8613800138000``. Notify sends SMS only to a
valid E.164 number (``e164`` with a region for national numbers); intake makes the traveller
id of a caller of it (``phone_key``), so the same caller is the same traveller on every call.
"""

from __future__ import annotations

import re

import phonenumbers

PHONE_ID = "phone:"
"""The traveller id of a caller known only by their number: ``phone:+8613800138000``."""
_NOT_DIGITS = re.compile(r"[^0-9]")


def e164(raw: str | None, region: str | None) -> str | None:
    """``+8613800138000`` for a valid number, else None; one without a country code is read
    in ``region`` (none: only an international number is valid)."""
    if not raw or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_key(raw: str) -> str:
    """The number as one key: E.164 when it is a valid international number (``+`` or the
    ``00`` international prefix), else its digits (a leading ``+`` kept) without spaces,
    dots, dashes or brackets. A national number stays national: which country it is in is
    not known here, and a guess would make two people one."""
    text = raw.strip()
    digits = _NOT_DIGITS.sub("", text)
    if digits.startswith("00"):
        return e164("+" + digits[2:], None) or digits
    if text.startswith("+"):
        return e164(text, None) or "+" + digits
    return digits


def phone_traveller_id(traveller_id: str) -> str:
    """A ``phone:`` traveller id with its number as ``phone_key``; any other id as it is."""
    if not traveller_id.startswith(PHONE_ID):
        return traveller_id
    number = traveller_id.removeprefix(PHONE_ID)
    return PHONE_ID + phone_key(number) if any(c.isdigit() for c in number) else traveller_id
