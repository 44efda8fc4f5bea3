"""Travellers' signed links, kept from staff: the tracking, survey, appeal and file links.

Each is the traveller's only credential for its page: with a survey link anyone rates the
ticket, with it or the tracking link anyone appeals in the traveller's name, and a file
link downloads the agent's file without a login (staff have their own download). Notify
sends them (the acknowledgement, a disruption notice, the survey, a reply's files), so
they are in the message it keeps; staff reading a traveller's inbox or a ticket's
delivery log see the link's kind and where it points, with the token replaced. Pure.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"
SIGNED_LINK = re.compile(
    r"(/v1/(?:track|surveys|appeals|files)/)[A-Za-z0-9_.~%-]+|(/t/)[0-9A-Za-z]{25}(?![0-9A-Za-z])"
)
"""The path of intake's tracking page and file download and feedback's survey and appeal
pages, token last; and intake's short tracking link, ``/t/`` and its 25-character code."""


def redact(text: str) -> str:
    """``text`` with every traveller's signed token replaced by ``[redacted]``."""
    return SIGNED_LINK.sub(lambda found: f"{found.group(1) or found.group(2)}{REDACTED}", text)
