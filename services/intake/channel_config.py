"""Per-tenant credentials of the WeChat Official Account, WeCom and DingTalk callbacks.

Set by a tenant admin (``PUT /v1/admin/channels/{channel}``), effective on the
next callback (no restart); token, AES key and app secret are stored sealed and
never answered. The platform is told the callback URL
``/v1/callbacks/{channel}/{tenant}`` (docs/api.md).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, SecretStr, StrictBool, field_validator
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from contracts.text import ISSUED, one_line, secret
from runtime.clock import Clock
from runtime.secret_box import SecretBox
from runtime.store import Document
from services.intake.wechat_crypto import ChannelKeys

CHANNEL_CONFIGS = "channel_configs"
CALLBACK_NONCES = "callback_nonces"
"""The callbacks' signatures of the last minutes, each bound to its body (``runtime.nonces``)."""
ImChannel = Literal["wechat", "wecom", "dingtalk"]
SEALED = ("token", "encoding_aes_key", "app_secret")
ChannelName = Annotated[ImChannel, Path(description="wechat, wecom or dingtalk")]


_AES_KEY_LENGTH = 43
_AES_KEY = re.compile(r"[A-Za-z0-9+/]{43}")


class ChannelConfigIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "token": "callback-token",
                    "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
                    "receiver_id": "wx1234567890abcdef",
                }
            ]
        },
    )

    token: Annotated[SecretStr, secret(min_length=3, max_length=64), ISSUED] = Field(
        description="The callback Token."
    )
    encoding_aes_key: Annotated[
        SecretStr, secret(min_length=_AES_KEY_LENGTH, max_length=_AES_KEY_LENGTH)
    ] = Field(description="EncodingAESKey (43 characters).")

    @field_validator("encoding_aes_key", mode="before")
    @classmethod
    def _aes_key_is_base64(cls, key: object) -> object:
        """43 base64 characters that decode to an AES-256 key, as the platforms issue them:
        checked before the text rules, so a key of 43 spaces is told what a key looks like
        (one of another length is told its length)."""
        if isinstance(key, str) and len(key) == _AES_KEY_LENGTH and not _AES_KEY.fullmatch(key):
            raise ValueError("EncodingAESKey must be 43 base64 characters (A-Z, a-z, 0-9, +, /)")
        return key

    receiver_id: Annotated[str, one_line(min_length=1, max_length=128), ISSUED] = Field(
        description="WeChat: the AppID; WeCom: the CorpID; DingTalk: the AppKey (or suite key).",
    )
    app_secret: Annotated[SecretStr, secret(max_length=256), ISSUED] | None = Field(
        default=None, description="DingTalk: the AppSecret robots sign with."
    )
    passive_reply: StrictBool = Field(
        default=True,
        description="Answer each message at once in the callback's response (the "
        "acknowledgement); turn off when a gateway already sends customer-service messages.",
    )


class ChannelConfigView(BaseModel):
    channel: ImChannel
    receiver_id: str
    passive_reply: bool
    robot_signing: bool = Field(description="DingTalk: an AppSecret is set for robot callbacks.")
    callback_path: str
    updated_at: datetime
    updated_by: str


class ChannelConfigs:
    def __init__(self, db: AsyncDatabase[Document], clock: Clock, box: SecretBox) -> None:
        self.collection: AsyncCollection[Document] = db[CHANNEL_CONFIGS]
        self.clock = clock
        self.box = box

    async def put(
        self, tenant_id: str, channel: ImChannel, body: ChannelConfigIn, by: str
    ) -> tuple[Document, bool]:
        """Store the credentials; also says whether they were created (no configuration of
        this platform before, a delete starts over) rather than replaced, read from the
        upsert's own result so no second read can race another PUT."""
        doc: Document = {
            "_id": f"{tenant_id}|{channel}",
            "tenant_id": tenant_id,
            "channel": channel,
            "receiver_id": body.receiver_id,
            "passive_reply": body.passive_reply,
            "updated_at": self.clock.now(),
            "updated_by": by,
        }
        for name in SEALED:
            secret = getattr(body, name)
            doc[name] = self.box.seal(secret.get_secret_value()) if secret else None
        result = await self.collection.replace_one({"_id": doc["_id"]}, doc, upsert=True)
        return doc, result.upserted_id is not None

    async def get(self, tenant_id: str, channel: str) -> Document | None:
        return await self.collection.find_one({"_id": f"{tenant_id}|{channel}"})

    def keys(self, doc: Document) -> ChannelKeys:
        opened = {name: self.box.open(doc[name]) if doc.get(name) else "" for name in SEALED}
        return ChannelKeys(
            token=opened["token"],
            encoding_aes_key=opened["encoding_aes_key"],
            receiver_id=doc["receiver_id"],
            app_secret=opened["app_secret"],
        )

    async def list(self, tenant_id: str) -> list[Document]:
        return [d async for d in self.collection.find({"tenant_id": tenant_id}).sort("_id", 1)]

    async def delete(self, tenant_id: str, channel: str) -> bool:
        result = await self.collection.delete_one({"_id": f"{tenant_id}|{channel}"})
        return bool(result.deleted_count)


def view(doc: Document) -> ChannelConfigView:
    return ChannelConfigView(
        channel=doc["channel"],
        receiver_id=doc["receiver_id"],
        passive_reply=doc["passive_reply"],
        robot_signing=bool(doc.get("app_secret")),
        callback_path=f"/v1/callbacks/{doc['channel']}/{doc['tenant_id']}",
        updated_at=doc["updated_at"],
        updated_by=doc["updated_by"],
    )
