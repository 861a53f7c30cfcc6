"""What the meetings service runs with, made once by its start-up hook (app.py) and kept on ``ctx.runtime``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.clock import Clock
from kit.outbox import OutboxRelay
from kit.retention_job import RetentionJob
from services.meetings.integration.registers import ProtectionOwner
from services.meetings.settings import MeetingsSettings
from services.meetings.workers import Workers


@dataclass(frozen=True)
class Runtime:
    settings: MeetingsSettings
    clock: Clock  # tests pass a stepping clock
    sessions: async_sessionmaker[AsyncSession]  # for work in a transaction of its own
    owner: ProtectionOwner  # the owner of protected identity (the registers service)
    relay: OutboxRelay  # woken after a commit that wrote an event
    workers: Workers  # the reminder scheduler and the relay (tests call run_once)
    retention: RetentionJob  # gallring (workers.py); tests call its run_once()

    def now(self) -> dt.datetime:
        return self.clock()

    @property
    def clearance_max_age(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.settings.clearance_max_age_seconds)
