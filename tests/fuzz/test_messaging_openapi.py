"""The messaging service's OpenAPI, fuzzed (see harness.py)."""

from __future__ import annotations

import pytest

from tests.fuzz import harness
from tests.messaging.conftest import make_app
from tests.support import fresh_database, make_issuer

DOCUMENT = make_app("postgresql+asyncpg://fuzz@localhost/collect", make_issuer()).openapi()
KNOWN: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("messaging") as url:
        yield url


@pytest.fixture(scope="module")
def schema(db_url, issuer):
    # A live stream (GET /me/stream) ends after a second here, with its reconnect event, not after 15 minutes.
    yield from harness.served_schema(make_app(db_url, issuer, sse_max_stream_seconds=1.0, sse_heartbeat_seconds=0.5))


@pytest.mark.parametrize(("method", "path"), harness.params(DOCUMENT, KNOWN))
def test_operation(schema, issuer, method, path):
    harness.fuzz(schema, issuer, method, path)
