"""What notify's handlers are given: the use cases ``main.bootstrap`` put on ``app.state``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from runtime.app_state import from_state
from services.notify.service import Notifier

NotifierDep = Annotated[Notifier, Depends(from_state("notifier"))]
