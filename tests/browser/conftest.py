"""Browser tests: Playwright drives Debian's Chromium against the four real services.

No browser is downloaded: Chromium comes from the OS (``/usr/bin/chromium``,
or ``TRIPCARE_CHROMIUM``); without it every browser test is skipped with the
reason. One stack serves a whole module (each test uses its own tickets).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import orjson
import pytest
from playwright.async_api import async_playwright

from tests.browser.kit import SUPPLIER_SECRET, WatchedBrowser
from tests.conftest import Stack, delete_namespace

CHROMIUM = os.environ.get("TRIPCARE_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (or set TRIPCARE_CHROMIUM)")
    return CHROMIUM


@pytest.fixture(scope="module")
async def browser(chromium: str) -> AsyncIterator[WatchedBrowser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=FLAGS)
        try:
            yield WatchedBrowser(launched)
        finally:
            await launched.close()


@pytest.fixture(autouse=True)
def pages_keep_their_csp(browser: WatchedBrowser) -> Iterator[None]:
    """Every page a test opens works under its Content Security Policy: no style or script
    it needs is refused (runtime/headers.py)."""
    browser.violations.clear()
    yield
    assert browser.violations == []


@pytest.fixture(scope="module")
async def desk(
    amqp_url: str, mongo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    """The four services with the development sign-in on, shared by a module's tests."""
    name = "t" + uuid.uuid4().hex[:12]
    running = Stack(amqp_url, mongo_url, name, tmp_path_factory.mktemp("desk"))
    running.env["TRIPCARE_DEV_LOGIN"] = "1"
    running.env["TRIPCARE_CONSOLE_ROUTING_URL"] = running.url("routing")
    running.env["TRIPCARE_FEEDBACK_ROUTING_URL"] = running.url("routing")
    running.env["TRIPCARE_SUPPLIER_PARTNERS"] = orjson.dumps(
        {"mu": {"secrets": [SUPPLIER_SECRET]}}
    ).decode()
    running.start_all()
    try:
        yield running
    finally:
        running.stop_all()
        await delete_namespace(amqp_url, name)
