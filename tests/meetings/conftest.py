"""Meetings test helpers: an app on a fresh database with a stepping clock, and unit Nord set up through the API.

The owner of protected identity is the registers service: the session's ``registers`` fixture (tests/conftest.py,
today the contract stand-in over real HTTP), asked with a service token for the client id ``meetings``. Dana (the
protected persona) is protected there from the start; ``owner.protect(pnr)`` marks someone else protected in the
population register, ``owner.lift(pnr)`` ends it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from kit.db import make_engine
from services.meetings.app import create_app
from services.meetings.domain.times import STOCKHOLM
from services.meetings.settings import MeetingsSettings
from simulators.idp.personas import PERSONAS
from tests.registers_standin import RegistersStandIn
from tests.support import verifier_for

ANNA = PERSONAS["anna"].personal_number
BERTIL = PERSONAS["bertil"].personal_number
CECILIA = PERSONAS["cecilia"].personal_number
DANA = PERSONAS["dana"].personal_number
KARIN = PERSONAS["karin"].sub
MAJA = PERSONAS["maja"].sub
LARS = PERSONAS["lars"].sub
TOVE = PERSONAS["tove"].sub
OFFICE = "Storgatan 1, Nordstad"

# Monday 16 March 2026, 09:00 in Stockholm: the weeks ahead hold the spring DST change (Sunday 29 March) and
# Easter (Långfredag 3 April, Annandag påsk 6 April).
T0 = dt.datetime(2026, 3, 16, 9, 0, tzinfo=STOCKHOLM).astimezone(dt.UTC)


def sthlm(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM)


class Clock:
    """The app's clock in tests: starts at T0, moves only when told."""

    def __init__(self, start: dt.datetime = T0) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)

    def set(self, value: dt.datetime) -> None:
        self.now = value.astimezone(dt.UTC)


@pytest.fixture(scope="module")
def clock() -> Clock:
    """The module's app clock; with ``monday_morning`` every test starts on Monday 16 March 2026, 09:00."""
    return Clock()


@pytest.fixture
def monday_morning(clock: Clock) -> None:
    clock.set(sthlm(2026, 3, 16, 9))


def settings_for(db_url: str, **overrides: Any) -> MeetingsSettings:
    values: dict[str, Any] = dict(database_url=db_url, worker_enabled=False, outbox_backoff_seconds=0.0,
                                  db_pool_size=20, db_max_overflow=40, db_pool_timeout_seconds=30.0)
    values.update(overrides)
    return MeetingsSettings(**values)


class ServiceTokens:
    """Service tokens for the meetings client, signed by the test issuer (what the IdP would hand out)."""

    def __init__(self, issuer: Any, client_id: str = "meetings") -> None:
        self.issuer = issuer
        self.client_id = client_id

    async def token(self) -> str:
        return self.issuer.service_token(self.client_id)


@dataclass
class Owner:
    """The registers service as the owner of protected identity (the population register decides)."""

    registers: RegistersStandIn

    @property
    def url(self) -> str:
        return self.registers.url

    @property
    def transport(self) -> httpx.AsyncBaseTransport:
        """The real network way to it (tests wrap it to count the questions)."""
        return httpx.AsyncHTTPTransport()

    async def protect(self, *personal_numbers: str) -> None:
        for pnr in personal_numbers:
            self.registers.set_person(pnr, protected=True)

    async def lift(self, personal_number: str) -> None:
        """The population register's marking ends."""
        self.registers.set_person(personal_number, protected=False)


@pytest.fixture(scope="session")
def owner(registers):
    return Owner(registers)


def make_app(db_url: str, issuer: Any, clock: Clock | None = None, *, owner: Owner | None = None,
             registers_transport: httpx.AsyncBaseTransport | None = None, **overrides: Any) -> Any:
    """``owner``: the registers meetings asks about protected identity (``registers_transport``: the way to it,
    default the network); None: none is configured (unless ``registers_url`` is given), so meetings fails closed."""
    kwargs: dict[str, Any] = {}
    if owner is not None:
        overrides.setdefault("registers_url", owner.url)
        if registers_transport is not None:
            kwargs["registers_transport"] = registers_transport
    if "service_client_id" not in overrides:
        kwargs["tokens"] = ServiceTokens(issuer)
    return create_app(settings_for(db_url, **overrides), clock=clock, verifier=verifier_for(issuer), **kwargs)


@dataclass
class Nord:
    """Unit Nord as the tests set it up: Karin and Maja Mon–Fri 09–12, three meeting types."""

    visit: str  # in person / phone / video, 60 min + 15 min after, self-bookable
    phone: str  # 30 min, staff-booked
    home: str  # home visit, 90 min, staff-booked
    joint: str  # multi-party, 60 min, video or in person, staff-booked


WEEKDAY_HOURS = [{"weekday": d, "start": "09:00", "end": "12:00"} for d in range(5)]


async def setup_nord(client: Any, as_persona: Any, *, cutoff_hours: int = 24) -> Nord:
    lead = as_persona("tove")
    r = await client.put("/units/nord/settings", headers=lead, json={
        "client_change_cutoff_hours": cutoff_hours, "min_notice_hours": 2, "reminder_offsets_minutes": [1440, 120]})
    assert r.status_code == 200, r.text
    ids = []
    for body in (
        {"name": "Besök", "kind": "in_person", "duration_minutes": 60, "buffer_after_minutes": 15,
         "channels": ["in_person", "phone", "video"], "office_address": OFFICE, "client_self_bookable": True},
        {"name": "Telefonsamtal", "kind": "phone", "duration_minutes": 30, "channels": ["phone"]},
        {"name": "Hembesök", "kind": "home_visit", "duration_minutes": 90, "channels": ["in_person"]},
        {"name": "Samordnat möte", "kind": "multi_party", "duration_minutes": 60, "channels": ["video", "in_person"],
         "office_address": OFFICE},
    ):
        r = await client.post("/units/nord/meeting-types", headers=lead, json=body)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    for who in ("karin", "maja"):
        r = await client.put("/caseworkers/me/hours", headers=as_persona(who), json={"hours": WEEKDAY_HOURS})
        assert r.status_code == 200, r.text
    r = await client.put("/caseworkers/me/hours", headers=as_persona("lars"), json={"hours": WEEKDAY_HOURS})
    assert r.status_code == 200, r.text
    return Nord(*ids)


async def sql(db_url: str, query: str, **params: Any) -> list[Any]:
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(query), params)).all())
    finally:
        await engine.dispose()
