"""Fixtures integration modules share: notify running in-process against a gateway stub
and an SMTP sink (defined with the channel tests that introduced them)."""

from tests.integration.test_notify_channels import (  # noqa: F401
    gateway,
    mailbox,
    start_notify,
)
