"""SMS through a provider's HTTP API, Twilio's Messages API style (issue #18).

``POST {url}/2010-04-01/Accounts/{account}/Messages.json`` with the form fields
``To`` (E.164, normalised when the route was planned), ``From`` and ``Body``,
HTTP basic auth ``account:token``. 2xx is accepted; 5xx, 408, 425, 429 and
transport errors are retried; any other answer (400 "not a valid phone
number", 401 bad credentials) fails at once and the route falls back. The
provider keeps no idempotency key, so the one duplicate window notify has (a
crash after the provider accepted, before the outcome was stored) can send an
SMS twice; the delivery id travels in the status callback query for tracing.
"""

from __future__ import annotations

import httpx

from contracts.events import ReplyChannel
from services.notify.channels.registry import Channels
from services.notify.channels.sender import Outgoing, SendFailed
from services.notify.config import SmsProvider
from services.notify.domain.fit import fitted
from services.notify.domain.outcome import Outcome, http_outcome


class TwilioSms:
    def __init__(self, provider: SmsProvider, client: httpx.AsyncClient) -> None:
        self._provider = provider
        self._client = client

    @property
    def endpoint(self) -> str:
        base = self._provider.url.rstrip("/")
        return f"{base}/2010-04-01/Accounts/{self._provider.account}/Messages.json"

    async def send(self, message: Outgoing) -> None:
        provider = self._provider
        # Twilio's 1,600 (domain.fit), a cut reply ending with the link to the rest
        body = fitted(message.body, message.channel, message.link, message.language)
        form = {"To": message.address, "From": provider.sender, "Body": body}
        try:
            response = await self._client.post(
                self.endpoint,
                data=form,
                auth=(provider.account, provider.token.get_secret_value()),
                headers={"X-TripCare-Delivery-Id": message.delivery_id},
                timeout=provider.timeout_s,
            )
        except httpx.TransportError as exc:
            raise SendFailed(f"{type(exc).__name__}: {exc}", Outcome.TEMPORARY) from exc
        outcome = http_outcome(response.status_code)
        if outcome is not Outcome.DELIVERED:
            raise SendFailed(f"SMS provider HTTP {response.status_code}: {_why(response)}", outcome)


def _why(response: httpx.Response) -> str:
    """The provider's own error code and message when it gave them (``21211``, …)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict) and ("code" in body or "message" in body):
        return f"{body.get('code')} {body.get('message')}"[:200]
    return response.text[:200]


def install(channels: Channels, provider: SmsProvider | None) -> None:
    """Send SMS through the provider, when one is configured (over any sms gateway)."""
    if provider is not None:
        channels.use(ReplyChannel.SMS, TwilioSms(provider, channels.client))
