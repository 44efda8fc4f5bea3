"""Admin API of a tenant's WeChat, WeCom and DingTalk callback credentials: set, list, remove.

Token, AES key and app secret are write-only (stored sealed, never answered).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response
from fastapi import status as http

from runtime.auth import AdminScope
from runtime.errors import StrictJsonRoute
from services.intake.api.deps import ChannelConfigsDep
from services.intake.channel_config import ChannelConfigIn, ChannelConfigView, ChannelName, view

router = APIRouter(prefix="/v1/admin/channels", tags=["admin"], route_class=StrictJsonRoute)


@router.put("/{channel}", responses={http.HTTP_201_CREATED: {"description": "Created."}})
async def put_channel(
    channel: ChannelName,
    body: ChannelConfigIn,
    scope: AdminScope,
    configs: ChannelConfigsDep,
    response: Response,
) -> ChannelConfigView:
    """Set (or rotate) the tenant's callback credentials on one platform. 201 when it creates
    them, 200 when it replaces them, as the mailbox PUT and routing's queue and agent PUTs
    answer."""
    doc, created = await configs.put(scope.tenant, channel, body, scope.actor)
    response.status_code = http.HTTP_201_CREATED if created else http.HTTP_200_OK
    return view(doc)


@router.get("")
async def list_channels(scope: AdminScope, configs: ChannelConfigsDep) -> list[ChannelConfigView]:
    return [view(doc) for doc in await configs.list(scope.tenant)]


@router.delete("/{channel}", status_code=http.HTTP_204_NO_CONTENT)
async def delete_channel(
    channel: ChannelName, scope: AdminScope, configs: ChannelConfigsDep
) -> None:
    """Callbacks of this platform are refused from now on."""
    if not await configs.delete(scope.tenant, channel):
        raise HTTPException(http.HTTP_404_NOT_FOUND, "not configured")
