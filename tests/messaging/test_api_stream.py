"""Live updates over Server-Sent Events: a real uvicorn replica streams what another replica commits
(PostgreSQL LISTEN/NOTIFY), only to those who may see the thread, with heartbeats, also through the gateway."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text

from gateway.app import Gateway
from gateway.settings import GatewaySettings
from kit.auth import Principal
from kit.db import make_engine, make_sessionmaker, plain_url
from services.messaging.domain.access import Party
from services.messaging.service.live import Hub
from tests.messaging.conftest import CECILIA, make_app, make_known
from tests.support import AUDIENCE, ISSUER, app_client, free_port, fresh_database, serve_in_thread, verifier_for


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("messaging") as url:
        yield url


@pytest.fixture(scope="module")
def replica_a(db_url, issuer):
    """One replica as a real server in its own thread (and event loop)."""
    app = make_app(db_url, issuer, sse_heartbeat_seconds=0.3, sse_max_streams_per_user=3)
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture(scope="module")
async def replica_b(db_url, issuer, service_headers):
    """Another replica, in-process: where the writes happen."""
    async with app_client(make_app(db_url, issuer)) as client:
        await make_known(client, service_headers, CECILIA, unit="syd")  # so Lars may write to her
        yield client


class Stream:
    def __init__(self, lines: AsyncIterator[str]) -> None:
        self.lines = lines
        self.comments: list[str] = []

    async def next_event(self, seconds: float = 10.0) -> dict:
        """The next event (comments are collected on the side)."""
        async def read() -> dict:
            event: dict = {}
            async for line in self.lines:
                if line.startswith(":"):
                    self.comments.append(line)
                elif line.startswith("event: "):
                    event["event"] = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    event["data"] = json.loads(line.removeprefix("data: "))
                elif line == "" and event:
                    return event
            raise EOFError("stream ended")

        return await asyncio.wait_for(read(), seconds)

    async def comment(self, seconds: float = 10.0) -> str:
        async def read() -> str:
            async for line in self.lines:
                if line.startswith(":"):
                    return line
            raise EOFError("stream ended")

        return await asyncio.wait_for(read(), seconds)


@contextlib.asynccontextmanager
async def open_stream(base: str, headers: dict[str, str]) -> AsyncIterator[Stream]:
    async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(10.0, read=None)) as http, \
            http.stream("GET", "/me/stream", headers={**headers, "Accept": "text/event-stream"}) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = Stream(response.aiter_lines())
        assert await stream.comment() == ": connected"  # subscribed before the first byte is sent
        yield stream


async def test_a_new_message_reaches_the_stream_on_another_replica(replica_a, replica_b, as_persona):
    anna, karin = as_persona("anna"), as_persona("karin")
    tid = (await replica_b.post("/threads", headers=anna, json={"unit": "nord", "subject": "Live"})).json()["id"]
    async with open_stream(replica_a, karin) as karins, open_stream(replica_a, anna) as annas, \
            open_stream(replica_a, as_persona("cecilia")) as cecilias, \
            open_stream(replica_a, as_persona("lars")) as lars:
        sent = (await replica_b.post(f"/threads/{tid}/messages", headers=anna, json={"body": "Syns det?"})).json()
        got = await karins.next_event()
        assert got == {"event": "message", "data": {"thread_id": tid, "message_id": sent["id"], "seq": 1,
                                                     "side": "client"}}
        assert "Syns det?" not in json.dumps(got)  # ids only: the content is fetched through the API
        assert (await annas.next_event())["event"] == "message"  # her own other devices

        # The read receipt reaches Anna.
        await replica_b.post(f"/threads/{tid}/read", headers=karin)
        receipt = await annas.next_event()
        assert receipt["event"] == "read" and receipt["data"]["side"] == "staff"
        assert receipt["data"]["message_ids"] == [sent["id"]]

        # Cecilia and Lars heard nothing of it: the next thing each gets is about their own thread.
        theirs = (await replica_b.post("/threads", headers=as_persona("lars"), json={
            "personal_number": CECILIA, "subject": "Syd", "body": "Hej"})).json()["id"]
        for stream in (cecilias, lars):
            first = await stream.next_event()
            assert first["data"]["thread_id"] == theirs, first
        assert (await karins.next_event())["event"] == "read"  # Karin's own read (her other devices)


async def test_heartbeats_keep_the_stream_open(replica_a, as_persona):
    async with open_stream(replica_a, as_persona("bertil")) as stream:
        assert await stream.comment(seconds=5) == ": keep-alive"


async def test_streams_need_a_token_and_a_new_one_beyond_the_cap_ends_the_oldest(replica_a, as_persona):
    async with httpx.AsyncClient(base_url=replica_a) as http:
        assert (await http.get("/me/stream")).status_code == 401
        assert (await http.get("/me/stream", headers=as_persona("adam"))).status_code == 403
    maja = as_persona("maja")
    async with open_stream(replica_a, maja) as oldest, open_stream(replica_a, maja), open_stream(replica_a, maja), \
            open_stream(replica_a, maja):  # the fourth, with a cap of three
        assert (await oldest.next_event())["event"] == "reconnect"
        with pytest.raises(EOFError):
            await oldest.next_event()


async def test_through_the_gateway(db_url, replica_b, issuer, as_persona):
    # The gateway does not notice a client leaving a stream (it ends when the service ends it), so this
    # replica ends its streams after two seconds to let the test's servers stop promptly.
    replica = make_app(db_url, issuer, sse_max_stream_seconds=2)
    closed = f"http://127.0.0.1:{free_port()}"
    anna = as_persona("anna")
    tid = (await replica_b.post("/threads", headers=anna, json={"unit": "nord", "subject": "Via"})).json()["id"]
    with serve_in_thread(replica) as service:
        settings = GatewaySettings(auth_issuer=ISSUER, auth_audience=AUDIENCE, messaging_url=service,
                                   applications_url=closed, calculation_url=closed, meetings_url=closed,
                                   read_timeout_seconds=0.5)
        with serve_in_thread(Gateway(settings, verifier_for(issuer))) as gateway:
            async with open_stream(f"{gateway}/api/messaging", as_persona("tove")) as stream:
                await replica_b.post(f"/threads/{tid}/messages", headers=anna, json={"body": "Genom grinden"})
                got = await stream.next_event()
                assert got["event"] == "message" and got["data"]["thread_id"] == tid


async def test_the_listener_reconnects_and_asks_streams_to_resync(db_url, replica_b, as_persona):
    """The LISTEN connection dies (a database restart, a failover): it comes back, and every open stream is
    told to refetch, since events may have been missed meanwhile."""
    engine = make_engine(db_url)
    hub = Hub(plain_url(db_url), make_sessionmaker(engine), max_per_user=5)
    stop = asyncio.Event()
    try:
        await hub.connect()
        running = asyncio.ensure_future(hub.run(stop))
        karin = Party.from_principal(Principal(sub="persona:karin", roles=frozenset({"caseworker"}), unit="nord"))
        subscriber = hub.subscribe(karin)
        pid = hub._conn.get_server_pid()
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        assert await asyncio.wait_for(subscriber.queue.get(), 10) == {"type": "resync"}
        await asyncio.wait_for(hub.listening.wait(), 10)
        anna = as_persona("anna")
        tid = (await replica_b.post("/threads", headers=anna, json={"unit": "nord", "subject": "Efter"})).json()["id"]
        got = await asyncio.wait_for(subscriber.queue.get(), 10)
        assert got == {"type": "thread", "thread_id": tid}
        stop.set()
        await asyncio.wait_for(running, 10)
        assert await asyncio.wait_for(subscriber.queue.get(), 1) is None  # streams end on shutdown
    finally:
        stop.set()
        await hub.close()
        await engine.dispose()
