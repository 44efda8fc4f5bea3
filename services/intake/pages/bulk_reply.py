"""The console's bulk-reply form: one text for everyone and one per language, as
``POST /v1/incidents/{id}/reply`` takes them (``BulkReplyIn``). Pure."""

from __future__ import annotations

from collections.abc import Mapping

from contracts.languages import LANGUAGES
from services.intake.incidents import BulkReplyIn

FIELD = "messages.{language}"
"""The form field of one language's text (``messages.ja``)."""


def bulk_reply_in(form: Mapping[str, str]) -> BulkReplyIn:
    """The request the form says: the languages left blank are not sent, so their travellers
    get the text for everyone; with nothing written at all, ``message`` is the field missing
    (raises ``ValidationError``)."""
    messages = {
        language: text
        for language in LANGUAGES
        if (text := form.get(FIELD.format(language=language), "").strip())
    }
    message = form.get("message", "").strip()
    body: dict[str, object] = {"messages": messages}
    if message or not messages:
        body["message"] = message
    return BulkReplyIn.model_validate(body)
