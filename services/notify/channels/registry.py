"""The configured channel adapters: a gateway webhook per configured gateway, SMTP when a
host is set, an SMS provider when one is (``sms.install``). A channel without an adapter is
not offered in any route; the in-app inbox needs none — storing the delivery delivers it.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from pymongo.asynchronous.collection import AsyncCollection

from contracts.events import ReplyChannel
from contracts.mail import DEFAULT_MAIL_DOMAIN
from runtime.clock import Clock
from runtime.store import Document
from services.notify.channels.mail_thread import FileFetcher, MailThreads
from services.notify.channels.sender import Sender
from services.notify.channels.smtp import SmtpSender
from services.notify.channels.webhook import WebhookSender
from services.notify.config import NotifySettings


class Channels:
    """The configured adapters; a channel without one is not offered in any route."""

    def __init__(
        self,
        settings: NotifySettings,
        clock: Clock,
        mail_domain: str = DEFAULT_MAIL_DOMAIN,
        deliveries: AsyncCollection[Document] | None = None,
    ) -> None:
        """``deliveries``: the log a mail's thread is read from (``MailThreads``)."""
        self._client = httpx.AsyncClient(follow_redirects=False)
        self._senders: dict[ReplyChannel, Sender] = {
            channel: WebhookSender(gateway, self._client, clock)
            for channel, gateway in settings.gateways.items()
            if channel not in (ReplyChannel.IN_APP, ReplyChannel.EMAIL)
        }
        if settings.smtp_host:
            files = FileFetcher(self._client, settings.attachment_max_bytes)
            threads = MailThreads(deliveries) if deliveries is not None else None
            self._senders[ReplyChannel.EMAIL] = SmtpSender(settings, mail_domain, files, threads)

    @property
    def client(self) -> httpx.AsyncClient:
        return self._client

    def use(self, channel: ReplyChannel, sender: Sender) -> None:
        """Send ``channel`` through this adapter (a provider's API rather than a gateway)."""
        self._senders[channel] = sender

    @property
    def available(self) -> frozenset[ReplyChannel]:
        return frozenset(self._senders)

    @property
    def senders(self) -> Mapping[ReplyChannel, Sender]:
        return self._senders

    async def aclose(self) -> None:
        await self._client.aclose()
