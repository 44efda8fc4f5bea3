"""Every setting routing reads: the shared ones (``runtime.settings``) and its own, under
their ``TRIPCARE_SLA_*``, ``TRIPCARE_DISPATCH_*`` and ``TRIPCARE_SUPPLIER_*`` names.

Each of routing's own fields is named by its environment variable (its alias) and is
None when unset: the defaults and bounds live in the parameter objects the workers
take (``SlaSettings``, ``DispatchSettings``, ``SupplierSettings``), which ``sla``,
``dispatch`` and ``suppliers`` build and validate at start-up.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, Field, ValidationError, model_validator

from runtime.settings import ServiceSettings, Settings, consumer_linger
from services.routing.assignment.dispatch import DispatchSettings
from services.routing.care.domain.suppliers import Partner, SupplierSettings
from services.routing.sla.scheduler import SlaSettings


class RoutingSettings(ServiceSettings):
    service: str = "routing"
    consumer_linger_ms: float = consumer_linger(100.0)

    sla_poll_interval_s: float | None = Field(
        default=None,
        validation_alias="TRIPCARE_SLA_POLL_INTERVAL_S",
        description="Longest sleep between two looks at the SLA timers (default 0.5, at most 1).",
    )
    sla_lease_s: float | None = Field(
        default=None,
        validation_alias="TRIPCARE_SLA_LEASE_S",
        description="A claimed timer not fired within this goes to another replica (10).",
    )
    sla_batch: int | None = Field(
        default=None, validation_alias="TRIPCARE_SLA_BATCH", description="Timers claimed per look."
    )
    sla_concurrency: int | None = Field(
        default=None, validation_alias="TRIPCARE_SLA_CONCURRENCY", description="Fired at once."
    )
    dispatch_sweep_s: float | None = Field(
        default=None,
        validation_alias="TRIPCARE_DISPATCH_SWEEP_S",
        description="Every tenant with a free online agent is looked at this often (5).",
    )
    dispatch_gather_s: float | None = Field(
        default=None,
        validation_alias="TRIPCARE_DISPATCH_GATHER_S",
        description="A wake-up waits this long for others to share one look (0.05).",
    )
    dispatch_slot_grace_s: float | None = Field(
        default=None,
        validation_alias="TRIPCARE_DISPATCH_SLOT_GRACE_S",
        description="A slot no case gives its agent is given back once this old (120).",
    )
    dispatch_slot_checks: int | None = Field(
        default=None,
        validation_alias="TRIPCARE_DISPATCH_SLOT_CHECKS",
        description="Held tickets each dispatch sweep checks against their cases (200).",
    )
    kb_embed_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        validation_alias="TRIPCARE_KB_EMBED_NICE",
        description="How many steps below routing's own CPU priority its embeddings run "
        "(the bot's article search, triage's second stage); 0: the same.",
    )
    supplier_partners: dict[str, Partner] | None = Field(
        default=None,
        validation_alias="TRIPCARE_SUPPLIER_PARTNERS",
        description='Partners\' webhook secrets: {"ca": {"secrets": ["new", "old"]}, …} (JSON).',
    )
    supplier_operator_tenant: str | None = Field(
        default=None,
        validation_alias="TRIPCARE_SUPPLIER_OPERATOR_TENANT",
        description="The platform operator's own tenant (``tripcare``).",
    )

    @model_validator(mode="after")
    def _parameters_valid(self) -> Self:
        """The workers' parameter objects are built from these at start-up: check them now,
        so a bad ``TRIPCARE_SLA_*`` or ``TRIPCARE_DISPATCH_*`` names its variable."""
        parameters: dict[str, type[BaseModel]] = {
            "sla_": SlaSettings,
            "dispatch_": DispatchSettings,
            "supplier_": SupplierSettings,
        }
        for prefix, model in parameters.items():
            try:
                model.model_validate(self._given(prefix))
            except ValidationError as exc:
                error = exc.errors(include_url=False, include_input=False)[0]
                field = str(error["loc"][0]).upper() if error["loc"] else "*"
                raise ValueError(f"TRIPCARE_{prefix.upper()}{field}: {error['msg']}") from None
        return self

    @classmethod
    def of(cls, shared: Settings | None) -> RoutingSettings:
        """Routing's settings from the shared ones a caller passed, the rest from the
        environment (tests and tools pass ``runtime.settings.Settings``)."""
        if isinstance(shared, cls):
            return shared
        return cls(**(shared.model_dump() if shared else {}))

    @property
    def sla(self) -> SlaSettings:
        return SlaSettings.model_validate(self._given("sla_"))

    @property
    def dispatch(self) -> DispatchSettings:
        return DispatchSettings.model_validate(self._given("dispatch_"))

    @property
    def suppliers(self) -> SupplierSettings:
        return SupplierSettings.model_validate(self._given("supplier_"))

    def _given(self, prefix: str) -> dict[str, Any]:
        """The settings set under ``prefix``, by the parameter object's field names."""
        return {
            name.removeprefix(prefix): value
            for name, value in self
            if name.startswith(prefix) and value is not None
        }
