"""A folder's name as IMAP takes it: modified UTF-7 in a quoted string (RFC 3501, 5.1.3
and 9). aioimaplib sends a folder as given, so "Support Desk" went as two arguments and a
Chinese folder (客服) not at all; servers without UTF8=ACCEPT know names only this way."""

from __future__ import annotations

import base64


def imap_mailbox(name: str) -> str:
    """``name`` encoded for the wire: ``Support Desk`` → ``"Support Desk"``, ``客服`` →
    ``"&W6JnDQ-"``, ``&`` → ``"&-"``; backslashes and double quotes escaped."""
    encoded = modified_utf7(name).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{encoded}"'


def modified_utf7(name: str) -> str:
    """Printable ASCII as itself (``&`` as ``&-``), runs of anything else as ``&`` + base64
    of their UTF-16BE with ``,`` for ``/``, unpadded, + ``-``."""
    out: list[str] = []
    run: list[str] = []
    for char in name:
        if " " <= char <= "~":
            if run:
                out.append(_shifted("".join(run)))
                run = []
            out.append("&-" if char == "&" else char)
        else:
            run.append(char)
    if run:
        out.append(_shifted("".join(run)))
    return "".join(out)


def _shifted(text: str) -> str:
    raw = base64.b64encode(text.encode("utf-16-be")).decode("ascii").rstrip("=")
    return "&" + raw.replace("/", ",") + "-"
