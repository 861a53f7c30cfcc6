"""The demo seed, through a real gateway and IdP: Nord's types, Karin's hours and one booking for Anna, however
often it runs."""

from __future__ import annotations

import httpx
import pytest

from devstack.demo.meetings import TYPES, seed
from tests.meetings.conftest import make_app
from tests.support import fresh_database, seeding_setup


@pytest.fixture
async def db_url():
    async with fresh_database("meetings") as url:
        yield url


async def test_seed_is_idempotent(db_url, issuer, as_persona, owner):
    with seeding_setup(issuer, "meetings", make_app(db_url, issuer, owner=owner)) as (
            gateway, idp, service):
        await seed(gateway, idp)
        await seed(gateway, idp)
        async with httpx.AsyncClient(base_url=f"{gateway}/api/meetings") as api:
            # the caseworker's feed through the gateway: made with a token, read without one (public path)
            feed = await api.post("/me/feed", headers=as_persona("karin"))
            assert feed.status_code == 201, feed.text
            token = feed.json()["url"].rsplit("/", 1)[1]
            ics = await api.get(f"/feeds/{token}")
            assert ics.status_code == 200 and "BEGIN:VEVENT" in ics.text
            assert (await api.get("/feeds/not-a-token.ics")).status_code == 404
            assert (await api.get("/me/bookings")).status_code == 401
        async with httpx.AsyncClient(base_url=service) as http:
            types = (await http.get("/units/nord/meeting-types", headers=as_persona("tove"))).json()
            bookings = (await http.get("/me/bookings", headers=as_persona("anna"))).json()
            hours = (await http.get("/caseworkers/me/hours", headers=as_persona("karin"))).json()
    assert sorted(t["name"] for t in types) == sorted(t["name"] for t in TYPES)
    assert len(bookings) == 1 and bookings[0]["channel"] == "video" and bookings[0]["video_url"]
    assert len(hours["hours"]) == 7
