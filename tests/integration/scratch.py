"""A database of a test's own on the real store: a fresh name, the service's indexes, and
dropped afterwards, whatever the test did."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from runtime.store import Document

IndexSetup = Callable[[AsyncDatabase[Document]], Awaitable[None]]


@asynccontextmanager
async def scratch_database(
    mongo: AsyncMongoClient[Document], prefix: str, ensure_indexes: IndexSetup | None = None
) -> AsyncIterator[AsyncDatabase[Document]]:
    database = mongo[f"{prefix}_{uuid.uuid4().hex[:10]}"]
    if ensure_indexes is not None:
        await ensure_indexes(database)
    try:
        yield database
    finally:
        await mongo.drop_database(database.name)
