"""Every metric family a service exports is in the table of docs/operations.md#metrics,
under the name a query uses (a counter by its ``_total``), with its labels; and the table
names nothing the services do not export. FastStream's eleven families and
``store_collection_commands_total`` were on ``/metrics`` with no word in the operations
guide, so an operator met them only by scraping."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from deploy.metrics import exported
from services.feedback import main as feedback_main
from services.intake import main as intake_main
from services.notify import main as notify_main
from services.routing import main as routing_main

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
SERIES = ("_sum", "_count", "_created")
"""A histogram's series besides ``_bucket``, which names its family here."""


@pytest.fixture(scope="module")
async def families() -> AsyncIterator[dict[str, set[str]]]:
    """Family → labels, as the four services export them (store command metrics on)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TRIPCARE_STORE_COMMAND_METRICS", "1")
        apps = [m.bootstrap() for m in (intake_main, routing_main, notify_main, feedback_main)]
    names = exported([app.state.runtime.registry for app in apps])
    found: dict[str, set[str]] = {}
    for name, labels in names.items():
        if not name.endswith(SERIES):
            found.setdefault(name.removesuffix("_bucket"), set()).update(labels - {"le"})
    yield found
    for app in apps:
        await app.state.runtime.client.close()


def documented() -> dict[str, set[str]]:
    """The table of the Metrics section: first column the name, second its labels."""
    text = OPERATIONS.read_text()
    section = text.split("\n## Metrics\n", 1)[1].split("\n## ", 1)[0]
    table: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not (name := re.fullmatch(r"`([a-z_]+)`", cells[0])):
            continue
        table[name.group(1)] = set(re.findall(r"`([a-z_]+)`", cells[1]))
    return table


def test_every_exported_metric_is_documented_with_its_labels(
    families: dict[str, set[str]],
) -> None:
    table = documented()
    assert sorted(set(families) - set(table)) == []
    assert {name: labels for name, labels in families.items() if table[name] != labels} == {}


def test_the_table_names_only_what_is_exported(families: dict[str, set[str]]) -> None:
    assert sorted(set(documented()) - set(families)) == []
