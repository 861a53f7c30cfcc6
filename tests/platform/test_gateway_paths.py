"""Path tricks at the edge, over real HTTP, with the real calculation and meetings services behind the gateway.

The requests are written byte for byte (http.client sends the target as given; httpx would normalise ``..``).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import urllib.parse

import httpx
import pytest

from gateway.app import Gateway
from gateway.paths import invalid_path, matches, parse_routes
from gateway.settings import GatewaySettings
from services.calculation.app import create_app as create_calculation
from services.calculation.settings import CalculationSettings
from services.meetings.app import create_app as create_meetings
from services.meetings.settings import MeetingsSettings
from tests.support import AUDIENCE, ISSUER, free_port, fresh_database, serve_in_thread, verifier_for


@pytest.fixture(scope="module")
def gateway(issuer):
    loop = asyncio.new_event_loop()
    stack = contextlib.AsyncExitStack()
    calc_db = loop.run_until_complete(stack.enter_async_context(fresh_database("calculation")))
    meetings_db = loop.run_until_complete(stack.enter_async_context(fresh_database("meetings")))
    calc = create_calculation(CalculationSettings(database_url=calc_db), verifier=verifier_for(issuer))
    meetings = create_meetings(MeetingsSettings(database_url=meetings_db, worker_enabled=False),
                               verifier=verifier_for(issuer))
    closed = f"http://127.0.0.1:{free_port()}"
    try:
        with serve_in_thread(calc) as calc_url, serve_in_thread(meetings) as meetings_url:
            settings = GatewaySettings(auth_issuer=ISSUER, auth_audience=AUDIENCE, calculation_url=calc_url,
                                       meetings_url=meetings_url, messaging_url=closed, applications_url=closed,
                                       rate_per_ip_burst=10_000, rate_public_burst=10_000)
            with serve_in_thread(Gateway(settings, verifier_for(issuer))) as gw:
                yield gw
    finally:
        loop.run_until_complete(stack.aclose())
        loop.close()


def raw(base: str, method: str, target: str, body: bytes | None = None,
        headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    """(status, content type, body) for a request line written exactly as ``target``."""
    address = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.request(method, target, body=body,
                           headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.getheader("content-type") or "", response.read().decode("utf-8", "replace")
    finally:
        connection.close()


TRICKS = [
    ("GET", "/api/meetings/feeds/../metrics"),  # the reported one: meetings' metrics without a token
    ("GET", "/api/meetings/feeds/x/../../metrics"),
    ("POST", "/api/calculation/trial/../openapi.json"),
    ("GET", "/api/calculation/trial/../openapi.json"),
    ("GET", "/api/calculation/norms/../metrics"),
    ("GET", "/api/calculation/norms/%2e%2e/metrics"),  # encoded dots (uvicorn decodes them in scope["path"])
    ("GET", "/api/calculation/norms/%2E%2e/metrics"),
    ("GET", "/api/calculation/norms/.%2e/metrics"),
    ("GET", "/api/calculation/norms/./2026"),
    ("GET", "/api/meetings/feeds/%2e%2e%2fmetrics"),  # encoded slash
    ("GET", "/api/meetings/feeds/x%2F..%2F..%2Fmetrics.ics"),
    ("GET", "/api/meetings/feeds/..%5cmetrics"),  # encoded backslash
    ("GET", "/api/meetings/feeds/..\\metrics"),  # backslash
    ("GET", "/api/meetings/join/..\\..\\metrics"),
    ("GET", "/api/calculation//metrics"),  # empty segments
    ("GET", "/api//calculation/norms"),
    ("GET", "/api/calculation/norms//2026"),
    ("GET", "/api/calculation/norms/2026%00"),  # control characters
    ("GET", "/api/meetings/feeds/a%0d%0aX-Injected:%20yes.ics"),
    ("GET", "/api/calculation/norms/%ZZ"),  # a broken escape
]


@pytest.mark.parametrize(("method", "target"), TRICKS)
def test_ambiguous_paths_are_refused_before_anything_else(gateway, method, target):
    status, content_type, body = raw(gateway, method, target, body=b"{}" if method == "POST" else None)
    assert status == 400, (target, status, body)
    assert content_type == "application/problem+json"
    assert '"type":"urn:bistand:problem:invalid-path"' in body
    # Nothing of what the trick aimed at: no metrics, no OpenAPI document.
    assert "# HELP" not in body and "openapi" not in body.lower()


@pytest.mark.parametrize(("method", "target"), TRICKS[:3])
def test_refused_with_a_token_too(gateway, as_persona, method, target):
    status, _, body = raw(gateway, method, target, body=b"{}" if method == "POST" else None,
                          headers=as_persona("karin"))
    assert status == 400 and "invalid-path" in body


@pytest.mark.parametrize(("method", "target"), [
    ("POST", "/api/calculation/trialX"),  # no prefix matching
    ("POST", "/api/calculation/trial/x"),
    ("GET", "/api/calculation/trial"),  # public for the method it serves only
    ("GET", "/api/calculation/normsX"),
    ("GET", "/api/calculation/norms/2026/x"),
    ("POST", "/api/calculation/norms/2026"),
    ("GET", "/api/calculation/openapi.json"),
    ("GET", "/api/meetings/feeds/abc"),  # a feed is {token}.ics
    ("GET", "/api/meetings/feeds/abc.ics/x"),
    ("GET", "/api/meetings/feeds/"),
    ("DELETE", "/api/meetings/join/abc"),
    ("GET", "/api/meetings/join/abc/x"),
    ("GET", "/api/meetings/joinX/abc"),
])
def test_only_exact_public_routes_go_without_a_token(gateway, method, target):
    status, content_type, body = raw(gateway, method, target)
    assert status == 401, (target, status, body)
    assert '"type":"urn:bistand:problem:unauthorized"' in body


@pytest.mark.parametrize(("method", "target"), [
    ("GET", "/api/calculation/metrics"), ("GET", "/api/meetings/metrics"), ("GET", "/api/applications/metrics"),
    ("POST", "/api/applications/internal/protection"), ("GET", "/api/meetings/internal/x"),
])
@pytest.mark.parametrize("who", [None, "karin", "anna"])
def test_inside_only_routes_are_not_forwarded(gateway, as_persona, method, target, who):
    """Scrapes and service-to-service routes answer inside the cluster only, to anyone at the edge."""
    status, _, body = raw(gateway, method, target, body=b"{}" if method == "POST" else None,
                          headers=as_persona(who) if who else None)
    assert status == 404, (target, status, body)
    assert "bistand_" not in body and "http_requests" not in body


def test_legitimate_public_calls_work_without_a_token(gateway, as_persona):
    with httpx.Client(base_url=gateway, timeout=10) as http:
        assert http.get("/api/calculation/norms").status_code == 200
        assert http.get("/api/calculation/norms/2026").status_code == 200
        assert http.head("/api/calculation/norms/2026").status_code != 401
        trial = http.post("/api/calculation/trial", json={"month": "2026-03", "adults": 1})
        assert trial.status_code in (200, 422), trial.text  # the service answered, not the gateway's 401
        feed = http.post("/api/meetings/me/feed", headers=as_persona("karin"))
        assert feed.status_code == 201, feed.text
        token = feed.json()["url"].rsplit("/", 1)[1]
        calendar = http.get(f"/api/meetings/feeds/{token}")
        assert calendar.status_code == 200 and calendar.text.startswith("BEGIN:VCALENDAR"), calendar.text
        for method in ("GET", "POST"):  # the service judges the link (unknown: its own 404), not the gateway
            join = http.request(method, "/api/meetings/join/not-a-real-link")
            assert join.status_code == 404 and join.json()["type"] != "urn:bistand:problem:unauthorized"


def test_the_route_syntax():
    routes = parse_routes("GET|POST /api/m/join/{token}, /api/c/norms/{year}, POST /api/c/trial,"
                          " GET /api/m/feeds/{token}.ics")
    assert matches(routes, "POST", "/api/m/join/abc") and matches(routes, "HEAD", "/api/c/norms/2026")
    assert not matches(routes, "POST", "/api/c/norms/2026")  # no methods: GET (and HEAD)
    assert matches(routes, "GET", "/api/m/feeds/a.b.ics") and not matches(routes, "GET", "/api/m/feeds/.ics")
    assert not matches(routes, "GET", "/api/m/feeds/a/b.ics") and not matches(routes, "GET", "/api/m/feeds/axics")
    with pytest.raises(ValueError):
        parse_routes("GET api/no/slash")
    # The decoded path is judged as well, for servers that give no raw_path.
    assert invalid_path("/api/a/../b", None) and invalid_path("/api/a\\b", None)
    assert invalid_path("/api/a/b", b"/api/a%2fb") and invalid_path("/api/a b", b"/api/a b")
    assert invalid_path("/api/a/b/", b"/api/a/b/") is None and invalid_path("/api/a.b/..c", b"/api/a.b/..c") is None


def _every_check(path: str, raw_path: bytes | None) -> str | None:
    """invalid_path without its one-match shortcut for plain paths."""
    import gateway.paths as paths

    class Never:
        def fullmatch(self, _: bytes) -> None:
            return None

    shortcut, paths._PLAIN_PATH = paths._PLAIN_PATH, Never()  # type: ignore[assignment]
    try:
        return invalid_path(path, raw_path)
    finally:
        paths._PLAIN_PATH = shortcut


def test_the_plain_path_shortcut_decides_as_every_check_does():
    import itertools

    pieces = ["/", ".", "..", "a", "%2e", "%2F", "%41", "%", "\\", ":@~", "\x00", " ", "é", "//"]
    for count in range(4):
        for parts in itertools.product(pieces, repeat=count):
            raw = "".join(parts)
            for path in {raw, "/" + raw, urllib.parse.unquote(raw), urllib.parse.unquote("/" + raw)}:
                for raw_path in (("/" + raw).encode(), raw.encode(), None):
                    assert invalid_path(path, raw_path) == _every_check(path, raw_path), (path, raw_path)
