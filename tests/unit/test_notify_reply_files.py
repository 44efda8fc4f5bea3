"""An agent's files reach the traveller: attached on e-mail, as signed links everywhere."""

from __future__ import annotations

from email.message import EmailMessage

import httpx
import pytest

from contracts import events
from contracts.events import Attachment, Channel, ReplyChannel, Traveller
from services.notify.channels.mail_thread import FetchFailed, FileFetcher, attach
from services.notify.domain.delivery import Delivery
from services.notify.domain.notices import notices_for
from services.notify.domain.recipients import Directory
from services.notify.domain.route import Hop
from services.notify.render import Renderer
from tests.factories import T0

VOUCHER = Attachment(
    name="voucher.pdf",
    content_type="application/pdf",
    size=9,
    id="f1",
    url="https://intake.example/v1/files/signed-token",
)


def replied(*attachments: Attachment) -> events.TicketReplied:
    return events.TicketReplied(
        ticket_id="TC-ABCDEFGHIJKL",
        channel=Channel.WECHAT,
        traveller=Traveller(id="wechat:o1", im_user_id="o1", language="zh-Hans"),
        message="已为您改签",
        author="agent-7",
        first_response=True,
        replied_at=T0,
        attachments=list(attachments),
    )


def test_the_reply_lists_each_file_with_its_link_and_carries_it_for_the_mail() -> None:
    (notice,) = notices_for(replied(VOUCHER), "acme", Directory())
    rendered = Renderer().render(notice)

    assert "附件：\nvoucher.pdf: https://intake.example/v1/files/signed-token" in rendered.body
    delivery = Delivery.create(
        "acme",
        notice,
        rendered,
        [Hop(channel=ReplyChannel.EMAIL, address="li@acme.example")],
        source_message_id="m1",
        now=T0,
    )
    assert delivery.attachments == [VOUCHER]


def test_a_reply_without_files_says_nothing_about_them() -> None:
    (notice,) = notices_for(replied(), "acme", Directory())
    assert "附件" not in Renderer().render(notice).body


async def test_files_are_fetched_within_the_budget_and_a_server_error_waits_for_a_retry() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if "gone" in request.url.path:
            return httpx.Response(404)
        if "broken" in request.url.path:
            return httpx.Response(503)
        return httpx.Response(200, content=b"%PDF-1.4\n")

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        fetcher = FileFetcher(client, max_bytes=20)
        big = VOUCHER.model_copy(update={"name": "big.pdf", "size": 50})
        gone = VOUCHER.model_copy(update={"url": "https://intake.example/v1/files/gone"})
        fetched = await fetcher.fetch([VOUCHER, big, gone, VOUCHER, VOUCHER])
        assert [(a.name, content) for a, content in fetched] == [
            ("voucher.pdf", b"%PDF-1.4\n"),
            ("voucher.pdf", b"%PDF-1.4\n"),
        ]
        broken = VOUCHER.model_copy(update={"url": "https://intake.example/v1/files/broken"})
        with pytest.raises(FetchFailed):
            await fetcher.fetch([broken])


def test_a_file_is_mailed_under_a_name_of_its_own_type() -> None:
    mail = EmailMessage()
    mail.set_content("your voucher")
    hta = VOUCHER.model_copy(update={"name": "voucher.hta"})
    double = VOUCHER.model_copy(update={"name": "invoice.pdf.exe\u202e"})

    attach(mail, [(hta, b"%PDF-1.4\n"), (double, b"%PDF-1.4\n")])

    parts = [(p.get_filename(), p.get_content_type()) for p in mail.iter_attachments()]
    assert parts == [("voucher.pdf", "application/pdf"), ("invoice.pdf", "application/pdf")]


async def test_a_file_of_a_type_never_kept_stays_a_link() -> None:
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(lambda _: httpx.Response(200, content=b"<html>"))
    ) as client:
        page = VOUCHER.model_copy(update={"name": "voucher.html", "content_type": "text/html"})
        assert await FileFetcher(client, max_bytes=100).fetch([page]) == []
