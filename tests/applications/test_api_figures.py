"""A unit's monthly figures (GET /figures) over a seeded set of cases decided on a stepping clock, and the reason
for need (försörjningshinder) a person's decision records: required, shown, counted.

The world, unit Nord, all submitted at T0 = 2026-03-02 09:00 UTC:
  digital   Anna+Bertil (couple), Cecilia (an income that covers the need: refused)
  paper     two clients registered by Karin; staff-made: one by phone, one at a visit
  Syd       one paper application registered and decided by Lars (must never count in Nord)
Five Nord decisions 10, 20, 30, 40, 50 hours after T0 (median 30, p90 = 40 + 0.6 * 10 = 46), the visit one on
1 April 00:30 Swedish time (31 March 22:30 UTC: April in Sweden); Syd's 55 hours after T0.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import uuid

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from kit import migrations
from services.applications.service import decisions as decisions_service
from tests.access_matrix import assert_body_tells_nothing_more
from tests.applications.conftest import ANNA, BERTIL, CECILIA, Clock, couple, make_app, single, with_services
from tests.applications.test_domain_factories import pnr_for
from tests.support import app_client, fresh_database

PROBLEM = "application/problem+json"
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
PAPER = [pnr_for(dt.date(1971, 4, day)) for day in (1, 2)]
PHONE, VISIT, SYD = (pnr_for(dt.date(1971, 4, day)) for day in (3, 4, 5))
EVERY_PNR = [ANNA, BERTIL, CECILIA, *PAPER, PHONE, VISIT, SYD]

pytestmark = pytest.mark.xdist_group("figures")  # one seeded world, built once


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("applications") as url:
        yield url


@pytest.fixture(scope="module")
def clock():
    return Clock(T0)


@pytest.fixture(scope="module")
async def app(db_url, issuer, idp_url, calc, clock, registers):
    return make_app(db_url, issuer, clock, registers=registers, **with_services(idp_url, calculation_url=calc[0]))


@pytest.fixture(scope="module")
async def client(app):
    async with app_client(app) as c:
        yield c


async def _digital(client, as_persona, content, signers, owner) -> str:
    made = await client.post("/applications", json=content, headers=as_persona(owner))
    assert made.status_code == 201, made.text
    case_id = made.json()["id"]
    for who in signers:
        assert (await client.post(f"/applications/{case_id}/signatures", headers=as_persona(who))).status_code == 201
    assert (await client.post(f"/applications/{case_id}/submit", headers=as_persona(owner))).status_code == 200
    return case_id


async def _by_staff(client, as_persona, staff, pnr, source) -> str:
    s = as_persona(staff)
    made = await client.post("/staff/applications", headers=s,
                             json={"personal_number": pnr, "source": source, "content": single(pnr)})
    assert made.status_code == 201, made.text
    case_id = made.json()["id"]
    signed = await client.post(f"/applications/{case_id}/signatures", headers=s, json={"personal_number": pnr})
    assert signed.status_code == 201, signed.text
    assert (await client.post(f"/applications/{case_id}/submit", headers=s)).status_code == 200
    return case_id


async def _decide(client, as_persona, clock, case_id, staff, at, body) -> dict:
    s = as_persona(staff)
    assert (await client.post(f"/applications/{case_id}/assign", headers=s)).status_code == 200
    assert (await client.post(f"/applications/{case_id}/calculation", headers=s)).status_code == 200
    clock.now = at
    decided = await client.post(f"/applications/{case_id}/decision", headers=s, json=body)
    assert decided.status_code == 201, decided.text
    return decided.json()


@pytest.fixture(scope="module")
async def world(client, as_persona, clock):
    clock.now = T0
    rich = single(CECILIA, incomes={"items": [{"type": "wages_net", "member": "applicant", "amount": 90000}]})
    ids = {
        "couple": await _digital(client, as_persona, couple(), ("anna", "bertil"), "anna"),
        "cecilia": await _digital(client, as_persona, rich, ("cecilia",), "cecilia"),
        "paper1": await _by_staff(client, as_persona, "karin", PAPER[0], "paper"),
        "paper2": await _by_staff(client, as_persona, "karin", PAPER[1], "paper"),
        "phone": await _by_staff(client, as_persona, "karin", PHONE, "phone"),
        "visit": await _by_staff(client, as_persona, "karin", VISIT, "visit"),
        "syd": await _by_staff(client, as_persona, "lars", SYD, "paper"),
    }
    h = dt.timedelta(hours=1)
    approve = {"reason_for_need": "unemployed_no_benefit"}
    await _decide(client, as_persona, clock, ids["paper1"], "karin", T0 + 10 * h, approve)
    await _decide(client, as_persona, clock, ids["couple"], "karin", T0 + 20 * h,
                  {"reason_for_need": "parental_leave", "reasons_sv": "Elen godtas till skälig nivå.",
                   "adjustments": [{"code": "household_electricity", "decided": 300, "reason": "Skäligt belopp"}]})
    await _decide(client, as_persona, clock, ids["phone"], "tove", T0 + 30 * h, {"reason_for_need": "studies"})
    await _decide(client, as_persona, clock, ids["cecilia"], "karin", T0 + 40 * h,
                  {"reason_for_need": "insufficient_income_work", "reasons_sv": "Inkomsten täcker behovet."})
    await _decide(client, as_persona, clock, ids["paper2"], "karin", T0 + 50 * h, approve)
    await _decide(client, as_persona, clock, ids["syd"], "lars", T0 + 55 * h, {"reason_for_need": "other"})
    await _decide(client, as_persona, clock, ids["visit"], "karin",
                  dt.datetime(2026, 3, 31, 22, 30, tzinfo=dt.UTC), {"reason_for_need": "awaiting_income"})
    return ids


def _same(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "request_id"}


def _no_personal_data(body: str, ids: dict[str, str]) -> None:
    for pnr in EVERY_PNR:
        assert pnr not in body and pnr[2:] not in body
    for name in ("Anna", "Bertil", "Cecilia", "persona:", "karin", "tove", "lars"):
        assert name not in body
    for case_id in ids.values():
        assert case_id not in body


async def test_a_month_of_figures_computed_over_the_seeded_cases(client, as_persona, world):
    answer = await client.get("/figures?unit=nord&month=2026-03", headers=as_persona("tove"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "private, no-store"
    body = answer.json()
    assert (body["unit"], body["from"], body["to"]) == ("nord", "2026-03", "2026-03")
    [march] = body["months"]
    assert march["month"] == "2026-03"
    assert march["applications"] == {"total": 6, "digital": 2, "paper": 2, "staff_made": 2}
    assert march["decisions"] == {"total": 5, "approved": 3, "partly_approved": 1, "refused": 1, "automated": 0}
    assert march["lead_time"] == {"decisions": 5, "median_hours": 30.0, "p90_hours": 46.0}
    reasons = march["reasons_for_need"]
    assert {k: v for k, v in reasons.items() if v} == {"unemployed_no_benefit": 2, "parental_leave": 1,
                                                      "studies": 1, "insufficient_income_work": 1}
    assert len(reasons) == 14  # every category is listed, the empty ones as 0
    assert march["proposals"] == {  # this module's cases were not submitted through the proposal job
        "available": True, "proposals": 0, "by_outcome": {"all_passed": 0, "checks_failed": 0, "not_available": 0},
        "fast_lane": 0, "automated_approvals": 0, "automated_approvals_undone": 0, "automation_rate": None,
        "discrepancies_found": 0, "discrepancy_lines": 0}
    _no_personal_data(answer.text, world)


async def test_reading_figures_is_audited(app, client, as_persona, world):
    assert (await client.get("/figures?unit=syd&from=2026-01&to=2026-02", headers=as_persona("adam"))).status_code \
        == 200
    async with app.state.kit.sessions() as session:
        row = (await session.execute(text(
            "SELECT actor, action, resource_id, purpose, details FROM audit_log "
            "WHERE resource_type = 'application_figures' ORDER BY id DESC LIMIT 1"))).mappings().one()
    assert (row["actor"], row["action"], row["resource_id"], row["purpose"]) == ("persona:adam", "read", "syd",
                                                                                "statistics")
    assert row["details"] == {"from": "2026-01", "to": "2026-02"}


async def test_a_range_of_months_splits_at_midnight_swedish_time(client, as_persona, world):
    answer = await client.get("/figures?unit=nord&from=2026-02&to=2026-04", headers=as_persona("adam"))
    assert answer.status_code == 200, answer.text
    feb, march, april = answer.json()["months"]
    assert feb["month"] == "2026-02" and feb["applications"]["total"] == 0 and feb["decisions"]["total"] == 0
    assert feb["lead_time"] == {"decisions": 0, "median_hours": None, "p90_hours": None}
    assert march["decisions"]["total"] == 5
    # Decided 2026-03-31 22:30 UTC = 1 April 00:30 in Stockholm (summer time from 29 March).
    assert april["decisions"] == {"total": 1, "approved": 1, "partly_approved": 0, "refused": 0, "automated": 0}
    hours = (dt.datetime(2026, 3, 31, 22, 30, tzinfo=dt.UTC) - T0) / dt.timedelta(hours=1)
    assert april["lead_time"] == {"decisions": 1, "median_hours": hours, "p90_hours": hours}
    assert april["reasons_for_need"]["awaiting_income"] == 1 and april["applications"]["total"] == 0


async def test_units_are_kept_apart(client, as_persona, world):
    syd = (await client.get("/figures?unit=syd&month=2026-03", headers=as_persona("adam"))).json()["months"][0]
    assert syd["applications"] == {"total": 1, "digital": 0, "paper": 1, "staff_made": 0}
    assert syd["decisions"]["total"] == 1 and syd["reasons_for_need"]["other"] == 1
    assert syd["lead_time"]["median_hours"] == 55.0
    # A unit nobody works in: all zeros for an admin (units are not kept here, so none is "missing").
    empty = (await client.get("/figures?unit=vast&month=2026-03", headers=as_persona("adam"))).json()["months"][0]
    assert empty["applications"]["total"] == 0 and empty["decisions"]["total"] == 0


async def test_who_may_read_figures_and_what_a_refusal_says(client, as_persona, issuer, world):
    url = "/figures?unit={unit}&month=2026-03"
    # Another unit's team lead learns nothing: the answer for Syd is the answer for a unit that does not exist.
    other = await client.get(url.format(unit="syd"), headers=as_persona("tove"))
    missing = await client.get(url.format(unit="nowhere"), headers=as_persona("tove"))
    assert other.status_code == missing.status_code == 404
    assert other.headers["content-type"] == PROBLEM and _same(other.json()) == _same(missing.json())
    assert other.json()["type"] == "urn:bistand:problem:unit-not-found"
    assert_body_tells_nothing_more(other, "tove", known=url.format(unit="syd"))
    # Every other kind of caller: 403 whatever the unit (own, other, none), the same body; no token 401.
    service = {"Authorization": f"Bearer {issuer.service_token('messaging')}"}  # one with applications' audience
    callers = {"anna": as_persona("anna"), "cecilia": as_persona("cecilia"), "karin": as_persona("karin"),
               "maja": as_persona("maja"), "lars": as_persona("lars"), "nils": as_persona("nils"),
               "service": service}
    for who, headers in callers.items():
        bodies = []
        for unit in ("nord", "syd", "nowhere"):
            refused = await client.get(url.format(unit=unit), headers=headers)
            assert refused.status_code == 403, (who, unit, refused.text)
            assert refused.headers["content-type"] == PROBLEM
            assert_body_tells_nothing_more(refused, who, known=url.format(unit=unit))
            _no_personal_data(refused.text, world)
            bodies.append(_same(refused.json()))
        assert bodies[0] == bodies[1] == bodies[2], who
    for headers in ({}, {"Authorization": "Bearer not.a.token"}):
        assert (await client.get(url.format(unit="nord"), headers=headers)).status_code == 401
    for who, unit in (("tove", "nord"), ("adam", "nord"), ("adam", "syd")):
        allowed = await client.get(url.format(unit=unit), headers=as_persona(who))
        assert allowed.status_code == 200, (who, unit)
        _no_personal_data(allowed.text, world)


@pytest.mark.parametrize("query, field", [
    ("unit=nord&month=2026-13", "query.month"),
    ("unit=nord&month=26-03", "query.month"),
    ("unit=nord&month=2026-3", "query.month"),
    ("unit=Nord!&month=2026-03", "query.unit"),
    ("unit=nord", "query.month"),
    ("unit=nord&month=2026-03&from=2026-01&to=2026-03", "query.month"),
    ("unit=nord&from=2026-04&to=2026-03", "query.to"),
    ("unit=nord&from=2024-01&to=2026-03", "query.to"),
])
async def test_bad_months_are_422_with_the_field(client, as_persona, query, field):
    answer = await client.get(f"/figures?{query}", headers=as_persona("tove"))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert field in [e["field"] for e in answer.json()["errors"]]


async def test_figures_as_csv(client, as_persona, world):
    answer = await client.get("/figures?unit=nord&from=2026-03&to=2026-04",
                              headers={**as_persona("tove"), "Accept": "text/csv"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["unit", "month", "figure", "value"]
    cells = {(month, figure): value for _, month, figure, value in rows[1:]}
    assert cells[("2026-03", "applications.staff_made")] == "2"
    assert cells[("2026-03", "lead_time.p90_hours")] == "46.0"
    assert cells[("2026-03", "reasons_for_need.studies")] == "1"
    assert cells[("2026-04", "decisions.approved")] == "1"
    _no_personal_data(answer.text, world)


# --- the reason for need at a person's decision ------------------------------------------------------------------

async def test_a_decision_without_the_reason_for_need_is_refused_with_the_field(client, as_persona, clock, world):
    clock.now = dt.datetime(2027, 6, 1, 9, 0, tzinfo=dt.UTC)  # a month no other test counts
    case_id = await _by_staff(client, as_persona, "karin", pnr_for(dt.date(1971, 4, 6)), "paper")
    k = as_persona("karin")
    await client.post(f"/applications/{case_id}/assign", headers=k)
    await client.post(f"/applications/{case_id}/calculation", headers=k)
    missing = await client.post(f"/applications/{case_id}/decision", headers=k, json={})
    assert missing.status_code == 422 and missing.headers["content-type"] == PROBLEM
    assert missing.json()["type"] == "urn:bistand:problem:decision-invalid"
    assert [e["field"] for e in missing.json()["errors"]] == ["body.reason_for_need"]
    unknown = await client.post(f"/applications/{case_id}/decision", headers=k, json={"reason_for_need": "lazy"})
    assert unknown.status_code == 422 and "body.reason_for_need" in [e["field"] for e in unknown.json()["errors"]]
    assert (await client.get(f"/applications/{case_id}", headers=k)).json()["status"] == "in_review"
    decided = await client.post(f"/applications/{case_id}/decision", headers=k,
                                json={"reason_for_need": "sick_leave_without_benefit"})
    assert decided.status_code == 201 and decided.json()["reason_for_need"] == "sick_leave_without_benefit"


async def test_the_reason_is_in_the_decisions_view_for_staff_and_client(client, as_persona, world):
    url = f"/applications/{world['couple']}/decision"
    staff = (await client.get(url, headers=as_persona("karin"))).json()
    assert staff["reason_for_need"] == "parental_leave"
    assert staff["reason_for_need_label"] == {"code": "parental_leave", "sv": "Föräldraledig", "en": "Parental leave"}
    assert (await client.get(url, headers=as_persona("anna"))).json()["reason_for_need"] == "parental_leave"
    # Mina sidor: in plain words, in the client's language.
    mine = (await client.get(f"/me/cases/{world['couple']}", headers=as_persona("anna"))).json()
    assert mine["decision"]["reason_for_need"] == {
        "code": "parental_leave", "label": "Föräldraledig",
        "text": "Du är föräldraledig och föräldrapenningen räcker inte att leva på."}
    english = (await client.get(f"/me/cases/{world['couple']}?lang=en", headers=as_persona("bertil"))).json()
    assert english["decision"]["reason_for_need"]["text"].startswith("You are on parental leave")
    letter = await client.get(f"{url}.pdf?lang=sv", headers=as_persona("anna"))
    assert letter.status_code == 200 and letter.content.startswith(b"%PDF")


async def test_an_automated_decision_inherits_and_the_database_guards_a_persons(app, client, world):
    sessions = app.state.kit.sessions
    async with sessions() as session:
        household = (await session.execute(text("SELECT household_id FROM cases WHERE id = :c"),
                                           {"c": uuid.UUID(world["couple"])})).scalar_one()
        # The household's next month takes March's reason; before March there is none.
        assert await decisions_service.inherited_need_reason(session, household, "2026-04") == "parental_leave"
        assert await decisions_service.inherited_need_reason(session, household, "2026-03") is None
    async with sessions() as session:
        with pytest.raises(IntegrityError, match="ck_decisions_reason_for_need_by_person"):
            await session.execute(text("UPDATE decisions SET reason_for_need = NULL WHERE case_id = :c"),
                                  {"c": uuid.UUID(world["couple"])})
        await session.rollback()
    async with sessions() as session:
        with pytest.raises(IntegrityError, match="ck_decisions_reason_for_need_known"):
            await session.execute(text("UPDATE decisions SET reason_for_need = 'lazy' WHERE case_id = :c"),
                                  {"c": uuid.UUID(world["couple"])})
        await session.rollback()


async def test_the_migration_goes_down_and_up():
    async with fresh_database("applications") as url:
        await asyncio.to_thread(command.downgrade, migrations.config("applications", url), "applications_0006_proposal")
        await migrations.upgrade_async("applications", url)
        assert len(migrations.heads("applications")) == 1
