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

import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.tables import OutboxMessage
from services.messaging.domain import notify
from services.messaging.integration.failures import PermanentFailure
from services.messaging.integration.mail import send_email
from services.messaging.integration.sms import send_sms
from services.messaging.settings import MessagingSettings
from services.messaging.store import contacts as contacts_store
from services.messaging.store import notifications as notifications_store
from services.messaging.store.crypto import Keyring
from services.messaging.store.notifications import NOTIFICATION_TOPIC, NotificationRecord

log = logging.getLogger("messaging.notify")


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
        """The outbox relay's handler (workers.py): send one notification, exactly once."""
        if message.topic != NOTIFICATION_TOPIC:
            log.warning("outbox topic not ours; dropped", extra={"topic": message.topic})
            return
        notification_id = uuid.UUID(str(message.payload["notification_id"]))
        async with self.sessions() as session:
            row = await notifications_store.get_notification(session, notification_id)
            if row is None or row.status != "pending":
                return  # done already: exactly once
            plan = await self._plan(session, row, message.attempts)
            if not isinstance(plan, Plan):
                await self._finish(session, row, *plan)
                return
        text = notify.text(plan.kind, plan.contact.language, self.settings.public_base_url, row.starts_at)
        try:
            if plan.channel is notify.Channel.SMS:
                assert self.sms is not None
                await send_sms(self.sms, sender=self.settings.sms_sender, notification_id=notification_id,
                               phone=plan.contact.phone or "", body=text.sms)
            else:
                await send_email(self.settings, notification_id=notification_id, address=plan.contact.email or "",
                                 text=text)
        except PermanentFailure as exc:
            async with self.sessions() as session:
                await self._finish(session, row, "failed", str(exc))
            return
        async with self.sessions() as session:
            await self._finish(session, row, "sent", None)

    async def _plan(self, session: AsyncSession, row: NotificationRecord,
                    attempts: int) -> Plan | tuple[str, str]:
        """Either an end state without sending, or what to send. ``row``: the notification and the facts
        that decide it."""
        protected = bool(row.person_protected or row.thread_protected)
        if row.retracted:
            return "cancelled", "message retracted"
        if attempts >= self.settings.notify_max_attempts:
            return "failed", f"gave up after {attempts} attempts"
        channel = notify.Channel(row.channel)
        contact = await contacts_store.get_contact_by_ref(session, self.keyring, row.person_ref)
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

    async def _finish(self, session: AsyncSession, row: NotificationRecord, status: str,
                      detail: str | None) -> None:
        await notifications_store.finish_notification(session, row.id, status, detail, self.clock())
        await session.commit()
        # Ids and kinds only: never the address, the number or the person.
        log.info("notification " + status, extra={
            "notification_id": str(row.id), "channel": row.channel, "kind": row.kind, "detail": detail})
