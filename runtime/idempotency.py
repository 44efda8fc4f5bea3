"""The first answer to a POST carrying ``Idempotency-Key`` is stored and replayed.

A retried request (same key, same body) gets the stored status and body; the
same key with a different body is refused (422), though not a body that leaves a field
added since at its default (``body_fingerprints``); a retry that arrives while the
first is still being written is told to come back (409 with ``Retry-After``), and one
that arrives after it gets the stored answer: ten retries at once may see one 201 and
nine 409s, or ten 201s if the first was written before they came. Answers are kept for
a day, in the ``idempotency`` collection of the service's own database; only a service whose
endpoints take the key keeps one (``ServiceRuntime(idempotent_writes=True)``).
``once`` is how such a handler answers through it.

An answer that carries a secret (a new gateway key, a partner's secret) is never kept:
the route says where its caller finds what was made instead (``secret_hint``), and a
retry after the first is written gets 409 saying so; nothing is made twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Collection
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException
from fastapi import status as http
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from runtime.app_state import from_state
from runtime.auth import Scope
from runtime.clock import Clock
from runtime.errors import invalid
from runtime.store import Document

COLLECTION = "idempotency"
KEEP = timedelta(days=1)
IN_FLIGHT = timedelta(seconds=30)
"""A pending first attempt older than this is taken as crashed: a retry runs again."""
RETRY_AFTER_S = 1
"""What a retry overlapping the first attempt is told to wait: a write takes milliseconds."""
IN_PROGRESS = "request in progress, retry shortly"
NOT_KEPT = "this answer held a secret and is not kept; "

Answer = tuple[int, Any]
Produce = Callable[[], Awaitable[Answer]]
"""A write and its answer (status, JSON body)."""


class IdempotencyConflict(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def fingerprint(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\x1f")
    return digest.hexdigest()


def body_fingerprints(
    body: BaseModel, *parts: str, added: Collection[str]
) -> tuple[str, tuple[str, ...]]:
    """The fingerprint of ``parts`` and ``body``'s JSON, every default filled, and the one
    code from before the fields ``added`` took of the same request: that code had no such
    fields, so where ``body`` leaves them at their default it left them out. A retry across
    that release is then the same request, not a 422 for another body."""
    fields = type(body).model_fields
    unused = {
        name
        for name in added
        if getattr(body, name) == fields[name].get_default(call_default_factory=True)
    }
    request = fingerprint(*parts, body.model_dump_json())
    if not unused:
        return request, ()
    return request, (fingerprint(*parts, body.model_dump_json(exclude=unused)),)


class IdempotentRequests:
    def __init__(self, db: AsyncDatabase[Document], clock: Clock) -> None:
        self.collection = db[COLLECTION]
        self.clock = clock

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            "created_at", expireAfterSeconds=int(KEEP.total_seconds())
        )

    async def run(
        self,
        *,
        scope: str,
        key: str,
        request: str,
        produce: Callable[[], Awaitable[Answer]],
        secret_hint: str | None = None,
        older: Collection[str] = (),
    ) -> Answer:
        """Answer once per (scope, key): ``scope`` is the caller, ``request`` the body's hash
        (``older``: the hashes earlier code took of the same request, also a match); with
        ``secret_hint`` the answer is not kept and a later retry is told the hint."""
        doc_id = fingerprint(scope, key)
        now = self.clock.now()
        try:
            await self.collection.insert_one(
                {"_id": doc_id, "request": request, "state": "pending", "created_at": now}
            )
        except DuplicateKeyError:
            stored = await self.collection.find_one({"_id": doc_id})
            if stored is None:
                raise IdempotencyConflict(409, IN_PROGRESS) from None
            if stored["request"] != request and stored["request"] not in older:
                raise IdempotencyConflict(
                    422, "Idempotency-Key was already used for a different request"
                ) from None
            if stored["state"] == "done":
                return replay(stored)
            if now - stored["created_at"] < IN_FLIGHT:
                raise IdempotencyConflict(409, IN_PROGRESS) from None
        try:
            status, body = await produce()
        except BaseException:
            await self.collection.delete_one({"_id": doc_id, "state": "pending"})
            raise
        await self.collection.replace_one(
            {"_id": doc_id},
            {
                "request": request,
                "state": "done",
                "status": status,
                "body": None if secret_hint else body,
                "withheld": secret_hint,
                "created_at": now,
            },
        )
        return status, body


def replay(stored: Document) -> Answer:
    """The stored answer, or 409 where it held a secret (retrying will not bring it back)."""
    if stored.get("withheld"):
        raise IdempotencyConflict(http.HTTP_409_CONFLICT, NOT_KEPT + stored["withheld"])
    return int(stored["status"]), stored["body"]


IdempotencyDep = Annotated[IdempotentRequests, Depends(from_state("idempotency"))]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=256,
        pattern=r"\S",
        description="Retries with the same key get the first answer (not blank).",
    ),
]


def of_staff(scope: Scope) -> str:
    """A staff member's keys are their own, in each tenant they act for."""
    return f"{scope.tenant}:{scope.actor}"


async def once(
    idempotency: IdempotentRequests,
    scope: str,
    key: str | None,
    request: str,
    produce: Produce,
    secret_hint: str | None = None,
    older: Collection[str] = (),
) -> JSONResponse:
    """Run ``produce``; with a key, a retry gets the first answer (a different request: 422,
    unless earlier code's hash of it, ``older``; an answer holding a secret, given
    ``secret_hint``: 409 with it, as none is kept)."""
    try:
        if key is None:
            code, body = await produce()
        else:
            code, body = await idempotency.run(
                scope=scope,
                key=key,
                request=request,
                produce=produce,
                secret_hint=secret_hint,
                older=older,
            )
    except IdempotencyConflict as exc:
        if exc.status == http.HTTP_422_UNPROCESSABLE_CONTENT:
            raise invalid(exc.detail, ("header", "Idempotency-Key")) from exc
        retry = {"Retry-After": str(RETRY_AFTER_S)} if exc.detail == IN_PROGRESS else None
        raise HTTPException(exc.status, exc.detail, headers=retry) from exc
    return JSONResponse(body, status_code=code)
