"""A broker reconnect is routine: aio_pika's line about a closed channel's callback during
the recovery is a WARNING, so an alert on ERROR lines fires on failures, not on reconnects;
any other callback error stays an ERROR."""

from __future__ import annotations

import logging

import pytest

import runtime.bus  # noqa: F401  (installs the filter on aio_pika's logger)

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
