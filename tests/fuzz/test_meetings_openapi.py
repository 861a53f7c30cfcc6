"""The meetings service's OpenAPI, fuzzed (see harness.py)."""

from __future__ import annotations

import pytest

from tests.fuzz import harness
from tests.meetings.conftest import make_app
from tests.support import fresh_database, make_issuer

DOCUMENT = make_app("postgresql+asyncpg://fuzz@localhost/collect", make_issuer()).openapi()
KNOWN: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("meetings") as url:
        yield url


@pytest.fixture(scope="module")
def schema(db_url, issuer):
    yield from harness.served_schema(make_app(db_url, issuer))


@pytest.mark.parametrize(("method", "path"), harness.params(DOCUMENT, KNOWN))
def test_operation(schema, issuer, method, path):
    harness.fuzz(schema, issuer, method, path)


LETTERS = [("POST", "/internal/letters")]


@pytest.mark.parametrize(("method", "path"), LETTERS, ids=["POST /internal/letters"])
def test_letters_as_the_post_room(schema, issuer, method, path):
    """Past the access check: messaging's service token, the only caller the letters route answers."""
    token = issuer.service_token("messaging", "bistand:meetings")
    harness.fuzz(schema, issuer, method, path, extra_headers=lambda _: {"Authorization": f"Bearer {token}"})
