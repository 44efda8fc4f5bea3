"""A reply cut for SMS or an IM platform says where the rest is.

An agent's reply too long for the traveller's channel (SMS's 1,600 UTF-16 units; WeChat,
WeCom and DingTalk's 2,048 bytes) was cut with "…" and nothing after it: ``ticket.replied``
carries no link, so the traveller had no way to read the rest. The cut now ends with
"… full reply: <link>" in the traveller's language, the link being their tracking page's
as the acknowledgement gave it (notify keeps it in its delivery log), within the limit.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

import httpx
import orjson
import pytest

from contracts import events
from contracts.envelope import Event
from contracts.events import ReplyChannel, Traveller
from runtime.clock import FakeClock
from runtime.signing import Signer
from runtime.store import Repository
from runtime.tracking_codes import ticket_of_code
from services.notify.channels.registry import Channels
from services.notify.channels.sender import Outgoing
from services.notify.channels.sms import TwilioSms
from services.notify.channels.webhook import WebhookSender
from services.notify.config import Gateway, NotifySettings, SmsProvider
from services.notify.dispatcher import Dispatcher
from services.notify.domain.delivery import Delivery
from services.notify.domain.fit import MEASURES, fitted
from services.notify.render import Renderer
from services.notify.service import Notifier
from tests.factories import T0, envelope
from tests.fakes import FakeDatabase, RecordingOutbox

LINK = "https://care.example/v1/track/eyJ0IjoiVEMtMSJ9.sig"
REPLY = {
    "en": "We moved you to CA1503, leaving at 09:40 from terminal 3. " * 60,
    "zh-Hans": "我们已为您改签至CA1503航班，明早九点四十分从三号航站楼出发。" * 60,
    "zh-Hant": "我們已為您改票至CA1503航班，明早九點四十分從第三航廈出發。" * 60,
    "ja": "CA1503便に変更しました。明朝九時四十分に第三ターミナルから出発します。" * 60,
}
READ_ON = {
    "en": "… full reply: ",
    "zh-Hans": "……完整回复：",
    "zh-Hant": "……完整回覆：",
    "ja": "……返信の全文：",
}
LIMITED = [ReplyChannel.SMS, ReplyChannel.WECHAT, ReplyChannel.WECOM, ReplyChannel.DINGTALK]


@pytest.mark.parametrize("channel", LIMITED)
@pytest.mark.parametrize("language", sorted(REPLY))
def test_a_cut_reply_ends_with_the_link_to_the_rest_in_the_travellers_language(
    channel: ReplyChannel, language: str
) -> None:
    limit, measure = MEASURES[channel]

    cut = fitted(REPLY[language], channel, LINK, language)

    assert measure(cut) <= limit
    assert cut.endswith(READ_ON[language] + LINK)
    kept = cut.removesuffix(READ_ON[language] + LINK)
    assert REPLY[language].startswith(kept)
    assert len(kept) > 300


def test_a_reply_that_fits_goes_as_written_without_the_link() -> None:
    assert fitted("Your flight is rebooked.", ReplyChannel.SMS, LINK, "en") == (
        "Your flight is rebooked."
    )


def test_a_message_whose_link_is_in_its_text_keeps_it_on_a_line_of_its_own() -> None:
    body = "请查看进度。" * 400 + "查看进度：" + LINK

    cut = fitted(body, ReplyChannel.WECOM, LINK, "zh-Hans")

    assert cut.endswith("…\n" + LINK)


def outgoing(channel: ReplyChannel, language: str) -> Outgoing:
    return Outgoing(
        delivery_id="N-1",
        tenant_id="acme",
        ticket_id="TC-1",
        recipient="trav-1",
        role="traveller",
        channel=channel,
        address="+8613800138000" if channel is ReplyChannel.SMS else "wx-li-lei",
        language=language,
        template="ticket_replied",
        subject="TC-1",
        body=REPLY[language],
        link=LINK,
    )


class Recorder:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(201, json={})

    def bodies(self) -> list[str]:
        """What each request asked the platform to show: Twilio's form, or the webhook's."""
        found = []
        for request in self.requests:
            if request.headers["content-type"] == "application/json":
                found.append(str(orjson.loads(request.content)["body"]))
            else:
                found.append(parse_qs(request.content.decode())["Body"][0])
        return found


def gateway() -> Gateway:
    return Gateway(url="https://gw.example/hook", secret="s" * 16)


@pytest.mark.parametrize("language", ["ja", "zh-Hant"])
async def test_the_sms_provider_and_every_gateway_channel_end_a_cut_with_the_link(
    language: str,
) -> None:
    recorder = Recorder()
    async with httpx.AsyncClient(transport=httpx.MockTransport(recorder)) as client:
        provider = SmsProvider(account="AC-1", token="t", sender="+15550001111")
        await TwilioSms(provider, client).send(outgoing(ReplyChannel.SMS, language))
        for channel in LIMITED:
            sender = WebhookSender(gateway(), client, FakeClock(T0))
            await sender.send(outgoing(channel, language))

    for body in recorder.bodies():
        assert body.endswith(READ_ON[language] + LINK)


# Through the consumer and the dispatcher: the link is the acknowledgement's


LI = Traveller(
    id="trav-42", language="zh-Hans", im_user_id="wx-li", preferred_channel=ReplyChannel.WECOM
)


def acknowledged() -> events.TicketAcknowledged:
    return events.TicketAcknowledged(
        ticket_id="TC-1",
        channel=events.Channel.WECOM,
        traveller=LI,
        tracking_url=LINK,
        acknowledged_at=T0,
    )


def replied(message: str) -> events.TicketReplied:
    return events.TicketReplied(
        ticket_id="TC-1",
        channel=events.Channel.WECOM,
        traveller=LI,
        message=message,
        author="agent-7",
        first_response=True,
        replied_at=T0 + timedelta(minutes=5),
    )


class Desk:
    def __init__(
        self, settings: NotifySettings | None = None, signer: Signer | None = None
    ) -> None:
        settings = settings or NotifySettings(smtp_host="")
        self.clock = FakeClock(T0)
        self.deliveries: Repository[Delivery] = Repository(
            FakeDatabase(),  # type: ignore[arg-type]
            "deliveries",
            Delivery,
            RecordingOutbox(),
            self.clock,
        )
        self.recorder = Recorder()
        self.client = httpx.AsyncClient(transport=httpx.MockTransport(self.recorder))
        channels = Channels(NotifySettings(smtp_host=""), self.clock)
        channels.use(ReplyChannel.WECOM, WebhookSender(gateway(), self.client, self.clock))
        self.dispatcher = Dispatcher(
            self.deliveries,
            channels,
            Renderer(),
            self.clock,
            settings,
            jitter=lambda: 0.0,
            signer=signer,
        )
        self.notifier = Notifier(
            self.deliveries,
            Renderer(),
            self.clock,
            available=channels.available,
            links=self.dispatcher.links,
        )

    async def take(self, event: Event, message_id: str) -> list[Delivery]:
        return await self.notifier.notify(envelope(event, message_id=message_id))

    async def dispatch(self) -> None:
        await self.dispatcher._serve(("acme", LI.id, ReplyChannel.WECOM))

    def sent(self) -> list[dict[str, object]]:
        return [orjson.loads(r.content) for r in self.recorder.requests]


async def test_a_long_reply_on_wecom_ends_with_the_acknowledgements_tracking_link() -> None:
    desk = Desk()
    await desk.take(acknowledged(), "ack-1")
    await desk.dispatch()
    (reply,) = await desk.take(replied(REPLY["zh-Hans"]), "reply-1")

    await desk.dispatch()
    await desk.client.aclose()

    told = desk.sent()[-1]
    assert told["template"] == "ticket_replied"
    assert str(told["body"]).endswith("……完整回复：" + LINK)
    assert len(str(told["body"]).encode()) <= 2_048
    assert told["link"] == LINK, "the webhook's link is the one inside the body"
    stored = await desk.deliveries.get("acme", reply.id)
    assert stored is not None
    assert stored.link == LINK


async def test_a_short_reply_names_no_link() -> None:
    desk = Desk()
    await desk.take(acknowledged(), "ack-1")
    await desk.dispatch()
    await desk.take(replied("已为您改签至CA1503。"), "reply-1")

    await desk.dispatch()
    await desk.client.aclose()

    told = desk.sent()[-1]
    assert (told["template"], told["link"]) == ("ticket_replied", None)
    assert told["body"] == "已为您改签至CA1503。" or "……完整回复" not in str(told["body"])


# A ticket whose acknowledgement notify never stored: the link is minted from the event


UNACKNOWLEDGED = "TC-ABCDEFGHJKLM"
SIGNER = Signer({"links-2026": "the-deployments-link-key-0123456789abcdef"})
PUBLIC = "https://care.example"


async def test_a_cut_reply_of_a_ticket_never_acknowledged_ends_with_a_minted_link() -> None:
    """No acknowledgement in the delivery log (none was sent, or it was purged): the link
    is signed from the ticket id the event carries with the deployment's link keys, as
    intake signs it, so it opens the traveller's tracking page without a lookup."""
    desk = Desk(NotifySettings(smtp_host="", public_url=PUBLIC), SIGNER)
    reply = replied(REPLY["zh-Hans"]).model_copy(update={"ticket_id": UNACKNOWLEDGED})
    await desk.take(reply, "reply-1")

    await desk.dispatch()
    await desk.client.aclose()

    told = desk.sent()[-1]
    body = str(told["body"])
    assert len(body.encode()) <= 2_048
    link = str(told["link"])
    assert body.endswith("……完整回复：" + link)
    assert link.startswith(f"{PUBLIC}/t/")
    assert ticket_of_code(SIGNER, link.rsplit("/", 1)[1], desk.clock.now()) == UNACKNOWLEDGED


async def test_without_a_public_address_the_link_is_the_stored_one_or_none() -> None:
    """Notify's own address is no page of intake's: unset, it mints nothing."""
    desk = Desk(NotifySettings(smtp_host=""), SIGNER)
    reply = replied(REPLY["zh-Hans"]).model_copy(update={"ticket_id": UNACKNOWLEDGED})
    await desk.take(reply, "reply-1")

    await desk.dispatch()
    await desk.client.aclose()

    told = desk.sent()[-1]
    assert told["link"] is None
    assert str(told["body"]).endswith("…")
