"""The side-by-side bench's arithmetic: a ticket counts only if it is stored and acknowledged."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bench.peer.report import (
    Answer,
    compare,
    comparison_markdown,
    summarise,
    summarise_level,
)

LATENCY = {"p50": 100.0, "p95": 150.0, "p99": 200.0, "max": 210.0}


def level(
    concurrency: int,
    answers: list[Answer],
    tickets: Counter[str] | None = None,
    mails: Counter[str] | None = None,
    latency: dict[str, float] | None = None,
    elapsed_s: float = 2.0,
) -> dict[str, Any]:
    everyone = Counter(a.submitter for a in answers if a.accepted)
    return summarise_level(
        concurrency,
        answers,
        elapsed_s,
        latency or LATENCY,
        everyone if tickets is None else tickets,
        everyone if mails is None else mails,
        {"gunicorn workers": 2.0, "smtp sink": 0.5},
    )


def answers(n: int, tag: str = "a", status: int = 201) -> list[Answer]:
    return [Answer(f"{tag}{i}@x", status, 100.0) for i in range(n)]


def test_a_level_counts_rate_rows_mails_and_cpu_per_accepted_ticket() -> None:
    summary = level(8, answers(100))
    assert summary["tickets_per_s"] == 50.0
    assert (summary["tickets_in_db"], summary["emails"]) == (100, 100)
    assert (summary["lost"], summary["duplicated"]) == (0, 0)
    assert summary["cpu_ms_per_ticket"] == {"gunicorn workers": 20.0, "smtp sink": 5.0}


def test_an_accepted_ticket_without_its_row_or_its_acknowledgement_is_lost() -> None:
    sent = answers(4)
    tickets = Counter({"a0@x": 1, "a1@x": 1, "a2@x": 1})  # a3's row is missing
    mails = Counter({"a0@x": 1, "a1@x": 1, "a3@x": 1})  # a2's e-mail is missing
    assert level(1, sent, tickets, mails)["lost"] == 2


def test_a_second_row_or_a_second_mail_for_one_submitter_is_a_duplicate() -> None:
    sent = answers(3)
    tickets = Counter({"a0@x": 2, "a1@x": 1, "a2@x": 1})
    mails = Counter({"a0@x": 1, "a1@x": 1, "a2@x": 3})
    assert level(1, sent, tickets, mails)["duplicated"] == 2


def test_refused_requests_are_counted_by_status_and_not_in_the_rate() -> None:
    sent = [*answers(6), *answers(2, "r", 500), Answer("t@x", -1, 30_000.0)]
    summary = level(8, sent, elapsed_s=3.0)
    assert summary["rejected"] == {"500": 2, "-1": 1}
    assert summary["tickets_per_s"] == 2.0


def test_the_best_rate_is_the_fastest_level_that_lost_refused_and_doubled_nothing() -> None:
    slow = level(1, answers(40, "s"))
    fast_but_failing = level(8, [*answers(180, "f"), *answers(1, "e", 503)])
    middle = level(32, answers(120, "m"))
    peer = summarise([slow, fast_but_failing, middle], {"version": "2.6.1"})
    assert (peer["best_tickets_per_s"], peer["best_concurrency"]) == (60.0, 32)


def test_a_peer_with_no_clean_level_has_no_best_rate_and_no_ratio() -> None:
    peer = summarise([level(8, answers(10, "e", 500))], {"version": "2.6.1"})
    assert peer["best_tickets_per_s"] == 0.0
    assert compare(tripcare(), peer)["ratio"] is None


def tripcare(sustained: float = 90.0, lost: int = 0) -> dict[str, Any]:
    return {
        "sustained_contacts_per_s": sustained,
        "p99_limit_ms": 300.0,
        "lost": lost,
        "duplicated": 0,
        "steps": [{"rate": sustained, "ack_ms": {"p99": 250.0}}],
        "fixed": {"rate": 50.0, "cpu_ms_per_contact": {"intake": 7.0, "nx-27017": 12.5}},
    }


def test_the_ratio_is_tripcare_sustained_over_the_peers_best_and_meets_1_5() -> None:
    peer = summarise(
        [level(1, answers(40)), level(8, answers(120, "b"), latency={"p99": 450.0})],
        {"version": "2.6.1"},
    )
    comparison = compare(tripcare(90.0), peer)
    assert (comparison["ratio"], comparison["meets_target"]) == (1.5, True)
    assert comparison["peer_tickets_per_s_within_p99_limit"] == 20.0


def test_a_tripcare_run_that_lost_a_contact_meets_no_target_whatever_the_ratio() -> None:
    peer = summarise([level(1, answers(40))], {"version": "2.6.1"})
    assert compare(tripcare(90.0, lost=1), peer)["meets_target"] is False


def test_the_markdown_puts_both_systems_and_the_ratio_side_by_side() -> None:
    peer = summarise(
        [level(8, answers(60))], {"version": "2.6.1", "setup": "SQLite", "loadavg_at_start": "1"}
    )
    text = "\n".join(comparison_markdown(tripcare(45.0), peer, compare(tripcare(45.0), peer)))
    assert "| 45 contacts/s | 250 ms | 19.5 ms (intake 7.0, nx-27017 12.5) at 50/s" in text
    assert "| 30.0 tickets/s | 200 ms | 41.7 ms (gunicorn workers 33.33, smtp sink 8.33)" in text
    assert "**1.50×** (meets the ≥ 1.5× target" in text
