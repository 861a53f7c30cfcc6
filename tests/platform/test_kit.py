"""The kit: problem+json for every error kind, request ids, health, metrics, outbox, audit."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import gc
import importlib.util
import json
import logging
import uuid

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, Field
from sqlalchemy import text

from kit import audit, idempotency
from kit.app import create_service_app
from kit.auth import Principal, authenticate
from kit.db import driver_connection, make_engine, make_sessionmaker
from kit.logs import configure_logging
from kit.outbox import OutboxRelay, enqueue
from kit.problems import Problem, not_found
from kit.sealing import Keyring, Sealer, Tampered, bind
from kit.settings import KitSettings
from tests.support import app_client, fresh_database, verifier_for

router = APIRouter()


class Item(BaseModel):
    name: str = Field(min_length=1)
    amount: int = Field(ge=0)


@router.get("/items/{item_id}")
async def get_item(item_id: int) -> dict[str, int]:
    raise not_found("item")


@router.post("/items", status_code=201)
async def create_item(item: Item) -> Item:
    return item


@router.get("/conflict")
async def conflict() -> None:
    raise Problem(409, "illegal-transition", "Illegal transition", "Cannot go from A to B.",
                  current="A")


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("password=hunter2 in /srv/secret.py")


@router.get("/db")
async def db_read(request: Request) -> dict[str, bool]:
    # Holds its pooled connection until the test opens the gate (set on the app for one request only).
    async with request.app.state.kit.sessions() as session:
        await session.execute(text("SELECT 1"))
        if (gate := getattr(request.app.state, "hold", None)) is not None:
            del request.app.state.hold
            request.app.state.holding.set()
            await gate.wait()
    return {"ok": True}


@router.post("/upload")
async def upload(request: Request) -> dict[str, int]:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
    return {"size": size}


@router.get("/private")
async def private(principal: Principal = Depends(authenticate)) -> dict[str, str]:
    return {"sub": principal.sub}


SEALER = Sealer(KitSettings().sealing_keyring(), "calculation")


def _sessions(engine):
    """Sessions as a service has them: with its sealer for the kit's sealed rows."""
    sessions = make_sessionmaker(engine)
    bind(sessions, SEALER)
    return sessions


def _app(url: str, issuer, **settings):
    return create_service_app(
        name="calculation", title="test", description="kit test app",
        settings=KitSettings(database_url=url, **settings), routers=[router],
        verifier=verifier_for(issuer))


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("calculation") as url:
        yield url


@pytest.fixture(scope="module")
async def client(db_url, issuer):
    async with app_client(_app(db_url, issuer, max_body_bytes=1000)) as c:
        yield c


def _is_problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"urn:bistand:problem:{slug}"
    assert body["status"] == status
    assert body["title"]
    return body


async def test_not_found_route_and_resource(client):
    _is_problem(await client.get("/nowhere"), 404, "not-found")
    body = _is_problem(await client.get("/items/7"), 404, "not-found")
    assert body["detail"] == "No such item."


async def test_method_not_allowed(client):
    _is_problem(await client.delete("/items"), 405, "method-not-allowed")


async def test_validation_names_the_fields(client):
    body = _is_problem(await client.post("/items", json={"name": "", "amount": -5}), 422,
                       "validation-error")
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"body.name", "body.amount"}


async def test_malformed_json_is_422_not_500(client):
    response = await client.post("/items", content=b"{not json",
                                 headers={"content-type": "application/json"})
    _is_problem(response, 422, "validation-error")


async def test_path_parameter_type(client):
    body = _is_problem(await client.get("/items/abc"), 422, "validation-error")
    assert body["errors"][0]["field"] == "path.item_id"


async def test_domain_problem_carries_extension_members(client):
    body = _is_problem(await client.get("/conflict"), 409, "illegal-transition")
    assert body["current"] == "A" and body["instance"] == "/conflict"


async def test_internal_error_leaks_nothing(client):
    response = await client.get("/boom", headers={"X-Request-ID": "trace-500"})
    body = _is_problem(response, 500, "internal-error")
    assert "hunter2" not in response.text and "secret" not in response.text
    assert "Traceback" not in response.text
    assert body["request_id"] == "trace-500"


async def test_exhausted_pool_is_503_with_retry_after_not_500(db_url, issuer):
    # One connection, no overflow, a short wait: the second request finds the pool empty.
    app = _app(db_url, issuer, db_pool_size=1, db_max_overflow=0, db_pool_timeout_seconds=0.3)
    async with app_client(app) as c:
        gate = app.state.hold = asyncio.Event()
        app.state.holding = asyncio.Event()
        first = asyncio.create_task(c.get("/db"))
        await asyncio.wait_for(app.state.holding.wait(), 30)
        response = await c.get("/db", headers={"X-Request-ID": "busy-1", "Accept-Language": "sv"})
        body = _is_problem(response, 503, "unavailable")
        assert response.headers["retry-after"] == "1"
        assert body["request_id"] == "busy-1" and "Traceback" not in response.text
        assert body["detail"].startswith("Tjänsten är hårt belastad")
        gate.set()
        assert (await first).status_code == 200
        assert (await c.get("/db")).status_code == 200  # the connection is back in the pool


async def test_start_up_settles_the_collector(db_url, issuer):
    """Once started, a service's start-up objects are frozen and the youngest generation runs every
    gc_threshold new objects; 0 keeps the thresholds as they were."""
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        async with app_client(_app(db_url, issuer, gc_threshold=5000)):
            assert gc.get_threshold() == (5000, 20, 20)
            assert gc.get_freeze_count() > 0
        gc.set_threshold(700, 10, 10)
        async with app_client(_app(db_url, issuer, gc_threshold=0)):
            assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)


def test_routes_sit_on_the_app_router_and_a_router_whose_settings_would_be_lost_is_refused():
    """The services' routes go on the app's own router (no included branch to walk per request); a router with a
    prefix or dependencies of its own would lose them there, so it stops the start instead."""
    app = _app("postgresql+asyncpg://nobody@127.0.0.1:1/none", None)
    assert router.routes[0] in app.router.routes
    guarded = APIRouter(prefix="/v2")

    @guarded.get("/thing")
    async def thing() -> dict:
        return {}

    for bad in (guarded, APIRouter(dependencies=[Depends(authenticate)])):
        with pytest.raises(ValueError, match="would be lost"):
            create_service_app(name="calculation", title="t", description="d", routers=[bad],
                               settings=KitSettings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none"))


def test_logging_skips_caller_lookups_and_keeps_json_lines(capsys):
    """Access lines are JSON without the caller's file, thread or process (none is looked up)."""
    configure_logging("calculation", "INFO")
    logging.getLogger("access").info("request", extra={"route": "/x", "status": 200})
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["route"] == "/x" and line["status"] == 200 and line["service"] == "calculation"
    assert logging._srcfile is None and not logging.logThreads and not logging.logProcesses


def test_what_counts_as_unavailable():
    import asyncpg
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from kit.problems import unavailable_cause

    assert unavailable_cause(PoolTimeout("QueuePool limit reached")) == "TimeoutError"
    assert unavailable_cause(asyncpg.exceptions.TooManyConnectionsError()) == "TooManyConnectionsError"
    assert unavailable_cause(asyncpg.exceptions.SerializationError()) == "SerializationError"
    wrapped = DBAPIError("SELECT 1", None, asyncpg.exceptions.CannotConnectNowError())
    assert unavailable_cause(wrapped) is not None
    try:
        raise RuntimeError("while saving") from ConnectionRefusedError()
    except RuntimeError as exc:
        assert unavailable_cause(exc) == "ConnectionRefusedError"
    # A fault in the request or the code stays a 500.
    assert unavailable_cause(asyncpg.exceptions.UniqueViolationError()) is None
    assert unavailable_cause(RuntimeError("password=hunter2")) is None


async def test_body_too_large_by_length(client):
    _is_problem(await client.post("/upload", content=b"x" * 1001), 413, "payload-too-large")


async def test_body_too_large_while_streaming(client):
    async def chunks():
        for _ in range(5):
            yield b"y" * 400

    _is_problem(await client.post("/upload", content=chunks()), 413, "payload-too-large")


async def test_body_under_the_cap_passes(client):
    response = await client.post("/upload", content=b"z" * 999)
    assert response.json() == {"size": 999}


async def test_request_id_is_kept_or_made(client):
    kept = await client.get("/livez", headers={"X-Request-ID": "abc-123"})
    assert kept.headers["x-request-id"] == "abc-123"
    made = await client.get("/livez")
    assert len(made.headers["x-request-id"]) == 32
    unsafe = await client.get("/livez", headers={"X-Request-ID": "bad id\twith tabs"})
    assert unsafe.headers["x-request-id"] != "bad id\twith tabs"


async def test_readyz_true_when_migrated(client):
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["migrations"] == ["calculation_0002"]


async def test_readyz_false_before_migrations(issuer):
    async with fresh_database("calculation", migrate=False) as url, app_client(_app(url, issuer)) as c:
        body = _is_problem(await c.get("/readyz"), 503, "not-ready")
        assert body["detail"] == "migrations not applied"
        assert (await c.get("/livez")).status_code == 200


async def test_metrics_have_routes_latency_and_pool(client):
    await client.get("/items/1")
    text_ = (await client.get("/metrics")).text
    assert 'http_requests_total{method="GET",route="/items/{item_id}",service="calculation",status="404"}' in text_
    assert "http_request_duration_seconds_bucket" in text_
    assert 'db_pool_connections{service="calculation",state="checked_out"}' in text_


async def test_requests_in_flight_are_counted_without_probes_and_scrapes(db_url, issuer):
    """The gauge ops watch, and the signal a service's background jobs hold back on (kit.outbox batch_size)."""
    app = _app(db_url, issuer)
    async with app_client(app) as c:
        metrics = app.state.kit.metrics
        gate = app.state.hold = asyncio.Event()
        app.state.holding = asyncio.Event()
        held = asyncio.create_task(c.get("/db"))
        await asyncio.wait_for(app.state.holding.wait(), 30)
        assert (await c.get("/livez")).status_code == 200
        assert metrics.in_flight == 1  # the held request; the probe came and went uncounted
        assert 'http_requests_in_flight{service="calculation"} 1.0' in (await c.get("/metrics")).text
        gate.set()
        assert (await held).status_code == 200
        assert (await c.get("/items/1")).status_code == 404  # an answer that is a problem ends the count too
        assert metrics.in_flight == 0
        assert 'http_requests_in_flight{service="calculation"} 0.0' in (await c.get("/metrics")).text


async def test_a_relay_with_a_batch_size_function_asks_it_before_each_pass(db_url):
    engine = make_engine(db_url)
    sessions = _sessions(engine)
    topic = f"test.{uuid.uuid4().hex}"
    async with sessions() as s, s.begin():
        for n in range(5):
            enqueue(s, topic, {"n": n})
    busy = {"now": True}
    seen: list[int] = []

    async def deliver(message):
        seen.append(message.payload["n"])

    relay = OutboxRelay(sessions, deliver, topics=[topic], concurrent=True,
                        batch_size=lambda: 2 if busy["now"] else 16)
    try:
        assert relay.batch_size == 2
        assert await relay.run_once() == 2  # busy: two at once
        busy["now"] = False
        assert relay.batch_size == 16
        assert await relay.run_once() == 3  # quiet: the rest
        assert sorted(seen) == [0, 1, 2, 3, 4]
        assert OutboxRelay(sessions, deliver, batch_size=lambda: 0).batch_size == 1  # never a pass that claims none
    finally:
        await engine.dispose()


async def test_outbox_delivers_once_retries_with_backoff(db_url):
    engine = make_engine(db_url)
    sessions = _sessions(engine)
    topic = f"test.{uuid.uuid4().hex}"
    delivered: list[uuid.UUID] = []
    fail = {"left": 1}

    async def deliver(message):
        if message.topic != topic:
            return
        if fail["left"]:
            fail["left"] -= 1
            raise ConnectionError("receiver down")
        delivered.append(message.id)

    try:
        async with sessions() as s, s.begin():
            ids = [enqueue(s, topic, {"n": n}).id for n in range(20)]
        relay = OutboxRelay(sessions, deliver, batch_size=100, base_backoff_seconds=0.0)
        relays = [relay, OutboxRelay(sessions, deliver, batch_size=100, base_backoff_seconds=0.0)]
        # Two relays at once (two replicas): SKIP LOCKED hands each message to one of them.
        await asyncio.gather(*(r.run_once() for r in relays))
        await relay.run_once()  # the one that failed is due again (zero backoff)
        assert sorted(delivered) == sorted(ids)
        async with sessions() as s:
            row = (await s.execute(text(
                "SELECT count(*) FILTER (WHERE attempts = 2), count(*) FILTER "
                "(WHERE delivered_at IS NULL) FROM outbox WHERE topic = :t"), {"t": topic})).one()
        assert tuple(row) == (1, 0)
    finally:
        await engine.dispose()


async def test_outbox_backoff_postpones_the_retry(db_url):
    engine = make_engine(db_url)
    sessions = _sessions(engine)
    topic = f"test.{uuid.uuid4().hex}"
    calls = []

    async def deliver(message):
        if message.topic == topic:
            calls.append(message.id)
            raise ConnectionError("down")

    try:
        async with sessions() as s, s.begin():
            enqueue(s, topic, {})
        relay = OutboxRelay(sessions, deliver, base_backoff_seconds=60)
        await relay.run_once()
        await relay.run_once()
        assert len(calls) == 1  # not due again for a minute
    finally:
        await engine.dispose()


async def test_audit_log_is_append_only(db_url):
    engine = make_engine(db_url)
    sessions = _sessions(engine)
    actor = Principal(sub="persona:karin", roles=frozenset({"caseworker"}), unit="nord")
    try:
        async with sessions() as s, s.begin():
            entry = audit.record(s, actor, "read", "application", "a1", purpose="assessment")
        async with sessions() as s:
            with pytest.raises(Exception, match="append-only"):
                await s.execute(text("UPDATE audit_log SET actor = 'x' WHERE id = :i"),
                                {"i": entry.id})
            await s.rollback()
            with pytest.raises(Exception, match="append-only"):
                await s.execute(text("DELETE FROM audit_log WHERE id = :i"), {"i": entry.id})
    finally:
        await engine.dispose()


async def test_idempotency_key_returns_the_first_answer(db_url):
    engine = make_engine(db_url)
    sessions = _sessions(engine)
    key = uuid.uuid4().hex
    try:
        async with sessions() as s, s.begin():
            assert await idempotency.claim(s, "anna", key, "h1") is None
            await idempotency.complete(s, "anna", key, 201, {"id": "first"})
        async with sessions() as s, s.begin():
            stored = await idempotency.claim(s, "anna", key, "h1")
        assert stored == idempotency.StoredAnswer(201, {"id": "first"})
        async with sessions() as s, s.begin():
            with pytest.raises(Problem) as reused:
                await idempotency.claim(s, "anna", key, "other-body")
        assert reused.value.status == 422
        async with sessions() as s, s.begin():  # another caller's key space
            assert await idempotency.claim(s, "bertil", key, "h1") is None
    finally:
        await engine.dispose()


async def test_idempotency_dependency_reads_the_header_and_keeps_the_first_answer(db_url):
    """kit.idempotency.idempotency_key(): the header checked, optional and documented; claim/complete through it."""
    app = FastAPI()

    @app.post("/things")
    async def make(idem: idempotency.Idempotency = Depends(idempotency.idempotency_key())) -> dict[str, str | None]:
        return {"key": idem.key}

    parameter = app.openapi()["paths"]["/things"]["post"]["parameters"][0]
    assert (parameter["name"], parameter["in"], parameter["required"]) == ("Idempotency-Key", "header", False)
    assert parameter["description"] == idempotency.RETRY_SAFELY
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.post("/things", headers={"Idempotency-Key": "k1"})).json() == {"key": "k1"}
        assert (await client.post("/things")).json() == {"key": None}
        with pytest.raises(Problem) as bad:  # no problem handlers on this bare app: the Problem itself surfaces
            await client.post("/things", headers={"Idempotency-Key": "x" * 201})
        assert bad.value.status == 400

    engine = make_engine(db_url)
    sessions = _sessions(engine)
    keyed, unkeyed = idempotency.Idempotency(uuid.uuid4().hex), idempotency.Idempotency(None)
    try:
        async with sessions() as s, s.begin():
            assert await keyed.claim(s, "anna", {"a": 1}) is None
            await keyed.complete(s, 201, {"id": "first"})
            assert await unkeyed.claim(s, "anna", {"a": 1}) is None  # without a key every request does the work
            await unkeyed.complete(s, 201, {"id": "ignored"})
        async with sessions() as s, s.begin():
            again = idempotency.Idempotency(keyed.key)
            assert await again.claim(s, "anna", {"a": 1}) == idempotency.StoredAnswer(201, {"id": "first"})
    finally:
        await engine.dispose()


# --- nothing personal in the kit's rows, and nothing kept longer than needed (sealing, housekeeping) -----------

PNR = "198903149808"
SECRET_TEXT = "Hemligt: hyran och skulden"


async def test_idempotency_rows_hold_no_content(db_url):
    engine = make_engine(db_url)
    sessions = _sessions(engine)
    key = uuid.uuid4().hex
    request = {"personal_number": PNR}  # short enough that a plain hash could be found by trying numbers
    try:
        async with sessions() as s, s.begin():
            assert await idempotency.claim(s, "karin", key, idempotency.request_hash(request)) is None
            await idempotency.complete(s, "karin", key, 201, {"subject": SECRET_TEXT, "personal_number": PNR})
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT scope, key, request_hash, body::text AS body "
                                            "FROM idempotency_keys"))).all()
        row = next(r for r in rows if r.body and "karin" not in r.scope and SEALER.matches(r.key, key))
        assert PNR not in row.body and "Hemligt" not in row.body and "subject" not in row.body
        assert not any("karin" in r.scope or key in r.key for r in rows)  # who asked, and their key: fingerprints
        assert idempotency.request_hash(request) not in row.request_hash  # a keyed fingerprint instead
        async with sessions() as s, s.begin():  # the retry still gets the first answer, opened
            stored = await idempotency.claim(s, "karin", key, idempotency.request_hash(request))
        assert stored == idempotency.StoredAnswer(201, {"subject": SECRET_TEXT, "personal_number": PNR})
        async with sessions() as s, s.begin():
            with pytest.raises(Problem):
                await idempotency.claim(s, "karin", key, idempotency.request_hash({"personal_number": "x"}))
    finally:
        await engine.dispose()


async def test_a_sealed_answer_cannot_be_moved_to_another_key(db_url):
    """The associated data binds an answer to its (scope, key): copying it over another caller's row fails."""
    engine = make_engine(db_url)
    sessions = _sessions(engine)
    mine, theirs = uuid.uuid4().hex, uuid.uuid4().hex
    try:
        async with sessions() as s, s.begin():
            for key, body in ((mine, {"id": "mine"}), (theirs, {"id": "theirs"})):
                await idempotency.claim(s, "k", key, "h")
                await idempotency.complete(s, "k", key, 201, body)
            await s.execute(text("UPDATE idempotency_keys SET body = (SELECT body FROM idempotency_keys "
                                 "WHERE key = :a) WHERE key = :b"),
                            {"a": SEALER.fingerprint(theirs), "b": SEALER.fingerprint(mine)})
        async with sessions() as s, s.begin():
            with pytest.raises(Tampered):
                await idempotency.claim(s, "k", mine, "h")
    finally:
        await engine.dispose()


async def test_outbox_payloads_are_sealed_and_delivered_open(db_url):
    engine = make_engine(db_url)
    sessions = _sessions(engine)
    topic = f"test.{uuid.uuid4().hex}"
    got = []

    async def deliver(message):
        if message.topic == topic:
            got.append(message.payload)

    try:
        async with sessions() as s, s.begin():
            enqueue(s, topic, {"recipients": [PNR], "note": SECRET_TEXT})
        async with engine.connect() as conn:
            raw = (await conn.execute(text("SELECT payload::text FROM outbox WHERE topic = :t"), {"t": topic})).scalar()
        assert PNR not in raw and "Hemligt" not in raw and "recipients" not in raw
        await OutboxRelay(sessions, deliver, batch_size=1000).run_once()
        assert got == [{"recipients": [PNR], "note": SECRET_TEXT}]
    finally:
        await engine.dispose()


async def test_without_a_sealer_nothing_is_written():
    """Fail closed: a session nobody bound a sealer to cannot write the kit's rows in the clear."""
    async with fresh_database("calculation") as url:
        engine = make_engine(url)
        try:
            async with make_sessionmaker(engine)() as s:
                with pytest.raises(RuntimeError, match="no sealer"):
                    enqueue(s, "t", {"recipients": [PNR]})
                with pytest.raises(RuntimeError, match="no sealer"):
                    await idempotency.claim(s, "k", "key", "h")
        finally:
            await engine.dispose()


async def test_housekeeping_purges_after_the_window_and_keeps_what_is_pending(issuer):
    """An injected clock stands for time passing: rows go after their window, undelivered events never."""
    async with fresh_database("calculation") as url:
        app = _app(url, issuer, idempotency_window_hours=24, outbox_retention_hours=2)
        async with app_client(app):
            ctx = app.state.kit
            assert any(t.get_name() == "calculation-housekeeping" for t in ctx.background)  # every service runs it
            async with ctx.sessions() as s, s.begin():
                await idempotency.claim(s, "anna", "k1", "h")
                await idempotency.complete(s, "anna", "k1", 201, {"subject": SECRET_TEXT})
                delivered = enqueue(s, "t.delivered", {"recipients": [PNR]}).id
                pending = enqueue(s, "t.pending", {"recipients": [PNR]}).id
            async with ctx.sessions() as s, s.begin():
                await s.execute(text("UPDATE outbox SET delivered_at = now() WHERE id = :id"), {"id": delivered})
            housekeeping = ctx.housekeeping
            start = dt.datetime.now(dt.UTC)
            housekeeping.clock = lambda: start + dt.timedelta(hours=1)
            assert await housekeeping.run_once() == (0, 0)  # within both windows
            housekeeping.clock = lambda: start + dt.timedelta(hours=3)
            assert await housekeeping.run_once() == (0, 1)  # the delivered event's retention is over
            housekeeping.clock = lambda: start + dt.timedelta(hours=25)
            assert await housekeeping.run_once() == (1, 0)  # the retry window is over
            housekeeping.clock = lambda: start + dt.timedelta(days=400)
            await housekeeping.run_once()
            async with ctx.sessions() as s:
                left = (await s.execute(text("SELECT id FROM outbox"))).scalars().all()
            assert left == [pending]  # still waiting for its receiver: never purged


async def test_a_retry_across_a_key_rotation_still_gets_the_first_answer(db_url):
    engine = make_engine(db_url)
    old, rotated = make_sessionmaker(engine), make_sessionmaker(engine)
    ring = KitSettings().sealing_keyring()
    bind(old, Sealer(ring, "calculation"))
    bind(rotated, Sealer(Keyring.parse(f"k2:{base64.b64encode(bytes(32)).decode()},{KitSettings().sealing_keys}"),
                         "calculation"))
    key = uuid.uuid4().hex
    try:
        async with old() as s, s.begin():
            assert await idempotency.claim(s, "anna", key, "h") is None
            await idempotency.complete(s, "anna", key, 201, {"id": "first"})
        async with rotated() as s, s.begin():  # a new key seals now; the old one still opens
            assert await idempotency.claim(s, "anna", key, "h") == idempotency.StoredAnswer(201, {"id": "first"})
    finally:
        await engine.dispose()


async def test_driver_connection_as_the_first_statement_works_in_the_sessions_transaction(db_url):
    """kit.db.driver_connection opens the session's transaction itself (BEGIN, no throwaway statement): what is done
    on the asyncpg connection rolls back and commits with the session."""
    engine = make_engine(db_url)
    sessions = _sessions(engine)
    kept, dropped = uuid.uuid4().hex, uuid.uuid4().hex
    try:
        for key, keep in ((dropped, False), (kept, True)):
            async with sessions() as s:
                driver = await driver_connection(s)
                assert driver.is_in_transaction()
                await driver.execute("INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, 'h')",
                                     "test", key)
                await s.execute(text("SELECT 1"))  # SQLAlchemy goes on in the same transaction
                await (s.commit() if keep else s.rollback())
        async with sessions() as s:
            found = (await s.execute(text("SELECT key FROM idempotency_keys WHERE scope = 'test'"))).scalars().all()
        assert found == [kept]
    finally:
        await engine.dispose()


async def test_a_sessions_transaction_leaves_no_reference_cycle(db_url):
    """A session that used its driver connection and committed is freed when it ends, not left to the garbage
    collector: kit.db remembered the transaction in the session's info, a cycle that made every request's session,
    transaction and connection objects (40 of them) garbage for the collector, whose passes then took tens of
    milliseconds while every request in flight waited."""
    engine = make_engine(db_url)
    sessions = _sessions(engine)

    async def one(keep: bool) -> None:
        async with sessions() as s:
            driver = await driver_connection(s)
            assert await driver_connection(s) is driver  # found again within the transaction
            await driver.execute("SELECT 1")
            await (s.commit() if keep else s.rollback())

    try:
        await one(True)  # the pool's first connection and the statement caches are made outside the count
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            for keep in (True, False, True):
                await one(keep)
            gc.collect()
            left = [type(o).__qualname__ for o in gc.garbage]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
        assert left == []
    finally:
        await engine.dispose()


def test_httpcore_finds_sniffio():
    """httpcore asks sniffio for the event loop on every request; missing, each ask is a failed import that searches
    sys.path (a millisecond of CPU per outbox delivery)."""
    assert importlib.util.find_spec("sniffio") is not None


def test_a_made_request_id_is_a_uuid4_in_hex():
    import uuid

    from kit.context import accept_or_make_request_id

    made = {accept_or_make_request_id(None) for _ in range(2000)}
    assert len(made) == 2000
    for value in made:
        parsed = uuid.UUID(value)
        assert parsed.hex == value and parsed.version == 4 and parsed.variant == uuid.RFC_4122
