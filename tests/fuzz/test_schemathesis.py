"""Schema-driven fuzzing of the four running services: no 5xx, every answer as documented.

schemathesis reads each service's OpenAPI document and sends what it generates —
valid and invalid — with a staff token (admin, so role checks let it into the
handlers) and a gateway key; supplier events are signed by ``hooks.py``. Two
checks: ``not_a_server_error`` and ``response_schema_conformance``. The run is
bounded: ``FUZZ_SECONDS`` per service (30 in ``make test`` and CI; ``make fuzz``
runs longer). The services are started as the tests start them (free ports).

CI replays one fixed seed (``FUZZ_SEED``, default ``SEED``), so a red run is the code's
doing and can be replayed, never the dice's; ``make fuzz`` draws a new seed each run
(``FUZZ_SEED=random``) to look where CI does not, and what it finds becomes a test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import EDGE_PARTNER, EDGE_PARTNER_SECRET, Stack

pytestmark = pytest.mark.fuzz
ROOT = Path(__file__).resolve().parents[2]
CHECKS = "not_a_server_error,response_schema_conformance"
SEED = 20261205
TENANT = "tripcare"
"""The platform operator's tenant (routing's default), so its admin reaches every handler."""


def seed_arguments(seed: str) -> list[str]:
    return [] if seed == "random" else ["--seed", str(int(seed))]


def fuzz(
    stack: Stack, service: str, headers: dict[str, str], seconds: int, out: Path
) -> str | None:
    """Run schemathesis against one service; the tail of its report if it found anything."""
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{stack.url(service)}/openapi.json",
        "--checks",
        CHECKS,
        "--max-time",
        str(seconds),
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "too_slow",
        "--no-color",
        *seed_arguments(os.environ.get("FUZZ_SEED", str(SEED))),
        *[arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")],
    ]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks",
        "FUZZ_PARTNER": EDGE_PARTNER,
        "FUZZ_PARTNER_SECRET": EDGE_PARTNER_SECRET,
    }
    report = out / f"{service}.txt"
    with report.open("wb") as sink:
        done = subprocess.run(
            command, cwd=out, env=env, stdout=sink, stderr=subprocess.STDOUT, timeout=seconds + 300
        )
    text = report.read_text(errors="replace")
    print(f"--- {service}: exit {done.returncode}\n{text[-1500:]}")
    return None if done.returncode == 0 else text[-6000:]


async def test_no_server_error_and_every_answer_matches_its_schema(
    four_services: Stack, tmp_path: Path
) -> None:
    seconds = int(os.environ.get("FUZZ_SECONDS", "30"))
    async with httpx.AsyncClient(timeout=30) as http:
        key = await four_services.api_key(http, TENANT)
    headers = {**Stack.token("fuzz-admin", "admin", (TENANT,)), **key, "X-Tenant-Id": TENANT}

    found = {
        service: report
        for service in ("intake", "routing", "notify", "feedback")
        if (report := fuzz(four_services, service, headers, seconds, tmp_path)) is not None
    }

    assert found == {}, "\n\n".join(f"=== {s}\n{r}" for s, r in found.items())
