"""nx-27017 with every command run on its event loop instead of a worker thread.

nx-27017's asyncio server hands each command to ``asyncio.to_thread`` and back. Its
handlers are short SQLite calls that never wait on anything but their own database's
lock, so the hand-off (a thread wake-up, a future, the GIL passed twice) cost more than
most commands: 647 → 382 µs of the server's CPU per command with 8 clients, and
1,359 → 2,271 commands/s (docs/benchmarks.md, "nx-27017 without its thread hop").
The price is that one slow command holds up every connection, not only its own
database's; the services keep their per-contact commands on indexes, so none is slow.

Run as ``python deploy/nx_store.py <nx-27017's own arguments>``; a real MongoDB
(``MONGO_URL``) is untouched by this.
"""

from __future__ import annotations

import asyncio
import sys
import types
from collections.abc import Callable
from typing import Any, TypeVar

from nx_27017 import nx_27017, server

T = TypeVar("T")


async def run_inline(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``asyncio.to_thread``'s signature, run in the caller's thread."""
    return function(*args, **kwargs)


def install() -> None:
    """Point nx-27017's server module (only it) at ``run_inline``."""
    shim = types.ModuleType("asyncio_inline")
    shim.__dict__.update(vars(asyncio))
    shim.to_thread = run_inline  # type: ignore[attr-defined]
    server.asyncio = shim  # type: ignore[attr-defined]


if __name__ == "__main__":
    install()
    sys.exit(nx_27017.main())
