"""What the browser tests do again and again: sign in, screenshot, check accessibility."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, ViewportSize

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
AXE = Path(__file__).parent / "axe.min.js"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
SUPPLIER_SECRET = "browser-mu-secret-2026"
"""The signing secret of the supplier partner ``mu`` in the browser tests' stack."""
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


async def dev_login(page: Page, base_url: str, sub: str, role: str, next_path: str) -> None:
    """The development sign-in form, filled and sent like a person would."""
    await page.goto(f"{base_url}/console/login?next={next_path}&lang=en")
    form = page.locator("#dev-login")
    await form.get_by_label("Staff id").fill(sub)
    await form.get_by_label("Role").select_option(role)
    await form.get_by_label("Tenant").fill("acme")
    await form.get_by_role("button").click()
    await page.wait_for_url(f"**{next_path}*")


async def screenshots(page: Page, name: str) -> None:
    """``docs/screenshots/<name>-desktop.png`` and ``-phone.png`` of the page as it is now."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        await page.set_viewport_size(size)
        await page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", full_page=True)
    if before:
        await page.set_viewport_size(before)


async def accessibility_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA findings (labels, contrast, names, landmarks…) on this page."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated over the DevTools protocol: the pages' CSP refuses an injected <script>.
        await page.evaluate(f"() => {{\n{AXE.read_text()}\n}}")
    result: dict[str, Any] = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        {
            "id": v["id"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]


async def tab_until(page: Page, selector: str, limit: int = 60) -> int:
    """Press Tab until ``selector`` has the focus; the number of presses, or fail."""
    for presses in range(1, limit + 1):
        await page.keyboard.press("Tab")
        if await page.evaluate("s => document.activeElement.matches(s)", selector):
            return presses
    raise AssertionError(f"{selector} is not reachable with the keyboard in {limit} tabs")


class WatchedBrowser:
    """The browser, noting every Content Security Policy violation any of its pages reports."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.violations: list[str] = []

    async def new_context(self, **options: Any) -> BrowserContext:
        context = await self.browser.new_context(**options)
        context.on("console", self._console)
        return context

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(f"{message.location.get('url')}: {message.text}")
