"""A decision on a calculation by the real calculation service, over HTTP, with a service token from the IdP."""

from __future__ import annotations

import pytest

from services.calculation import app as calculation_app
from services.calculation import settings as calculation_settings
from tests.applications.conftest import couple, make_app, submitted_case, with_services
from tests.support import app_client, fresh_database, serve_in_thread, verifier_for


@pytest.fixture(scope="module")
async def calc_url(issuer):
    async with fresh_database("calculation") as url:
        app = calculation_app.create_app(calculation_settings.CalculationSettings(database_url=url),
                                         verifier=verifier_for(issuer))
        with serve_in_thread(app) as served:
            yield served


@pytest.fixture(scope="module")
async def client(issuer, idp_url, calc_url, registers):
    async with fresh_database("applications") as db_url:
        app = make_app(db_url, issuer, registers=registers, **with_services(idp_url, calculation_url=calc_url))
        async with app_client(app) as c:
            yield c


async def test_decide_on_the_real_calculation(client, as_persona):
    case = await submitted_case(client, as_persona, couple("2026-03"))
    url = f"/applications/{case['id']}"
    k = as_persona("karin")
    await client.post(f"{url}/assign", headers=k)
    calculated = await client.post(f"{url}/calculation", headers=k)
    assert calculated.status_code == 200, calculated.text
    result = calculated.json()["calculation"]
    assert result["input_hash"].startswith("sha256:") and result["norm_year"] == 2026
    components = calculated.json()["components"]
    signed = sum(-c["computed"] if c["kind"] == "income" else c["computed"] for c in components)
    assert max(0, signed) == result["entitlement"]
    rent = next(c for c in components if c["code"] == "rent")
    decided = await client.post(f"{url}/decision", headers=k, json={
        "adjustments": [{"code": "rent", "decided": rent["computed"] - 200, "reason": "Parkering ingår inte."}],
        "reasons_sv": "Hyran godtas utan parkeringsplats.", "reason_for_need": "insufficient_income_work"})
    assert decided.status_code == 201, decided.text
    decision = decided.json()
    assert decision["granted"] == max(0, result["entitlement"] - 200)
    assert decision["calculation"]["input_hash"] == result["input_hash"].removeprefix("sha256:")
    pdf = await client.get(f"{url}/decision.pdf", headers=as_persona("anna"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_a_child_who_turns_21_this_month_counts_as_an_adult(client, as_persona):
    """The calculation counts ages at the end of the month: a child turning 21 on the 15th is an adult sharing
    the home for May, not a 422."""
    content = couple("2026-05")
    content["household"]["children"] = [{"ref": "child-1", "birth_date": "2005-05-15", "lunch_at_home": True}]
    case = await submitted_case(client, as_persona, content)
    k = as_persona("karin")
    await client.post(f"/applications/{case['id']}/assign", headers=k)
    calculated = await client.post(f"/applications/{case['id']}/calculation", headers=k)
    assert calculated.status_code == 200, calculated.text
    lines = calculated.json()["calculation"]["lines"]
    assert any(line["member"] == "child-1" for line in lines)
