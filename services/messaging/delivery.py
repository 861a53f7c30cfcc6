"""Sending notifications: the outbox relay hands us a notification id, we send an SMS or an e-mail.

Each notification is sent once. Its row moves from "pending" to an end state in its own transaction right
after the send, so a retried outbox entry (after a crash or a restart) finds it done and sends nothing.
For the SMS gateway the notification id is also the Idempotency-Key, which closes even the gap between
the send and that commit; e-mail carries a stable Message-ID so mail systems can drop a duplicate.

The decisions are made at delivery, not when the notification was made: a client who got protected
identity, or a message retracted, in between, gets nothing. Contact details are decrypted only here and
never logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.tables import OutboxMessage
from services.messaging import store
from services.messaging.domain import notify
from services.messaging.domain.crypto import Keyring
from services.messaging.settings import MessagingSettings

log = logging.getLogger("messaging.notify")


class TransientFailure(Exception):
    """Try again later (the relay backs off)."""


class PermanentFailure(Exception):
    """Retrying will not help (a refused address, a malformed number)."""


@dataclass(frozen=True)
class Plan:
    contact: notify.Contact
    channel: notify.Channel
    kind: notify.Kind


class Notifier:
    def __init__(self, settings: MessagingSettings, sessions: async_sessionmaker[AsyncSession], keyring: Keyring,
                 sms: httpx.AsyncClient | None, clock: Callable[[], dt.datetime]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.keyring = keyring
        self.sms = sms
        self.clock = clock

    async def deliver(self, message: OutboxMessage) -> None:
        if message.topic != store.NOTIFICATION_TOPIC:
            log.warning("outbox topic not ours; dropped", extra={"topic": message.topic})
            return
        notification_id = uuid.UUID(str(message.payload["notification_id"]))
        async with self.sessions() as session:
            row = await store.get_notification(session, notification_id)
            if row is None or row.status != "pending":
                return  # done already: exactly once
            plan = await self._plan(session, row, message.attempts)
            if not isinstance(plan, Plan):
                await self._finish(session, row, *plan)
                return
        text = notify.text(plan.kind, plan.contact.language, self.settings.public_base_url, row.starts_at)
        try:
            if plan.channel is notify.Channel.SMS:
                await self._send_sms(notification_id, plan.contact.phone or "", text.sms)
            else:
                await self._send_email(notification_id, plan.contact.email or "", text)
        except PermanentFailure as exc:
            async with self.sessions() as session:
                await self._finish(session, row, "failed", str(exc))
            return
        async with self.sessions() as session:
            await self._finish(session, row, "sent", None)

    async def _plan(self, session: AsyncSession, row: Any, attempts: int) -> Plan | tuple[str, str]:
        """Either an end state without sending, or what to send. ``row``: the notification and the facts
        that decide it (store.get_notification)."""
        protected = bool(row.person_protected or row.thread_protected)
        if row.retracted:
            return "cancelled", "message retracted"
        if attempts >= self.settings.notify_max_attempts:
            return "failed", f"gave up after {attempts} attempts"
        channel = notify.Channel(row.channel)
        contact = await store.get_contact_by_ref(session, self.keyring, row.person_ref)
        channels = notify.should_notify(protected_identity=protected,
                                        channels=contact.channels if contact else frozenset())
        if protected:
            return "skipped", "protected identity"
        if contact is None or channel not in channels:
            return "skipped", "no contact details for this channel"
        if channel is notify.Channel.EMAIL and not self.settings.smtp_host:
            return "skipped", "e-mail is not configured"
        if channel is notify.Channel.SMS and self.sms is None:
            return "skipped", "SMS is not configured"
        return Plan(contact, channel, notify.Kind(row.kind))

    async def _finish(self, session: AsyncSession, row: Any, status: str, detail: str | None) -> None:
        await store.finish_notification(session, row.id, status, detail, self.clock())
        await session.commit()
        # Ids and kinds only: never the address, the number or the person.
        log.info("notification " + status, extra={
            "notification_id": str(row.id), "channel": row.channel, "kind": row.kind, "detail": detail})

    async def _send_sms(self, notification_id: uuid.UUID, phone: str, body: str) -> None:
        assert self.sms is not None
        try:
            response = await self.sms.post("/messages", json={"to": phone, "text": body,
                                                              "sender": self.settings.sms_sender},
                                           headers={"Idempotency-Key": str(notification_id)})
        except httpx.HTTPError as exc:
            raise TransientFailure(f"SMS gateway unreachable: {type(exc).__name__}") from None
        if response.status_code in (408, 425, 429) or response.status_code >= 500:
            raise TransientFailure(f"SMS gateway answered {response.status_code}")
        if response.status_code >= 400:
            raise PermanentFailure(f"SMS gateway refused the message ({response.status_code})")

    async def _send_email(self, notification_id: uuid.UUID, address: str, text: notify.Text) -> None:
        mail = EmailMessage()
        mail["From"] = self.settings.smtp_from
        mail["To"] = address
        mail["Subject"] = text.subject
        mail["Message-ID"] = f"<{notification_id}@messaging.bistand>"
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a no-reply address
        mail.set_content(text.email)
        try:
            await aiosmtplib.send(
                mail, hostname=self.settings.smtp_host, port=self.settings.smtp_port,
                start_tls=self.settings.smtp_starttls, username=self.settings.smtp_username,
                password=self.settings.smtp_password, timeout=self.settings.smtp_timeout_seconds)
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
