"""Admin API of a tenant's support mailboxes (IMAP): set, list with their reading status, remove.

The password is write-only: stored sealed (``runtime.secret_box``), never answered.
A change takes effect within a few seconds, without a restart.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response
from fastapi import status as http
from pydantic import BaseModel, ConfigDict, Field, SecretStr, StrictBool, StrictFloat, StrictInt

from contracts.text import ISSUED, Instant, one_line, secret
from runtime.auth import AdminScope
from runtime.errors import StrictJsonRoute, invalid
from services.intake.api.deps import MailboxesDep

MailboxName = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$", examples=["support"])]


class MailboxIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "host": "imap.acme-travel.example",
                    "port": 993,
                    "tls": True,
                    "username": "support@acme-travel.example",
                    "password": "app-password",
                }
            ]
        },
    )

    host: str = Field(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.-]+$")
    port: StrictInt = Field(default=993, ge=1, le=65535)
    tls: StrictBool = Field(
        default=True, description="IMAP over TLS (993); false: plain (143, local)."
    )
    username: Annotated[str, one_line(min_length=1, max_length=320), ISSUED]
    password: Annotated[SecretStr, secret(min_length=1, max_length=1024)]
    folder: Annotated[str, one_line(min_length=1, max_length=200)] = "INBOX"
    poll_interval_s: StrictFloat = Field(
        default=60, ge=1, le=1800, description="Longest wait; IDLE servers wake it at once."
    )


class MailboxView(BaseModel):
    name: str
    host: str
    port: int
    tls: bool
    username: str
    folder: str
    poll_interval_s: float
    last_uid: int = Field(description="The last mail taken (IMAP UID).")
    received: int = Field(description="Mails that became contacts.")
    rejected: int = Field(description="Mails skipped: no sender, no text…")
    last_checked_at: Instant | None = Field(
        description="Read as UTC: nx-27017 keeps a `$set` date as text without its zone."
    )
    last_error: str | None = Field(description="Why the last round failed (login, network…).")
    last_skipped: str | None = Field(default=None, description="The last mail skipped, and why.")

    @classmethod
    def of(cls, doc: dict[str, Any]) -> MailboxView:
        return cls.model_validate({**doc, "last_uid": doc.get("last_uid") or 0})


router = APIRouter(prefix="/v1/admin/mailboxes", tags=["admin"], route_class=StrictJsonRoute)


@router.put("/{name}", responses={http.HTTP_201_CREATED: {"description": "Created."}})
async def put_mailbox(
    name: MailboxName,
    body: MailboxIn,
    scope: AdminScope,
    mailboxes: MailboxesDep,
    response: Response,
) -> MailboxView:
    """Read this mailbox for the caller's tenant (create or change); a host on an internal
    address is refused unless the deployment allows it. 201 when it creates the mailbox,
    200 when it replaces one, as routing's queue and agent PUTs answer."""
    if (reason := mailboxes.refused_host(body.host)) is not None:
        raise invalid(f"not allowed: {reason}", ("body", "host"))
    settings = body.model_dump()
    settings["password"] = body.password.get_secret_value()
    doc = await mailboxes.put(scope.tenant, name, settings)
    # The first revision is the one with no mailbox before it (a delete starts over).
    response.status_code = http.HTTP_201_CREATED if doc["revision"] == 1 else http.HTTP_200_OK
    return MailboxView.of(doc)


@router.get("")
async def list_mailboxes(scope: AdminScope, mailboxes: MailboxesDep) -> list[MailboxView]:
    """The tenant's mailboxes and how reading them goes."""
    return [MailboxView.of(doc) for doc in await mailboxes.list(scope.tenant)]


@router.delete("/{name}", status_code=http.HTTP_204_NO_CONTENT)
async def delete_mailbox(name: MailboxName, scope: AdminScope, mailboxes: MailboxesDep) -> None:
    """Stop reading it (mails already taken stay tickets)."""
    if not await mailboxes.delete(scope.tenant, name):
        raise HTTPException(http.HTTP_404_NOT_FOUND, "no such mailbox")
