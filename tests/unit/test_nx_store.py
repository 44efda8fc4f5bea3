"""deploy/nx_store.py runs nx-27017's commands on its event loop, as asyncio.to_thread would
have run them in a worker: same result, same exception, and nothing else in the process
changed."""

from __future__ import annotations

import asyncio
import threading

import pytest
from nx_27017 import server

from deploy import local, nx_store


def test_a_command_runs_in_the_event_loops_thread_and_returns_its_result() -> None:
    async def call() -> tuple[int, int]:
        return await nx_store.run_inline(lambda a, b=0: (a + b, threading.get_ident()), 2, b=3)

    assert asyncio.run(call()) == (5, threading.get_ident())


def test_a_failing_command_raises_to_its_caller() -> None:
    def fails() -> None:
        raise ValueError("duplicate key")

    with pytest.raises(ValueError, match="duplicate key"):
        asyncio.run(nx_store.run_inline(fails))


def test_only_nx_27017s_server_module_is_pointed_at_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "asyncio", server.asyncio)
    nx_store.install()
    assert server.asyncio.to_thread is nx_store.run_inline
    assert server.asyncio.start_server is asyncio.start_server
    assert asyncio.to_thread is not nx_store.run_inline


def test_the_local_stack_starts_nx_27017_through_it() -> None:
    command = local.store_command("nx", 27017, local.ROOT / "x", local.ROOT / "x.log")
    assert command[1].endswith("deploy/nx_store.py")
    assert command[command.index("--port") + 1] == "27017"
