"""``bench/load.py --peer``: the ratio joins TripCare's results, and a failing peer loses none."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from bench import load
from bench.peer import run as peer_run


def tripcare() -> dict[str, Any]:
    return {"sustained_contacts_per_s": 60.0, "p99_limit_ms": 300.0, "lost": 0, "duplicated": 0}


def peer(best: float) -> dict[str, Any]:
    level = {
        "concurrency": 8,
        "sent": 10,
        "accepted": 10,
        "lost": 0,
        "duplicated": 0,
        "tickets_per_s": best,
        "latency_ms": {"p99": 120.0},
    }
    return {"levels": [level], "best_tickets_per_s": best, "lost": 0, "duplicated": 0}


def test_the_peers_result_and_the_ratio_join_tripcares(monkeypatch: pytest.MonkeyPatch) -> None:
    async def measured(args: argparse.Namespace) -> dict[str, Any]:
        return peer(40.0)

    monkeypatch.setattr(peer_run, "measure", measured)
    result = tripcare()
    load.compare_with_peer(result, argparse.Namespace())
    assert (result["peer_best_tickets_per_s"], result["ratio_vs_peer"]) == (40.0, 1.5)
    assert result["vs_peer"]["meets_target"] is True


def test_a_failing_peer_is_reported_and_tripcares_results_stay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(args: argparse.Namespace) -> dict[str, Any]:
        raise RuntimeError("peersite.prepare failed")

    monkeypatch.setattr(peer_run, "measure", broken)
    result = tripcare()
    load.compare_with_peer(result, argparse.Namespace())
    assert "RuntimeError" in result["peer_error"]
    assert "vs_peer" not in result
    assert result["sustained_contacts_per_s"] == 60.0


def test_the_peer_is_compared_only_at_a_p99_limit_of_300_ms_or_less(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.argv", ["load.py", "--peer", "--p99-limit-ms", "1000"])
    with pytest.raises(SystemExit) as refused:
        load.main()
    assert refused.value.code == 2
