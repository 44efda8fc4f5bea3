"""Folder names as IMAP takes them (RFC 3501 5.1.3): modified UTF-7, quoted."""

from __future__ import annotations

import pytest

from services.intake.channels.imap_names import imap_mailbox, modified_utf7


@pytest.mark.parametrize(
    ("name", "wire"),
    [
        ("INBOX", "INBOX"),
        ("Support Desk", "Support Desk"),
        ("R&D", "R&-D"),
        ("客服", "&W6JnDQ-"),
        ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),  # RFC 3501's example
        ("差旅 & 客服", "&Xe5lxQ- &- &W6JnDQ-"),
    ],
)
def test_names_are_modified_utf7(name: str, wire: str) -> None:
    assert modified_utf7(name) == wire


def test_the_wire_name_is_one_quoted_string() -> None:
    assert imap_mailbox("Support Desk") == '"Support Desk"'
    assert imap_mailbox('Say "hi" \\ there') == '"Say \\"hi\\" \\\\ there"'
