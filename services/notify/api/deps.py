"""What notify's handlers are given: the use cases ``main.bootstrap`` put on ``app.state``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.notify.service import Notifier


async def get_notifier(request: Request) -> Notifier:
    """A coroutine: FastAPI would run a plain function in a worker thread per request."""
    notifier: Notifier = request.app.state.notifier
    return notifier


NotifierDep = Annotated[Notifier, Depends(get_notifier)]
