"""What several of routing's resources share: name patterns, languages, the 201 answer."""

from __future__ import annotations

from typing import Any, Literal

from services.routing.care.domain.suppliers import PARTNER_ID

Language = Literal["zh-Hans", "zh-Hant", "en", "ja"]
NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$"
"""An agent's, queue's, article's or manager's id."""
PARTNER = PARTNER_ID
"""A supplier partner's name."""
CREATED: dict[int | str, dict[str, Any]] = {201: {"description": "Created."}}
"""A PUT that creates answers 201, one that changes 200."""
