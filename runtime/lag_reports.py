"""The acknowledgement lag, measured where notify takes acknowledgements up and heard by intake.

Intake sheds contacts while the desk behind it falls behind (``runtime.admission``).
It used to learn the lag from each acknowledgement's delivery receipt, which cost it
a consumed message and a ticket write per notice (~9 % of the stack's CPU per
contact, #20) and reached it late, behind its own queue, when it was busiest. Now
each notify replica measures the wait as it takes an acknowledgement up (from the later of
its commit and its publication) and, twice a
second, publishes what it saw (``contracts.admission.AcknowledgementLags``) on a
fanout that every intake replica hears through its own private queue. Signals, not
events: not persistent, not kept, a lost one replaced by the next, a late one not heard.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime
from typing import Any

from faststream import AckPolicy
from faststream.rabbit import RabbitQueue
from pydantic import ValidationError

from contracts.admission import MAX_LAGS, AcknowledgementLags
from runtime.admission import LagWindow
from runtime.bus import Bus
from runtime.clock import Clock
from runtime.periodic import Periodic

log = logging.getLogger(__name__)

REPORT_INTERVAL_S = 0.5


class LagReporter(Periodic):
    """Notify's side: lags observed since the last report, published every ``interval_s``."""

    def __init__(
        self,
        bus: Bus,
        clock: Clock,
        *,
        interval_s: float = REPORT_INTERVAL_S,
        reporter: str | None = None,
    ) -> None:
        super().__init__(
            "acknowledgement-lag-reports",
            interval_s,
            self.publish,
            failure="acknowledgement lag report not published (its lags are lost)",
        )
        self.bus = bus
        self.clock = clock
        self.reporter = reporter or f"{socket.gethostname()}:{os.getpid()}"
        self._lags: list[float] = []

    def taken_up(self, acknowledged_at: datetime, published_at: datetime | None = None) -> None:
        """An acknowledgement committed at ``acknowledged_at`` and published at
        ``published_at`` (``runtime.bus.published_at``) is being taken up now. Its wait
        runs from the later of the two: what a commit waited in intake's outbox for the
        broker (the sweeper republishing after a broker cut) is ``outbox_backlog``'s to
        answer for, not notify's, and counted here too it held intake at its cap after
        the desk was ready again."""
        if len(self._lags) < MAX_LAGS:
            since = max(acknowledged_at, published_at or acknowledged_at)
            self._lags.append(max(0.0, (self.clock.now() - since).total_seconds()))

    def report(self) -> AcknowledgementLags | None:
        """What was seen since the last report (None if nothing), and start afresh."""
        if not self._lags:
            return None
        lags, self._lags = self._lags, []
        return AcknowledgementLags(
            reporter=self.reporter, lags_s=lags, reported_at=self.clock.now()
        )

    async def publish(self) -> None:
        report = self.report()
        if report is not None:
            await self.bus.broker.publish(
                report.model_dump_json().encode(),
                exchange=self.bus.admission_exchange,
                content_type="application/json",
                persist=False,
                mandatory=False,
            )


def hear(report: AcknowledgementLags, window: LagWindow, clock: Clock) -> bool:
    """Feed ``report``'s lags to ``window`` unless it was made longer than the window ago
    (it waited behind a busy intake's messages, or in the broker): what it tells is over,
    and heard as fresh it kept intake shedding after notify had caught up. Whether heard."""
    if (clock.now() - report.reported_at).total_seconds() > window.window_s:
        return False
    for lag_s in report.lags_s:
        window.observe(lag_s)
    return True


def hear_lag_reports(bus: Bus, window: LagWindow, clock: Clock) -> None:
    """Intake's side: this replica's private queue on the admission fanout feeds ``window``
    (``hear``)."""
    queue = RabbitQueue(
        f"{bus.topology.admission_exchange}.{bus.service}.{uuid.uuid4().hex[:12]}",
        exclusive=True,
        auto_delete=True,
        durable=False,
    )

    @bus.broker.subscriber(queue, bus.admission_exchange, ack_policy=AckPolicy.ACK_FIRST)
    async def acknowledgement_lags(body: dict[str, Any]) -> None:
        try:
            report = AcknowledgementLags.model_validate(body)
        except ValidationError as exc:
            log.warning("acknowledgement lag report ignored: %s", exc)
            return
        hear(report, window, clock)
