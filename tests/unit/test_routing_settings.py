"""Routing reads every setting from one class (``config.RoutingSettings``): its own under
their unchanged ``TRIPCARE_SLA_*``, ``TRIPCARE_DISPATCH_*`` and ``TRIPCARE_SUPPLIER_*``
names, with the workers' defaults and bounds when unset."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from runtime.settings import Settings
from services.routing.config import RoutingSettings


def test_own_settings_are_read_under_their_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPCARE_SLA_POLL_INTERVAL_S", "0.25")
    monkeypatch.setenv("TRIPCARE_SLA_LEASE_S", "5")
    monkeypatch.setenv("TRIPCARE_DISPATCH_SWEEP_S", "2")
    monkeypatch.setenv("TRIPCARE_DISPATCH_GATHER_S", "0")
    monkeypatch.setenv("TRIPCARE_DISPATCH_SLOT_GRACE_S", "300")
    monkeypatch.setenv("TRIPCARE_DISPATCH_SLOT_CHECKS", "50")
    monkeypatch.setenv("TRIPCARE_SUPPLIER_PARTNERS", '{"ca": {"secrets": ["new", "old"]}}')
    monkeypatch.setenv("TRIPCARE_SUPPLIER_OPERATOR_TENANT", "ops")

    settings = RoutingSettings()

    assert (settings.sla.poll_interval_s, settings.sla.lease_s) == (0.25, 5.0)
    assert (settings.sla.batch, settings.sla.concurrency) == (200, 16)
    assert (settings.dispatch.sweep_s, settings.dispatch.gather_s) == (2.0, 0.0)
    assert (settings.dispatch.slot_grace_s, settings.dispatch.slot_checks) == (300.0, 50)
    assert settings.suppliers.partners["ca"].secrets == ["new", "old"]
    assert settings.suppliers.operator_tenant == "ops"


def test_unset_settings_take_the_workers_defaults() -> None:
    settings = RoutingSettings()

    assert (settings.sla.poll_interval_s, settings.dispatch.sweep_s) == (0.5, 5.0)
    assert (settings.dispatch.slot_grace_s, settings.dispatch.slot_checks) == (120.0, 200)
    assert (settings.suppliers.partners, settings.suppliers.operator_tenant) == ({}, "tripcare")


def test_a_setting_out_of_bounds_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPCARE_SLA_POLL_INTERVAL_S", "5")

    with pytest.raises(ValidationError):
        _ = RoutingSettings().sla


def test_shared_settings_passed_in_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPCARE_SLA_BATCH", "50")

    settings = RoutingSettings.of(Settings(service="routing", namespace="unit"))

    assert (settings.service, settings.namespace, settings.sla.batch) == ("routing", "unit", 50)
