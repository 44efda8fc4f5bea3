"""Phone numbers as SMS providers need them: E.164, or refused. Pure.

Travellers type numbers every way: ``13800138000``, ``138 0013 8000``,
``0086 138…``, ``+86 138…``. A number without a country code is read in the
traveller's region, else the tenant's, else the deployment's default
(``TRIPCARE_NOTIFY_PHONE_REGION``, ``CN``); one that is not a valid number
there is never sent as typed — the SMS channel is skipped and that is recorded.
"""

from __future__ import annotations

import phonenumbers


def e164(raw: str | None, region: str | None) -> str | None:
    """``+8613800138000`` for a valid number, else None."""
    if not raw or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
