"""The staff pages' shared base: one header bar, its words under each page set's, the cookies.

A page set of two templates is written to a temporary folder, as a service
would keep it under ``templates/``, and rendered through ``StaffPages``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.requests import Request

from runtime.auth import Principal, Role, Scope
from runtime.clock import FakeClock
from runtime.pages import LANGUAGE_COOKIE, WordTable, template_environment
from runtime.signing import Signer
from runtime.staff_pages import BAR_WORDS, StaffPages
from runtime.staff_session import TENANT_COOKIE, StaffSession
from tests.factories import T0

PAGE = """{% extends "staff_base.html" %}
{% set title = t.title %}
{% block who %}{{ me }} · {{ tenant }}{% endblock %}
{% block body %}<h1>{{ t.title }}</h1><p>{{ t.tenant }}: {{ tenant }}</p>{% endblock %}
"""
WORDS = """{
  "title": {"en": "Queues", "zh-Hans": "队列", "zh-Hant": "佇列", "ja": "キュー"},
  "tenant": {"en": "Customer", "zh-Hans": "客户", "zh-Hant": "客戶", "ja": "顧客"}
}"""


@pytest.fixture
def pages(tmp_path: Path) -> StaffPages:
    (tmp_path / "words.json").write_text(WORDS, "utf-8")
    (tmp_path / "page.html").write_text(PAGE, "utf-8")
    session = StaffSession(
        Signer("staff-pages-secret-0123456789abcdef"), FakeClock(T0), dev_login=False, home="/desk"
    )
    return StaffPages(session, tmp_path, tmp_path / "words.json")


def request_with(query: str = "") -> Request:
    return Request({"type": "http", "query_string": query.encode(), "headers": []})


def scope_in(tenant: str) -> Scope:
    return Scope(
        principal=Principal(id="mgr-1", role=Role.MANAGER, tenants=["acme", "globex"]),
        tenant=tenant,
    )


def test_the_bars_words_speak_all_four_languages() -> None:
    assert set(WordTable(BAR_WORDS).by_language) == {"zh-Hans", "zh-Hant", "en", "ja"}


def test_a_page_has_the_shared_bar_and_its_own_words_over_the_bars(pages: StaffPages) -> None:
    page = pages.render(request_with("lang=ja"), "page.html", me="mgr-1", tenant="acme")
    body = bytes(page.body).decode()

    assert page.status_code == 200
    assert '<html lang="ja">' in body
    assert '<a class="brand" href="/desk">TripCare · キュー</a>' in body
    assert '<span class="who">mgr-1 · acme</span>' in body
    assert '<a class="skip" href="#main">本文へスキップ</a>' in body
    assert "ログアウト" in body, "the bar's own words"
    assert "<p>顧客: acme</p>" in body, "the page set rewords the bar's 'tenant'"
    assert '<main id="main">' in body
    assert "&#34;Segoe UI&#34;" not in body, "the bar's style is not escaped"


def test_a_picked_language_and_tenant_are_remembered_and_nothing_else(pages: StaffPages) -> None:
    picked = pages.render(
        request_with("lang=en&tenant=globex"),
        "page.html",
        scope=scope_in("globex"),
        me="m",
        tenant="globex",
    )
    cookies = picked.headers.getlist("set-cookie")
    assert any(c.startswith(f"{LANGUAGE_COOKIE}=en;") for c in cookies)
    assert any(c.startswith(f"{TENANT_COOKIE}=globex;") for c in cookies)
    assert all("samesite=strict" in c.lower() for c in cookies)

    plain = pages.render(
        request_with(), "page.html", 403, scope=scope_in("acme"), me="m", tenant="acme"
    )
    assert (plain.status_code, plain.headers.getlist("set-cookie")) == (403, [])


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Eve \u202eKCAJ", "Eve \u202eKCAJ\u202c"),
        ("\u2067x\u2069 \u202bab\u202c", "\u2067x\u2069 \u202bab\u202c"),
        ("\u202b\u2067x", "\u202b\u2067x\u2069\u202c"),
        ("plain <b>", "plain &lt;b&gt;"),
    ],
)
def test_what_people_wrote_opens_no_bidi_override_beyond_itself(text: str, shown: str) -> None:
    """A value's unclosed override or isolate is closed where the value ends, so the page's
    own words after it (an address, a channel, a status) keep their direction."""
    page = template_environment(Path(".")).from_string("{{ name }} (email) · web_form")

    assert page.render(name=text) == f"{shown} (email) · web_form"
