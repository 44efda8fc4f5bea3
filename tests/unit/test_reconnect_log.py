"""A broker reconnect is routine: its lines are WARNINGs (a closed channel's callback during
the recovery, the broker's forced close, each failed attempt, a handler the lost connection
interrupted), so an alert on ERROR lines fires on failures, not on reconnects; any other
callback error, close or cancellation stays an ERROR."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiormq.exceptions import ConnectionClosed

from runtime.bus import BROKER_LOG  # importing runtime.bus installs the filters

CALLBACKS = logging.getLogger("aio_pika.tools")


def logged(caplog: pytest.LogCaptureFixture, error: str) -> str:
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="aio_pika"):
        CALLBACKS.error("Callback %r error: %s: %s", "<cb>", error, "channel closed")
    (record,) = caplog.records
    return record.levelname


def test_a_closed_channels_callback_on_reconnect_is_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert logged(caplog, "ChannelInvalidStateError") == "WARNING"


def test_any_other_callback_error_stays_an_error(caplog: pytest.LogCaptureFixture) -> None:
    assert logged(caplog, "KeyError") == "ERROR"


CONNECTION = logging.getLogger("aiormq.connection")
CLOSE = (
    'Unexpected connection close from remote "%s", Connection.Close(reply_code=%r, reply_text=%r)'
)


def level_of(caplog: pytest.LogCaptureFixture, logger: logging.Logger, *args: object) -> str:
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.error(*args)
    (record,) = caplog.records
    return record.levelname


def test_a_connection_the_broker_forced_closed_is_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """320 CONNECTION_FORCED: an operator closed it or the node shuts down; it reconnects."""
    assert level_of(caplog, CONNECTION, CLOSE, "amqp://…", 320, "CONNECTION_FORCED") == "WARNING"


def test_any_other_close_by_the_broker_stays_an_error(caplog: pytest.LogCaptureFixture) -> None:
    assert level_of(caplog, CONNECTION, CLOSE, "amqp://…", 530, "NOT_ALLOWED") == "ERROR"


def test_a_failed_reconnect_attempt_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    """aio_pika says the same of each attempt at WARNING ("… Reconnecting after 1 seconds")."""
    error = ConnectionRefusedError(111, "Connection refused")
    assert level_of(caplog, CONNECTION, "error when creating transport: %r", error) == "WARNING"


def interrupted(caplog: pytest.LogCaptureFixture, reason: BaseException) -> logging.LogRecord:
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=BROKER_LOG.name):
        try:
            raise asyncio.CancelledError(reason)
        except asyncio.CancelledError as exc:
            BROKER_LOG.error(f"CancelledError: {exc}", exc_info=exc, extra={"message_id": "m-1"})
    (record,) = caplog.records
    return record


def test_a_handler_the_lost_connection_interrupted_is_one_warning_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Its message is unacked, so the broker redelivers it: no failure, no traceback."""
    record = interrupted(caplog, ConnectionClosed(320, "CONNECTION_FORCED - shutdown"))
    assert record.levelname == "WARNING"
    assert record.exc_info is None
    assert "redeliver" in record.getMessage()


def test_a_handler_cancelled_for_another_reason_stays_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    record = interrupted(caplog, RuntimeError("boom"))
    assert record.levelname == "ERROR"
    assert record.exc_info is not None
