"""Shared runtime pieces: signed links, PII masking, envelopes, topology, aggregates."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from contracts import events
from contracts.envelope import Envelope
from contracts.export import asyncapi, envelope_schema, schema_file
from contracts.topology import ANNOUNCED, PUBLICATIONS, SUBSCRIPTIONS, Topology
from runtime.aggregate import Aggregate
from runtime.logging import mask_pii, setup_logging
from runtime.signing import Signer, TokenError, TokenExpired
from tests.factories import T0, contact, envelope

SIGNER = Signer("a-test-secret-of-enough-length-0123")


def test_a_signed_link_verifies_until_it_expires() -> None:
    token = SIGNER.sign(
        subject="TC-1", tenant="acme", purpose="track", expires_at=T0 + timedelta(days=1)
    )
    claims = SIGNER.verify(token, purpose="track", now=T0)
    assert (claims.sub, claims.tenant) == ("TC-1", "acme")
    with pytest.raises(TokenExpired):
        SIGNER.verify(token, purpose="track", now=T0 + timedelta(days=2))


@pytest.mark.parametrize(
    "tamper",
    [lambda t: t[:-2] + "xx", lambda t: "x" + t, lambda t: t.split(".")[0], lambda t: ""],
)
def test_a_tampered_link_is_refused(tamper: object) -> None:
    token = SIGNER.sign(
        subject="TC-1", tenant="acme", purpose="track", expires_at=T0 + timedelta(days=1)
    )
    with pytest.raises(TokenError):
        SIGNER.verify(tamper(token), purpose="track", now=T0)  # type: ignore[operator]


def test_a_link_signed_for_one_purpose_does_not_open_another() -> None:
    token = SIGNER.sign(
        subject="S-1", tenant="acme", purpose="survey", expires_at=T0 + timedelta(days=1)
    )
    with pytest.raises(TokenError):
        SIGNER.verify(token, purpose="track", now=T0)
    with pytest.raises(TokenError):
        Signer("another-secret-of-enough-length-0123").verify(token, purpose="survey", now=T0)


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("mail li.lei@acme.com now", "li.lei@acme.com"),
        ("call +86 138 0013 8000 please", "138 0013"),
        ("ID 110101199003071234 attached", "19900307"),
        ("passport E12345678", "12345678"),
    ],
)
def test_personal_data_is_masked_in_logs(text: str, hidden: str) -> None:
    assert hidden not in mask_pii(text)


def test_http_client_request_lines_carrying_travellers_words_stay_out_of_the_logs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        setup_logging("intake")
        logging.getLogger("httpx").info(
            "HTTP Request: GET http://routing/v1/kb/search?q=call+%2B86+138+1234+5678"
            "+or+li.lei%40corp.example"
        )
        logging.getLogger("httpx").warning("routing answered 503")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.captureWarnings(False)
    logged = capsys.readouterr().err
    assert "corp.example" not in logged
    assert "138+1234" not in logged
    assert "routing answered 503" in logged


def test_consumers_ignore_unknown_fields_in_envelope_and_payload() -> None:
    raw = envelope(contact()).model_dump(mode="json")
    raw["added_in_a_later_version"] = True
    raw["payload"]["also_new"] = {"x": 1}

    parsed = Envelope[events.ContactReceived].model_validate(raw)

    assert parsed.payload.channel_message_id == "app-msg-1"


def test_every_event_has_a_unique_routing_key_and_every_subscription_a_queue() -> None:
    names = [e.schema_name for e in events.ALL_EVENTS]
    assert len(names) == len(set(names))
    topology = Topology("tripcare")
    queues = [topology.queue(s, e) for s, evs in SUBSCRIPTIONS.items() for e in evs]
    assert len(queues) == len(set(queues))
    assert topology.queue("intake", events.TicketRouted) == "tripcare.intake.ticket.routed"
    assert topology.dead_letter_queue("intake", events.TicketRouted).endswith(".dlq")


def test_every_published_event_has_a_subscriber_or_is_announced() -> None:
    """The unrouted queue is the safety net for real mis-routing: an event published on
    purpose must reach a service's queue or the announced exchange, never park there."""
    consumed = {event for subscribed in SUBSCRIPTIONS.values() for event in subscribed}
    unheard = [
        f"{service}: {event.schema_name}"
        for service, published in PUBLICATIONS.items()
        for event in published
        if event not in consumed and event not in ANNOUNCED
    ]
    assert unheard == []


def test_announced_events_are_marked_for_outside_subscribers_in_the_asyncapi() -> None:
    channels = asyncapi(Topology())["channels"]
    for event in events.ALL_EVENTS:
        description = channels[event.schema_name.replace(".", "_")]["description"]
        assert ("Announced" in description) == (event in ANNOUNCED), event.schema_name


def test_processed_marks_are_bounded() -> None:
    aggregate = Aggregate(id="a", tenant_id="acme")
    for n in range(Aggregate.PROCESSED_MEMORY + 10):
        aggregate.mark_processed(f"m{n}")
    assert len(aggregate.processed) == Aggregate.PROCESSED_MEMORY
    assert aggregate.has_processed(f"m{Aggregate.PROCESSED_MEMORY + 9}")
    assert not aggregate.has_processed("m0")


def test_the_published_json_schemas_match_the_models() -> None:
    """docs/schemas is generated (`make contracts`); a model change must regenerate it."""
    docs = Path(__file__).resolve().parents[2] / "docs" / "schemas"
    for event in events.ALL_EVENTS:
        published = json.loads((docs / schema_file(event)).read_text())
        assert published == json.loads(json.dumps(envelope_schema(event))), event.schema_name
