"""The demo seed, through a real gateway and IdP: one submitted application and one draft, however often it runs."""

from __future__ import annotations

import httpx
import pytest

from gateway.app import Gateway
from gateway.settings import GatewaySettings
from services.applications.demo import seed
from simulators.idp.app import IdpSettings
from simulators.idp.app import create_app as create_idp
from tests.applications.conftest import make_app
from tests.support import AUDIENCE, ISSUER, free_port, fresh_database, serve_in_thread, verifier_for


@pytest.fixture
async def db_url():
    async with fresh_database("applications") as url:
        yield url


async def test_seed_is_idempotent(db_url, issuer, as_persona):
    closed = f"http://127.0.0.1:{free_port()}"
    with serve_in_thread(create_idp(IdpSettings(issuer=ISSUER, audience=AUDIENCE), issuer)) as idp, \
            serve_in_thread(make_app(db_url, issuer)) as service:
        settings = GatewaySettings(auth_issuer=ISSUER, auth_audience=AUDIENCE, applications_url=service,
                                   messaging_url=closed, calculation_url=closed, meetings_url=closed)
        with serve_in_thread(Gateway(settings, verifier_for(issuer))) as gateway:
            await seed(gateway, idp, "2026-03")
            await seed(gateway, idp, "2026-03")
            async with httpx.AsyncClient(base_url=service) as http:
                anna = (await http.get("/me/cases", headers=as_persona("anna"))).json()["items"]
                cecilia = (await http.get("/me/cases", headers=as_persona("cecilia"))).json()["items"]
                queue = (await http.get("/queue", headers=as_persona("karin"))).json()["items"]
    assert [(c["period"], c["status"]) for c in anna] == [("2026-03", "submitted")]
    assert [(c["period"], c["status"]) for c in cecilia] == [("2026-03", "draft")]
    assert [c["id"] for c in queue] == [anna[0]["id"]]
