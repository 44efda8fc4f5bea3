"""``from_state``: a FastAPI dependency for an object ``bootstrap`` put on ``app.state``.

Every service's ``api/deps.py`` hands its handlers what bootstrap built this way. The
dependency is a coroutine, so FastAPI resolves it on the event loop: a plain function
would run in a worker thread for every request, only to read an attribute.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request


def from_state(name: str) -> Callable[[Request], Awaitable[Any]]:
    """The dependency that answers ``request.app.state.<name>``."""

    async def dependency(request: Request) -> Any:
        return getattr(request.app.state, name)

    dependency.__name__ = f"app_state_{name}"
    return dependency
