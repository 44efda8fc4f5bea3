"""The arithmetic of the side-by-side bench, without I/O: what a level proves, the ratio, Markdown.

A ticket counts as delivered only if its row is in the peer's database and its
acknowledgement is in the SMTP sink; the best rate is the highest of the levels where every
request was accepted and nothing was lost or duplicated (the rule TripCare's steps follow).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

TARGET_RATIO = 1.5  # issue #20: TripCare's sustained rate ≥ 1.5 × the peer's best rate


@dataclass(frozen=True)
class Answer:
    """One ``POST /helpdesk/api/tickets/``: whose ticket, the HTTP status (-1: none), its time."""

    submitter: str
    status: int
    ms: float

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300


def summarise_level(
    concurrency: int,
    answers: list[Answer],
    elapsed_s: float,
    latency_ms: dict[str, float],
    tickets: Counter[str],
    mails: Counter[str],
    cpu_s: dict[str, float],
) -> dict[str, Any]:
    """One concurrency level: rate, latency, what reached the database and the sink, CPU."""
    accepted = [a for a in answers if a.accepted]
    submitters = {a.submitter for a in answers}
    delivered = [a for a in accepted if tickets[a.submitter] and mails[a.submitter]]
    return {
        "concurrency": concurrency,
        "sent": len(answers),
        "accepted": len(accepted),
        "rejected": dict(Counter(str(a.status) for a in answers if not a.accepted)),
        "seconds": round(elapsed_s, 2),
        "tickets_per_s": round(len(accepted) / elapsed_s, 1) if elapsed_s > 0 else 0.0,
        "latency_ms": {k: round(v, 1) for k, v in latency_ms.items()},
        "tickets_in_db": sum(tickets[s] for s in submitters),
        "emails": sum(mails[s] for s in submitters),
        "lost": len(accepted) - len(delivered),
        "duplicated": sum(1 for s in submitters if tickets[s] > 1 or mails[s] > 1),
        "cpu_ms_per_ticket": {
            name: round(1000 * seconds / max(len(accepted), 1), 2)
            for name, seconds in cpu_s.items()
        },
    }


def clean(level: dict[str, Any]) -> bool:
    return bool(
        level["accepted"] == level["sent"] > 0 and level["lost"] == 0 and level["duplicated"] == 0
    )


def summarise(levels: list[dict[str, Any]], about: dict[str, Any]) -> dict[str, Any]:
    """The peer's result: every level, and the best clean one lifted to the top."""
    best = max((lv for lv in levels if clean(lv)), key=lambda lv: lv["tickets_per_s"], default=None)
    return {
        **about,
        "levels": levels,
        "best_tickets_per_s": best["tickets_per_s"] if best else 0.0,
        "best_concurrency": best["concurrency"] if best else None,
        "best_latency_ms": best["latency_ms"] if best else {},
        "best_cpu_ms_per_ticket": best["cpu_ms_per_ticket"] if best else {},
        "lost": sum(lv["lost"] for lv in levels),
        "duplicated": sum(lv["duplicated"] for lv in levels),
    }


def compare(tripcare: dict[str, Any], peer: dict[str, Any]) -> dict[str, Any]:
    """TripCare's sustained rate over the peer's best rate, measured in the same run.

    No ratio (None) when the peer had no clean level: nothing to divide by.
    """
    limit = tripcare["p99_limit_ms"]
    ours, theirs = tripcare["sustained_contacts_per_s"], peer["best_tickets_per_s"]
    ratio = round(ours / theirs, 2) if theirs > 0 else None
    within = [
        lv["tickets_per_s"]
        for lv in peer["levels"]
        if clean(lv) and lv["latency_ms"].get("p99", float("inf")) <= limit
    ]
    clean_run = tripcare["lost"] == 0 and tripcare["duplicated"] == 0
    return {
        "tripcare_contacts_per_s": ours,
        "p99_limit_ms": limit,
        "tripcare_lost": tripcare["lost"],
        "tripcare_duplicated": tripcare["duplicated"],
        "peer_tickets_per_s": theirs,
        "peer_tickets_per_s_within_p99_limit": max(within, default=0.0),
        "ratio": ratio,
        "target_ratio": TARGET_RATIO,
        "meets_target": bool(clean_run and ratio is not None and ratio >= TARGET_RATIO),
    }


def _cpu(costs: dict[str, float]) -> str:
    total = round(sum(costs.values()), 1)
    return f"{total} ms (" + ", ".join(f"{k} {v}" for k, v in costs.items()) + ")"


def peer_markdown(peer: dict[str, Any]) -> list[str]:
    """The peer's levels as a Markdown table, with the best one named."""
    best = peer["best_concurrency"]
    return [
        f"django-helpdesk {peer['version']} ({peer['setup']}), load average at its start "
        f"{peer['loadavg_at_start']}:",
        "",
        "| concurrency | sent | accepted | tickets/s | p50 | p99 | in DB | e-mails | lost | dup "
        "| CPU per ticket |",
        "| --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --- |",
        *(
            f"| {lv['concurrency']}{' (best)' if lv['concurrency'] == best else ''} "
            f"| {lv['sent']} | {lv['accepted']} | {lv['tickets_per_s']} "
            f"| {lv['latency_ms'].get('p50', float('nan')):.0f} ms "
            f"| {lv['latency_ms'].get('p99', float('nan')):.0f} ms | {lv['tickets_in_db']} "
            f"| {lv['emails']} | {lv['lost']} | {lv['duplicated']} "
            f"| {_cpu(lv['cpu_ms_per_ticket'])} |"
            for lv in peer["levels"]
        ),
    ]


def comparison_markdown(
    tripcare: dict[str, Any], peer: dict[str, Any], comparison: dict[str, Any]
) -> list[str]:
    """TripCare and the peer side by side, and the ratio against its target."""
    ratio = comparison["ratio"]
    verdict = "meets" if comparison["meets_target"] else "misses"
    steps = {s["rate"]: s for s in tripcare["steps"]}
    sustained = steps.get(comparison["tripcare_contacts_per_s"])
    tripcare_p99 = f"{sustained['ack_ms']['p99']:.0f} ms" if sustained else "–"
    peer_p99 = peer["best_latency_ms"].get("p99")
    return [
        "",
        "Side by side, one run (TripCare first, then the peer, each alone on the machine):",
        "",
        "| system | rate | p99 | CPU per contact | lost / dup |",
        "| --- | --: | --: | --- | --: |",
        f"| TripCare, sustained with p99 ack < {comparison['p99_limit_ms']:.0f} ms "
        f"| {comparison['tripcare_contacts_per_s']:.0f} contacts/s | {tripcare_p99} "
        f"| {_cpu(tripcare['fixed']['cpu_ms_per_contact'])} at {tripcare['fixed']['rate']:.0f}/s "
        f"| {tripcare['lost']} / {tripcare['duplicated']} |",
        f"| django-helpdesk {peer['version']}, best (concurrency {peer['best_concurrency']}) "
        f"| {peer['best_tickets_per_s']} tickets/s "
        f"| {'–' if peer_p99 is None else f'{peer_p99:.0f} ms'} "
        f"| {_cpu(peer['best_cpu_ms_per_ticket'])} | {peer['lost']} / {peer['duplicated']} |",
        "",
        f"Ratio TripCare / peer: **{'–' if ratio is None else f'{ratio:.2f}×'}** "
        f"({verdict} the ≥ {comparison['target_ratio']}× target; the peer's best rate with p99 "
        f"≤ {comparison['p99_limit_ms']:.0f} ms was "
        f"{comparison['peer_tickets_per_s_within_p99_limit']} tickets/s).",
        "",
        *peer_markdown(peer),
    ]
