"""Start-up waits for the store and the broker, within one budget (``TRIPCARE_STARTUP_RETRY_S``).

A pod started while either is down (an outage, or the whole stack coming up at once) keeps
trying with growing pauses, one WARNING per failed attempt saying what it waits for, where
and why; past the budget it gives up with ``StartupFailed``, whose message names the cause,
and the process exits (status 3, uvicorn's for a failed start) for its supervisor to
start again. The budget fits in the k8s startupProbe's (120 s) with room for the start.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import urlsplit

from pymongo.errors import ConnectionFailure

log = logging.getLogger(__name__)
T = TypeVar("T")

FIRST_PAUSE_S = 0.5
MAX_PAUSE_S = 5.0
REASON_CHARS = 200
PYMONGO_TAIL = " (configured timeouts"
"""PyMongo's server-selection error goes on with its timeouts and whole topology: its head
is why."""


RUNBOOK = "docs/operations.md#store-failover-mongodb-primary-lost-or-election"


class StartupFailed(Exception):
    """The store or the broker stayed unreachable for the whole start-up budget."""


def masked_url(url: str) -> str:
    """The URL without its password and query (which may carry credentials too)."""
    parts = urlsplit(url)
    user, at, hosts = parts.netloc.rpartition("@")
    if at:
        name, colon, _ = user.partition(":")
        hosts = f"{name}:***@{hosts}" if colon else f"***@{hosts}"
    return f"{parts.scheme}://{hosts}{parts.path}"


def reason(exc: BaseException) -> str:
    """The error's type and the first line of its text, at most ``REASON_CHARS`` of it."""
    lines = str(exc).splitlines()
    text = lines[0].partition(PYMONGO_TAIL)[0] if lines else ""
    if len(text) > REASON_CHARS:
        text = text[:REASON_CHARS] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def failure(exc: BaseException) -> str:
    """What a background step's or a held message's line says of its error: its head
    (``reason``: never the driver's whole topology description), and for a store that is
    unreachable that it is tried again by itself and where to look if it lasts."""
    if isinstance(exc, ConnectionFailure):
        return f"{reason(exc)} (store unreachable, tried again by itself; if it lasts: {RUNBOOK})"
    return reason(exc)


class StartupRetry:
    """One process's start-up budget, shared by every step it retries."""

    def __init__(
        self,
        budget_s: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.budget_s = budget_s
        self._monotonic = monotonic
        self._sleep = sleep
        self._started = monotonic()

    async def run(
        self,
        what: str,
        url: str,
        step: Callable[[], Awaitable[T]],
        retried: tuple[type[BaseException], ...],
        setting: str | None = None,
    ) -> T:
        """``step``'s answer, trying it again after a ``retried`` error while budget is left;
        any other error is no outage and goes up at once. ``setting`` names the variable the
        address came from, for the operator to check (``at amqp://nope (AMQP_URL)``)."""
        where = f"{masked_url(url)} ({setting})" if setting else masked_url(url)
        pause = FIRST_PAUSE_S
        attempts = 0
        while True:
            attempts += 1
            try:
                return await step()
            except retried as exc:
                spent = self._monotonic() - self._started
                left = self.budget_s - spent
                if left <= 0:
                    raise StartupFailed(
                        f"{what} unreachable at {where}: {reason(exc)}; gave up after "
                        f"{attempts} attempt{'s' if attempts > 1 else ''} in {spent:.0f} s "
                        f"(TRIPCARE_STARTUP_RETRY_S={self.budget_s:g})"
                    ) from exc
                wait = min(pause, left)
                log.warning(
                    "%s unreachable at %s: %s; retrying in %.1f s", what, where, reason(exc), wait
                )
                await self._sleep(wait)
                pause = min(pause * 2, MAX_PAUSE_S)
