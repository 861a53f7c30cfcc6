"""Input that used to reach the database or the date arithmetic and come back as a 500: months outside a
sensible window, e-mail addresses and language codes that are not, NUL characters. Each is a 422 naming the
field."""

from __future__ import annotations

import pytest

from tests.applications.conftest import ANNA, CECILIA, Clock, make_app, single
from tests.support import app_client


@pytest.fixture(scope="module")
async def strict(db_url, issuer, registers):
    """The app with the default window: this month (March 2026 on the test clock) and two ahead."""
    app = make_app(db_url, issuer, Clock(), registers=registers, months_ahead=2)
    async with app_client(app) as c:
        yield c


def fields(answer) -> list[str]:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    return [e["field"] for e in answer.json()["errors"]]


@pytest.mark.parametrize("period", ["0000-01", "0001-12", "2019-12", "2026-06", "9384-07"])
async def test_a_month_outside_the_window_is_refused_naming_the_field(strict, as_persona, period):
    own = await strict.post("/applications", json={"kind": "first", "period": period},
                            headers=as_persona("cecilia"))
    assert fields(own) == ["body.period"]
    assert own.json()["type"] == "urn:bistand:problem:period-out-of-range"
    staff = await strict.post("/staff/applications", headers=as_persona("karin"),
                              json={"personal_number": CECILIA, "source": "paper",
                                    "content": {"kind": "first", "period": period}})
    assert fields(staff) == ["body.content.period"]
    monthly = await strict.post("/applications/monthly", json={"month": period}, headers=as_persona("anna"))
    assert fields(monthly) == ["body.month"]


async def test_the_months_inside_the_window_are_accepted(strict, as_persona):
    for period in ("2020-01", "2026-03", "2026-05"):
        made = await strict.post("/applications", json={"kind": "first", "period": period},
                                 headers=as_persona("cecilia"))
        assert made.status_code == 201, (period, made.text)


@pytest.mark.parametrize(("body", "field"), [
    ({"email": "0@0"}, "body.email"),
    ({"email": "anna@"}, "body.email"),
    ({"preferred_language": "aa"}, "body.preferred_language"),
    ({"interpreter_language": "xx"}, "body.interpreter_language"),
    ({"address": "Storgatan 1\u0000"}, "body.address"),
    ({"preferred_language": None}, "body.preferred_language"),  # found by the OpenAPI fuzz: a 500 (NOT NULL)
    ({"interpreter_needed": None}, "body.interpreter_needed"),
])
async def test_profile_fields_are_validated(client, as_persona, body, field):
    assert fields(await client.put("/me/profile", json=body, headers=as_persona("anna"))) == [field]


async def test_a_real_profile_is_kept(client, as_persona):
    saved = await client.put("/me/profile", headers=as_persona("anna"),
                             json={"email": "anna@example.se", "preferred_language": "AR"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["preferred_language"] == "ar" and saved.json()["email"] == "anna@example.se"


async def test_nul_characters_are_refused_in_every_body(client, as_persona):
    content = single(ANNA, "2026-03", message="Hej\u0000")
    assert fields(await client.post("/applications", json=content, headers=as_persona("anna"))) == ["body.message"]
    named = single(ANNA, "2026-03")
    named["household"]["applicant"]["name"] = "Anna\u0000"
    assert fields(await client.post("/applications", json=named, headers=as_persona("anna"))) == [
        "body.household.applicant.name"]
    staff = await client.post("/staff/applications", headers=as_persona("karin"),
                              json={"personal_number": CECILIA, "source": "paper", "content": {
                                  "kind": "first", "period": "2026-03", "message": "\u0000"}})
    assert fields(staff) == ["body.content.message"]
    made = await client.post("/applications", json=single(ANNA, "2026-04"), headers=as_persona("anna"))
    withdraw = await client.post(f"/applications/{made.json()['id']}/withdraw", json={"reason": "x\u0000"},
                                 headers=as_persona("anna"))
    assert fields(withdraw) == ["body.reason"]
