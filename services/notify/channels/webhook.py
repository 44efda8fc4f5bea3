"""The gateway webhook channel: signed JSON POSTed to a channel gateway (SMS, WeChat, WeCom,
DingTalk, web chat); the gateway's HTTP answer decides delivered, retry or final
(``domain.outcome.http_outcome``). The body is cut to what the channel's platform takes
(``domain.fit``): a gateway hands it on as it is.
"""

from __future__ import annotations

import httpx
import orjson

from runtime import webhook_signature
from runtime.clock import Clock
from services.notify.channels.sender import Outgoing, SendFailed
from services.notify.config import Gateway
from services.notify.domain.fit import fitted
from services.notify.domain.outcome import Outcome, http_outcome


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
                "body": fitted(message.body, message.channel, message.link, message.language),
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
