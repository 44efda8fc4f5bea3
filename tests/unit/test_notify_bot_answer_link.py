"""The bot's answer links the tracking page it sends the traveller to.

Its last line says: not answered? choose "That did not help" on your tracking page. But
``ticket.bot_answered`` (routing's) carries no link, so the message named a page without
linking it, and the traveller had to dig out the acknowledgement. Notify now gives the
answer the tracking link the acknowledgement carried, from its own delivery log, else one
it signs from the ticket id (as a cut reply's: one rule, ``services.notify.tracking_links``).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from contracts import events
from runtime.tracking_codes import ticket_of_code
from services.notify.config import NotifySettings
from services.notify.domain.notices import notices_for
from services.notify.domain.recipients import Directory
from services.notify.main import bootstrap
from services.notify.render import Renderer
from tests.factories import T0
from tests.unit.test_notify_cut_reply_link import (
    LI,
    LINK,
    PUBLIC,
    SIGNER,
    UNACKNOWLEDGED,
    Desk,
    acknowledged,
)

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


async def test_without_a_stored_acknowledgement_or_a_public_address_no_link() -> None:
    """Notify's own address is no page of intake's: unset, it mints nothing."""
    (delivery,) = await Desk(signer=SIGNER).take(answered(), "m-bot")

    assert delivery.link is None
    assert "http" not in delivery.body
    assert delivery.body.rstrip().endswith("人工客服将立即为您处理。")


async def test_without_a_stored_acknowledgement_the_answer_links_a_minted_page() -> None:
    """None was sent (or a proactive ticket's notice went first): the link is signed from
    the event's ticket id with the deployment's link keys, as the cut reply's is."""
    desk = Desk(NotifySettings(smtp_host="", public_url=PUBLIC), SIGNER)
    event = answered().model_copy(update={"ticket_id": UNACKNOWLEDGED})

    (delivery,) = await desk.take(event, "m-bot")

    link = str(delivery.link)
    assert link.startswith(f"{PUBLIC}/t/")
    assert delivery.body.endswith(link)
    assert ticket_of_code(SIGNER, link.rsplit("/", 1)[1], desk.clock.now()) == UNACKNOWLEDGED


async def test_a_stored_acknowledgement_link_wins_over_a_minted_one() -> None:
    desk = Desk(NotifySettings(smtp_host="", public_url=PUBLIC), SIGNER)
    await desk.take(acknowledged().model_copy(update={"ticket_id": UNACKNOWLEDGED}), "m-ack")

    event = answered().model_copy(update={"ticket_id": UNACKNOWLEDGED})
    (delivery,) = await desk.take(event, "m-bot")

    assert delivery.link == LINK


def test_the_service_gives_the_bot_answer_the_dispatchers_links() -> None:
    """One rule, one object: what the consumer links is what the dispatcher cuts to."""
    app = bootstrap(NotifySettings(smtp_host="", public_url=PUBLIC))

    links = app.state.notifier.links
    assert links.minting is not None
    assert links.minting.public_url == PUBLIC


@pytest.mark.parametrize("language", sorted(LAST_LINE))
def test_every_language_puts_the_link_after_the_line_that_names_the_page(language: str) -> None:
    (notice,) = notices_for(answered(language), "acme", Directory())
    linked = replace(notice, values={**notice.values, "link": LINK})

    body = Renderer().render(linked).body

    assert LAST_LINE[language] in body
    assert body.endswith(LINK)
    assert body.index(LAST_LINE[language]) < body.index(LINK)
