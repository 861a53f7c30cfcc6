"""Starting a thread must not tell who has protected identity.

Before: an uncleared caseworker got 404 for a protected client and 201 for anyone else, so the status code
named the protected. Now staff write only to clients their unit knows and they may see: a protected client,
a stranger and another unit's client get the very same answer. And messaging asks the owner of protected
identity (the registers service: the session's ``registers`` fixture, over real HTTP with a real IdP's token) before
it starts a thread, failing closed when it cannot answer (unreachable, or 503: the population register unavailable)."""

from __future__ import annotations

import contextlib

import httpx
import pytest

from simulators.idp.app import create_app as create_idp
from tests.conftest import register_down
from tests.messaging.conftest import ANNA, BERTIL, CECILIA, DANA, make_app, make_known
from tests.support import app_client, fresh_database, serve_in_thread

STRANGER = "198001029803"  # a valid test number nobody here has heard of
MARKED = "196202129802"  # the population register marks her protected; messaging's copy does not know it


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("messaging") as url:
        yield url


def _same(a: httpx.Response, b: httpx.Response) -> None:
    """Status, type and body alike, but for the request's own id."""
    def seen(r: httpx.Response) -> tuple:
        return r.status_code, r.headers["content-type"], {k: v for k, v in r.json().items() if k != "request_id"}

    assert seen(a) == seen(b)


async def _start(client, headers, pnr: str, **extra) -> httpx.Response:
    return await client.post("/threads", headers=headers, json={"personal_number": pnr, "unit": "nord",
                                                                "subject": "Hej", "body": "Hur går det?", **extra})


async def test_protected_stranger_and_other_units_client_get_the_same_answer(db_url, issuer, as_persona,
                                                                             service_headers):
    async with app_client(make_app(db_url, issuer)) as client:
        await make_known(client, service_headers, ANNA)
        await make_known(client, service_headers, DANA, protected=True)
        await make_known(client, service_headers, CECILIA, unit="syd")
        karin = as_persona("karin")
        protected = await _start(client, karin, DANA)
        assert protected.status_code == 404
        for other in (STRANGER, CECILIA):
            _same(await _start(client, karin, other), protected)
        # Ticking the box changes nothing either.
        _same(await _start(client, karin, STRANGER, protected_identity=True), protected)
        assert DANA not in protected.text
        # The unit's own, visible client: a thread, as before.
        assert (await _start(client, karin, ANNA)).status_code == 201
        # Cleared staff write to the protected client; the thread stays hidden from the uncleared.
        made = await _start(client, as_persona("maja"), DANA)
        assert made.status_code == 201, made.text
        assert (await client.get(f"/threads/{made.json()['id']}", headers=karin)).status_code == 404


@contextlib.asynccontextmanager
async def _with_owner(issuer, registers, messaging_db: str, *, owner_up: bool = True):
    """Messaging wired to the registers (the session's, over HTTP) and a real IdP for its token."""
    with serve_in_thread(create_idp(issuer.settings, issuer)) as idp:
        extra = {} if owner_up else {"registers_transport": _Down()}
        messaging = make_app(messaging_db, issuer, registers_url=registers.url, auth_token_url=f"{idp}/token",
                             service_client_id="messaging",
                             service_client_secret="dev-messaging", **extra)  # noqa: S106 - the IdP's dev secret
        async with app_client(messaging) as client:
            yield client


class _Down(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("registers is down", request=request)


async def test_the_owner_decides_and_the_answer_stays_the_same(issuer, as_persona, service_headers, registers):
    registers.set_person(MARKED, protected=True, name="Skyddad Sjöberg")
    async with fresh_database("messaging") as messaging_db, _with_owner(issuer, registers, messaging_db) as client:
        await make_known(client, service_headers, MARKED, BERTIL)  # an older, unprotected picture of a case
        karin = as_persona("karin")
        refused = await _start(client, karin, MARKED)
        _same(refused, await _start(client, karin, STRANGER))
        assert refused.status_code == 404 and MARKED not in refused.text and "Sjöberg" not in refused.text
        assert (await _start(client, karin, BERTIL)).status_code == 201  # the register knows no protection for him
        made = await _start(client, as_persona("maja"), MARKED)
        assert made.status_code == 201
        assert made.json()["protected_identity"] is True
        assert (await client.get(f"/threads/{made.json()['id']}", headers=karin)).status_code == 404
        listed = await client.get("/threads", headers=karin)
        assert made.json()["id"] not in listed.text and MARKED not in listed.text
        # Dana is protected in the population register too (the demo persona).
        _same(await _start(client, karin, DANA), refused)


@pytest.mark.parametrize("failure", ["unreachable", "register_unavailable"])
async def test_without_the_owners_answer_nothing_is_started(issuer, as_persona, service_headers, registers, failure):
    down = register_down(registers) if failure == "register_unavailable" else contextlib.nullcontext()
    async with fresh_database("messaging") as messaging_db, \
            _with_owner(issuer, registers, messaging_db, owner_up=failure != "unreachable") as client:
        await make_known(client, service_headers, ANNA, DANA)
        with down:
            await _refused_while_down(client, as_persona)


async def _refused_while_down(client, as_persona) -> None:
    """Every thread start answers 503, the same for everyone the unit knows; nothing is started."""
    karin = as_persona("karin")
    down = await _start(client, karin, ANNA)
    assert down.status_code == 503 and down.json()["type"] == "urn:bistand:problem:protection-check-unavailable"
    _same(await _start(client, karin, DANA), down)  # the same for everyone the unit knows
    assert (await client.get("/threads", headers=as_persona("maja"))).json() == []
    # A client's own thread waits for the owner too (their protection decides who may read it).
    own = await client.post("/threads", headers=as_persona("anna"), json={"unit": "nord", "subject": "Hej"})
    assert own.status_code == 503
