"""A form post to a survey that takes no more answers says so, whatever was typed. A wrong
value (no star picked, a tampered ``csat``) on an answered or withdrawn survey showed the
rating form again with the error (422), inviting the traveller to correct it only to be told
on the next post that the survey was answered or withdrawn."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.feedback_story import Desk, traveller
from tests.unit.test_feedback_pages import BROWSER, Site, site, survey_url  # noqa: F401


@pytest.mark.parametrize("sent", [{"csat": "9"}, {"comment": "还是没解决"}])
async def test_a_wrong_form_on_an_answered_survey_says_it_was_answered(
    site: Site,  # noqa: F811
    sent: dict[str, str],
) -> None:
    rated = await site.http.post(survey_url(site), data={"csat": "4"}, headers=BROWSER)
    assert rated.status_code == 200

    page = await site.http.post(survey_url(site), data=sent, headers=BROWSER)

    assert page.status_code == 409
    assert "您已完成此问卷" in page.text
    assert "<form" not in page.text


async def test_a_wrong_form_on_a_withdrawn_survey_says_it_was_withdrawn(
    site: Site,  # noqa: F811
) -> None:
    desk = Desk()
    desk.opened("TC-1", 0, traveller("Li", "zh-Hans"))
    desk.reopened("TC-1", 45)
    facts = await site.feedback.record(desk.envelopes[-1], "TC-1")
    await site.feedback.withdraw_undone_surveys(facts)

    page = await site.http.post(survey_url(site), data={"csat": ""}, headers=BROWSER)

    assert (page.status_code, "这份问卷已撤回" in page.text) == (410, True)
    assert "<form" not in page.text


async def test_a_wrong_form_on_an_expired_survey_says_it_expired(
    site: Site,  # noqa: F811
) -> None:
    site.clock.advance(timedelta(days=15))

    page = await site.http.post(survey_url(site), data={"csat": "0"}, headers=BROWSER)

    assert page.status_code == 410
    assert "<form" not in page.text
