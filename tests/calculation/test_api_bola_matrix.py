"""Access matrix for every calculation route: who is refused, and a guard that fails when a route is added
without being listed here.

Calculation stores nothing per person (a calculation is a function of its input), so the questions are only
"signed in?" (401) and "may run batches?" (403 for clients). The public routes are listed as public.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.access_matrix import assert_body_tells_nothing_more, assert_every_route_listed, caller_headers
from tests.calculation.conftest import make_app, req
from tests.support import app_client, fresh_database

PROBLEM = "application/problem+json"
CLIENTS = ("anna", "bertil", "cecilia", "dana")
STAFF = ("karin", "lars", "maja", "nils", "tove", "adam")

# Reachable without a token, on purpose.
PUBLIC: dict[tuple[str, str], dict[str, Any] | None] = {
    ("GET", "/livez"): None, ("GET", "/readyz"): None, ("GET", "/metrics"): None,
    ("GET", "/openapi.json"): None, ("GET", "/docs"): None, ("GET", "/docs/oauth2-redirect"): None,
    ("GET", "/redoc"): None,
    ("POST", "/trial"): {"month": "2026-03", "adults": 1, "rent": 5000},
    ("GET", "/norms"): None, ("GET", "/norms/{year}"): None,
}

# route -> (body, {caller: expected status}); "anon" has no token, "forged" a token that is not ours.
MATRIX: dict[tuple[str, str], tuple[dict[str, Any] | None, dict[str, int]]] = {
    ("GET", "/whoami"): (None, {"anon": 401, "forged": 401, "anna": 200, "service": 200}),
    ("POST", "/calculations"): (req(), {"anon": 401, "forged": 401, **{p: 200 for p in CLIENTS + STAFF},
                                        "service": 200}),
    ("POST", "/calculations/batch"): ({"items": [req()]}, {"anon": 401, "forged": 401,
                                                           **{p: 403 for p in CLIENTS},
                                                           **{p: 200 for p in STAFF}, "service": 200}),
}
PATH_VALUES = {"year": "2026"}


@pytest.fixture(scope="module")
async def client(issuer):
    async with fresh_database("calculation") as url, app_client(make_app(url, issuer)) as c:
        yield c


@pytest.fixture(scope="module")
def headers_for(issuer, as_persona):
    return caller_headers(issuer, as_persona, "applications")


def test_every_route_is_in_the_matrix(issuer):
    app = make_app("postgresql+asyncpg://unused/none", issuer)
    assert_every_route_listed(app, MATRIX, set(PUBLIC))


ROWS = [(m, p, who, status) for (m, p), (_, expect) in MATRIX.items() for who, status in expect.items()]


@pytest.mark.parametrize(("method", "path", "caller", "expected"), ROWS,
                         ids=[f"{m} {p} {w}" for m, p, w, _ in ROWS])
async def test_access(client, headers_for, method, path, caller, expected):
    body = MATRIX[(method, path)][0]
    response = await client.request(method, path.format(**PATH_VALUES), json=body, headers=headers_for(caller))
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.headers["content-type"] == PROBLEM
    assert_body_tells_nothing_more(response, caller, known=path.format(**PATH_VALUES) + str(body))


@pytest.mark.parametrize(("method", "path"), sorted(PUBLIC))
async def test_public_routes_answer_without_a_token(client, method, path):
    response = await client.request(method, path.format(**PATH_VALUES), json=PUBLIC[(method, path)])
    assert response.status_code == 200, response.text
