"""The docs name only code that exists: paths, `path.py:name` citations, dotted modules.

docs/architecture.md opens with a map of the folders and a walk of one contact, file by
file and function by function (issue #19); README.md and the other docs/*.md name modules
too. A move or a rename that forgets the docs fails here, so the walk stays true.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ARCHITECTURE = ROOT / "docs" / "architecture.md"
ROOTS = ("services", "runtime", "contracts", "tests", "bench", "data", "deploy", "tools")
GENERATED = frozenset({"bench/results/peer.json"})
"""Outputs a make target writes and the repository does not keep (`make bench-peer`)."""

BACKTICKED = re.compile(r"`([^`\n]+)`")
COMMAND = re.compile(r"^(?:\S*python3?\s+(?:-m\s+)?)?")
PATH = re.compile(rf"((?:{'|'.join(ROOTS)})/[\w./-]*)(?::([A-Za-z_][\w.]*))?")
MODULE = re.compile(r"^((?:services|runtime|contracts)(?:\.[A-Za-z_]\w*)+)$")
PLACEHOLDER = set("*<{[")


def citations(doc: Path) -> list[tuple[int, str, str | None]]:
    """Every backticked repository path in a doc: (line, path, the cited name or None)."""
    found = []
    for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
        for token in BACKTICKED.findall(line):
            token = COMMAND.sub("", token.strip(), count=1)
            match = PATH.match(token)
            if match is None or token[match.end(1) : match.end(1) + 1] in PLACEHOLDER:
                continue
            found.append((number, match.group(1).rstrip("."), match.group(2)))
    return found


def modules(doc: Path) -> list[tuple[int, str]]:
    """Every backticked dotted name of our packages (``runtime.store``, ``contracts.text.Text``)."""
    return [
        (number, token)
        for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1)
        for token in BACKTICKED.findall(line)
        if MODULE.match(token)
    ]


@cache
def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def names_in(body: list[ast.stmt]) -> set[str]:
    """What a module or class body defines: functions, classes, assignments, imports."""
    names: set[str] = set()
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def defines(path: Path, qualname: str) -> bool:
    """Whether ``qualname`` (``func``, ``Class``, ``Class.method``) is defined in the module."""
    body: list[ast.stmt] = tree(path).body
    *outer, last = qualname.split(".")
    for name in outer:
        classes = [n for n in body if isinstance(n, ast.ClassDef) and n.name == name]
        if not classes:
            return False
        body = classes[0].body
    return last in names_in(body)


def module_file(dotted: str) -> Path | None:
    base = ROOT.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def resolves(dotted: str) -> bool:
    """A dotted module, or a name defined in one (``contracts.text.Instant``)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        path = module_file(".".join(parts[:cut]))
        if path is not None:
            return cut == len(parts) or defines(path, ".".join(parts[cut:]))
    return False


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_cited_path_and_name_exists(doc: Path) -> None:
    wrong = []
    for number, path, name in citations(doc):
        target = ROOT / path
        if path in GENERATED:
            continue
        if not target.exists():
            wrong.append(f"{doc.name}:{number}: {path} does not exist")
        elif name is not None and target.suffix == ".py" and not defines(target, name):
            wrong.append(f"{doc.name}:{number}: {path} defines no {name}")
    wrong += [
        f"{doc.name}:{number}: {dotted} is no module or name of one"
        for number, dotted in modules(doc)
        if not resolves(dotted)
    ]
    assert not wrong, "\n".join(wrong)


def section(title: str) -> str:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_architecture_opens_with_the_map_and_the_walk() -> None:
    headings = re.findall(r"^## (.+)$", ARCHITECTURE.read_text(encoding="utf-8"), re.M)
    assert headings[:3] == ["Map", "A walk of one contact", "Boundaries"]


def test_the_map_names_every_folder_and_every_package_of_each_service() -> None:
    rows = {
        m.group(1): m.group(0) for m in re.finditer(r"^\| `([^`]+)` \|.*$", section("Map"), re.M)
    }
    top = {f"{d.name}/" for d in ROOT.iterdir() if d.is_dir() and d.name in ROOTS}
    assert top - {"services/"} <= {r.split("/")[0] + "/" for r in rows}
    for service in sorted(p.parent for p in (ROOT / "services").glob("*/__init__.py")):
        row = rows.get(f"services/{service.name}/")
        assert row is not None, f"no map row for services/{service.name}/"
        packages = {p.parent for p in service.rglob("__init__.py")} - {service}
        missing = [p.name for p in packages if f"{p.name}/" not in row]
        assert not missing, f"services/{service.name}/: map does not name {missing}"


def test_the_walk_goes_from_the_handler_to_the_inbox_and_the_facts_in_order() -> None:
    walk = section("A walk of one contact")
    stops = [
        "services/intake/api/contacts.py:post_contact",
        "services/intake/service.py:Intake.receive_contact",
        "services/intake/domain/ticket.py:Ticket.open",
        "runtime/store.py:Repository.add",
        "runtime/bus.py:Bus.publish",
        "services/routing/subscribers.py:ticket_opened",
        "services/routing/service.py:Router.ticket_opened",
        "services/routing/classifier.py:classify",
        "services/routing/assignment/domain/queues.py:select_queue",
        "services/routing/domain/case.py:RoutingCase.route",
        "services/notify/subscribers.py:ticket_routed",
        "services/notify/service.py:Notifier.notify",
        "services/notify/api/inbox.py:inbox",
        "services/notify/dispatcher.py:Dispatcher._attempt",
        "services/feedback/service.py:Feedback.record",
    ]
    positions = [walk.find(f"`{stop}`") for stop in stops]
    assert -1 not in positions, [s for s, p in zip(stops, positions, strict=True) if p == -1]
    assert positions == sorted(positions)


def test_every_data_table_allowed_over_the_size_limit_is_named() -> None:
    spec = importlib.util.spec_from_file_location("sizes", ROOT / "tools" / "sizes.py")
    assert spec is not None
    assert spec.loader is not None
    sizes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sizes)
    text = ARCHITECTURE.read_text(encoding="utf-8")
    assert all(f"`{table}`" in text for table in sizes.DATA_TABLES)
    if not sizes.DATA_TABLES:
        assert "(`DATA_TABLES` in\n`tools/sizes.py`): none." in text
