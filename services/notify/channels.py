"""Channel adapters: one ``send`` per channel, over a gateway webhook or SMTP.

Each adapter turns the channel's answer into delivered (returns), or a
``SendFailed`` that says whether retrying can help (``domain.http_outcome``,
``domain.smtp_outcome``). Every message carries its delivery id, so a
receiver can drop the duplicate a crash between sending and recording makes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import aiosmtplib
import httpx
import orjson

from contracts.events import Attachment, ReplyChannel
from contracts.mail import DEFAULT_MAIL_DOMAIN
from runtime import webhook_signature
from runtime.clock import Clock
from services.notify.config import Gateway, NotifySettings
from services.notify.domain.delivery import Delivery
from services.notify.domain.outcome import Outcome, http_outcome, smtp_outcome
from services.notify.domain.route import valid_email
from services.notify.mail_thread import FetchFailed, FileFetcher, compose


@dataclass(frozen=True)
class Outgoing:
    """What an adapter needs of a delivery."""

    delivery_id: str
    tenant_id: str
    ticket_id: str | None
    recipient: str
    role: str
    channel: ReplyChannel
    address: str
    language: str
    template: str
    subject: str
    body: str
    link: str | None
    answers: str | None = None
    attachments: tuple[Attachment, ...] = ()

    @classmethod
    def of(cls, delivery: Delivery) -> Outgoing:
        return cls(
            delivery_id=delivery.id,
            tenant_id=delivery.tenant_id,
            ticket_id=delivery.ticket_id,
            recipient=delivery.recipient,
            role=delivery.role,
            channel=delivery.channel,
            address=delivery.address,
            language=delivery.language,
            template=delivery.template,
            subject=delivery.subject,
            body=delivery.body,
            link=delivery.link,
            answers=delivery.answers,
            attachments=tuple(delivery.attachments),
        )


class SendFailed(Exception):
    def __init__(self, error: str, outcome: Outcome) -> None:
        super().__init__(error)
        self.error = error
        self.outcome = outcome


class Sender(Protocol):
    async def send(self, message: Outgoing) -> None: ...


class WebhookSender:
    """POSTs signed JSON to a gateway (SMS, WeChat, WeCom, DingTalk, web chat)."""

    def __init__(self, gateway: Gateway, client: httpx.AsyncClient, clock: Clock) -> None:
        self._gateway = gateway
        self._client = client
        self._clock = clock

    async def send(self, message: Outgoing) -> None:
        body = orjson.dumps(
            {
                "delivery_id": message.delivery_id,
                "tenant_id": message.tenant_id,
                "ticket_id": message.ticket_id,
                "channel": message.channel,
                "recipient": {"id": message.recipient, "role": message.role},
                "address": message.address,
                "language": message.language,
                "template": message.template,
                "subject": message.subject,
                "body": message.body,
                "link": message.link,
            }
        )
        timestamp = int(self._clock.now().timestamp())
        headers = {
            "content-type": "application/json",
            "idempotency-key": message.delivery_id,
            webhook_signature.HEADER: webhook_signature.sign(
                self._gateway.secret.get_secret_value(), timestamp, body
            ),
        }
        try:
            response = await self._client.post(
                self._gateway.url, content=body, headers=headers, timeout=self._gateway.timeout_s
            )
        except httpx.TransportError as exc:  # timeouts, refused and reset connections
            raise SendFailed(f"{type(exc).__name__}: {exc}", Outcome.TEMPORARY) from exc
        outcome = http_outcome(response.status_code)
        if outcome is not Outcome.DELIVERED:
            raise SendFailed(f"HTTP {response.status_code}: {response.text[:200]}", outcome)


class SmtpSender:
    """Plain-text e-mail over SMTP, threaded per ticket (``mail_thread``), with the files an
    agent attached fetched from intake's signed links.
    """

    def __init__(
        self,
        settings: NotifySettings,
        mail_domain: str = DEFAULT_MAIL_DOMAIN,
        files: FileFetcher | None = None,
    ) -> None:
        self._settings = settings
        self._mail_domain = mail_domain
        self._files = files

    async def send(self, message: Outgoing) -> None:
        if not valid_email(message.address):
            raise SendFailed("invalid e-mail address", Outcome.PERMANENT)
        settings = self._settings
        mail = compose(message, settings.smtp_sender, self._mail_domain)
        if message.attachments and self._files is not None:
            try:
                files = await self._files.fetch(message.attachments)
            except FetchFailed as exc:
                raise SendFailed(f"attachment: {exc}", Outcome.TEMPORARY) from exc
            for attachment, content in files:
                maintype, _, subtype = attachment.content_type.partition("/")
                mail.add_attachment(
                    content,
                    maintype=maintype,
                    subtype=subtype or "octet-stream",
                    filename=attachment.name,
                )
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        try:
            await aiosmtplib.send(
                mail,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=password,
                start_tls=settings.smtp_starttls,
                timeout=settings.smtp_timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refused.code for refused in exc.recipients]
            outcome = smtp_outcome(min(codes, default=550))
            raise SendFailed(f"SMTP recipient refused: {codes}", outcome) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise SendFailed(f"SMTP {exc.code}: {exc.message}", smtp_outcome(exc.code)) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:  # connection refused, lost, timed out
            raise SendFailed(f"{type(exc).__name__}: {exc}", Outcome.TEMPORARY) from exc


class Channels:
    """The configured adapters; a channel without one is not offered in any route."""

    def __init__(
        self, settings: NotifySettings, clock: Clock, mail_domain: str = DEFAULT_MAIL_DOMAIN
    ) -> None:
        self._client = httpx.AsyncClient(follow_redirects=False)
        self._senders: dict[ReplyChannel, Sender] = {
            channel: WebhookSender(gateway, self._client, clock)
            for channel, gateway in settings.gateways.items()
            if channel not in (ReplyChannel.IN_APP, ReplyChannel.EMAIL)
        }
        if settings.smtp_host:
            files = FileFetcher(self._client, settings.attachment_max_bytes)
            self._senders[ReplyChannel.EMAIL] = SmtpSender(settings, mail_domain, files)

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
