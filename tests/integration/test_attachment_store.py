"""Attachment bytes in GridFS on the real store, and the sweeper that settles what a crash left."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from pymongo import AsyncMongoClient

from runtime.clock import FakeClock
from runtime.store import Document
from services.intake.attachment_store import AttachmentStore
from services.intake.attachments import AttachmentPolicy, IncomingFile, check
from tests.factories import T0

pytestmark = pytest.mark.integration
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 2_000  # 512 KB: three GridFS chunks


async def stored_bytes(store: AttachmentStore, tenant: str, file_id: str) -> bytes | None:
    opened = await store.open(tenant, file_id)
    if opened is None:
        return None
    return b"".join([chunk async for chunk in opened.chunks])


@pytest.fixture
async def store(mongo: AsyncMongoClient[Document]) -> AttachmentStore:
    files = AttachmentStore(mongo["a" + uuid.uuid4().hex[:10]], FakeClock(T0))
    await files.ensure_indexes()
    return files


async def test_bytes_round_trip_and_stay_in_their_tenant(store: AttachmentStore) -> None:
    (kept,) = await store.put(
        "acme", check([IncomingFile("it.pdf", "application/pdf", PDF)], AttachmentPolicy()), "x"
    )
    assert kept.id is not None

    assert await stored_bytes(store, "acme", kept.id) == PDF
    assert await stored_bytes(store, "globex", kept.id) is None


async def test_the_sweeper_keeps_files_a_ticket_took_and_deletes_the_rest(
    store: AttachmentStore,
) -> None:
    clock = store.clock
    assert isinstance(clock, FakeClock)
    files = check(
        [IncomingFile("a.pdf", "application/pdf", PDF), IncomingFile("b.pdf", "", PDF)],
        AttachmentPolicy(),
    )
    taken, orphan = await store.put("acme", files, "traveller")
    # The writer died after the ticket write (taken) and before any (orphan).
    await store.tickets.insert_one(
        {"_id": "TC-1", "tenant_id": "acme", "attachments": [taken.model_dump()]}
    )
    assert await store.sweep(timedelta(minutes=10)) == 0  # too young to judge

    clock.advance(timedelta(minutes=11))
    assert await store.sweep(timedelta(minutes=10)) == 2

    assert await stored_bytes(store, "acme", taken.id or "") == PDF
    assert await stored_bytes(store, "acme", orphan.id or "") is None
    assert await store.records.find_one({"_id": orphan.id}) is None
    assert await store.sweep(timedelta(minutes=10)) == 0


async def test_discarding_twice_is_harmless(store: AttachmentStore) -> None:
    (kept,) = await store.put(
        "acme", check([IncomingFile("a.pdf", "", PDF)], AttachmentPolicy()), "agent"
    )
    await store.discard([kept])
    await store.discard([kept])

    assert await stored_bytes(store, "acme", kept.id or "") is None
