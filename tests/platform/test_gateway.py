"""The gateway over real HTTP: routing, edge auth, limits, errors, headers, OpenAPI."""

from __future__ import annotations

import asyncio
import re
import threading
import time

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

from gateway.app import Gateway
from gateway.settings import GatewaySettings
from services.calculation.app import create_app as create_calculation
from services.calculation.settings import CalculationSettings
from tests.support import AUDIENCE, ISSUER, free_port, fresh_database, serve_in_thread, verifier_for

ORIGIN = "https://app.kommun.example"


SECOND_EVENT = threading.Event()


def _upstream() -> FastAPI:
    """A stand-in service for what calculation cannot show: slowness, uploads, streams."""
    app = FastAPI()
    never = asyncio.Event()

    @app.get("/events")
    async def events() -> StreamingResponse:
        async def stream():
            yield b"data: first\n\n"
            # Longer than the gateway's read timeout: streams must not be cut by it.
            await asyncio.to_thread(SECOND_EVENT.wait, 5)
            yield b"data: second\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream")

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        await asyncio.wait_for(never.wait(), 5)
        return {}

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, object]:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return {"size": size, "request_id": request.headers.get("x-request-id"),
                "forwarded_for": request.headers.get("x-forwarded-for")}

    @app.get("/raw/{rest:path}")
    async def raw(request: Request) -> dict[str, str]:
        return {"raw_path": request.scope["raw_path"].decode(), "query": request.scope["query_string"].decode()}

    @app.get("/openapi-less")
    async def plain() -> dict[str, str]:
        return {"ok": "yes"}

    return app


def _settings(**overrides) -> GatewaySettings:
    values = dict(auth_issuer=ISSUER, auth_audience=AUDIENCE, max_body_bytes=200_000,
                  buffer_body_under_bytes=1000, read_timeout_seconds=0.5,
                  rate_per_ip_burst=10_000, rate_per_client_burst=10_000,
                  cors_origins=ORIGIN, stream_routes="GET /api/meetings/events")
    values.update(overrides)
    return GatewaySettings(**values)


@pytest.fixture(scope="module")
def stack(issuer):
    import asyncio as aio

    async def make_db():
        cm = fresh_database("calculation")
        return cm, await cm.__aenter__()

    loop = aio.new_event_loop()
    cm, url = loop.run_until_complete(make_db())
    calc = create_calculation(CalculationSettings(database_url=url), verifier=verifier_for(issuer))
    closed = f"http://127.0.0.1:{free_port()}"
    try:
        with serve_in_thread(calc) as calc_url, serve_in_thread(_upstream()) as up_url:
            settings = _settings(calculation_url=calc_url, meetings_url=up_url,
                                 messaging_url=closed, applications_url=closed)
            with serve_in_thread(Gateway(settings, verifier_for(issuer))) as gw:
                yield gw
    finally:
        loop.run_until_complete(cm.__aexit__(None, None, None))
        loop.close()


@pytest.fixture(scope="module")
def http(stack):
    with httpx.Client(base_url=stack, timeout=10) as client:
        yield client


def _problem(response, status, slug):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"urn:bistand:problem:{slug}"
    return response.json()


def test_routes_to_the_service_with_the_token(http, as_persona):
    response = http.get("/api/calculation/whoami", headers=as_persona("karin"))
    assert response.status_code == 200
    assert response.json()["sub"] == "persona:karin"
    for header in ("strict-transport-security", "x-content-type-options", "x-frame-options",
                   "content-security-policy", "referrer-policy"):
        assert header in response.headers
    assert response.headers["cache-control"] == "no-store"


def test_request_id_end_to_end(http, as_persona):
    response = http.get("/api/calculation/no/such/path",
                        headers={**as_persona("karin"), "X-Request-ID": "e2e-42"})
    body = _problem(response, 404, "not-found")
    assert body["request_id"] == "e2e-42"  # the service saw the gateway's id
    assert response.headers.get_list("x-request-id") == ["e2e-42"]
    echoed = http.post("/api/meetings/echo", content=b"x", headers=as_persona("anna")).json()
    assert len(echoed["request_id"]) == 32  # made at the edge when the client sent none
    assert echoed["forwarded_for"] == "127.0.0.1"


def test_a_client_cannot_forge_forwarding_headers(http, as_persona):
    echoed = http.post("/api/meetings/echo", content=b"x",
                       headers={**as_persona("anna"), "X-Forwarded-For": "10.9.9.9"}).json()
    assert echoed["forwarded_for"] == "127.0.0.1"


def test_token_checked_at_the_edge(http, issuer):
    _problem(http.get("/api/calculation/whoami"), 401, "unauthorized")
    bad = http.get("/api/calculation/whoami", headers={"Authorization": "Bearer x.y.z"})
    _problem(bad, 401, "unauthorized")
    assert bad.headers["www-authenticate"].startswith("Bearer")


def test_public_paths_need_no_token(http):
    response = http.get("/api/calculation/norms/2026")
    assert response.status_code != 401


def test_unknown_service_and_path(http, as_persona):
    _problem(http.get("/api/payroll/x", headers=as_persona("karin")), 404, "not-found")
    _problem(http.get("/nowhere"), 404, "not-found")
    _problem(http.post("/livez"), 405, "method-not-allowed")


def test_body_cap_by_length(http, as_persona):
    response = http.post("/api/meetings/echo", content=b"x" * 200_001, headers=as_persona("anna"))
    _problem(response, 413, "payload-too-large")


def test_body_cap_while_streaming(http, as_persona):
    def chunks():
        for _ in range(30):
            yield b"y" * 10_000

    response = http.post("/api/meetings/echo", content=chunks(), headers=as_persona("anna"))
    _problem(response, 413, "payload-too-large")


def test_large_bodies_stream_through(http, as_persona):
    def chunks():
        for _ in range(15):
            yield b"z" * 10_000

    streamed = http.post("/api/meetings/echo", content=chunks(), headers=as_persona("anna"))
    assert streamed.json()["size"] == 150_000
    sized = http.post("/api/meetings/echo", content=b"z" * 150_000, headers=as_persona("anna"))
    assert sized.json()["size"] == 150_000


def test_service_down_is_502(http, as_persona):
    body = _problem(http.get("/api/messaging/livez", headers=as_persona("anna")), 502,
                    "upstream-unavailable")
    assert "messaging" in body["detail"]


def test_service_slow_is_504(http, as_persona):
    _problem(http.get("/api/meetings/slow", headers=as_persona("anna")), 504, "upstream-timeout")


def test_only_streaming_routes_go_untimed(http, as_persona):
    """Asking for an event stream does not lift the read timeout of a route that is not one."""
    started = time.monotonic()
    response = http.get("/api/meetings/slow", headers={**as_persona("anna"), "Accept": "text/event-stream"})
    _problem(response, 504, "upstream-timeout")
    assert time.monotonic() - started < 3  # the 0.5 s read timeout, not the upstream's 5 s


def test_the_path_is_forwarded_as_it_came(http, as_persona):
    response = http.get("/api/meetings/raw/a%20b%3Bc/%C3%A5?x=%2F&y=1", headers=as_persona("anna"))
    assert response.json() == {"raw_path": "/raw/a%20b%3Bc/%C3%A5", "query": "x=%2F&y=1"}


def test_readyz_reports_each_service(http):
    body = _problem(http.get("/readyz"), 503, "not-ready")
    assert body["services"]["calculation"] == "ready"
    assert body["services"]["messaging"] == "unreachable"
    assert http.get("/livez").json() == {"status": "ok"}


def test_one_openapi_document(http):
    document = http.get("/openapi.json").json()
    assert "/api/calculation/whoami" in document["paths"]
    assert "/api/meetings/echo" in document["paths"]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    docs = http.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_work_without_the_internet(http, page):
    """Every asset a docs page references is served by the gateway itself, and its policy allows no other origin."""
    html = http.get(page)
    assert html.status_code == 200
    policy = html.headers["content-security-policy"]
    assert "http" not in policy and "default-src 'self'" in policy
    referenced = set(re.findall(r"""(?:src|href|url)\s*[=:(]\s*['"]([^'"]+)['"]""", html.text))
    scripts_and_styles = {r for r in referenced if r.endswith((".js", ".css", ".png"))}
    assert scripts_and_styles, html.text
    assert not re.search(r"https?://", html.text), "a page that reaches another origin"
    for ref in scripts_and_styles:
        assert ref.startswith("/docs/assets/"), ref
        asset = http.get(ref)
        assert asset.status_code == 200 and len(asset.content) > 1000, ref
        assert asset.headers["content-type"].split(";")[0] in ("text/javascript", "text/css", "image/png")
    assert http.get("/docs/assets/../openapi.json").status_code in (400, 404)
    assert http.get("/docs/assets/pyproject.toml").status_code == 404


def test_cors(http, as_persona):
    ok = http.options("/api/calculation/whoami", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == ORIGIN
    denied = http.options("/api/calculation/whoami", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert denied.status_code == 403
    simple = http.get("/api/calculation/whoami", headers={**as_persona("anna"), "Origin": ORIGIN})
    assert simple.headers["access-control-allow-origin"] == ORIGIN
    other = http.get("/api/calculation/whoami",
                     headers={**as_persona("anna"), "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_rate_limits_per_client_and_per_ip(issuer, as_persona):
    closed = f"http://127.0.0.1:{free_port()}"
    settings = _settings(calculation_url=closed, rate_per_client_burst=3,
                         rate_per_client_per_second=0.01, rate_per_ip_burst=6,
                         rate_per_ip_per_second=0.01, rate_public_burst=2)
    with serve_in_thread(Gateway(settings, verifier_for(issuer))) as gw, \
            httpx.Client(base_url=gw) as http:
        statuses = [http.get("/api/calculation/whoami", headers=as_persona("anna")).status_code
                    for _ in range(4)]
        assert statuses[:3] == [502, 502, 502] and statuses[3] == 429
        limited = http.get("/api/calculation/whoami", headers=as_persona("anna"))
        body = _problem(limited, 429, "rate-limited")
        assert int(limited.headers["retry-after"]) >= 1 and body["detail"]
        # Another client from the same address still has its own budget...
        assert http.get("/api/calculation/whoami", headers=as_persona("bertil")).status_code == 502
        # ...until the address's budget is spent too.
        for _ in range(3):
            http.get("/api/calculation/whoami", headers=as_persona("cecilia"))
        _problem(http.get("/api/calculation/whoami", headers=as_persona("karin")), 429,
                 "rate-limited")


def test_event_streams_flow_through_unbuffered_and_untimed(http, as_persona):
    headers = {**as_persona("anna"), "Accept": "text/event-stream"}
    with http.stream("GET", "/api/meetings/events", headers=headers) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert next(lines) == "data: first"  # arrived while the upstream is still open
        time.sleep(0.7)  # past the 0.5 s read timeout on purpose: a stream has none
        SECOND_EVENT.set()
        rest = [line for line in lines if line]
    assert rest == ["data: second"]
