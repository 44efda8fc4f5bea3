"""Group commit: concurrent requests of one kind share one store command.

Under load a consumer runs up to ``prefetch`` handlers at once, and each one
loaded and wrote its own aggregate: a round trip per operation, 0.3–0.5 ms of the
store's time each. Here requests queue up and one task flushes them. No timer:
the first request of an idle queue starts a flush on the next turn of the event
loop, so a lone request goes out at once; requests that arrive while a batch is
in flight form the next batch, so batches grow with the load by themselves (up
to ``cap``). At most one batch is in flight per queue.

Consumed messages can afford to wait; a caller answering a request cannot. With
``linger_s``, a batch of only patient requests (``submit(..., patient=True)``) first
waits that long for company, so a few milliseconds gather the loads and writes that
at moderate load went one by one; an impatient request ends the wait at once (and
takes the patient ones along), as does a full batch.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

Q = TypeVar("Q")
R = TypeVar("R")
DEFAULT_CAP = 500


@dataclass(eq=False)
class Pending(Generic[Q, R]):
    """One waiter's request and the future its answer goes to."""

    request: Q
    future: asyncio.Future[R]
    patient: bool = False

    def resolve(self, value: R) -> None:
        if not self.future.done():
            self.future.set_result(value)

    def fail(self, error: BaseException) -> None:
        if not self.future.done():
            self.future.set_exception(error)


Flush = Callable[[list[Pending[Q, R]]], Awaitable[None]]
"""Sends one batch and settles every waiter in it; what it raises reaches every waiter
it left unsettled."""


class GroupCommit(Generic[Q, R]):
    def __init__(
        self,
        flush: Flush[Q, R],
        *,
        key: Callable[[Q], Hashable] | None = None,
        cap: int = DEFAULT_CAP,
        observe: Callable[[float], None] | None = None,
        name: str = "group-commit",
        linger_s: float = 0.0,
    ) -> None:
        """``key``: requests with the same key never share a batch (the later one waits for
        the next); ``observe`` is told each batch's size; ``linger_s``: how long a batch
        of patient requests waits for more before it goes out."""
        self._flush = flush
        self._linger_s = linger_s
        self._key = key
        self._cap = cap
        self._observe = observe
        self._name = name
        self._queue: deque[Pending[Q, R]] = deque()
        self._task: asyncio.Task[None] | None = None
        self._hurry: asyncio.Future[None] | None = None
        """Set while a batch lingers; an impatient request or a full queue resolves it."""

    async def submit(self, request: Q, *, patient: bool = False) -> R:
        """``patient``: the caller does not mind a batch lingering (``linger_s``) for company."""
        loop = asyncio.get_running_loop()
        pending: Pending[Q, R] = Pending(request, loop.create_future(), patient)
        self._queue.append(pending)
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._drain(), name=self._name)
        elif self._hurry and not self._hurry.done() and (not patient or self.queued >= self._cap):
            self._hurry.set_result(None)
        return await pending.future

    @property
    def queued(self) -> int:
        return len(self._queue)

    async def _drain(self) -> None:
        while batch := await self._gather():
            if self._observe is not None:
                self._observe(len(batch))
            try:
                await self._flush(batch)
            except asyncio.CancelledError:
                for pending in batch:
                    pending.future.cancel()
                raise
            except Exception as exc:
                for pending in batch:
                    pending.fail(exc)
            for pending in batch:
                pending.fail(RuntimeError(f"{self._name}: the flush left a request unanswered"))

    async def _gather(self) -> list[Pending[Q, R]]:
        """The next batch, after lingering for company if every queued request is patient."""
        if self._should_linger():
            self._hurry = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait({self._hurry}, timeout=self._linger_s)
            except asyncio.CancelledError:
                for pending in self._queue:
                    pending.future.cancel()
                raise
            finally:
                self._hurry = None
        return self._take()

    def _should_linger(self) -> bool:
        queue = self._queue
        return (
            self._linger_s > 0
            and 0 < len(queue) < self._cap
            and all(pending.patient for pending in queue)
        )

    def _take(self) -> list[Pending[Q, R]]:
        """The next batch, in arrival order; a request whose waiter gave up is dropped."""
        batch: list[Pending[Q, R]] = []
        keys: set[Hashable] = set()
        deferred: list[Pending[Q, R]] = []
        while self._queue and len(batch) < self._cap:
            pending = self._queue.popleft()
            if pending.future.done():
                continue
            if self._key is not None:
                key = self._key(pending.request)
                if key in keys:
                    deferred.append(pending)
                    continue
                keys.add(key)
            batch.append(pending)
        self._queue.extendleft(reversed(deferred))
        return batch
