"""A partner's retry of a request that failed half-way is taken, not refused as a replay.

The signature's nonce was stored before the report: when the report's write then failed
(a 500, or the replica died), the partner's retry of the very same request — what an
HTTP client's retry sends — was a 409 "replayed" and the event was never kept, so nobody
was told. The nonce is now stored after the report: a retry of a request that kept
nothing is accepted once, and the exact same request after one that was kept is still a
409 replay.
"""

from __future__ import annotations

from typing import Any

import pytest

from services.routing.care.domain.suppliers import SupplierReport
from services.routing.care.ingress import Ingress, Refused
from services.routing.care.store import NONCES, SUPPLIER_REPORTS
from tests.unit.test_supplier_care import Care, body, signed


class StoreDown(Exception):
    pass


def fail_first_add(care: Care) -> None:
    """The store refuses the report's write once, as when its primary steps down."""
    reports = care.care.reports
    real_add = reports.add
    calls = {"n": 0}

    async def add(report: SupplierReport, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise StoreDown("not primary")
        await real_add(report, *args, **kwargs)

    reports.add = add  # type: ignore[method-assign,assignment]


async def test_a_retry_of_a_request_whose_report_was_not_kept_is_accepted() -> None:
    desk = Care()
    fail_first_add(desk)
    raw = body()
    header = signed(raw)
    with pytest.raises(StoreDown):
        await desk.care.receive_signed("ca", raw, header)
    assert desk.db[SUPPLIER_REPORTS].docs == {}

    outcome, report = await desk.care.receive_signed("ca", raw, header)  # the same request

    assert (outcome, report.id) == (Ingress.ACCEPTED, "ca:ca-ev-1")
    assert len(desk.published("supplier.status")) == 1


async def test_the_same_request_after_it_was_kept_is_still_a_replay() -> None:
    desk = Care()
    raw = body()
    header = signed(raw)
    await desk.care.receive_signed("ca", raw, header)

    with pytest.raises(Refused) as refused:
        await desk.care.receive_signed("ca", raw, header)

    assert refused.value.status == 409
    assert "replayed" in str(refused.value.detail)
    assert len(desk.db[NONCES].docs) == 1
    assert len(desk.published("supplier.status")) == 1
