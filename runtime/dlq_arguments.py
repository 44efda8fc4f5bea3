"""The command line of ``python -m runtime.dlq`` (``runtime/dlq.py``): its subcommands and
their arguments, each checked before anything reaches the broker."""

from __future__ import annotations

import argparse


def positive_count(text: str) -> int:
    """``--limit``: a count of at least 1 (0 or less would replay nothing, and say so as if
    the DLQ were empty)."""
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is no count of messages: 1 or more")
    return count


def arguments(description: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m runtime.dlq", description=description)
    commands = parser.add_subparsers(dest="command", required=True)
    replay_cmd = commands.add_parser("replay", help="move messages from <queue>.dlq back")
    replay_cmd.add_argument(
        "--limit", type=positive_count, default=None, help="at most this many (1 or more)"
    )
    replay_cmd.add_argument(
        "--direct", action="store_true", help="to <queue> only, not the events exchange"
    )
    discard_cmd = commands.add_parser("discard", help="delete messages from <queue>.dlq")
    chosen = discard_cmd.add_mutually_exclusive_group(required=True)
    chosen.add_argument(
        "--message-id", action="append", default=[], help="this message (repeat for more)"
    )
    chosen.add_argument("--reason", help="every message of this death reason, e.g. rejected")
    for command in (replay_cmd, discard_cmd):
        command.add_argument("--queue", required=True, help="the work queue or its .dlq")
        command.add_argument("--dry-run", action="store_true", help="list, change nothing")
        command.add_argument("--namespace", default=None, help="default: TRIPCARE_NAMESPACE")
    return parser
