"""``make bench-peer``: django-helpdesk 2.6.1 on this machine, loaded as a gateway would load it.

Installs the peer into its own virtualenv (``.data/peer/venv``), starts it on a fresh SQLite
database under gunicorn (2 sync workers, 127.0.0.1 only) with an SMTP sink for its
acknowledgement e-mails, and posts tickets to ``POST /helpdesk/api/tickets/`` (DRF token auth)
in a closed loop at each concurrency of ``--peer-levels``, each level bounded by
``--peer-tickets`` and ``--peer-level-s``. After each level it counts the tickets in the
database and the e-mails in the sink, so a lost or doubled ticket shows, and charges each
process's CPU (``/proc``) to the tickets accepted. ``bench/load.py --peer`` runs the same
phase after TripCare's and writes the ratio; alone, this writes ``bench/results/peer.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx

from bench.harness import ROOT, TEXTS, cpu_s, percentiles, wait_until
from bench.peer import report
from bench.peer.stack import WORKERS, PeerStack, ensure_venv

RESULTS = ROOT / "bench" / "results"
VERSION = "2.6.1"
SETUP = (
    f"Django 5.2, DRF token auth, gunicorn {WORKERS} sync workers, SQLite (WAL), "
    "acknowledgement e-mail over SMTP"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The peer's flags, the same in ``bench/load.py`` and here."""
    parser.add_argument("--peer-levels", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--peer-tickets", type=int, default=2000, help="at most, per level")
    parser.add_argument("--peer-level-s", type=float, default=30.0, help="at most, per level")
    parser.add_argument("--peer-warmup", type=int, default=20, help="tickets before measuring")


class Gateway:
    """Posts tickets with the texts TripCare's bench sends, one unique submitter each."""

    def __init__(self, stack: PeerStack, http: httpx.AsyncClient, seed: int = 7) -> None:
        self.stack, self.http = stack, http
        self.rng = random.Random(seed)
        self.run = uuid.uuid4().hex[:8]
        self.headers = {"Authorization": f"Token {stack.token}"}

    async def post(self, tag: str, n: int) -> report.Answer:
        ref = f"CA{self.rng.randint(1000, 9999)}"
        text = self.rng.choice(TEXTS[self.rng.choice(list(TEXTS))]).format(ref=ref)
        submitter = f"{self.run}-{tag}-{n}@travellers.example.com"
        body = {
            "queue": self.stack.queue,
            "title": f"Booking {ref}",
            "description": text,
            "submitter_email": submitter,
            "priority": 3,
        }
        started = time.monotonic()
        try:
            response = await self.http.post(
                f"{self.stack.url}/helpdesk/api/tickets/", json=body, headers=self.headers
            )
            status = response.status_code
        except httpx.HTTPError:
            status = -1
        return report.Answer(submitter, status, (time.monotonic() - started) * 1000)

    async def closed_loop(
        self, tag: str, concurrency: int, tickets: int, seconds: float
    ) -> tuple[list[report.Answer], float]:
        """``concurrency`` clients, each posting as soon as its last answer came, until
        ``tickets`` were sent or ``seconds`` passed; returns the answers and the elapsed time."""
        answers: list[report.Answer] = []
        issued = 0
        started = time.monotonic()
        deadline = started + seconds

        async def client() -> None:
            nonlocal issued
            while issued < tickets and time.monotonic() < deadline:
                issued += 1
                answers.append(await self.post(tag, issued))

        await asyncio.gather(*(client() for _ in range(concurrency)))
        return answers, time.monotonic() - started


def _all_mailed(stack: PeerStack, answers: list[report.Answer]) -> bool:
    mails = stack.mails_by_recipient()
    return all(mails[a.submitter] for a in answers)


async def measure_level(
    stack: PeerStack, gateway: Gateway, concurrency: int, args: argparse.Namespace
) -> dict[str, Any]:
    pids = stack.pids()
    before = {name: sum(cpu_s(p) for p in group) for name, group in pids.items()}
    answers, elapsed = await gateway.closed_loop(
        f"c{concurrency}", concurrency, args.peer_tickets, args.peer_level_s
    )
    spent = {name: sum(cpu_s(p) for p in group) - before[name] for name, group in pids.items()}
    accepted = [a for a in answers if a.accepted]
    # The e-mail goes out inside the request, so it is in the sink before the answer; wait a
    # little anyway, so a slow sink is not counted as a loss.
    await wait_until(lambda: _all_mailed(stack, accepted), 10, 0.5)
    level = report.summarise_level(
        concurrency,
        answers,
        elapsed,
        percentiles([a.ms for a in accepted]),
        stack.tickets_by_submitter(),
        stack.mails_by_recipient(),
        spent,
    )
    print(f"  concurrency {concurrency}: {json.dumps(level)}", flush=True)
    return level


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Install (if needed), start, warm up, load every level, stop; the peer's result."""
    python = await asyncio.to_thread(ensure_venv)
    stack = PeerStack(python)
    about = {
        "system": f"django-helpdesk {VERSION}",
        "version": VERSION,
        "setup": SETUP,
        "endpoint": "POST /helpdesk/api/tickets/",
        "nproc": os.cpu_count(),
        "loadavg_at_start": f"{os.getloadavg()[0]:.2f}",
    }
    started = time.monotonic()
    levels: list[dict[str, Any]] = []
    try:
        print("peer: django-helpdesk starting …", flush=True)
        await asyncio.to_thread(stack.start)
        limits = httpx.Limits(max_connections=max(args.peer_levels), max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=30, limits=limits) as http:
            gateway = Gateway(stack, http)
            await gateway.closed_loop("warmup", WORKERS, args.peer_warmup, 30)
            for concurrency in args.peer_levels:
                print(f"peer: concurrency {concurrency} …", flush=True)
                levels.append(await measure_level(stack, gateway, concurrency, args))
    finally:
        await asyncio.to_thread(stack.close)
    result = report.summarise(levels, about)
    result["wall_s"] = round(time.monotonic() - started)
    return result


def write(peer: dict[str, Any], record: Path | None) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "peer.json").write_text(json.dumps(peer, indent=2, ensure_ascii=False) + "\n")
    if record is None:
        return
    lines = [
        "",
        f"## The peer alone (bench/peer/run.py), {peer['date']}",
        "",
        f"- command: `{peer['command']}` (wall {peer['wall_s']} s)",
        f"- machine: {peer['nproc']} cores; results: `bench/results/peer.json`",
        "",
        *report.peer_markdown(peer),
    ]
    with record.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--record", type=Path, help="append a section to this Markdown file")
    args = parser.parse_args()
    peer = asyncio.run(measure(args))
    peer["command"] = " ".join(["python", *sys.argv])
    peer["date"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    write(peer, args.record)
    print(json.dumps({k: v for k, v in peer.items() if not isinstance(v, dict | list)}))


if __name__ == "__main__":
    main()
