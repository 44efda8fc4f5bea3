"""Everything intake reads from its environment: the runtime's settings and its own.

Its own keep their ``TRIPCARE_*`` names (threading windows, routing's address for the
console, notify's for the ticket view's deliveries, attachment limits, the mailbox scan and
hosts); the rest are ``runtime.settings.Settings``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar, Self

from pydantic import Field, model_validator

from runtime.settings import Port, Settings
from services.intake.attachments import MB, AttachmentPolicy
from services.intake.service import ThreadingPolicy


class IntakeSettings(Settings):
    keeps_credentials: ClassVar[bool] = True

    service: str = "intake"
    port: Port = 8001
    reopen_window_h: float = Field(
        default=168, gt=0, description="A follow-up within this reopens a resolved ticket."
    )
    reference_window_h: float = Field(
        default=72, gt=0, description="Same traveller + booking reference within this threads."
    )
    console_routing_url: str = Field(
        default="http://127.0.0.1:8002",
        description="Routing's API: the console's case file, and transfers' queues and agents.",
    )
    notify_url: str = Field(
        default="http://127.0.0.1:8003",
        description="Notify's API: the ticket view merges its delivery log.",
    )
    attachment_max_mb: float = Field(default=10, gt=0, description="Largest file kept.")
    attachments_max_total_mb: float = Field(
        default=25, gt=0, description="Files of one message or reply, in all."
    )
    mailbox_scan_s: float = Field(
        default=5, gt=0, description="How soon a new or changed mailbox is picked up."
    )
    mailbox_allow_private_hosts: bool = Field(
        default=False,
        description="Let mailboxes be on internal addresses (loopback, private, link-local…): "
        "only for an IMAP server of the deployment's own network, as in `make up`.",
    )
    attachment_sweep_grace_s: float = Field(
        default=600, gt=0, description="Age at which a file no ticket took is settled."
    )

    @model_validator(mode="after")
    def _keeps_credentials(self) -> Self:
        """Intake keeps tenants' mailbox passwords and channel keys: outside development it
        refuses to start without their key."""
        self.secrets_box_key()
        return self

    @property
    def threading(self) -> ThreadingPolicy:
        return ThreadingPolicy(
            reopen_window=timedelta(hours=self.reopen_window_h),
            reference_window=timedelta(hours=self.reference_window_h),
        )

    @property
    def attachments(self) -> AttachmentPolicy:
        return AttachmentPolicy(
            max_file_bytes=int(self.attachment_max_mb * MB),
            max_total_bytes=int(self.attachments_max_total_mb * MB),
        )

    @property
    def attachment_sweep_grace(self) -> timedelta:
        return timedelta(seconds=self.attachment_sweep_grace_s)
