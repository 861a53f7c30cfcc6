"""The mail server (MESSAGING_SMTP_*): one e-mail per notification with a stable Message-ID, so mail systems can
drop a duplicate."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

import aiosmtplib

from services.messaging.domain import notify
from services.messaging.integration.failures import PermanentFailure, TransientFailure
from services.messaging.settings import MessagingSettings


async def send_email(settings: MessagingSettings, *, notification_id: uuid.UUID, address: str,
                     text: notify.Text) -> None:
    mail = EmailMessage()
    mail["From"] = settings.smtp_from
    mail["To"] = address
    mail["Subject"] = text.subject
    mail["Message-ID"] = f"<{notification_id}@messaging.bistand>"
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a no-reply address
    mail.set_content(text.email)
    mail["Content-Language"] = text.lang  # after set_content, which replaces the Content-* headers
    try:
        await aiosmtplib.send(
            mail, hostname=settings.smtp_host, port=settings.smtp_port,
            start_tls=settings.smtp_starttls, username=settings.smtp_username,
            password=settings.smtp_password, timeout=settings.smtp_timeout_seconds)
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [response.code for response in exc.recipients]
        if all(500 <= code < 600 for code in codes):
            raise PermanentFailure("the mail server refused the address") from None
        raise TransientFailure("the mail server deferred the address") from None
    except aiosmtplib.SMTPResponseException as exc:
        if 500 <= exc.code < 600:
            raise PermanentFailure(f"the mail server refused the message ({exc.code})") from None
        raise TransientFailure(f"the mail server answered {exc.code}") from None
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise TransientFailure(f"mail server unreachable: {type(exc).__name__}") from None
