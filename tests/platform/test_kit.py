"""The kit: problem+json for every error kind, request ids, health, metrics, outbox, audit."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import text

from kit import audit, idempotency
from kit.app import create_service_app
from kit.auth import Principal, authenticate
from kit.db import make_engine, make_sessionmaker
from kit.outbox import OutboxRelay, enqueue
from kit.problems import Problem, not_found
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


@router.post("/upload")
async def upload(request: Request) -> dict[str, int]:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
    return {"size": size}


@router.get("/private")
async def private(principal: Principal = Depends(authenticate)) -> dict[str, str]:
    return {"sub": principal.sub}


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
    assert response.json()["migrations"] == ["calculation_0001"]


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


async def test_outbox_delivers_once_retries_with_backoff(db_url):
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
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
    sessions = make_sessionmaker(engine)
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
    sessions = make_sessionmaker(engine)
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
    sessions = make_sessionmaker(engine)
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
