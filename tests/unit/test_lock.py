"""The dependency lock: CI, `make install`/`make up` and the images install one tree, hashed.

``make lock`` writes requirements.lock (the services) and requirements-dev.lock (plus the
dev tools, constrained to the same versions) from pyproject.toml with uv.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;]+)")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(requirements: list[str]) -> dict[str, str]:
    found = {}
    for line in requirements:
        match = PIN.match(line)
        assert match, f"not pinned exactly: {line}"
        found[normalise(match[1])] = match[2]
    return found


def locked(path: Path) -> dict[str, tuple[str, int]]:
    """name → (version, number of hashes) of a uv/pip-tools lock file."""
    entries: dict[str, tuple[str, int]] = {}
    current = ""
    for line in path.read_text().splitlines():
        if match := PIN.match(line):
            current = normalise(match[1])
            entries[current] = (match[2], 0)
        elif "--hash=sha256:" in line and current:
            version, hashes = entries[current]
            entries[current] = (version, hashes + 1)
    return entries


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = pins(PROJECT["dependencies"])
DEV = pins(PROJECT["optional-dependencies"]["dev"])


@pytest.mark.parametrize(
    ("lock", "wanted"),
    [("requirements.lock", RUNTIME), ("requirements-dev.lock", {**RUNTIME, **DEV})],
)
def test_every_pin_of_pyproject_is_locked_at_its_version_with_hashes(
    lock: str, wanted: dict[str, str]
) -> None:
    entries = locked(ROOT / lock)
    stale = {
        name: (version, entries.get(name, ("missing", 0))[0])
        for name, version in wanted.items()
        if entries.get(name, ("", 0))[0] != version
    }
    assert not stale, f"run `make lock`: {stale}"
    assert all(hashes for _, hashes in entries.values())


def test_the_dev_lock_installs_the_services_exactly_as_the_images_do() -> None:
    services, dev = locked(ROOT / "requirements.lock"), locked(ROOT / "requirements-dev.lock")
    assert {name: dev[name][0] for name in services} == {n: v for n, (v, _) in services.items()}


def test_the_otlp_exporter_the_images_need_is_a_project_dependency() -> None:
    assert "opentelemetry-exporter-otlp-proto-http" in RUNTIME


def test_installs_check_hashes_and_name_no_package_of_their_own() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes --no-deps -r requirements.lock" in dockerfile
    assert "--require-hashes -r requirements-dev.lock" in makefile
    for text in (dockerfile, makefile):
        assert not re.search(r"pip install[^\n]*\b[a-z][\w.-]*==", text)
