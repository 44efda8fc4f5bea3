"""The e-mail channel: plain text over SMTP (aiosmtplib), one thread per ticket
(``mail_thread``); SMTP's reply codes decide retry or final (``domain.outcome.smtp_outcome``).
"""

from __future__ import annotations

import aiosmtplib

from contracts.mail import DEFAULT_MAIL_DOMAIN
from services.notify.channels.mail_thread import (
    FetchFailed,
    FileFetcher,
    MailThreads,
    attach,
    compose,
)
from services.notify.channels.sender import Outgoing, SendFailed
from services.notify.config import NotifySettings
from services.notify.domain.outcome import Outcome, smtp_outcome
from services.notify.domain.route import valid_email


class SmtpSender:
    """Plain-text e-mail over SMTP, threaded per ticket (``mail_thread``), with the files an
    agent attached fetched from intake's signed links.
    """

    def __init__(
        self,
        settings: NotifySettings,
        mail_domain: str = DEFAULT_MAIL_DOMAIN,
        files: FileFetcher | None = None,
        threads: MailThreads | None = None,
    ) -> None:
        self._settings = settings
        self._mail_domain = mail_domain
        self._files = files
        self._threads = threads

    async def send(self, message: Outgoing) -> str:
        """Send the mail; its Message-ID, for the delivery to keep (a bounce names it)."""
        if not valid_email(message.address):
            raise SendFailed("invalid e-mail address", Outcome.PERMANENT)
        settings = self._settings
        thread = await self._threads.of(message) if self._threads is not None else None
        mail = compose(message, settings.smtp_sender, self._mail_domain, thread)
        if message.attachments and self._files is not None:
            try:
                files = await self._files.fetch(message.attachments)
            except FetchFailed as exc:
                raise SendFailed(f"attachment: {exc}", Outcome.TEMPORARY) from exc
            attach(mail, files)
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        try:
            await aiosmtplib.send(
                mail,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=password,
                start_tls=settings.smtp_starttls,
                timeout=settings.smtp_timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refused.code for refused in exc.recipients]
            outcome = smtp_outcome(min(codes, default=550))
            raise SendFailed(f"SMTP recipient refused: {codes}", outcome) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise SendFailed(f"SMTP {exc.code}: {exc.message}", smtp_outcome(exc.code)) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:  # connection refused, lost, timed out
            raise SendFailed(f"{type(exc).__name__}: {exc}", Outcome.TEMPORARY) from exc
        return str(mail["Message-ID"])
