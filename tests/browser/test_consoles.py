"""The consoles in a real browser, against the four running services.

An agent sees a new ticket appear live and replies, and the traveller's inbox
gets it; a ticket's SLA clock turns amber then red under a controlled clock;
the traveller tracks, rates 2 and appeals, and the ticket comes back in the
expert queue; the dashboard shows what ``/v1/metrics`` says. Every page is
screenshotted at desktop and phone widths and checked with axe-core.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import httpx
import orjson
import pytest
from playwright.async_api import Page, expect

from contracts import events
from contracts.envelope import Envelope
from contracts.events import Channel, Traveller
from contracts.topology import Topology
from runtime import webhook_signature
from services.intake.domain import proactive_thread_key, ticket_id_for
from tests.browser.kit import (
    DESKTOP,
    PHONE,
    SUPPLIER_SECRET,
    WatchedBrowser,
    accessibility_violations,
    dev_login,
    screenshots,
    tab_until,
)
from tests.conftest import Stack
from tests.polling import until

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
AGENT = Stack.token("agent-7")
MANAGER = Stack.token("mgr-1", "manager")
INBOX = {**AGENT, "X-Tenant-Id": "acme"}
"""Works whether the inbox takes the tenant header or a staff token."""


async def open_ticket(
    desk: Stack, http: httpx.AsyncClient, traveller: str, text: str, language: str = "zh-Hans"
) -> dict[str, Any]:
    created = await http.post(
        f"{desk.url('intake')}/v1/contacts",
        headers=await desk.api_key(http),
        json={
            "channel": "in_app",
            "channel_message_id": f"browser-{uuid.uuid4().hex[:8]}",
            "traveller": {"id": traveller, "name": "Li Lei", "language": language},
            "text": text,
        },
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


async def routed(desk: Stack, http: httpx.AsyncClient, ticket_id: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        found = await http.get(f"{desk.url('intake')}/v1/tickets/{ticket_id}", headers=AGENT)
        ticket = dict(found.json())
        return ticket if ticket["queue"] and ticket["first_response_due"] else None

    return await until(probe)


async def no_violations(page: Page) -> None:
    found = await accessibility_violations(page)
    assert found == [], found


async def test_agent_sees_a_new_ticket_live_replies_and_the_inbox_gets_it(
    desk: Stack, browser: WatchedBrowser
) -> None:
    intake = desk.url("intake")
    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await page.goto(f"{intake}/console/login?lang=en")
    await screenshots(page, "login")
    await no_violations(page)
    await dev_login(page, intake, "agent-7", "agent", "/console")
    await expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=10_000)
    await page.evaluate("window.notReloaded = true")

    async with httpx.AsyncClient(timeout=10) as http:
        created = await open_ticket(desk, http, "trav-live", "我的航班CA1501被取消了，需要改签")
        ticket_id = created["ticket_id"]
        row = page.locator(f'[data-ticket-id="{ticket_id}"]').first
        await expect(row).to_be_visible(timeout=10_000)
        assert await page.evaluate("window.notReloaded") is True, "it appeared without a reload"
        await routed(desk, http, ticket_id)
        await expect(
            page.locator(f'section[data-queue="disruption"] [data-ticket-id="{ticket_id}"]')
        ).to_be_visible(timeout=10_000)
        await expect(row.locator(".chip-lang")).to_have_text("zh-Hans")
        await screenshots(page, "console-queues")
        await no_violations(page)

        await page.goto(f"{intake}/console/tickets/{ticket_id}")
        await expect(page.locator("#reply")).to_have_attribute("lang", "zh-Hans")
        await expect(page.locator(".entry-routed")).to_be_visible()
        suggested = page.locator("button.use-answer")
        if await suggested.count():
            await suggested.first.click()
            assert await page.locator("#reply").input_value(), "one click fills the reply"
        await screenshots(page, "console-ticket")
        await no_violations(page)

        await page.locator("body").focus()
        await tab_until(page, "#reply")
        await page.keyboard.press("Control+A")
        await page.keyboard.type("已为您改签至CA1503，请查收。")
        await tab_until(page, "form[action$='/reply'] button[type=submit]", limit=3)
        await page.keyboard.press("Enter")
        await expect(page.locator(".done")).to_be_visible()
        await expect(page.locator(".entry-replied")).to_contain_text("已为您改签至CA1503")

        async def replied_in_inbox() -> dict[str, Any] | None:
            inbox = await http.get(f"{desk.url('notify')}/v1/inbox/trav-live", headers=INBOX)
            return next(
                (item for item in inbox.json() if item["template"] == "ticket_replied"), None
            )

        delivered = await until(replied_in_inbox)
        assert "已为您改签至CA1503" in delivered["body"]
    await context.close()


async def test_sla_clock_turns_amber_then_red_under_a_controlled_clock(
    desk: Stack, browser: WatchedBrowser
) -> None:
    intake = desk.url("intake")
    async with httpx.AsyncClient(timeout=10) as http:
        created = await open_ticket(desk, http, "trav-clock", "Where is my hotel voucher?", "en")
        ticket = await routed(desk, http, created["ticket_id"])
    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await page.clock.install(time=datetime.now(UTC))
    await dev_login(page, intake, "agent-7", "agent", "/console")
    clock = page.locator(f'[data-ticket-id="{ticket["id"]}"] .sla').first
    await expect(clock).to_have_attribute("data-state", "ok")
    started, due = (
        int(await clock.get_attribute("data-started-ms") or 0),
        int(await clock.get_attribute("data-due-ms") or 0),
    )
    server_now = int(await page.locator("body").get_attribute("data-server-now-ms") or 0)
    to_amber = (due - (due - started) * 0.2) - server_now
    await page.clock.fast_forward(int(to_amber))
    await expect(clock).to_have_attribute("data-state", "amber")
    await expect(clock).to_have_class("sla sla-amber")
    await screenshots(page, "console-sla-amber")
    await page.clock.fast_forward(int((due - started) * 0.2) + 2_000)
    await expect(clock).to_have_attribute("data-state", "red")
    await expect(clock.locator(".sla-state")).to_have_text("Breached")
    await context.close()


async def test_traveller_tracks_rates_2_appeals_and_the_expert_queue_gets_it(
    desk: Stack, browser: WatchedBrowser
) -> None:
    intake, feedback = desk.url("intake"), desk.url("feedback")
    async with httpx.AsyncClient(timeout=10) as http:
        created = await open_ticket(desk, http, "trav-appeal", "酒店HB12345入住时没有我的预订")
        ticket_id = created["ticket_id"]
        await routed(desk, http, ticket_id)
        resolved = await http.post(
            f"{intake}/v1/tickets/{ticket_id}/resolve",
            headers=AGENT,
            json={"resolution_code": "answered", "message": "请联系酒店前台"},
        )
        assert resolved.status_code == 200, resolved.text

        app = await app_token(desk, http)  # staff read the survey link redacted

        async def survey_link() -> str | None:
            inbox = await http.get(f"{desk.url('notify')}/v1/inbox/trav-appeal", headers=app)
            return next((i["link"] for i in inbox.json() if i["template"] == "survey"), None)

        survey_url = await until(survey_link)

    traveller = await browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = await traveller.new_page()
    await page.goto(created["tracking_url"])
    assert page.url.startswith(f"{intake}/t/"), "the short link opens the page, not JSON"
    await expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    await expect(page.locator(".status")).to_have_text("已解决")
    await expect(page.locator("ol")).to_contain_text("请联系酒店前台")
    await screenshots(page, "tracking")
    await no_violations_without_js(browser, page.url)

    await page.goto(survey_url)
    assert survey_url.startswith(feedback)
    await screenshots(page, "survey")
    await no_violations_without_js(browser, survey_url)
    await page.get_by_label("2 –").check()
    await page.get_by_role("button").click()
    await page.locator('a[href*="/v1/appeals/"]').click()
    await screenshots(page, "appeal")
    await no_violations_without_js(browser, page.url)
    await page.locator("textarea").fill("酒店仍然没有我的预订")
    await page.get_by_role("button").click()
    await expect(page.locator("main")).to_contain_text("已收到您的申诉")
    await traveller.close()

    expert = await browser.new_context(viewport=DESKTOP)
    console = await expert.new_page()
    await dev_login(console, intake, "expert-1", "expert", "/console")
    back = console.locator(f'section[data-queue="expert"] [data-ticket-id="{ticket_id}"]')
    await expect(back).to_be_visible(timeout=20_000)
    await expect(back.locator(".chip-prio")).to_have_text("High")
    await expert.close()


async def app_token(desk: Stack, http: httpx.AsyncClient) -> dict[str, str]:
    """The in-app gateway's token: it reads a traveller's inbox with their links whole."""
    key = await desk.api_key(http, scopes=["inbox:read"])
    traded = await http.post(f"{desk.url('intake')}/v1/gateway/token", headers=key)
    assert traded.status_code == 200, traded.text
    return {"Authorization": f"Bearer {traded.json()['access_token']}"}


async def no_violations_without_js(browser: WatchedBrowser, url: str) -> None:
    """axe needs script: check a traveller page in a second, script-enabled phone context."""
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await page.goto(url)
    await no_violations(page)
    await context.close()


async def test_dashboard_numbers_match_the_metrics_api(
    desk: Stack, browser: WatchedBrowser
) -> None:
    feedback = desk.url("feedback")
    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await dev_login(page, feedback, "mgr-1", "manager", "/dashboard")
    async with httpx.AsyncClient(timeout=10) as http:

        async def settled() -> dict[str, Any] | None:
            """The API and the page agree once no event lands between the two reads."""
            await page.reload()
            window = page.locator("#window")
            start, end = (
                await window.get_attribute("data-from"),
                await window.get_attribute("data-to"),
            )
            api = await http.get(
                f"{feedback}/v1/metrics",
                params={"tenant": "acme", "from": start, "to": end},
                headers=MANAGER,
            )
            numbers = dict(api.json())
            tiles = await page.locator("[data-metric]").evaluate_all(
                "els => els.map(e => [e.dataset.metric, e.dataset.value])"
            )
            return numbers if all(agrees(numbers, path, value) for path, value in tiles) else None

        numbers = await until(settled)
    assert numbers["tickets"] >= 3
    charts = await page.evaluate(
        "['chart-channels', 'chart-categories', 'chart-queues', 'chart-speed', 'chart-quality']"
        ".map(id => !!Chart.getChart(id))"
    )
    assert charts == [True] * 5, "Chart.js drew every chart"
    await screenshots(page, "dashboard")
    await no_violations(page)
    await context.close()


def agrees(numbers: dict[str, Any], path: str, shown: str) -> bool:
    if path == "sla.breaches":
        sla = numbers["sla"]
        value: Any = (sla["first_response"]["of"] - sla["first_response"]["part"]) + (
            sla["resolution"]["of"] - sla["resolution"]["part"]
        )
    else:
        value = numbers
        for part in path.split("."):
            value = value[part]
    if value is None:
        return shown == ""
    return abs(float(shown) - float(value)) < 1e-9


async def test_an_agent_answers_everyone_in_a_supplier_incident_at_once(
    desk: Stack, browser: WatchedBrowser
) -> None:
    intake, routing = desk.url("intake"), desk.url("routing")
    departs = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=6)
    travellers = [Traveller(id=f"trav-inc-{i}", name=f"T{i}", language="en") for i in (1, 2)]
    connection = await aio_pika.connect(desk.env["AMQP_URL"])
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(
            Topology(desk.env["TRIPCARE_NAMESPACE"]).events_exchange
        )
        for i, person in enumerate(travellers):
            booking = events.BookingUpserted(
                booking_id=f"bk-inc-{i}",
                traveller=person,
                channel=Channel.IN_APP,
                segments=[
                    events.BookingSegment(kind="flight", reference="MU5101", starts_at=departs)
                ],
                updated_at=datetime.now(UTC),
            )
            message = Envelope[Any](
                message_id=uuid.uuid4().hex,
                correlation_id=booking.booking_id,
                tenant_id="acme",
                occurred_at=datetime.now(UTC),
                schema_name=booking.schema_name,
                schema_version=booking.schema_version,
                payload=booking,
            )
            await exchange.publish(
                aio_pika.Message(message.model_dump_json().encode(), message_id=message.message_id),
                routing_key=booking.schema_name,
            )
    flight = {"resource": "flight", "reference": "MU5101", "date": departs.date().isoformat()}
    async with httpx.AsyncClient(timeout=10) as http:

        async def booked() -> bool:
            found = await http.get(f"{routing}/v1/trips", params=flight, headers=AGENT)
            return len(found.json()) == len(travellers)

        await until(booked)
        raw = orjson.dumps(
            {
                "event_id": f"mu-{uuid.uuid4().hex[:8]}",
                "kind": "FLIGHT_CANCELED",
                "reference": "MU5101",
                "service_date": departs.date().isoformat(),
            }
        )
        signed = await http.post(
            f"{routing}/v1/suppliers/mu/events",
            content=raw,
            headers={
                "X-TripCare-Signature": webhook_signature.sign(
                    SUPPLIER_SECRET, int(time.time()), raw
                ),
                "content-type": "application/json",
            },
        )
        assert signed.status_code == 202, signed.text
        incident_id = signed.json()["incident_id"]
        ticket_ids = [
            ticket_id_for("acme", proactive_thread_key(incident_id, person.id))
            for person in travellers
        ]

        async def opened() -> bool:
            for ticket_id in ticket_ids:
                found = await http.get(f"{intake}/v1/tickets/{ticket_id}", headers=AGENT)
                if found.status_code != 200:
                    return False
            return True

        await until(opened, 30)

    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await dev_login(page, intake, "agent-7", "agent", "/console")
    await page.goto(f"{intake}/console/tickets/{ticket_ids[0]}")
    await expect(page.locator("dl")).to_contain_text("Next: flight MU5101")  # trip context
    form = page.locator("#bulk-reply")
    await form.get_by_label("One message to every open ticket of the incident").fill(
        "Your flight MU5101 is cancelled; we have rebooked you on MU5103."
    )
    await screenshots(page, "console-incident")
    await no_violations(page)
    await form.get_by_role("button").click()
    await expect(page.locator(".done")).to_contain_text("Replied on 2 tickets")
    async with httpx.AsyncClient(timeout=10) as http:
        for ticket_id in ticket_ids:
            found = await http.get(f"{intake}/v1/tickets/{ticket_id}", headers=AGENT)
            assert "replied" in [entry["kind"] for entry in found.json()["timeline"]]
    await context.close()
