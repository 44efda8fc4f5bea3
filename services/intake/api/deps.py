"""What the routers and pages are given: the objects ``main.bootstrap`` put on ``app.state``.

Every dependency is a coroutine, so FastAPI resolves it in place rather than in a
worker thread per request.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from fastapi import status as http

from runtime.admission import Admission
from runtime.idempotency import IdempotentRequests
from runtime.ratelimit import RateLimiter
from services.intake.channel_config import ChannelConfigs
from services.intake.incidents import IncidentDesk
from services.intake.mailbox import Mailboxes
from services.intake.service import Intake
from services.intake.store import GatewayKey, GatewayKeys


async def get_intake(request: Request) -> Intake:
    intake: Intake = request.app.state.intake
    return intake


async def get_keys(request: Request) -> GatewayKeys:
    keys: GatewayKeys = request.app.state.keys
    return keys


async def get_idempotency(request: Request) -> IdempotentRequests:
    idempotency: IdempotentRequests = request.app.state.idempotency
    return idempotency


async def get_admission(request: Request) -> Admission:
    admission: Admission = request.app.state.admission
    return admission


async def get_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.limiter
    return limiter


async def get_mailboxes(request: Request) -> Mailboxes:
    mailboxes: Mailboxes = request.app.state.mailboxes
    return mailboxes


async def get_channel_configs(request: Request) -> ChannelConfigs:
    configs: ChannelConfigs = request.app.state.channel_configs
    return configs


async def get_incident_desk(request: Request) -> IncidentDesk:
    desk: IncidentDesk = request.app.state.incident_desk
    return desk


IntakeDep = Annotated[Intake, Depends(get_intake)]
KeysDep = Annotated[GatewayKeys, Depends(get_keys)]
IdempotencyDep = Annotated[IdempotentRequests, Depends(get_idempotency)]
AdmissionDep = Annotated[Admission, Depends(get_admission)]
MailboxesDep = Annotated[Mailboxes, Depends(get_mailboxes)]
ChannelConfigsDep = Annotated[ChannelConfigs, Depends(get_channel_configs)]
IncidentDeskDep = Annotated[IncidentDesk, Depends(get_incident_desk)]


async def gateway(
    keys: KeysDep,
    limiter: Annotated[RateLimiter, Depends(get_limiter)],
    x_api_key: Annotated[str | None, Header(alias="X-Api-Key")] = None,
) -> GatewayKey:
    """The calling gateway, by its API key; rate-limited per key (429 + Retry-After)."""
    record = await keys.resolve(x_api_key) if x_api_key else None
    if record is None:
        raise HTTPException(http.HTTP_401_UNAUTHORIZED, "a valid X-Api-Key is required")
    wait = limiter.acquire(record.id, record.rate_per_s, time.monotonic())
    if wait:
        raise HTTPException(
            http.HTTP_429_TOO_MANY_REQUESTS,
            "rate limit exceeded",
            headers={"Retry-After": str(max(1, round(wait)))},
        )
    return record


Gateway = Annotated[GatewayKey, Depends(gateway)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=256,
        description="Retries with the same key get the first answer.",
    ),
]
