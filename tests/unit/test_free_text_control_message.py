"""A control character in free text is refused as one, not as a line break in a one-line
value. A traveller's message holding U+0085 (NEL) or a form feed was a 422 saying "must be
one line: no line breaks (U+0085)" on ``text``, a field that holds line breaks: the gateway's
developer read it as "messages may not have several lines"."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import TypeAdapter, ValidationError

from contracts.text import free_text, one_line

TEXT = TypeAdapter(Annotated[str, free_text(max_length=100)])
LINE = TypeAdapter(Annotated[str, one_line(max_length=100)])


@pytest.mark.parametrize("char", ["\x85", "\x0b", "\x0c", "\x1c"])
def test_free_text_names_a_control_character_not_a_line_break(char: str) -> None:
    with pytest.raises(ValidationError) as refused:
        TEXT.validate_python(f"my flight{char}was cancelled")
    message = refused.value.errors()[0]["msg"]
    assert "one line" not in message
    assert f"control characters (U+{ord(char):04X})" in message


def test_free_text_keeps_its_line_breaks_and_a_one_line_value_still_refuses_them() -> None:
    assert TEXT.validate_python("line one\nline two\r\n\tthree") == "line one\nline two\r\n\tthree"
    with pytest.raises(ValidationError, match="must be one line: no line breaks"):
        LINE.validate_python("a\x85b")
