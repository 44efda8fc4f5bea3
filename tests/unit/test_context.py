"""``runtime.context.Provided``: a subscriber gets what bootstrap put on its broker's context,
looked up on the event loop, never in a worker thread.
"""

from __future__ import annotations

from typing import Annotated

import pytest
from fast_depends import utils
from faststream.rabbit import RabbitBroker, TestRabbitBroker

from runtime.context import Provided


class Inbox:
    def __init__(self) -> None:
        self.got: list[str] = []


async def deliver(body: str, inbox: Annotated[Inbox, Provided("inbox")]) -> None:
    inbox.got.append(body)


def broker_with(inbox: Inbox) -> RabbitBroker:
    broker = RabbitBroker()
    broker.context.set_global("inbox", inbox)
    broker.subscriber("letters")(deliver)
    return broker


async def test_each_broker_hands_its_own_dependency_to_the_same_subscriber() -> None:
    first, second = Inbox(), Inbox()

    async with TestRabbitBroker(broker_with(first)) as broker:
        await broker.publish("to the first", "letters")
    async with TestRabbitBroker(broker_with(second)) as broker:
        await broker.publish("to the second", "letters")

    assert (first.got, second.got) == (["to the first"], ["to the second"])


async def test_the_lookup_needs_no_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_threads(*_: object, **__: object) -> None:
        raise AssertionError("a worker thread was used")

    monkeypatch.setattr(utils, "run_in_threadpool", no_threads)
    inbox = Inbox()

    async with TestRabbitBroker(broker_with(inbox)) as broker:
        await broker.publish("hello", "letters")

    assert inbox.got == ["hello"]
