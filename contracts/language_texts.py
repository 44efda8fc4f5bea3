"""What a desk tells many travellers at once, written once per language: the fields the
incident's bulk reply (intake) and its resolving close (routing) both take."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from contracts.languages import default_text, text_in
from contracts.text import MessagesByLanguage, free_text


class LanguageTexts(BaseModel):
    """One text for everyone (``message``), one per language (``messages``), or both; a
    traveller is told the text of their language, else ``message``, else the English text,
    else the first written (``contracts.languages.default_text``). The two requests bound,
    check and choose alike because they are one model."""

    model_config = ConfigDict(extra="forbid")

    message: Annotated[str, free_text(min_length=1, max_length=5_000)] | None = Field(
        default=None,
        description="Told every traveller whose language `messages` does not hold.",
        examples=["CA1501 is cancelled: you are rebooked on CA1503, leaving at 14:30."],
    )
    messages: MessagesByLanguage = Field(
        default_factory=dict,
        description="The text per language (zh-Hans, zh-Hant, en, ja): each traveller is "
        "told the one of their language; a language not written gets `message`, else the "
        "English text, else the first written.",
    )

    def written(self) -> bool:
        return self.message is not None or bool(self.messages)

    def default_text(self) -> str:
        """What a traveller whose language is not written is told; nothing written at all
        is a ValueError (a 422 when raised in a validator)."""
        return default_text(self.message, self.messages)

    def text_for(self, language: str | None) -> str:
        """What a traveller reading ``language`` (any tag) is told."""
        return text_in(language, self.messages, self.default_text())
