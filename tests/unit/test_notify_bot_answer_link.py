"""The bot's answer links the tracking page it sends the traveller to.

Its last line says: not answered? choose "That did not help" on your tracking page. But
``ticket.bot_answered`` (routing's) carries no link, so the message named a page without
linking it, and the traveller had to dig out the acknowledgement. Notify now gives the
answer the tracking link the acknowledgement carried, from its own delivery log.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from contracts import events
from services.notify.domain.notices import notices_for
from services.notify.domain.recipients import Directory
from services.notify.render import Renderer
from tests.factories import T0
from tests.unit.test_notify_cut_reply_link import LI, LINK, Desk, acknowledged

LAST_LINE = {
    "en": 'choose "That did not help" on your tracking page',
    "zh-Hans": "点击“没有帮助”",
    "zh-Hant": "點選「沒有幫助」",
    "ja": "「解決しませんでした」を選択してください",
}


def answered(language: str = "zh-Hans") -> events.TicketBotAnswered:
    return events.TicketBotAnswered(
        ticket_id="TC-1",
        channel=events.Channel.WECOM,
        traveller=LI.model_copy(update={"language": language}),
        article_id="cancel-booking",
        title="取消订单与退款",
        answer="在App或网页端进入“订单”，选择订单，点击“取消/退票”。",
        language=language,
        confidence=0.95,
        threshold=0.9,
        reason="knowledge base match",
        answered_at=T0,
    )


async def test_the_bot_answer_ends_with_the_acknowledgements_tracking_link() -> None:
    desk = Desk()
    await desk.take(acknowledged(), "m-ack")

    (delivery,) = await desk.take(answered(), "m-bot")

    assert delivery.link == LINK
    assert delivery.body.endswith(LINK)
    assert delivery.body.count(LINK) == 1


async def test_without_a_stored_acknowledgement_the_answer_goes_without_a_link() -> None:
    (delivery,) = await Desk().take(answered(), "m-bot")

    assert delivery.link is None
    assert "http" not in delivery.body
    assert delivery.body.rstrip().endswith("人工客服将立即为您处理。")


@pytest.mark.parametrize("language", sorted(LAST_LINE))
def test_every_language_puts_the_link_after_the_line_that_names_the_page(language: str) -> None:
    (notice,) = notices_for(answered(language), "acme", Directory())
    linked = replace(notice, values={**notice.values, "link": LINK})

    body = Renderer().render(linked).body

    assert LAST_LINE[language] in body
    assert body.endswith(LINK)
    assert body.index(LAST_LINE[language]) < body.index(LINK)
