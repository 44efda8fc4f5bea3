"""Phone: an IVR call with its speech-to-text transcript."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contracts.events import Channel, ContactReceived
from services.intake.channels.checks import sent_at
from services.intake.channels.payloads import PhonePayload, contact, validated


def from_phone(body: dict[str, Any], now: datetime) -> ContactReceived:
    call: PhonePayload = validated(PhonePayload, body)
    return contact(
        channel=Channel.PHONE,
        channel_message_id=call.call_id,
        conversation_key=call.call_id,
        traveller={
            "id": call.traveller_id or f"phone:{call.caller_number}",
            "language": call.language,
            "phone": call.caller_number,
        },
        text=call.transcript,
        language_hint=call.language,
        metadata={"caller_number": call.caller_number, "ivr_path": " > ".join(call.ivr_path)},
        received_at=sent_at(call.started_at, now, "started_at") if call.started_at else now,
    )
