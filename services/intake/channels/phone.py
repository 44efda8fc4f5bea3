"""Phone: an IVR call with its speech-to-text transcript."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contracts.events import Channel, ContactReceived
from contracts.phones import PHONE_ID, e164, phone_key
from services.intake.channels.checks import sent_at
from services.intake.channels.payloads import PhonePayload, contact, validated

WITHHELD_ID = "call:"
"""The traveller id of a caller whose number was withheld: the call, ``call:<call_id>``."""


def from_phone(body: dict[str, Any], now: datetime) -> ContactReceived:
    """A call; a caller the IVR did not identify is ``phone:`` their number in E.164 (else its
    digits), so ``+86 138 0013 8000`` and ``+8613800138000`` are the same traveller; their
    phone is that E.164 number (``0086 …`` too, which notify would read in the tenant's
    region), a national number as written. A withheld number makes the call its own caller,
    ``call:<call_id>``, with no phone."""
    call: PhonePayload = validated(PhonePayload, body)
    number = call.caller_number
    return contact(
        channel=Channel.PHONE,
        channel_message_id=call.call_id,
        conversation_key=call.call_id,
        traveller={
            "id": call.traveller_id or caller_id(call.call_id, number),
            "language": call.language,
            "phone": e164(phone_key(number), None) or number if number else None,
        },
        text=call.transcript,
        language_hint=call.language,
        metadata={
            "caller_number": number or "withheld",
            **({"ivr_path": " > ".join(call.ivr_path)} if call.ivr_path else {}),
        },
        received_at=sent_at(call.started_at, now, "started_at") if call.started_at else now,
    )


def caller_id(call_id: str, number: str | None) -> str:
    """``phone:`` the number as one key, or for a withheld number the call itself."""
    return PHONE_ID + phone_key(number) if number else f"{WITHHELD_ID}{call_id}"
