"""The demo seed, through a real gateway and IdP: one thread for Anna, however often it runs."""

from __future__ import annotations

import httpx
import pytest

from gateway.app import Gateway
from gateway.settings import GatewaySettings
from services.messaging.demo import BODY, seed
from simulators.idp.app import IdpSettings
from simulators.idp.app import create_app as create_idp
from tests.messaging.conftest import make_app
from tests.support import AUDIENCE, ISSUER, free_port, fresh_database, serve_in_thread, verifier_for


@pytest.fixture
async def db_url():
    async with fresh_database("messaging") as url:
        yield url


async def test_seed_is_idempotent(db_url, issuer, as_persona):
    closed = f"http://127.0.0.1:{free_port()}"
    with serve_in_thread(create_idp(IdpSettings(issuer=ISSUER, audience=AUDIENCE), issuer)) as idp, \
            serve_in_thread(make_app(db_url, issuer)) as service:
        settings = GatewaySettings(auth_issuer=ISSUER, auth_audience=AUDIENCE, messaging_url=service,
                                   applications_url=closed, calculation_url=closed, meetings_url=closed)
        with serve_in_thread(Gateway(settings, verifier_for(issuer))) as gateway:
            await seed(gateway, idp)
            await seed(gateway, idp)
            async with httpx.AsyncClient(base_url=service) as http:
                threads = (await http.get("/threads", headers=as_persona("anna"))).json()
                assert len(threads) == 1 and threads[0]["unit"] == "nord"
                messages = (await http.get(f"/threads/{threads[0]['id']}/messages",
                                           headers=as_persona("anna"))).json()
    assert [(m["body"], m["sender_name"]) for m in messages] == [(BODY, "Karin Karlsson")]
