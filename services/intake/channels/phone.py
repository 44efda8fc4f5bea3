"""Phone: an IVR call with its speech-to-text transcript."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contracts.events import Channel, ContactReceived
from contracts.phones import PHONE_ID, e164, phone_key
from services.intake.channels.checks import sent_at
from services.intake.channels.payloads import PhonePayload, contact, validated


def from_phone(body: dict[str, Any], now: datetime) -> ContactReceived:
    """A call; a caller the IVR did not identify is ``phone:`` their number in E.164 (else its
    digits), so ``+86 138 0013 8000`` and ``+8613800138000`` are the same traveller; their
    phone is that E.164 number (``0086 …`` too, which notify would read in the tenant's
    region), a national number as written."""
    call: PhonePayload = validated(PhonePayload, body)
    return contact(
        channel=Channel.PHONE,
        channel_message_id=call.call_id,
        conversation_key=call.call_id,
        traveller={
            "id": call.traveller_id or PHONE_ID + phone_key(call.caller_number),
            "language": call.language,
            "phone": e164(phone_key(call.caller_number), None) or call.caller_number,
        },
        text=call.transcript,
        language_hint=call.language,
        metadata={
            "caller_number": call.caller_number,
            **({"ivr_path": " > ".join(call.ivr_path)} if call.ivr_path else {}),
        },
        received_at=sent_at(call.started_at, now, "started_at") if call.started_at else now,
    )
