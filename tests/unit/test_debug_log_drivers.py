"""``TRIPCARE_LOG_LEVEL=DEBUG`` turns on TripCare's DEBUG lines (FastStream's included), not
the drivers': pymongo's command log and aiormq's frame dumps print documents and message
bodies whole (travellers' names and words, tracking links), past ``mask_pii``, at some
thousand lines a second — an operator diagnosing a service shipped them to the log store."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from runtime.logging import DRIVERS, ROUTED, setup_logging


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    names = ("", *ROUTED, *DRIVERS)
    loggers = [logging.getLogger(name) for name in names]
    kept = [(lg.handlers[:], lg.propagate, lg.level) for lg in loggers]
    try:
        yield
    finally:
        for lg, (handlers, propagate, level) in zip(loggers, kept, strict=True):
            lg.handlers[:], lg.propagate = handlers, propagate
            lg.setLevel(level)
        logging.captureWarnings(False)


@pytest.mark.parametrize(
    "name",
    ["pymongo.command", "pymongo.connection", "aiormq.connection", "aio_pika.queue"],
)
def test_debug_leaves_the_drivers_at_info(name: str) -> None:
    setup_logging("intake", "DEBUG")
    assert not logging.getLogger(name).isEnabledFor(logging.DEBUG)
    assert logging.getLogger(name).isEnabledFor(logging.INFO)


@pytest.mark.parametrize("name", ["services.intake.service", "runtime.bus.broker"])
def test_debug_reaches_tripcare_and_faststream(name: str) -> None:
    setup_logging("intake", "DEBUG")
    assert logging.getLogger(name).isEnabledFor(logging.DEBUG)


def test_a_quieter_level_quiets_the_drivers_too() -> None:
    setup_logging("intake", "ERROR")
    assert not logging.getLogger("pymongo.command").isEnabledFor(logging.WARNING)
