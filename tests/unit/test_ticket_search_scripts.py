"""An agent's search finds a ticket whatever Chinese script either side wrote in, and the
booking number a traveller's IME typed full-width: 发票 finds 發票, 退票 finds 退票 and
``CA1501`` finds ``ＣＡ１５０１``. The search was a literal match."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from services.intake.domain.search import search_pattern
from tests.unit.test_ticket_list_search import Desk, ticket_desk


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("发票", "請幫我重開發票，抬頭錯了"),
        ("發票", "请帮我重开发票"),
        ("机票 退款", "機票 退款什麼時候到？"),
        ("CA1501", "我的航班ＣＡ１５０１取消了"),
        ("ca1501", "我的航班ＣＡ１５０１取消了"),
        ("a+b (c)", "a+b (c)"),
    ],
)
def test_search_words_match_either_script_and_full_width(typed: str, written: str) -> None:
    assert re.search(search_pattern(typed), written, re.I)


def test_search_words_still_match_only_themselves() -> None:
    assert not re.search(search_pattern("发票"), "发货", re.I)
    assert not re.search(search_pattern("a.b"), "axb", re.I)


@pytest.fixture
async def desk() -> AsyncIterator[Desk]:
    async with ticket_desk("請幫我重開發票，抬頭錯了", "我的航班ＣＡ１５０１取消了") as desk:
        yield desk


async def test_the_ticket_list_finds_the_other_script_and_full_width(desk: Desk) -> None:
    invoice, flight = desk.ids
    assert await desk.found(q="发票") == [invoice]
    assert await desk.found(q="重开发票") == [invoice]
    assert await desk.found(q="CA1501") == [flight]
    assert await desk.found(q="发货") == []
