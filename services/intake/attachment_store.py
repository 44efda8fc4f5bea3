"""Attachment bytes in GridFS (intake's database), their lifecycle in ``attachments``.

A file is written before the ticket that refers to it: first its record
(``state: pending``), then its bytes under the same id; once the ticket is
committed the record turns ``kept``. A failure in between leaves a pending
record: the writer discards it when it can, and the sweeper settles the rest
(kept if a ticket refers to it, else deleted with its bytes). So a stored file
without its ticket never lasts, and a ticket never points at missing bytes.

nx-27017 serves GridFS's own operations (upload, download, delete by id) but
not updates of ``<bucket>.files``; the lifecycle therefore lives in a plain
collection, which works the same on MongoDB.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from contracts.events import Attachment
from runtime.clock import Clock, epoch_ms
from runtime.periodic import Periodic
from runtime.store import Document
from services.intake.attachments import Checked

log = logging.getLogger(__name__)

RECORDS = "attachments"
BUCKET = "files"
PENDING = "pending"
KEPT = "kept"
CHUNK = 255 * 1024


@dataclass(frozen=True)
class StoredFile:
    """What a download needs: the record's name and type, and the bytes' stream."""

    name: str
    content_type: str
    size: int
    chunks: AsyncIterator[bytes]


class AttachmentStore:
    def __init__(self, db: AsyncDatabase[Document], clock: Clock) -> None:
        self.records: AsyncCollection[Document] = db[RECORDS]
        self.tickets: AsyncCollection[Document] = db["tickets"]
        self.bucket = AsyncGridFSBucket(db, bucket_name=BUCKET, chunk_size_bytes=CHUNK)
        self.clock = clock

    async def ensure_indexes(self) -> None:
        await self.records.create_index([("state", 1), ("stored_ms", 1)])

    async def put(self, tenant_id: str, files: Sequence[Checked], source: str) -> list[Attachment]:
        """Store the kept files as pending; the refused ones come back without an id."""
        stored: list[Attachment] = []
        for checked in files:
            if not checked.kept:
                stored.append(checked.metadata())
                continue
            file_id = uuid.uuid4().hex
            await self.records.insert_one(
                {
                    "_id": file_id,
                    "tenant_id": tenant_id,
                    "name": checked.name,
                    "content_type": checked.content_type,
                    "size": len(checked.file.content),
                    "source": source,
                    "state": PENDING,
                    "stored_ms": epoch_ms(self.clock.now()),
                }
            )
            await self.bucket.upload_from_stream_with_id(
                file_id, checked.name, checked.file.content, metadata={"tenant_id": tenant_id}
            )
            stored.append(checked.metadata(file_id))
        return stored

    async def keep(self, attachments: Sequence[Attachment]) -> None:
        """The ticket referring to them is committed."""
        ids = [a.id for a in attachments if a.id]
        if ids:
            await self.records.update_many({"_id": {"$in": ids}}, {"$set": {"state": KEPT}})

    async def discard(self, attachments: Sequence[Attachment]) -> None:
        """Nothing refers to them (a duplicate, a refused action): bytes first, then record."""
        for file_id in [a.id for a in attachments if a.id]:
            await self._delete_bytes(file_id)
            await self.records.delete_one({"_id": file_id})

    async def _delete_bytes(self, file_id: str) -> None:
        """Gone already is fine (MongoDB says NoFile; nx-27017 an OperationFailure)."""
        try:
            await self.bucket.delete(file_id)
        except NoFile:
            return
        except OperationFailure as exc:
            if "not found" not in str(exc):
                raise

    async def open(self, tenant_id: str, file_id: str) -> StoredFile | None:
        record = await self.records.find_one({"_id": file_id, "tenant_id": tenant_id})
        if record is None:
            return None
        try:
            stream = await self.bucket.open_download_stream(file_id)
        except NoFile:
            return None

        async def chunks() -> AsyncIterator[bytes]:
            while chunk := await stream.readchunk():
                yield chunk

        return StoredFile(record["name"], record["content_type"], int(record["size"]), chunks())

    async def sweep(self, grace: timedelta, limit: int = 100) -> int:
        """Settle pending files older than ``grace``: kept if a ticket refers to them, else gone.

        Only files whose writer died in between are still pending, so the ticket
        lookup (an array query, a scan on nx-27017) is rare.
        """
        before = epoch_ms(self.clock.now() - grace)
        settled = 0
        cursor = self.records.find({"state": PENDING, "stored_ms": {"$lt": before}}).limit(limit)
        async for record in cursor:
            attachment = Attachment(
                name=record["name"],
                content_type=record["content_type"],
                size=record["size"],
                id=record["_id"],
            )
            referred = await self.tickets.find_one(
                {"tenant_id": record["tenant_id"], "attachments.id": record["_id"]}, {"_id": 1}
            )
            await (self.keep([attachment]) if referred else self.discard([attachment]))
            settled += 1
        return settled


class AttachmentSweeper(Periodic):
    """A background loop of intake: settles what a crashed writer left pending."""

    def __init__(self, store: AttachmentStore, grace: timedelta, interval_s: float = 60.0) -> None:
        super().__init__(
            "attachment-sweeper",
            interval_s,
            self.sweep,
            failure="attachment sweep failed",
            at_once=True,
        )
        self.store = store
        self.grace = grace

    async def sweep(self) -> None:
        await self.store.sweep(self.grace)
