"""The demo seed, through a real gateway and IdP: one thread for Anna, however often it runs."""

from __future__ import annotations

import httpx
import pytest

from devstack.demo.messaging import BODY, seed
from tests.messaging.conftest import ANNA, make_app, make_known
from tests.support import fresh_database, seeding_setup


@pytest.fixture
async def db_url():
    async with fresh_database("messaging") as url:
        yield url


async def test_seed_is_idempotent(db_url, issuer, as_persona, service_headers):
    with seeding_setup(issuer, "messaging", make_app(db_url, issuer)) as (gateway, idp, service):
        async with httpx.AsyncClient(base_url=service) as http:
            await make_known(http, service_headers, ANNA)  # what the applications demo's case event does
        await seed(gateway, idp)
        await seed(gateway, idp)
        async with httpx.AsyncClient(base_url=service) as http:
            threads = (await http.get("/threads", headers=as_persona("anna"))).json()
            assert len(threads) == 1 and threads[0]["unit"] == "nord"
            messages = (await http.get(f"/threads/{threads[0]['id']}/messages",
                                       headers=as_persona("anna"))).json()
    assert [(m["body"], m["sender_name"]) for m in messages] == [(BODY, "Karin Karlsson")]
