"""Masking a log line costs time in proportion to its length: every line a service
writes passes ``mask_pii``, and a refused payload's error can quote 100,000 characters
of a traveller's text, on the event loop."""

from __future__ import annotations

import time

import pytest

from runtime.logging import mask_pii

LONG = 200_000


@pytest.mark.parametrize(
    "text",
    [
        "a" * LONG,
        "1" * LONG + "a",
        "1-" * (LONG // 2) + "x",
        "a@" + "b" * LONG,
        "a." * (LONG // 2),
        "1 " * (LONG // 2) + "a",
    ],
    ids=["letters", "digits", "dashed digits", "an @ with no domain", "dots", "spaced digits"],
)
def test_a_long_line_with_no_address_is_masked_in_one_pass(text: str) -> None:
    began = time.process_time()
    mask_pii(text)
    assert time.process_time() - began < 2.0  # quadratic matching took over 30 s


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("write to li.lei@corp.example now", "write to l***@corp.example now"),
        ("x=li@corp.example", "x=l***@corp.example"),
        ("call 138 0013 8000abc", "call ****0013 8000abc"),
        ("call +86 138-0013-8000.", "call *************8000."),
        ("1-2-3-4-5-6-7-8x", "*********-6-7-8x"),
    ],
)
def test_masking_finds_what_it_found_before(text: str, masked: str) -> None:
    assert mask_pii(text) == masked
