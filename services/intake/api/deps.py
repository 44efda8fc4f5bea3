"""What the routers and pages are given: the objects ``main.bootstrap`` put on ``app.state``.

Every dependency is a coroutine, so FastAPI resolves it in place rather than in a
worker thread per request.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Header, HTTPException
from fastapi import status as http

from runtime.admission import Admission
from runtime.app_state import from_state
from runtime.error_docs import Credential, answers
from runtime.nonces import NonceStore
from runtime.ratelimit import RateLimiter
from services.intake.channel_config import ChannelConfigs
from services.intake.incidents import IncidentDesk
from services.intake.mailbox import Mailboxes
from services.intake.notify_reader import NotifyReader
from services.intake.routing_reader import RoutingReader
from services.intake.service import Intake
from services.intake.store import GatewayKey, GatewayKeys

IntakeDep = Annotated[Intake, Depends(from_state("intake"))]
KeysDep = Annotated[GatewayKeys, Depends(from_state("keys"))]
AdmissionDep = Annotated[Admission, Depends(from_state("admission"))]
MailboxesDep = Annotated[Mailboxes, Depends(from_state("mailboxes"))]
ChannelConfigsDep = Annotated[ChannelConfigs, Depends(from_state("channel_configs"))]
CallbackNoncesDep = Annotated[NonceStore, Depends(from_state("callback_nonces"))]
IncidentDeskDep = Annotated[IncidentDesk, Depends(from_state("incident_desk"))]
NotifyDep = Annotated[NotifyReader, Depends(from_state("notify"))]
RoutingDep = Annotated[RoutingReader, Depends(from_state("routing"))]
API_KEY = Credential(
    "gatewayKey",
    {
        "type": "apiKey",
        "in": "header",
        "name": "X-Api-Key",
        "description": "A channel gateway's API key (`tck_…`): `POST /v1/admin/api-keys`.",
    },
)


@answers({401: "No `X-Api-Key`, or an unknown or revoked one."}, credentials=[API_KEY])
async def gateway_key(
    keys: KeysDep,
    x_api_key: Annotated[str | None, Header(alias="X-Api-Key", include_in_schema=False)] = None,
) -> GatewayKey:
    """The calling gateway, by its API key (``X-Api-Key``)."""
    record = await keys.resolve(x_api_key) if x_api_key else None
    if record is None:
        raise HTTPException(http.HTTP_401_UNAUTHORIZED, "a valid X-Api-Key is required")
    return record


@answers(
    {
        403: "The key may not do this (its scopes, channels or tenant).",
        429: "The key's own rate is spent: retry after `Retry-After` seconds.",
    }
)
async def gateway(
    record: Annotated[GatewayKey, Depends(gateway_key)],
    limiter: Annotated[RateLimiter, Depends(from_state("limiter"))],
) -> GatewayKey:
    """The calling gateway, rate-limited per key (429 + Retry-After)."""
    wait = limiter.acquire(record.id, record.rate_per_s, time.monotonic())
    if wait:
        raise HTTPException(
            http.HTTP_429_TOO_MANY_REQUESTS,
            "rate limit exceeded",
            headers={"Retry-After": str(max(1, round(wait)))},
        )
    return record


Gateway = Annotated[GatewayKey, Depends(gateway)]
