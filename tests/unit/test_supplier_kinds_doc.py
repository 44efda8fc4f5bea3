"""docs/suppliers.md gives a partner the exact ``kind`` values to send, each with its resource,
what happens next and the aliases taken for it, as ``KINDS`` and ``ALIASES`` hold them: prose
("hotel overbooked") does not say ``hotel_overbooked``."""

from __future__ import annotations

import re
from pathlib import Path

from services.routing.care.domain.suppliers import ALIASES, KINDS

DOC = Path(__file__).parents[2] / "docs" / "suppliers.md"
ROW = re.compile(r"^\| `([a-z_]+)` \| (\w+) \| `(\w+)` \| (.*) \|$", re.M)


def test_the_doc_lists_every_kind_exactly() -> None:
    rows = {kind: (resource, step) for kind, resource, step, _ in ROW.findall(DOC.read_text())}

    assert rows == {k: (info.resource, info.next_step.value) for k, info in KINDS.items()}


def test_each_kind_lists_the_aliases_taken_for_it() -> None:
    rows = {kind: aliases for kind, _, _, aliases in ROW.findall(DOC.read_text())}

    for alias, kind in ALIASES.items():
        assert f"`{alias}`" in rows.get(kind, ""), alias
