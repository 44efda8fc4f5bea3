"""The two test stores side by side: single-document writes and reads per second.

``python bench/store_speed.py [--docs 300]`` starts nx-27017 and SecantusDB on free
ports (deploy/local.py), and for each times ``insert_one``, ``replace_one`` and
``find_one`` by ``_id`` of ``--docs`` small documents, one at a time, as the
services' repositories do. It prints one line per store; the machine's load
average is printed too, since both servers share the same CPUs with whatever
else runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pymongo import AsyncMongoClient  # noqa: E402

from deploy import local  # noqa: E402


async def rates(url: str, docs: int) -> dict[str, float]:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url)
    collection = client["store_speed"]["docs"]
    await collection.drop()
    timings: dict[str, float] = {}
    for name, step in (
        ("insert_one", lambda i: collection.insert_one({"_id": i, "n": i, "items": [{"x": i}]})),
        ("replace_one", lambda i: collection.replace_one({"_id": i}, {"n": i + 1, "items": []})),
        ("find_one", lambda i: collection.find_one({"_id": i})),
    ):
        started = time.perf_counter()
        for i in range(docs):
            await step(i)
        timings[name] = docs / (time.perf_counter() - started)
    await client.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=300)
    args = parser.parse_args()
    for kind in local.STORES:
        port = local.free_port()
        data = Path(tempfile.mkdtemp(prefix=f"store-speed-{kind}-"))
        server = local.start_store(port, data / "data", data / f"{kind}.log", kind)
        try:
            found = asyncio.run(rates(f"mongodb://127.0.0.1:{port}/", args.docs))
        finally:
            server.terminate()
            server.wait(30)
        figures = ", ".join(f"{name} {rate:.0f}/s" for name, rate in found.items())
        print(f"{kind:9} {figures}  (load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
