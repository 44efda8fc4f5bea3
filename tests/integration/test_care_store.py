"""Routing's proactive-care reads against the real store: a contact's named references
find the disruptions still open, and only those."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from runtime.clock import FakeClock, epoch_ms
from runtime.store import Document, Repository
from services.routing.care.domain.incidents import AffectedTraveller, Disruption, TenantIncident
from services.routing.care.domain.suppliers import SUPPLIER_SCOPE
from services.routing.care.domain.trips import Trip
from services.routing.care.store import (
    AFFECTED,
    DISRUPTIONS,
    INCIDENTS,
    TRIPS,
    CareStore,
    ensure_indexes,
)
from tests.fakes import RecordingOutbox
from tests.integration.scratch import scratch_database

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


@pytest.fixture
async def db(mongo: AsyncMongoClient[Document]) -> AsyncIterator[AsyncDatabase[Document]]:
    async with scratch_database(mongo, "care", ensure_indexes) as database:
        yield database


def care_store(db: AsyncDatabase[Document]) -> CareStore:
    outbox, clock = RecordingOutbox(), FakeClock(NOW)

    def repo(name: str, model: type) -> Repository:  # type: ignore[type-arg]
        return Repository(db, name, model, outbox, clock)  # type: ignore[arg-type]

    return CareStore(
        db,
        trips=repo(TRIPS, Trip),
        disruptions=repo(DISRUPTIONS, Disruption),
        incidents=repo(INCIDENTS, TenantIncident),
        affected=repo(AFFECTED, AffectedTraveller),
    )


async def disrupt(db: AsyncDatabase[Document], reference: str, open_for: timedelta) -> None:
    disruption = Disruption(
        id=f"flight:{reference}:2026-12-06",
        tenant_id=SUPPLIER_SCOPE,
        resource="flight",
        reference=reference,
        service_date=date(2026, 12, 6),
        partner="ca",
        kind="flight_cancelled",
        open_until_ms=epoch_ms(NOW + open_for),
    )
    await db[DISRUPTIONS].insert_one(disruption.model_dump(by_alias=True))


async def test_one_named_reference_finds_its_open_disruption_and_not_a_closed_one(
    db: AsyncDatabase[Document],
) -> None:
    await disrupt(db, "CA1501", timedelta(hours=6))
    await disrupt(db, "CA1502", -timedelta(hours=1))
    store = care_store(db)

    assert [d.reference for d in await store.open_disruptions(["CA1501"], NOW)] == ["CA1501"]
    assert await store.open_disruptions(["CA1502"], NOW) == []
    assert await store.open_disruptions(["MU5100"], NOW) == []


async def test_several_named_references_find_each_open_one(db: AsyncDatabase[Document]) -> None:
    for reference in ("CA1501", "MU5100", "NH900"):
        await disrupt(db, reference, timedelta(hours=6))
    found = await care_store(db).open_disruptions(["CA1501", "NH900", "ZZ1"], NOW)
    assert sorted(d.reference for d in found) == ["CA1501", "NH900"]
