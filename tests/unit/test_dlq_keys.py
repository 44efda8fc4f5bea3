"""Which routing key a dead-lettered message goes back with, and when a replay refuses.

A ``--direct`` replay publishes to the work queue through the default exchange, so the
broker's ``x-death`` of a second death names the queue, not the event: the original key
travels in a header of our own, and the exchange path only takes the key the queue is
bound to (anything else would end in the unrouted queue, confirmed and unseen).
"""

from __future__ import annotations

from typing import Any

import pytest

from runtime.dlq import (
    BODY_PREVIEW_CHARS,
    ORIGINAL_KEY_HEADER,
    body_preview,
    bound_key,
    main,
    original_routing_key,
    refusal,
    replay_headers,
    work_queue,
)

NS = "tripcare"
QUEUE = "tripcare.routing.ticket.opened"


def death(exchange: str, key: str, reason: str = "delivery_limit") -> dict[str, Any]:
    return {
        "queue": QUEUE,
        "reason": reason,
        "exchange": exchange,
        "routing-keys": [key],
        "count": 1,
    }


def test_a_first_death_names_the_event_it_was_published_with() -> None:
    headers = {"x-death": [death("tripcare.events", "ticket.opened")]}
    assert original_routing_key(headers, QUEUE, NS) == "ticket.opened"


def test_after_a_direct_replay_the_kept_header_wins_over_the_queue_name_in_x_death() -> None:
    headers = {
        ORIGINAL_KEY_HEADER: "ticket.opened",
        "x-death": [death("", QUEUE)],
    }
    assert original_routing_key(headers, QUEUE, NS) == "ticket.opened"


def test_the_oldest_death_through_an_exchange_counts_not_the_latest_direct_one() -> None:
    headers = {"x-death": [death("", QUEUE), death("tripcare.events", "ticket.opened")]}
    assert original_routing_key(headers, QUEUE, NS) == "ticket.opened"


def test_a_message_replayed_directly_before_the_header_existed_takes_the_queue_binding() -> None:
    assert original_routing_key({"x-death": [death("", QUEUE)]}, QUEUE, NS) == "ticket.opened"


def test_bytes_in_headers_are_read_as_text() -> None:
    headers = {"x-death": [{"exchange": b"tripcare.events", "routing-keys": [b"ticket.opened"]}]}
    assert original_routing_key(headers, QUEUE, NS) == "ticket.opened"


def test_replay_headers_keep_the_original_key_and_shed_the_broker_bookkeeping() -> None:
    headers = {
        "traceparent": "00-abc-def-01",
        "x-death": [death("", QUEUE)],
        "x-delivery-count": 3,
        "x-first-death-reason": "delivery_limit",
        "x-last-death-queue": QUEUE,
    }
    kept = replay_headers(headers, f"{QUEUE}.dlq", "ticket.opened")
    assert kept == {
        "traceparent": "00-abc-def-01",
        "x-replayed-from": f"{QUEUE}.dlq",
        ORIGINAL_KEY_HEADER: "ticket.opened",
    }


@pytest.mark.parametrize(
    ("queue", "key"),
    [
        (QUEUE, "ticket.opened"),
        ("tripcare.itest.ticket.opened", "ticket.opened"),
        ("tripcare.notify.notification.failed", "notification.failed"),
        ("other.routing.ticket.opened", None),
        ("tripcare.routing.ticket.nonsense", None),
        ("tripcare.unrouted", None),
        ("tripcare.routing", None),
    ],
)
def test_the_key_a_queue_is_bound_with_comes_from_its_name(queue: str, key: str | None) -> None:
    assert bound_key(queue, NS) == key


def test_the_exchange_path_takes_only_the_key_the_queue_is_bound_to() -> None:
    assert refusal("ticket.opened", QUEUE, NS) is None
    assert "ticket.resolved" in (refusal("ticket.resolved", QUEUE, NS) or "")
    assert "--direct" in (refusal(QUEUE, QUEUE, NS) or "")
    assert "--direct" in (refusal("ticket.opened", "tripcare.unrouted", NS) or "")


@pytest.mark.parametrize("name", [QUEUE, f"{QUEUE}.dlq"])
def test_the_work_queue_or_its_dead_letter_queue_name_both_mean_the_work_queue(name: str) -> None:
    assert work_queue(name) == QUEUE


def test_a_dry_run_shows_a_bounded_body() -> None:
    """The operator deciding on a discard reads the body; a large one is cut, and says so."""
    assert body_preview('{"text": "航班"}'.encode()) == '{"text": "航班"}'
    long = body_preview(("x" * 600).encode())
    assert long == "x" * BODY_PREVIEW_CHARS + "… (600 characters)"
    assert body_preview(b"\xff{}") == "\ufffd{}"


@pytest.mark.parametrize("limit", ["0", "-1", "ten"])
def test_a_limit_that_is_no_positive_count_is_refused_before_anything_is_touched(
    limit: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--limit -1`` (or 0) replayed nothing and said "replayed 0 of 0 from <queue>.dlq",
    exit 0, while the DLQ still held its messages: read at 03:00 as an empty DLQ."""
    with pytest.raises(SystemExit) as stopped:
        main(["replay", "--queue", QUEUE, "--limit", limit])
    assert stopped.value.code == 2
    assert "--limit" in capsys.readouterr().err
