"""Size limits the codebase keeps (issue #19): modules under 400 lines, functions under 60.

Run by `make lint`. A module that is only data (a table, a seed list) may be longer when it is
named in DATA_TABLES and in docs/architecture.md; nothing else is exempt.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOTS = ("services", "runtime", "contracts")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
DATA_TABLES: frozenset[str] = frozenset()


def module_findings(path: Path) -> list[str]:
    """What in one module breaks a limit, as `path:line: message` lines."""
    text = path.read_text(encoding="utf-8")
    findings = []
    lines = text.count("\n") + 1
    if lines > MAX_MODULE_LINES and path.as_posix() not in DATA_TABLES:
        findings.append(f"{path}:1: module has {lines} lines (limit {MAX_MODULE_LINES})")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - start + 1
            if length > MAX_FUNCTION_LINES:
                findings.append(
                    f"{path}:{node.lineno}: {node.name} has {length} lines "
                    f"(limit {MAX_FUNCTION_LINES})"
                )
    return findings


def main(roots: tuple[str, ...] = ROOTS) -> int:
    findings = [
        finding
        for root in roots
        for path in sorted(Path(root).rglob("*.py"))
        for finding in module_findings(path)
    ]
    print("\n".join(findings) or "sizes: every module and function within its limit")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(tuple(sys.argv[1:]) or ROOTS))
