"""What a refused console form says: each field and what is wrong with it, in the reader's words.

Derived from the validation error of the API's own models, so the page names the
real problem (too long, with the limit; not one of the allowed values, listing
them; missing) rather than one fixed "please fill in" for every refusal.
"""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import ErrorDetails


def form_problems(exc: ValidationError, words: dict[str, str]) -> str:
    """Every refused field as "field: what is wrong", joined with "; "."""
    return "; ".join(_problem(error, words) for error in exc.errors())


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
        why = error["msg"]
    field = ".".join(str(part) for part in error["loc"])
    return f"{field}: {why}" if field else why
