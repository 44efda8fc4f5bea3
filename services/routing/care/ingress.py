"""The partners' HTTP door: a signed supplier event verified, parsed and kept once as a
report whose ``supplier.status`` the outbox puts on the bus (docs/suppliers.md); nothing is
written for a refused request. ``ProactiveCare`` takes the event from the bus on."""

from __future__ import annotations

import hashlib
from contextlib import suppress
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from contracts import events
from contracts.events.suppliers import LAST_SERVICE_DATE, Details, SpanEnd, span_end
from contracts.text import EARLIEST, LATEST, Instant, one_line
from runtime import webhook_signature
from runtime.clock import Clock
from runtime.errors import body_invalid, parse_body, validation_detail
from runtime.nonces import NonceStore, Replayed
from runtime.store import AlreadyExists, Repository
from services.routing.care.domain.suppliers import (
    SUPPLIER_SCOPE,
    SupplierReport,
    check_event,
    reused_id,
)
from services.routing.care.partners import PartnerSecrets, no_active_secret
from services.routing.care.store import CareStore


class SupplierEventIn(BaseModel):
    """What a partner POSTs (JSON); its signature covers these exact bytes."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: Annotated[str, one_line(min_length=1, max_length=128)] | None = Field(
        default=None, description="Re-sends repeat it."
    )
    kind: Annotated[str, one_line(min_length=1, max_length=64)] = Field(
        description="flight_cancelled, …"
    )
    reference: Annotated[str, one_line(min_length=1, max_length=64)] = Field(
        description="CA1501, a hotel id, …"
    )
    service_date: date = Field(ge=EARLIEST.date(), lt=LATEST.date())
    last_service_date: SpanEnd | None = Field(
        default=None, description=LAST_SERVICE_DATE, examples=["2026-11-28"]
    )
    details: Details = Field(
        default_factory=dict,
        max_length=50,
        description="delay_minutes, new_departure, gate, terminal, new_date, diverted_to, … "
        "(docs/suppliers.md); numbers and booleans are kept as text (90, true).",
    )
    reported_at: Instant | None = None

    _span = field_validator("last_service_date")(span_end)


def replay_key(partner: str, signed_at: int, body: bytes) -> str:
    """What a signature covers, as the replay check remembers it: the partner, the signed
    timestamp and the body. The raw header was remembered, so the same signed request with
    its MAC upper-cased, a space or a junk ``v1=`` added verified again as a new one."""
    return NonceStore.key(partner, str(signed_at), hashlib.sha256(body).hexdigest())


class Ingress(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"


class Refused(Exception):
    """A supplier request refused before anything was written: HTTP status and why."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(str(detail))
        self.status = status
        self.detail = detail


class SupplierIngress:
    """Verifies with the partner's secrets, keeps each report once (``reports``) and each
    signature once (the store's nonces)."""

    def __init__(
        self,
        store: CareStore,
        reports: Repository[SupplierReport],
        clock: Clock,
        partners: PartnerSecrets,
    ) -> None:
        self.store = store
        self.reports = reports
        self.clock = clock
        self.partners = partners

    async def receive_signed(
        self, partner: str, body: bytes, signature: str | None
    ) -> tuple[Ingress, SupplierReport]:
        """Verify, de-duplicate and put one partner event on the bus; nothing is written for
        a refused request (401 unsigned/forged/stale/no secret, 409 replayed, 422 invalid)."""
        now = self.clock.now()
        try:
            if signature:
                webhook_signature.parse(signature)  # malformed: refused before any store read
            secrets = await self.partners.active(partner)
            if secrets is None:
                raise Refused(401, "unknown partner")
            if not secrets:  # every one revoked: no signature can match, so say why
                raise Refused(401, no_active_secret(partner))
            signed_at = webhook_signature.verify(signature, body, secrets, now)
        except webhook_signature.SignatureError as exc:
            raise Refused(401, str(exc)) from exc
        try:
            event = parse_body(SupplierEventIn, body)  # strictly, once the signature verified
        except RequestValidationError as exc:
            raise Refused(422, validation_detail(exc.errors())) from exc
        try:
            check_event(event.kind, event.last_service_date, event.details)
        except ValidationError as exc:
            raise Refused(422, validation_detail(body_invalid(exc).errors())) from exc
        status = events.SupplierStatusChanged(
            partner=partner,
            kind=event.kind,
            reference=event.reference,
            service_date=event.service_date,
            last_service_date=event.last_service_date,
            details=event.details,
            reported_at=event.reported_at or now,
            event_id=event.event_id,
        )
        event_id = event.event_id or hashlib.sha256(body).hexdigest()[:32]
        report = SupplierReport.receive(status, event_id)
        nonce = replay_key(partner, signed_at, body)
        try:
            await self.reports.add(report)
        except AlreadyExists:
            stored = await self.reports.get(SUPPLIER_SCOPE, report.id)
            if refused := reused_id(stored, report):  # before the nonce: nothing is written
                raise Refused(409, refused) from None
            try:  # the nonce after the report: a retry of a request that kept none is taken
                await self.store.use_nonce(nonce, now)
            except Replayed as exc:
                raise Refused(409, "replayed: this signature was already used") from exc
            return Ingress.DUPLICATE, stored or report
        with suppress(Replayed):  # kept: a twin sent at once already used the signature
            await self.store.use_nonce(nonce, now)
        return Ingress.ACCEPTED, report
