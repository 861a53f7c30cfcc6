"""The REAL applications service, for the tests of messaging and meetings acting for a client (ombud).

``served_applications(issuer, registers, clock)`` serves the applications app on a fresh database over HTTP in a
thread, with the test's clock (so "today" is the same day in every service), and the IdP simulator next to it, so
messaging and meetings ask ``POST /internal/representations/resolve`` with their own client-credentials tokens, as
they do when deployed. Representations are registered and revoked through the staff routes (the administrator),
never written into its database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from contracts.representation import HEADER
from simulators.idp.app import create_app as create_idp
from simulators.idp.personas import PERSONAS, Persona
from tests.applications.conftest import make_app as make_applications
from tests.support import auth, fresh_database, serve_in_thread

OLLE = Persona("olle", "Olle Ombudsson", ("client",), personal_number="197001019806")  # a god man, a client himself
ADAM = "adam"  # the administrator registers representations for anyone


@dataclass
class Applications:
    url: str
    idp: str
    issuer: Any
    http: httpx.AsyncClient

    def service_settings(self, client_id: str) -> dict[str, Any]:
        """What messaging or meetings needs to ask applications (settings overrides): its URL and real credentials."""
        return {"applications_url": self.url, "auth_token_url": f"{self.idp}/token",
                "service_client_id": client_id, "service_client_secret": f"dev-{client_id}"}

    def _staff(self, who: str = ADAM) -> dict[str, str]:
        return auth(self.issuer, who)

    async def apply(self, persona: str) -> str:
        """The persona applies for the month of the clock (a case of theirs in applications); the case id."""
        from tests.applications.conftest import single
        pnr = PERSONAS[persona].personal_number or ""
        r = await self.http.post("/applications", headers=self._staff(persona), json=single(pnr))
        assert r.status_code in (201, 409), r.text
        return str(r.json().get("id") or r.json()["application_id"])

    async def register(self, client: str, scopes: list[str], *, representative: Persona = OLLE,
                       valid_until: dt.date = dt.date(2030, 12, 31), kind: str = "god_man", staff: str = ADAM) -> str:
        """Staff (default: the administrator; for a protected client, cleared staff of her unit) register it."""
        r = await self.http.post("/staff/representations", headers=self._staff(staff), json={
            "personal_number": client, "representative": representative.personal_number,
            "representative_name": representative.name, "kind": kind, "scopes": scopes,
            "valid_until": valid_until.isoformat(), "document": "beslut Solna tingsrätt 2026-02-20, Ä 123-26"})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def revoke(self, representation_id: str) -> None:
        r = await self.http.post(f"/staff/representations/{representation_id}/revoke", headers=self._staff())
        assert r.status_code == 200, r.text


@contextlib.asynccontextmanager
async def served_applications(issuer: Any, registers: Any, clock: Any) -> AsyncIterator[Applications]:
    async with fresh_database("applications") as db_url:
        app = make_applications(db_url, issuer, clock, registers=registers)
        with serve_in_thread(create_idp(issuer.settings, issuer)) as idp, serve_in_thread(app) as url:
            async with httpx.AsyncClient(base_url=url, timeout=15) as http:
                yield Applications(url, idp, issuer, http)


def acting(issuer: Any, representation: str, persona: Persona = OLLE) -> dict[str, str]:
    """The representative's own token, naming the representation they act under."""
    return {"Authorization": f"Bearer {issuer.persona_token(persona)}", HEADER: representation}


def own(issuer: Any, persona: Persona = OLLE) -> dict[str, str]:
    """The representative as themselves (no representation named)."""
    return {"Authorization": f"Bearer {issuer.persona_token(persona)}"}
