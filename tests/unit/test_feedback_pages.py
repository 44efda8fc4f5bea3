"""Survey and appeal pages over HTTP (in-memory store): HTML for browsers, JSON for clients."""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from contracts.events import AppealLevel
from contracts.languages import LANGUAGES
from runtime.auth import Principal, Role, issue_token
from runtime.clock import FakeClock
from runtime.pages import wants_html
from runtime.signing import Signer
from runtime.web import install_error_handlers
from services.feedback import api
from services.feedback.domain.facts import TicketFacts
from services.feedback.domain.surveys import Survey
from services.feedback.pages.traveller import Pages
from services.feedback.service import Feedback
from tests.factories import T0
from tests.fakes import FakeDatabase, RecordingOutbox
from tests.feedback_story import Desk, in_memory_feedback, traveller

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
SIGNER = Signer("pages-test-secret-0123456789abcdef")


@dataclass
class Site:
    http: httpx.AsyncClient
    feedback: Feedback
    outbox: RecordingOutbox
    clock: FakeClock

    def token(self, subject: str, purpose: str, ttl: timedelta = timedelta(days=14)) -> str:
        return SIGNER.sign(subject=subject, tenant="acme", purpose=purpose, expires_at=T0 + ttl)


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    db, outbox, clock = FakeDatabase(), RecordingOutbox(), FakeClock(T0)

    feedback = in_memory_feedback(db, outbox, clock, SIGNER)
    desk = Desk()
    desk.opened("TC-1", 0, traveller("Li", "zh-Hans"))
    desk.resolved("TC-1", 30)
    facts = TicketFacts.blank("acme", "TC-1")
    for envelope in desk.envelopes:
        facts.apply(envelope.payload)
    await feedback.facts.add(facts)
    resolved = desk.envelopes[-1].payload
    await feedback.surveys.add(
        Survey.send("acme", resolved, url="https://s", now=T0 + timedelta(minutes=31), ask_nps=True)
    )
    clock.advance(timedelta(hours=1))
    outbox.messages.clear()
    app = FastAPI()
    app.state.feedback, app.state.pages = feedback, Pages()
    app.state.runtime = SimpleNamespace(staff_signer=SIGNER, clock=clock)
    for router in api.ROUTERS:
        app.include_router(router)
    install_error_handlers(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://care.example") as http:
        yield Site(http, feedback, outbox, clock)


def survey_url(site: Site) -> str:
    return f"/v1/surveys/{site.token('S-TC-1-1', 'survey')}"


async def test_a_browser_gets_the_survey_form_in_the_travellers_language(site: Site) -> None:
    page = await site.http.get(survey_url(site), headers=BROWSER)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-Hans">' in page.text
    assert "您对本次获得的帮助满意吗" in page.text
    assert '<form method="post"' in page.text
    assert page.text.count('name="csat"') == 5
    assert page.text.count('name="nps"') == 11, "this traveller is due for NPS"
    assert "<script" not in page.text
    assert "/v1/appeals/" in page.text


async def test_api_clients_keep_getting_json(site: Site) -> None:
    survey = await site.http.get(survey_url(site))
    assert survey.headers["content-type"] == "application/json"
    assert (survey.json()["ticket_id"], survey.json()["ask_nps"]) == ("TC-1", True)
    assert survey.json()["appeal_url"].startswith("https://care.example/v1/appeals/")

    rated = await site.http.post(survey_url(site), json={"csat": 4, "nps": 8})
    assert (rated.status_code, rated.json()["csat"], rated.json()["nps"]) == (200, 4, 8)
    assert site.outbox.routing_keys.count("feedback.received") == 1
    again = await site.http.post(survey_url(site), json={"csat": 1})
    assert again.status_code == 409


async def test_a_form_post_records_the_rating_once_and_offers_an_appeal(site: Site) -> None:
    form = {"csat": "2", "nps": "", "comment": "没有解决"}
    thanks = await site.http.post(survey_url(site), data=form, headers=BROWSER)

    assert thanks.status_code == 200
    assert "谢谢" in thanks.text
    assert "对结果提出申诉" in thanks.text
    survey = await site.feedback.surveys.get("acme", "S-TC-1-1")
    assert survey is not None
    assert (survey.csat, survey.nps, survey.comment) == (2, None, "没有解决")

    reused = await site.http.post(survey_url(site), data=form, headers=BROWSER)
    assert reused.status_code == 409
    assert "您已完成此问卷" in reused.text
    shown = await site.http.get(survey_url(site), headers=BROWSER)
    assert "您已完成此问卷" in shown.text


async def test_a_wrong_form_is_shown_again_with_the_error_and_what_was_typed(site: Site) -> None:
    page = await site.http.post(
        survey_url(site), data={"csat": "9", "comment": "hmm"}, headers=BROWSER
    )
    assert page.status_code == 422
    assert "请选择 1 到 5 分的评分" in page.text
    assert ">hmm</textarea>" in page.text
    assert site.outbox.messages == []


async def test_nps_is_taken_only_when_the_survey_asks_for_it(site: Site) -> None:
    survey = await site.feedback.surveys.get("acme", "S-TC-1-1")
    assert survey is not None
    survey.ask_nps = False
    await site.feedback.surveys.save(survey)
    site.outbox.messages.clear()

    sneaked = await site.http.post(survey_url(site), json={"csat": 2, "nps": 0})
    assert (sneaked.status_code, sneaked.json()["detail"][0]["loc"]) == (422, ["body", "nps"])
    assert site.outbox.messages == []

    form = await site.http.post(survey_url(site), data={"csat": "2", "nps": "0"}, headers=BROWSER)
    assert form.status_code == 200, "the form did not show the question: its score is not read"
    rated = await site.feedback.surveys.get("acme", "S-TC-1-1")
    assert rated is not None
    assert (rated.csat, rated.nps) == (2, None)


async def test_a_wrong_json_body_gets_fastapis_422(site: Site) -> None:
    bad = await site.http.post(survey_url(site), json={"csat": 9})
    assert (bad.status_code, bad.json()["detail"][0]["loc"]) == (422, ["body", "csat"])


@pytest.mark.parametrize("kind", ["surveys", "appeals"])
@pytest.mark.parametrize(
    "raw", [b"[" * 10_000, b'{"csat": NaN}', b'{"reason": "\\ud800"}', b"x" * 1_100_000]
)
async def test_the_link_is_checked_before_the_body_is_read(
    site: Site, kind: str, raw: bytes
) -> None:
    forged = await site.http.post(
        f"/v1/{kind}/anything", content=raw, headers={"content-type": "application/json"}
    )

    assert forged.status_code == 404
    assert forged.json()["detail"] in ("unknown survey link", "unknown appeal link")
    assert site.outbox.messages == []


@pytest.mark.parametrize(
    ("raw", "loc"),
    [
        (b"[" * 10_000, ["body"]),
        (b'{"csat": 1e400}', ["body"]),
        (b'{"csat": 3, "comment": "\\ud800"}', ["body"]),
        (b'{"csat": 3, "comment": "ok\\u0000"}', ["body"]),
        (b'{"csat": 3, "comment": " \\t "}', ["body", "comment"]),
        (b'{"csat": "5"}', ["body", "csat"]),
        (b'{"csat": true}', ["body", "csat"]),
        (b'{"csat": 4, "nps": "9"}', ["body", "nps"]),
    ],
)
async def test_a_bad_json_rating_behind_a_good_link_is_a_422(
    site: Site, raw: bytes, loc: list[str]
) -> None:
    bad = await site.http.post(
        survey_url(site), content=raw, headers={"content-type": "application/json"}
    )

    assert (bad.status_code, bad.json()["detail"][0]["loc"][: len(loc)]) == (422, loc)
    assert site.outbox.messages == []


async def test_expired_and_forged_links_answer_clearly(site: Site) -> None:
    expired = f"/v1/surveys/{site.token('S-TC-1-1', 'survey', timedelta(minutes=30))}"
    page = await site.http.get(expired, headers={**BROWSER, "Accept-Language": "ja"})
    assert (page.status_code, "链接已过期" in page.text) == (410, True), "as its survey spoke"
    assert (await site.http.get(expired)).status_code == 410
    forged = await site.http.post("/v1/surveys/forged.token", data={"csat": "3"})
    assert (forged.status_code, "Link not found" in forged.text) == (404, True)


async def test_staff_see_a_surveys_state_and_rating_but_not_the_travellers_link(
    site: Site,
) -> None:
    principal = Principal(id="agent-7", role=Role.AGENT, tenants=["acme"])
    agent = {"Authorization": f"Bearer {issue_token(SIGNER, principal, timedelta(days=3650))}"}

    async def listed() -> dict[str, Any]:
        found = await site.http.get("/v1/surveys?ticket_id=TC-1", headers=agent)
        assert found.status_code == 200, found.text
        (survey,) = found.json()
        return dict(survey)

    sent = await listed()
    assert sent["state"] == "sent"
    assert "url" not in sent
    assert "appeal_url" not in sent
    assert "/v1/" not in str(sent)

    rated = await site.http.post(survey_url(site), json={"csat": 4, "comment": "ok"})
    assert rated.status_code == 200
    answered = await listed()
    assert (answered["state"], answered["csat"], answered["comment"]) == ("answered", 4, "ok")
    site.clock.advance(timedelta(days=15))
    assert (await listed())["state"] == "answered", "an answered survey stays answered"


async def test_a_withdrawn_survey_refuses_ratings_saying_why_and_staff_see_it_withdrawn(
    site: Site,
) -> None:
    desk = Desk()
    desk.opened("TC-1", 0, traveller("Li", "zh-Hans"))
    desk.reopened("TC-1", 45)
    facts = await site.feedback.record(desk.envelopes[-1], "TC-1")
    await site.feedback.withdraw_undone_surveys(facts)

    page = await site.http.get(survey_url(site), headers=BROWSER)
    assert (page.status_code, "这份问卷已撤回" in page.text) == (410, True)
    assert "<form" not in page.text
    form = await site.http.post(survey_url(site), data={"csat": "5"}, headers=BROWSER)
    assert (form.status_code, "这份问卷已撤回" in form.text) == (410, True)
    rated = await site.http.post(survey_url(site), json={"csat": 5})
    assert rated.status_code == 410
    assert "withdrawn" in rated.json()["detail"]
    assert "feedback.received" not in site.outbox.routing_keys
    principal = Principal(id="agent-7", role=Role.AGENT, tenants=["acme"])
    agent = {"Authorization": f"Bearer {issue_token(SIGNER, principal, timedelta(days=3650))}"}
    (listed,) = (await site.http.get("/v1/surveys?ticket_id=TC-1", headers=agent)).json()
    assert (listed["state"], listed["withdrawn_at"] is not None) == ("withdrawn", True)


async def test_the_csv_for_excel_starts_with_a_bom_the_plain_one_does_not(site: Site) -> None:
    desk = Desk()
    desk.opened("TC-2", 0, traveller("Wang", "zh-Hans"))
    desk.resolved("TC-2", 20, by="王芳")
    facts = TicketFacts.blank("acme", "TC-2")
    for envelope in desk.envelopes:
        facts.apply(envelope.payload)
    await site.feedback.facts.add(facts)
    principal = Principal(id="mgr-1", role=Role.MANAGER, tenants=["acme"])
    manager = {"Authorization": f"Bearer {issue_token(SIGNER, principal, timedelta(days=3650))}"}

    plain = await site.http.get("/v1/reports/acme.csv?by=agent", headers=manager)
    excel = await site.http.get("/v1/reports/acme.csv?by=agent&bom=true", headers=manager)

    assert (plain.status_code, excel.status_code) == (200, 200)
    assert plain.content.startswith(b"agent,tickets,")
    assert excel.content == codecs.BOM_UTF8 + plain.content
    assert excel.headers["content-type"] == plain.headers["content-type"]
    rows = csv.DictReader(io.StringIO(excel.content.decode("utf-8-sig")))
    assert "王芳" in [row["agent"] for row in rows]


async def test_an_appeal_from_the_tracking_link_is_filed_once(site: Site) -> None:
    url = f"/v1/appeals/{site.token('TC-1', 'track', timedelta(days=90))}"
    form = await site.http.get(url, headers=BROWSER)
    assert form.status_code == 200
    assert "资深专家" in form.text
    assert 'name="reason"' in form.text

    empty = await site.http.post(url, data={"reason": " "}, headers=BROWSER)
    assert (empty.status_code, "请填写申诉理由" in empty.text) == (422, True)

    filed = await site.http.post(url, data={"reason": "航班仍然延误"}, headers=BROWSER)
    assert (filed.status_code, "已收到您的申诉" in filed.text) == (200, True)
    assert site.outbox.routing_keys == ["appeal.filed"]
    appeal = await site.feedback.appeals.get("acme", "A-TC-1-1")
    assert appeal is not None
    assert (appeal.via, appeal.level, appeal.reason) == (
        "tracking",
        AppealLevel.EXPERT,
        "航班仍然延误",
    )

    resubmitted = await site.http.post(url, data={"reason": "航班仍然延误"}, headers=BROWSER)
    assert resubmitted.status_code == 200
    assert site.outbox.routing_keys == ["appeal.filed"], "a double submit files nothing more"

    pending = await site.http.get(url)
    assert pending.json()["can_appeal"] is False
    assert pending.json()["refused"]["code"] == "pending"
    assert [a["number"] for a in pending.json()["appeals"]] == [1]
    refused = await site.http.post(url, data={"reason": "another"}, headers=BROWSER)
    assert (refused.status_code, "您的申诉正在审核中" in refused.text) == (409, True)


async def test_an_appeal_from_the_survey_link_over_json(site: Site) -> None:
    url = f"/v1/appeals/{site.token('S-TC-1-1', 'survey')}"
    state = await site.http.get(url)
    assert state.json()["reviewer"] == "expert"
    filed = await site.http.post(url, json={"reason": "not solved"})
    assert filed.status_code == 201
    assert (filed.json()["via"], filed.json()["number"]) == ("survey", 1)
    again = await site.http.post(url, json={"reason": "other words"})
    assert (again.status_code, again.json()["code"]) == (409, "pending")


async def test_of_two_racing_appeals_with_different_reasons_one_wins_the_other_is_409(
    site: Site,
) -> None:
    url = f"/v1/appeals/{site.token('S-TC-1-1', 'survey')}"

    answers = await asyncio.gather(
        site.http.post(url, json={"reason": "charged twice"}),
        site.http.post(url, json={"reason": "the hotel never had my booking"}),
    )

    assert sorted(a.status_code for a in answers) == [201, 409]
    (won,) = [a for a in answers if a.status_code == 201]
    (lost,) = [a for a in answers if a.status_code == 409]
    assert lost.json()["code"] == "pending"
    stored = await site.feedback.appeals.get("acme", "A-TC-1-1")
    assert stored is not None
    assert stored.reason == won.json()["reason"]
    assert site.outbox.routing_keys == ["appeal.filed"]


async def test_two_racing_submissions_of_the_same_appeal_both_get_it(site: Site) -> None:
    url = f"/v1/appeals/{site.token('S-TC-1-1', 'survey')}"

    answers = await asyncio.gather(
        *(site.http.post(url, json={"reason": "charged twice"}) for _ in range(2))
    )

    assert [a.status_code for a in answers] == [201, 201]
    assert site.outbox.routing_keys == ["appeal.filed"]


async def test_the_survey_link_still_opens_the_appeal_page_after_the_survey_closes(
    site: Site,
) -> None:
    """The thank-you page and the answered survey offer the appeal through the survey link:
    it must work for the whole appeal window (30 days), not only the survey's 14."""
    desk = Desk()
    desk.opened("TC-2", 0, traveller("Li", "zh-Hans"))
    desk.resolved("TC-2", 30)
    facts = TicketFacts.blank("acme", "TC-2")
    for envelope in desk.envelopes:
        facts.apply(envelope.payload)
    await site.feedback.facts.add(facts)
    await site.feedback.send_survey(desk.envelopes[-1], facts)
    survey = await site.feedback.surveys.get("acme", "S-TC-2-1")
    assert survey is not None
    path = survey.url.removeprefix("https://care.example")

    site.clock.advance(timedelta(days=20))

    closed = await site.http.post(path, json={"csat": 2})
    assert closed.status_code == 410, "the survey itself still closes after 14 days"
    appeal = path.replace("/v1/surveys/", "/v1/appeals/")
    state = await site.http.get(appeal)
    assert (state.status_code, state.json()["can_appeal"]) == (200, True)
    site.clock.advance(timedelta(days=11))
    late = await site.http.get(appeal)
    assert late.status_code in (409, 410)


@pytest.mark.parametrize("day", [1, 2, 3])
async def test_a_window_in_the_first_days_of_year_1_counts_nothing_and_does_not_fail(
    site: Site, day: int
) -> None:
    """Metrics, the CSV and the dashboard read contacts 72 h before ``from``: that must not
    run off the calendar (``from=0001-01-01`` was a 500 on all three)."""
    start = datetime(1, 1, day, tzinfo=UTC)
    report = await site.feedback.metrics("acme", start, start + timedelta(days=1))
    assert (report.tickets, report.contacts) == (0, 0)


def test_every_language_has_every_message_and_renders_every_page() -> None:
    pages = Pages()
    keys = set(pages.catalogs["en"])
    for language in LANGUAGES:
        assert set(pages.catalogs[language]) == keys, language
        survey = Survey(
            id="S-1-1",
            tenant_id="acme",
            ticket_id="T1",
            traveller=traveller("A"),
            url="u",
            sent_at=T0,
            expires_at=T0,
            ask_nps=True,
        )
        values = {"csat": "", "nps": "", "comment": ""}
        assert "<form" in pages.render(
            "survey", language, survey=survey, action="/", appeal_url="/a", errors=[], values=values
        )
        pages.render("thanks", language, unhappy=True, appeal_url="/a")
        pages.render("notice", language, heading="h", text="t", link=None, link_label=None)
        for level in AppealLevel:
            pages.render(
                "appeal",
                language,
                ticket_id="T1",
                level=level.value,
                action="/",
                errors=[],
                reason="",
            )


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        ("text/html,application/xhtml+xml,*/*;q=0.8", True),
        ("*/*", False),
        (None, False),
        ("application/json", False),
        ("application/json, text/html;q=0.5", False),
    ],
)
def test_content_negotiation(accept: str | None, html: bool) -> None:
    assert wants_html(accept) is html


async def test_the_appeal_receipt_tells_the_time_on_the_travellers_own_clock(site: Site) -> None:
    """A Taipei traveller filing at 11:00 their time read "2026-11-25 03:00 UTC" on the
    receipt: the time is theirs, in their language, with its offset, as notices show it."""
    desk = Desk()
    taipei = traveller("Chen", "zh-Hant").model_copy(update={"time_zone": "Asia/Taipei"})
    desk.opened("TC-2", 0, taipei)
    desk.resolved("TC-2", 30)
    facts = TicketFacts.blank("acme", "TC-2")
    for envelope in desk.envelopes:
        facts.apply(envelope.payload)
    await site.feedback.facts.add(facts)
    url = f"/v1/appeals/{site.token('TC-2', 'track', timedelta(days=90))}"

    filed = await site.http.post(url, data={"reason": "飯店仍未退款"}, headers=BROWSER)

    assert (filed.status_code, "已收到您的申訴" in filed.text) == (200, True)
    assert "2026年11月25日 11:00（UTC+08:00）" in filed.text
    assert "03:00 UTC" not in filed.text


async def test_an_expired_survey_link_says_so_in_the_travellers_language(site: Site) -> None:
    """A traveller who wrote in Chinese opened their survey after it expired on a browser set
    to English, and read "This link has expired": the genuine link names its survey, whose
    traveller's language the page speaks, as the form did."""
    expired = f"/v1/surveys/{site.token('S-TC-1-1', 'survey', timedelta(minutes=30))}"

    page = await site.http.get(expired, headers={**BROWSER, "Accept-Language": "en-US"})
    posted = await site.http.post(expired, data={"csat": "4"}, headers=BROWSER)

    assert (page.status_code, "链接已过期" in page.text) == (410, True)
    assert (posted.status_code, "链接已过期" in posted.text) == (410, True)
    assert (await site.http.get(expired)).json() == {"detail": "this survey link has expired"}
