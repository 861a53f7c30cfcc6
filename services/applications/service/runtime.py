"""What the service holds while it runs: its clock, settings, relay and clients (``ServiceContext.runtime``)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.clock import Clock
from kit.http import JsonPoster
from kit.outbox import OutboxRelay
from kit.retention_job import RetentionJob
from services.applications.integration.registers import Registers
from services.applications.settings import ApplicationsSettings

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")



@dataclass
class Runtime:
    """Set by the start-up hook (app.py); the routers reach it through api/deps.py."""

    settings: ApplicationsSettings
    clock: Clock
    sessions: async_sessionmaker[AsyncSession]
    relay: OutboxRelay
    # The owner of protected identity (fails closed without a URL) and of register data for the proposal.
    registers: Registers
    calculation: httpx.AsyncClient | None = None  # None: no calculation service configured
    # The same service over aiohttp, for the proposal job (kit.http.JsonPoster); None: the job uses ``calculation``.
    calculation_poster: JsonPoster | None = None
    # The relay of the service's own jobs (the decision proposal), apart from the events relay.
    jobs: OutboxRelay | None = None
    # The services asked for their part of a register extract: name -> client (None: no URL configured).
    subject_access: dict[str, httpx.AsyncClient | None] = field(default_factory=dict)
    pdf_font: str | None = None  # a Unicode TrueType font for PDFs (settings.pdf_font()), else core Helvetica
    retention: RetentionJob | None = None  # gallring (workers.py); tests call its run_once()
    # Staff members whose row was refreshed lately (service/staff.py): sub -> (fingerprint, when).
    staff_seen: dict[str, tuple[Any, dt.datetime]] = field(default_factory=dict)

    def wake(self) -> None:
        """After a commit that wrote outbox rows: deliver the events and run the jobs now."""
        self.relay.wake()
        if self.jobs is not None:
            self.jobs.wake()

    def now(self) -> dt.datetime:
        return self.clock()

    def today(self) -> dt.date:
        """The clock's date in Swedish time (what "this month" means for a client)."""
        return self.clock().astimezone(STOCKHOLM).date()
