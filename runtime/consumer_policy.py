"""The consumer policy every service's subscribers run under: ack after the commit, a
malformed message dead-lettered at once (logged by its fields, never its values), so is one
a handler says can never apply (``CannotApply``, one WARNING line with its reason), a failing
handler requeued with back-off until the queue's delivery limit dead-letters it, a message
held (not burned through the delivery limit) while the store is unreachable, and each message
given up counted in ``messages_dead_lettered_total`` (``DeadLetters``). A body over
``max_message_bytes`` is dead-lettered at once without being parsed. A failing handler's
traceback is logged once per message, on its first delivery; each redelivery is one line
(``give_back``)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from faststream import BaseMiddleware
from faststream.exceptions import RejectMessage
from faststream.message import StreamMessage
from prometheus_client import CollectorRegistry, Counter
from pydantic import ValidationError
from pymongo.errors import ConnectionFailure

from runtime.logging import about, ticket_field
from runtime.settings import MAX_MESSAGE_BYTES
from runtime.startup import failure
from runtime.store import ConcurrencyError

log = logging.getLogger(__name__)

CONCURRENCY_RETRIES = 20
LOGGED = "_tripcare_logged"
"""Marks a handler's exception the policy has logged (``LoggedOnce``)."""


class CannotApply(Exception):
    """Raised by a handler for a message that names what this service will never have
    (intake: a ticket it did not write, or another tenant's): no redelivery can make it
    apply, so the policy dead-letters it at once as ``rejected`` with one WARNING line giving
    this reason, instead of backing off through the delivery limit. Raise it only where
    waiting cannot help; what may legitimately arrive later is retried (or built, by
    whichever event comes first). ``runtime.dlq replay`` brings it back once it can apply."""


class LoggedOnce(logging.Filter):
    """On FastStream's logger: drops its line (with the traceback) for a handler's failure
    the consumer policy has already logged, so a poison message's traceback is not
    repeated on every redelivery."""

    def filter(self, record: logging.LogRecord) -> bool:
        failure = record.exc_info[1] if record.exc_info else None
        return not getattr(failure, LOGGED, False)


class DeadLetters:
    """Counts the messages this service's consumers give up to a dead-letter queue, by work
    queue and the reason the broker records in ``x-death``: ``rejected`` (malformed, or
    ``CannotApply``: at once) or ``delivery_limit`` (the handler failed on the last delivery
    the queue allows). Counted as the consumer gives a message up; the broker then moves it."""

    def __init__(
        self, registry: CollectorRegistry, delivery_limit: int, queue_of: Callable[[str], str]
    ) -> None:
        self.registry = registry
        self.delivery_limit = delivery_limit
        self.queue_of = queue_of
        """The work queue a message with this routing key was consumed from."""
        self._counter = Counter(
            "messages_dead_lettered",
            "Messages this service's consumers gave up to a dead-letter queue, by work queue "
            "and reason (rejected: malformed or never applicable, at once; delivery_limit: "
            "the handler kept failing)",
            ("queue", "reason"),
            registry=registry,
        )

    def rejected(self, msg: StreamMessage[Any]) -> None:
        self._counter.labels(self._queue(msg), "rejected").inc()

    def failed(self, msg: StreamMessage[Any]) -> None:
        """A handler failed: the nack dead-letters the message if the queue allows no more
        deliveries (``x-delivery-count``: how many it had before this one)."""
        if _delivered_before(msg) >= self.delivery_limit:
            self._counter.labels(self._queue(msg), "delivery_limit").inc()

    def _queue(self, msg: StreamMessage[Any]) -> str:
        raw = msg.raw_message
        if not raw.exchange:  # sent straight to the queue (``runtime.dlq replay --direct``)
            return str(raw.routing_key)
        return self.queue_of(str(raw.routing_key))


class ConsumerPolicy:
    """Builds the per-message middleware that decides ack, retry and dead-lettering."""

    def __init__(
        self,
        store_retry_budget_s: float,
        dead_letters: DeadLetters,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
    ) -> None:
        self.store_retry_budget_s = store_retry_budget_s
        self.dead_letters = dead_letters
        self.max_message_bytes = max_message_bytes

    def __call__(self, msg: Any, /, *, context: Any) -> _ConsumerPolicy:
        return _ConsumerPolicy(msg, context=context, policy=self)


class _ConsumerPolicy(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, policy: ConsumerPolicy) -> None:
        super().__init__(msg, context=context)
        self.budget_s = policy.store_retry_budget_s
        self.dead_letters = policy.dead_letters
        self.max_message_bytes = policy.max_message_bytes

    async def consume_scope(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        ticket = ticket_field(getattr(msg, "correlation_id", None))
        with about(message_id=msg.message_id, ticket_id=ticket):
            try:
                self._refuse_oversized(msg)
                return await self._consume(call_next, msg)
            except RejectMessage:
                self.dead_letters.rejected(msg)
                raise
            except Exception as exc:
                self.dead_letters.failed(msg)
                self.give_back(msg, exc)
                raise

    def _refuse_oversized(self, msg: StreamMessage[Any]) -> None:
        """A body over the limit is rejected before anything parses it: reading a 20 MB body
        as JSON and validating it holds the event loop for seconds and takes several times
        its size in memory, for a message no valid producer sends."""
        size = len(msg.body)
        if size > self.max_message_bytes:
            log.error(
                "message %s dead-lettered unread: its body is %s bytes, over the limit of %s "
                "(TRIPCARE_MAX_MESSAGE_BYTES)",
                msg.message_id,
                f"{size:,}",
                f"{self.max_message_bytes:,}",
            )
            raise RejectMessage()

    def give_back(self, msg: StreamMessage[Any], exc: Exception) -> None:
        """Log a failed delivery, which the nack requeues or, on the last one the queue allows,
        dead-letters. FastStream's line with the traceback is kept for the first delivery
        only (``LoggedOnce`` drops it for the redeliveries): each later one is one WARNING
        line, the one that gives the message up one ERROR line saying so."""
        before = _delivered_before(msg)
        limit = self.dead_letters.delivery_limit
        if before > 0:
            with suppress(AttributeError):
                setattr(exc, LOGGED, True)
        failure = f"{type(exc).__name__}: {exc}"
        if before >= limit:
            log.error(
                "message %s dead-lettered after %d deliveries: %s",
                msg.message_id,
                before + 1,
                failure,
            )
        elif before > 0:
            log.warning(
                "message %s failed again on delivery %d of %d, requeued: %s",
                msg.message_id,
                before + 1,
                limit + 1,
                failure,
            )

    async def _consume(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        started = time.monotonic()
        conflicts = 0
        while True:
            try:
                return await call_next(msg)
            except NEVER_APPLIES as exc:
                refused(msg, exc)
                raise RejectMessage() from exc
            except ConcurrencyError:
                conflicts += 1
                if conflicts > CONCURRENCY_RETRIES:
                    raise
            except ConnectionFailure as exc:
                waited = time.monotonic() - started
                if waited > self.budget_s:
                    raise
                log.warning(
                    "store unreachable, holding message %s: %s", msg.message_id, failure(exc)
                )
                await asyncio.sleep(min(5.0, 0.5 + waited / 4))
            except Exception:
                await asyncio.sleep(_redelivery_backoff(msg))
                raise


NEVER_APPLIES = (
    ValidationError,
    json.JSONDecodeError,
    UnicodeDecodeError,
    OverflowError,  # a time past the calendar's end: every try alike
    CannotApply,
)
"""What fails every delivery alike: dead-lettered on the first (``rejected``)."""


def refused(msg: StreamMessage[Any], exc: Exception) -> None:
    """The one line of a message dead-lettered at once: ERROR for what its producer got
    wrong, WARNING for what this service says can never apply (``CannotApply``)."""
    if isinstance(exc, ValidationError):
        log.error("malformed message %s dead-lettered: %s", msg.message_id, problems(exc))
    elif isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):
        log.error("malformed message %s dead-lettered: its body is not JSON", msg.message_id)
    elif isinstance(exc, OverflowError):
        log.error("message %s dead-lettered: a time out of range (%s)", msg.message_id, exc)
    else:
        log.warning("message %s dead-lettered: %s", msg.message_id, exc)


def problems(exc: ValidationError, most: int = 10) -> str:
    """What is wrong with a message, field by field, without the values: a payload holds a
    traveller's words and contact details, which the log must not."""
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    named = "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in errors[:most]
    )
    return named + (f"; and {len(errors) - most} more" if len(errors) > most else "")


def _delivered_before(msg: StreamMessage[Any]) -> int:
    """Deliveries the message had before this one (the quorum queue's ``x-delivery-count``)."""
    return int(msg.headers.get("x-delivery-count", 0) or 0)


def _redelivery_backoff(msg: StreamMessage[Any]) -> float:
    """Exponential back-off before a requeue, from the quorum queue's delivery count."""
    return float(min(5.0, 0.1 * 2 ** _delivered_before(msg)))
