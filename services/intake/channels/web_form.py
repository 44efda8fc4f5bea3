"""The web form: a contact form, with an optional order number typed by the traveller."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contracts.events import BookingReference, Channel, ContactReceived, ReferenceKind
from contracts.references import extract_references
from contracts.text import fold_width
from services.intake.channels.checks import PayloadError
from services.intake.channels.payloads import WebFormPayload, contact, validated


def from_web_form(body: dict[str, Any], now: datetime) -> ContactReceived:
    form: WebFormPayload = validated(WebFormPayload, body)
    references = extract_references(" ".join([form.subject or "", form.message]))
    order = fold_width(form.order_number).upper() if form.order_number else None
    if order and order not in {r.value for r in references}:
        references.insert(0, BookingReference(kind=ReferenceKind.ORDER, value=order))
    who = form.traveller_id or (f"email:{form.email.lower()}" if form.email else None)
    if who is None:
        raise PayloadError("email", "a web form needs an e-mail address or a traveller id")
    return contact(
        channel=Channel.WEB_FORM,
        channel_message_id=form.submission_id,
        traveller={
            "id": who,
            "name": form.name,
            "language": form.language,
            "email": form.email,
            "phone": form.phone,
        },
        subject=form.subject,
        text=form.message,
        language_hint=form.language,
        references=references,
        category_hint=form.category,
        metadata={k: v for k, v in {"phone": form.phone or ""}.items() if v},
        received_at=now,
    )
