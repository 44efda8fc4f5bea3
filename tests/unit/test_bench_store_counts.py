"""The load bench's store accounting: commands and batch sizes per contact from /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from bench.store_counts import markdown, parse, per_contact


def exposition(commands: dict[str, int], batches: list[tuple[str, str, int]]) -> str:
    registry = CollectorRegistry()
    counter = Counter("store_commands", "c", ["database", "command"], registry=registry)
    for name, count in commands.items():
        counter.labels(database="tripcare_intake", command=name).inc(count)
    histogram = Histogram("store_batch_size", "b", ["collection", "kind"], registry=registry)
    for collection, kind, size in batches:
        histogram.labels(collection=collection, kind=kind).observe(size)
    return generate_latest(registry).decode()


def test_commands_and_batches_are_counted_per_contact_between_two_snapshots() -> None:
    before = {"intake": parse(exposition({"find": 10}, [("tickets", "load", 1)]))}
    after = {
        "intake": parse(
            exposition(
                {"find": 30, "insert": 5, "ping": 0},
                [("tickets", "load", 1), ("tickets", "load", 9), ("tickets", "write", 4)],
            )
        )
    }

    store = per_contact(before, after, contacts=10)

    assert store["commands_per_contact"] == {"intake": {"total": 2.5, "find": 2.0, "insert": 0.5}}
    assert store["total"] == 2.5
    assert store["batches"]["intake"] == {
        "tickets:load": {"batches": 1, "mean_size": 9.0},
        "tickets:write": {"batches": 1, "mean_size": 4.0},
    }
    assert "intake 2.5" in markdown(store, 10)[1]


def test_nothing_is_divided_by_zero_contacts() -> None:
    assert per_contact({}, {"intake": {"command:find": 3.0}}, contacts=0) == {}
    assert markdown({}, 0) == []


def test_commands_are_also_counted_per_collection() -> None:
    registry = CollectorRegistry()
    counter = Counter(
        "store_collection_commands", "c", ["database", "collection", "command"], registry=registry
    )
    counter.labels(database="tripcare_intake", collection="ticket_keys", command="find").inc(6)
    after = {"intake": parse(generate_latest(registry).decode())}

    store = per_contact({}, after, contacts=3)

    assert store["by_collection"] == {"intake": {"ticket_keys.find": 2.0}}
    assert store["commands_per_contact"] == {"intake": {"total": 0}}
