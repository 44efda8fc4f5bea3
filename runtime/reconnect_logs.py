"""A broker reconnect logs as WARNINGs, so an alert on ERROR lines fires on failures.

aio_pika and aiormq log a routine reconnect (a node restarting, an operator closing a
connection, a network blip the robust connection recovers from) at ERROR in several
places, and FastStream adds one ERROR with a traceback per handler the lost connection
cancelled. Each filter here lowers one of those lines to WARNING and leaves every other
line of its logger as it was. A broker that stays away still shows: ``/readyz`` fails
(``readiness_check{check="broker"}``) and aio_pika warns of every attempt.
"""

from __future__ import annotations

import asyncio
import logging

from aiormq.exceptions import AMQPConnectionError

FORCED = 320
"""AMQP ``CONNECTION_FORCED``: an operator closed the connection or the node shuts down."""
REDELIVERED = "; interrupted by the lost broker connection, the broker redelivers its message"


def _warn(record: logging.LogRecord) -> None:
    record.levelno, record.levelname = logging.WARNING, "WARNING"


class ReconnectNoise(logging.Filter):
    """aio_pika's ``Callback … error: ChannelInvalidStateError`` (a closed channel's
    callback, during a recovery that then succeeds)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        if record.levelno == logging.ERROR and args[1:2] == ("ChannelInvalidStateError",):
            _warn(record)
        return True


class ConnectionNoise(logging.Filter):
    """aiormq's line for a close the broker forced (320) and for each failed connection
    attempt, which aio_pika also reports, at WARNING, with the delay before the next."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.ERROR:
            return True
        args = record.args if isinstance(record.args, tuple) else ()
        text = str(record.msg)
        forced = text.startswith("Unexpected connection close") and args[1:2] == (FORCED,)
        if forced or text.startswith("error when creating transport"):
            _warn(record)
        return True


class InterruptedHandler(logging.Filter):
    """FastStream's line for a handler cancelled because the connection went: its message
    was not acked, so the broker redelivers it; one WARNING line, no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        failure = record.exc_info[1] if record.exc_info else None
        if isinstance(failure, asyncio.CancelledError) and any(
            isinstance(arg, AMQPConnectionError) for arg in failure.args
        ):
            _warn(record)
            record.msg, record.args = record.getMessage() + REDELIVERED, ()
            record.exc_info = record.exc_text = None
        return True


def install(broker_log: logging.Logger) -> None:
    """Put the filters on the loggers that write those lines (``broker_log``: FastStream's)."""
    logging.getLogger("aio_pika.tools").addFilter(ReconnectNoise())
    logging.getLogger("aiormq.connection").addFilter(ConnectionNoise())
    broker_log.addFilter(InterruptedHandler())
