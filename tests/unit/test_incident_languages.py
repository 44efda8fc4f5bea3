"""An incident's bulk reply and resolving close speak each traveller's language: the desk
writes each language once (``messages``), ``message`` is the text for the languages it did
not write, English then the first written when there is no ``message`` (docs/suppliers.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest

from contracts import events
from contracts.events import Traveller
from contracts.language_texts import LanguageTexts
from contracts.languages import default_text, text_in
from runtime.auth import Role
from runtime.idempotency import fingerprint
from services.intake.incidents import BulkReplyIn
from services.routing.api.incidents import CloseIn
from tests.factories import T0, envelope
from tests.fakes import FakeDatabase
from tests.unit.test_gateway_keys import client, intake_replica, staff
from tests.unit.test_proactive_tickets import AIKO, Desk, request

TEXTS = {
    "zh-Hans": "已为您改签至CA1503，14:30起飞。",
    "ja": "CA1503便（14:30発）に振り替えました。",
    "en": "You are rebooked on CA1503, leaving at 14:30.",
}
FALLBACK = "CA1501 is cancelled; an agent is rebooking you."
TRAVELLERS = (
    AIKO,  # ja
    Traveller(id="trav-en", language="en-GB"),
    Traveller(id="trav-hk", language="zh-HK"),  # zh-Hant: not written
    Traveller(id="trav-zh", language="zh-CN"),
    Traveller(id="trav-fr", language="fr"),  # no language TripCare speaks
)


@pytest.mark.parametrize(
    ("language", "message", "told"),
    [
        ("ja", FALLBACK, TEXTS["ja"]),
        ("zh-Hant", FALLBACK, FALLBACK),
        (None, FALLBACK, FALLBACK),
        ("zh-Hant", None, TEXTS["en"]),
        (None, None, TEXTS["en"]),
    ],
)
def test_a_reader_is_told_their_languages_text_else_the_message_else_english(
    language: str | None, message: str | None, told: str
) -> None:
    assert text_in(language, TEXTS, default_text(message, TEXTS)) == told


def test_without_a_message_or_english_the_first_text_written_is_the_default() -> None:
    assert default_text(None, {"ja": "ja", "zh-Hans": "zh"}) == "ja"
    with pytest.raises(ValueError, match="nothing to tell"):
        default_text(None, {})


@dataclass
class Bulk:
    desk: Desk
    http: httpx.AsyncClient
    agent: dict[str, str]
    db: FakeDatabase

    async def reply(self, body: dict[str, Any], key: str | None = None) -> httpx.Response:
        headers = {**self.agent, **({"Idempotency-Key": key} if key else {})}
        return await self.http.post("/v1/incidents/INC-1/reply", json=body, headers=headers)

    def told(self, schema: str) -> list[tuple[str, str]]:
        return told(self.desk, schema)


def told(desk: Desk, schema: str) -> list[tuple[str, str]]:
    """(traveller, text) of each ``schema`` event intake raised, in order."""
    return [
        (body["payload"]["traveller"]["id"], body["payload"]["message"])
        for body in (orjson.loads(m.body) for m in desk.outbox.messages if m.routing_key == schema)
    ]


@pytest.fixture
async def bulk() -> AsyncIterator[Bulk]:
    """Intake's API over one incident's proactive tickets, a traveller of each language."""
    desk, db = Desk(), FakeDatabase()
    app = intake_replica(db, desk.clock)
    app.state.intake, app.state.incident_desk = desk.intake, desk.desk
    for traveller in TRAVELLERS:
        await desk.desk.proactive_contact(envelope(request(traveller=traveller)))
    async with client(app) as http:
        yield Bulk(desk, http, staff(Role.AGENT), db)


async def test_a_bulk_reply_tells_each_traveller_the_text_of_their_language_once(
    bulk: Bulk,
) -> None:
    body = {"message": FALLBACK, "messages": TEXTS}

    first = await bulk.reply(body, key="bulk-1")
    retried = await bulk.reply(body, key="bulk-1")

    assert (first.status_code, retried.status_code) == (200, 200), first.text
    assert first.json() == retried.json()
    assert len(first.json()["replied"]) == len(TRAVELLERS)
    assert sorted(bulk.told("ticket.replied")) == sorted(
        [
            ("trav-7", TEXTS["ja"]),
            ("trav-en", TEXTS["en"]),
            ("trav-hk", FALLBACK),
            ("trav-zh", TEXTS["zh-Hans"]),
            ("trav-fr", FALLBACK),
        ]
    )


@pytest.mark.parametrize(
    "stored", ['{"message":"%s"}', '{"message":"%s","messages":{}}'], ids=["before", "since"]
)
async def test_a_bulk_reply_retried_across_a_release_gets_the_first_answer(
    bulk: Bulk, stored: str
) -> None:
    """A first attempt taken by code from before ``messages`` existed, or by code that
    filled it in as ``{}``: the retry of the same body is the same request, not a 422."""
    first = await bulk.reply({"message": FALLBACK}, key="bulk-old")
    [record] = bulk.db["idempotency"].docs.values()
    record["request"] = fingerprint("incident-reply", "INC-1", stored % FALLBACK)

    retried = await bulk.reply({"message": FALLBACK}, key="bulk-old")

    assert retried.status_code == 200, retried.text
    assert retried.json() == first.json()
    assert len(bulk.told("ticket.replied")) == len(TRAVELLERS), "nobody is told twice"
    other = await bulk.reply({"message": FALLBACK, "messages": TEXTS}, key="bulk-old")
    assert other.status_code == 422, other.text


async def test_a_bulk_reply_without_a_message_tells_the_unwritten_languages_english(
    bulk: Bulk,
) -> None:
    answer = await bulk.reply({"messages": {"ja": TEXTS["ja"], "en": TEXTS["en"]}})

    assert answer.status_code == 200, answer.text
    told = dict(bulk.told("ticket.replied"))
    assert (told["trav-7"], told["trav-hk"], told["trav-zh"]) == (TEXTS["ja"], *[TEXTS["en"]] * 2)


async def test_a_bulk_reply_with_one_message_still_tells_everyone_that(bulk: Bulk) -> None:
    answer = await bulk.reply({"message": FALLBACK})

    assert answer.status_code == 200, answer.text
    assert {text for _, text in bulk.told("ticket.replied")} == {FALLBACK}


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"messages": {"fr": "Réservé sur CA1503."}}, ["body", "messages", "fr", "[key]"]),
        ({"message": FALLBACK, "messages": {"zh": "改签"}}, ["body", "messages", "zh", "[key]"]),
        ({"messages": {"ja": "x" * 5_001}}, ["body", "messages", "ja"]),
        ({"messages": {"en": "  "}}, ["body", "messages", "en"]),
        ({"messages": {"en": "a\x07b"}}, ["body", "messages", "en"]),
        ({"messages": {}}, ["body"]),
        ({}, ["body"]),
    ],
)
async def test_a_bad_language_or_text_is_a_422_naming_it_and_nobody_is_told(
    bulk: Bulk, body: dict[str, Any], loc: list[str]
) -> None:
    answer = await bulk.reply(body)

    assert answer.status_code == 422, answer.text
    assert [e["loc"] for e in answer.json()["detail"]] == [loc]
    assert bulk.told("ticket.replied") == []


async def test_a_resolving_close_tells_each_traveller_the_text_of_their_language() -> None:
    desk = Desk()
    for traveller in TRAVELLERS:
        await desk.desk.proactive_contact(envelope(request(traveller=traveller)))
    resolved = events.IncidentResolved(
        incident_id="INC-1",
        resolution_code="incident_resolved",
        message=FALLBACK,
        messages=TEXTS,
        resolved_by="mgr-1",
        resolved_at=T0,
    )

    await desk.desk.incident_resolved(envelope(resolved))

    assert dict(told(desk, "ticket.resolved")) == {
        "trav-7": TEXTS["ja"],
        "trav-en": TEXTS["en"],
        "trav-hk": FALLBACK,
        "trav-zh": TEXTS["zh-Hans"],
        "trav-fr": FALLBACK,
    }


def test_the_bulk_reply_and_the_close_take_one_pair_of_text_fields() -> None:
    """Each declared ``message`` and ``messages`` itself, free to drift apart in bounds,
    rules or wording: both are the one contracts model now, and publish the pair alike."""
    assert issubclass(BulkReplyIn, LanguageTexts)
    assert issubclass(CloseIn, LanguageTexts)
    reply, close = (m.model_json_schema()["properties"] for m in (BulkReplyIn, CloseIn))
    assert {k: reply[k] for k in ("message", "messages")} == {
        k: close[k] for k in ("message", "messages")
    }
