"""What a refused console form says: each field and what is wrong with it, in the reader's words.

Derived from the validation error of the API's own models, so the page names the
real problem (too long, with the limit; not one of the allowed values, listing
them; missing; a validator's own refusal, by its code: ``pages.refusals``) rather
than one fixed "please fill in" for every refusal.
"""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from contracts.refusals import Reason
from services.intake.pages.refusals import say


def form_problems(exc: ValidationError, words: dict[str, str]) -> str:
    """Every refused field as "field: what is wrong", joined with "; "."""
    return "; ".join(_problem(error, words) for error in exc.errors())


def _reason(error: ErrorDetails) -> str:
    """The refusal's ``Reason`` (a validator's ``RefusedValue``, or a custom error's
    ``code``), else pydantic's own message."""
    context = error.get("ctx", {})
    refused = getattr(context.get("error"), "reason", None)
    if isinstance(refused, Reason):
        return refused
    if "code" in context:
        return Reason(str(context["code"]), error["msg"])
    return error["msg"]


def _problem(error: ErrorDetails, words: dict[str, str]) -> str:
    context = error.get("ctx", {})
    kind = error["type"]
    if kind == "missing" or (kind == "string_too_short" and context.get("min_length") == 1):
        why = words["form_missing"]
    elif kind == "string_too_long":
        why = words["form_too_long"].format(limit=context["max_length"])
    elif kind == "literal_error":
        why = words["form_not_one_of"].format(allowed=context["expected"])
    else:
        why = say(_reason(error), words)
    field = ".".join(str(part) for part in error["loc"])
    return f"{field}: {why}" if field else why
