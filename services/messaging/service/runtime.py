"""What the service holds while it runs (``ServiceContext.runtime``): keys, clock, relay, hub, clients."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.clock import Clock
from kit.outbox import OutboxRelay
from kit.retention_job import RetentionJob
from services.messaging.integration.population import PopulationRegister
from services.messaging.integration.protection import ProtectionOwner
from services.messaging.service.letters import LetterPost
from services.messaging.service.live import Hub
from services.messaging.service.notifications import Notifier
from services.messaging.settings import MessagingSettings
from services.messaging.store.crypto import Keyring


@dataclass
class Runtime:
    """Set by the start-up hook (app.py); the routers reach it through api/deps.py, the loops through workers.py."""

    settings: MessagingSettings
    keyring: Keyring
    clock: Clock
    sessions: async_sessionmaker[AsyncSession]
    relay: OutboxRelay  # delivers notifications (Notifier.deliver) and fetches letters (LetterPost.deliver); woken
    # after a commit that made some
    hub: Hub  # live updates: LISTEN/NOTIFY in, Server-Sent Events out
    notifier: Notifier
    protection: ProtectionOwner | None  # None: no registers_url (development): our own copy only
    retention: RetentionJob  # gallring (workers.py); tests call its run_once()
    letters: LetterPost  # the post room: fetching letters from their owners
    population: PopulationRegister | None  # envelope addresses (the registers service); None: no registers_url

    def now(self) -> dt.datetime:
        return self.clock()

    @property
    def retract_window(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.settings.retract_window_minutes)
