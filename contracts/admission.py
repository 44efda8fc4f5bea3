"""Notify's report of how long acknowledgements waited for it: intake's admission signal.

Not an integration event (no envelope, no tenant, nothing kept): each notify replica
publishes one every half second it took acknowledgements up, on the admission
exchange (``Topology.admission_exchange``), and every intake replica hears every
report. A lost report is replaced by the next.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

MAX_LAGS = 1_000
"""Lags one report carries at most: half a second at 2,000 acknowledgements/s."""


class AcknowledgementLags(BaseModel):
    """Each acknowledgement's wait from intake's commit to notify taking it up, in seconds."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    reporter: str = Field(min_length=1, max_length=128, description="host:pid of the replica.")
    lags_s: list[float] = Field(min_length=1, max_length=MAX_LAGS)
    reported_at: datetime
