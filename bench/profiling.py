"""py-spy profiles of the bench's processes while a load plays.

One ``py-spy record`` per process (non-blocking: it reads the process's memory without
stopping it), collapsed stacks to ``bench/results/profile-<process>.txt``, and the shares of
busy samples per library and per leaf function for ``latest.json``.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any


def spy(pid: int, seconds: int, out: Path) -> subprocess.Popen[bytes] | None:
    """Start sampling ``pid`` at 50 Hz for ``seconds``; None when py-spy is not installed."""
    binary = Path(sys.executable).with_name("py-spy")
    if not binary.exists():
        print("py-spy not installed: no profile", file=sys.stderr)
        return None
    return subprocess.Popen(
        [
            str(binary),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(seconds),
            "--rate",
            "50",
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def record(
    pids: dict[str, int], seconds: int, out_dir: Path, load: Callable[[], Awaitable[None]]
) -> dict[str, Any]:
    """Profile every process in ``pids`` while ``load`` runs; the summary of each profile."""
    spies = []
    for name, pid in pids.items():
        out = out_dir / f"profile-{name}.txt"
        out.unlink(missing_ok=True)  # a stale file must not pass for this run's profile
        if process := spy(pid, seconds, out):
            spies.append((name, out, process))
    await load()
    summaries: dict[str, Any] = {}
    for name, out, process in spies:
        try:
            process.wait(seconds + 60)
        except subprocess.TimeoutExpired:
            process.kill()
        if out.exists():
            summaries[name] = top_frames(out)
    return summaries


def _area(frame: str) -> str:
    """The package a py-spy frame ``func (path:line)`` belongs to (paths are sys.path-relative)."""
    path = frame.rsplit(" (", 1)[-1].rstrip(")")
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    top = path.split("/", 1)[0].split(".", 1)[0].split(":", 1)[0]
    if top in sys.stdlib_module_names or top.startswith("<"):
        return f"stdlib {top}"
    return top


def top_frames(raw: Path, n: int = 10) -> dict[str, Any]:
    """Share of busy samples per library (leaf frame, and anywhere on the stack) and per leaf."""
    leaf: Counter[str] = Counter()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        frames = stack.split(";")
        if not frames:
            continue
        count = int(count_text)
        total += count
        name, _, path = frames[-1].rpartition(" (")
        leaf[f"{name} ({path.rsplit('/', 1)[-1]}" if name else path] += count
        own[_area(frames[-1])] += count
        for area in {_area(f) for f in frames}:
            inclusive[area] += count

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(f, round(100 * c / max(total, 1), 1)) for f, c in counter.most_common(n)]

    return {
        "samples": total,
        "self_pct_by_library": share(own),
        "on_stack_pct_by_library": share(inclusive),
        "self_pct_by_function": share(leaf),
    }


def markdown(summaries: dict[str, Any], rate: float, seconds: float, top: int = 4) -> list[str]:
    """One line per process: its busy samples and the libraries most of them sat in."""
    lines = [
        f"py-spy at {rate:.0f} contacts/s for {seconds:.0f} s (`bench/results/profile-*.txt`), "
        "share of busy samples by library (self):",
        "",
    ]
    for name, summary in summaries.items():
        shares = ", ".join(f"{lib} {pct} %" for lib, pct in summary["self_pct_by_library"][:top])
        lines.append(f"- {name} ({summary['samples']} samples): {shares}")
    return lines
