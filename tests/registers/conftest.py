"""Registers test helpers: the app on a fresh database with the FAKE adapters (tests/registers/sources_fake.py),
a stepping clock, service tokens and request builders."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from kit.db import async_url
from services.registers.app import create_app
from services.registers.settings import RegistersSettings
from simulators.idp.personas import PERSONAS, Persona
from tests.registers.sources_fake import FakeRegisters, fake_sources
from tests.support import app_client, fresh_database, verifier_for

ANNA = PERSONAS["anna"].personal_number
BERTIL = PERSONAS["bertil"].personal_number
CECILIA = PERSONAS["cecilia"].personal_number
DANA = PERSONAS["dana"].personal_number
KARIN = PERSONAS["karin"].sub
T0 = dt.datetime(2026, 3, 16, 8, 0, tzinfo=dt.UTC)
CASE_NORD = uuid.UUID("11111111-1111-4111-8111-111111111111")
CASE_SYD = uuid.UUID("22222222-2222-4222-8222-222222222222")
# A team lead of another unit than Tove's (no such demo persona): her token is made by the test issuer.
TURE = Persona("ture", "Ture Tegnér", ("team_lead",), unit="syd", description="Team lead of unit Syd (tests).")


class Clock:
    def __init__(self, start: dt.datetime = T0) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def make_app(db_url: str, issuer: Any, sources: Any = None, clock: Clock | None = None, **overrides: Any) -> Any:
    settings = RegistersSettings(database_url=db_url, housekeeping_enabled=False, **overrides)
    return create_app(settings, sources=sources if sources is not None else fake_sources()[0],
                      clock=clock or Clock(), verifier=verifier_for(issuer))


@contextlib.asynccontextmanager
async def running(issuer: Any, **overrides: Any) -> AsyncIterator[tuple[Any, FakeRegisters, Clock, str]]:
    """(client, fake registers, clock, database URL) of an app on its own fresh database."""
    sources, fake = fake_sources()
    clock = Clock()
    async with fresh_database("registers") as url, \
            app_client(make_app(url, issuer, sources, clock, **overrides)) as client:
        yield client, fake, clock, url


@pytest.fixture(scope="module")
async def env(issuer):
    async with running(issuer) as e:
        yield e


@pytest.fixture(scope="session")
def service_headers(issuer):
    def headers(client_id: str = "applications") -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.service_token(client_id, 'bistand:registers')}"}
    return headers


@pytest.fixture(scope="session")
def headers_of(issuer, as_persona, service_headers):
    """Authorization for a persona, "ture", "service" (applications), "meetings", "messaging", "anon"."""
    def headers(who: str) -> dict[str, str]:
        if who == "anon":
            return {}
        if who == "ture":
            return {"Authorization": f"Bearer {issuer.persona_token(TURE)}"}
        if who == "service":
            return service_headers("applications")
        if who in ("meetings", "messaging", "payments", "calculation"):
            return service_headers(who)
        return as_persona(who)
    return headers


def income(pnr: str = ANNA, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"personal_number": pnr, "case_id": str(CASE_NORD), "period": "2026-02",
                            "purpose": "decision_proposal", "legal_basis": "SoL (2025:400) 11 kap.",
                            "process": "applications:decision_proposal", "unit": "nord"}
    body.update(over)
    return body


def population(*pnrs: str, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"personal_numbers": list(pnrs), "purpose": "case_handling",
                            "case_id": str(CASE_NORD), "process": "applications:household"}
    body.update(over)
    return body


async def rows(url: str, sql: str = "SELECT * FROM lookups ORDER BY made_at, id",
               **params: Any) -> list[Any]:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())
    finally:
        await engine.dispose()
