"""A refusal's stable code beside its English text: the APIs answer the text, and pages
in the reader's language (the staff console) say the code in their own words.

Pure. ``params`` are what the words name (a limit, a status); a page that does not know
a code says the English text.
"""

from __future__ import annotations

from collections.abc import Mapping


class Reason(str):
    """Why something was refused: the English text itself (so it goes wherever the text
    went), with ``code`` for pages' word tables and the ``params`` their words name."""

    code: str
    params: Mapping[str, str | int]

    def __new__(cls, code: str, text: str, params: Mapping[str, str | int] | None = None) -> Reason:
        reason = super().__new__(cls, text)
        reason.code = code
        reason.params = dict(params or {})
        return reason

    @property
    def text(self) -> str:
        return str.__str__(self)

    def __reduce__(self) -> tuple[type[Reason], tuple[str, str, dict[str, str | int]]]:
        return Reason, (self.code, self.text, dict(self.params))


class RefusedValue(ValueError):
    """A validator's refusal carrying its ``Reason``: pydantic answers the text as ever
    ("Value error, …") and keeps the exception in the error's ``ctx``."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.text)
        self.reason = reason
