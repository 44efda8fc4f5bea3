"""A TCP proxy the chaos suite puts between the services and the store, to cut it at will.

Cutting the store's process would lose its data and test recovery from a crash,
not a partition; the proxy models the network instead. Modes:

- ``reset``: every open connection is aborted (RST) and new ones are refused;
- ``blackhole``: connections stay open but nothing passes either way, as when a
  switch drops packets — the case a client without socket timeouts hangs on;
- ``delay_s``: every chunk waits this long before it is forwarded.
"""

from __future__ import annotations

import asyncio
from typing import Literal

Mode = Literal["open", "reset", "blackhole"]


class FaultProxy:
    def __init__(self, target_host: str, target_port: int, port: int) -> None:
        self.target = (target_host, target_port)
        self.port = port
        self.mode: Mode = "open"
        self.delay_s = 0.0
        self._server: asyncio.Server | None = None
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._handlers: set[asyncio.Task[None]] = set()
        self._healed = asyncio.Event()
        self._healed.set()
        self._closing = asyncio.Event()

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    def cut(self, mode: Literal["reset", "blackhole"]) -> None:
        self.mode = mode
        self._healed.clear()
        if mode == "reset":
            for client, upstream in list(self._links):
                client.transport.abort()
                upstream.transport.abort()

    def heal(self) -> None:
        """Back to normal for new connections; a black-holed one stays dead until its client
        gives up on it, as after a real partition (only socket timeouts get a client out)."""
        self.mode = "open"
        self._healed.set()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        self.heal()
        self._closing.set()
        for client, upstream in list(self._links):
            client.transport.abort()
            upstream.transport.abort()
        await asyncio.wait_for(asyncio.gather(*self._handlers, return_exceptions=True), 10)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._serve(reader, writer)
        finally:
            self._handlers.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "reset":
            writer.transport.abort()
            return
        if self.mode == "blackhole":
            await self._healed.wait()
            writer.transport.abort()  # its connect timed out long ago
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        link = (writer, up_writer)
        self._links.add(link)
        try:
            await asyncio.gather(
                self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True
            )
        finally:
            self._links.discard(link)
            writer.transport.abort()
            up_writer.transport.abort()

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        while data := await source.read(65536):
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            if self.mode == "blackhole":
                await self._closing.wait()
                return
            sink.write(data)
            await sink.drain()
