"""The demo seed, through a real gateway and IdP: one submitted application and one draft, however often it runs."""

from __future__ import annotations

import httpx
import pytest

from devstack.demo.applications import seed
from tests.applications.conftest import make_app
from tests.support import fresh_database, seeding_setup


@pytest.fixture
async def db_url():
    async with fresh_database("applications") as url:
        yield url


async def test_seed_is_idempotent(db_url, issuer, as_persona, registers):
    app = make_app(db_url, issuer, registers=registers)
    with seeding_setup(issuer, "applications", app) as (gateway, idp, service):
        await seed(gateway, idp, "2026-03")
        await seed(gateway, idp, "2026-03")
        async with httpx.AsyncClient(base_url=service) as http:
            anna = (await http.get("/me/cases", headers=as_persona("anna"))).json()["items"]
            cecilia = (await http.get("/me/cases", headers=as_persona("cecilia"))).json()["items"]
            queue = (await http.get("/queue", headers=as_persona("karin"))).json()["items"]
    assert [(c["period"], c["status"]) for c in anna] == [("2026-03", "submitted")]
    assert [(c["period"], c["status"]) for c in cecilia] == [("2026-03", "draft")]
    assert [c["id"] for c in queue] == [anna[0]["id"]]
