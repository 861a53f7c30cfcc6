"""Gallring of applications (domain/retention.py, store/retention.py) with an injected clock, on real PostgreSQL:
the five-year boundary to the day, what blocks a case (open, appeal period, appeal pending, newer entries about the
same people, birth-date samples), anonymised rows free of personal data, delete as configured, counts-only logs,
and two passes at once."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from kit.retention import configured
from kit.retention_job import RetentionJob
from services.applications.domain import retention as policy
from services.applications.store import retention as store
from tests.applications.conftest import ANNA, PDF, Clock, couple, make_app, submitted_case
from tests.applications.test_domain_factories import pnr_for
from tests.support import app_client, fresh_database

# The tests build on one another's rows (one database per module): one worker, in order.
pytestmark = pytest.mark.xdist_group("applications-retention")

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
FIVE_YEARS = dt.datetime(2031, 3, 2, 9, 0, tzinfo=dt.UTC)  # T0 + P5Y
NAME = "Olle Orvar Ordsson"  # a name that must not survive anonymisation
FREE_TEXT = "Jag behöver hjälp med hyran, min granne Stina vet"

# What an anonymised case keeps for figures (everything else of text/json type must be empty).
STATS = {"cases": {"id", "household_id", "period", "kind", "unit", "status", "outcome", "source", "content",
                   "version", "protected_identity", "created_at", "updated_at", "submitted_at", "decided_at",
                   "info_due", "calculated_at", "anonymised_at", "appeal_pending"},
         "decisions": {"case_id", "decided_at", "outcome", "granted", "calculation_result", "decision", "automated",
                       "reason_for_need"},  # automation and the reason for need (försörjningshinder) are figures
         "case_history": {"id", "case_id", "at", "actor_role", "event", "from_status", "to_status"}}


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("applications") as url:
        yield url


@pytest.fixture(scope="module")
async def app(db_url, issuer, registers):
    clock = Clock(T0)
    application = make_app(db_url, issuer, clock, registers=registers, retention_enabled=False,
                           housekeeping_enabled=False)
    async with app_client(application) as client:
        application.state.client, application.state.clock = client, clock
        yield application


def job(app: Any, at: dt.datetime, overrides: dict[str, str] | None = None, batch: int = 50) -> RetentionJob:
    ctx = app.state.kit
    return RetentionJob("applications", ctx.sessions, configured(policy.RULES, overrides or {}), store.PURGES,
                        clock=lambda: at, batch_size=batch)


async def sql(app: Any, statement: str, **params: Any) -> list[Any]:
    async with app.state.kit.sessions() as session, session.begin():
        result = await session.execute(text(statement), params)
        return result.all() if result.returns_rows else []


async def add_case(app: Any, *, last: dt.datetime, status: str = "paid", outcome: str | None = "approved",
                   decided_at: dt.datetime | None = None, appeal_pending: bool = False, pnr: str | None = None,
                   co_pnr: str | None = None, household: uuid.UUID | None = None, period: str = "2026-03") -> uuid.UUID:
    """A case with everything a real one carries: content with names and free text, history, decision,
    signatures, an attachment, a document request, an assignment, a trust check, household and profile."""
    pnr = pnr or pnr_for(dt.date(1980, 4, 2))
    case_id, household = uuid.uuid4(), household or uuid.uuid4()
    content = {"household": {"applicant": {"personal_number": pnr, "name": NAME}}, "message": FREE_TEXT}
    if status in ("decided", "paid") and decided_at is None:
        decided_at = last
    await sql(app, "INSERT INTO households (id, unit, created_at) VALUES (:h, 'nord', :t) ON CONFLICT DO NOTHING",
              h=household, t=last)
    await sql(app, "INSERT INTO household_members (personal_number, household_id, since) VALUES (:p, :h, :t) "
                   "ON CONFLICT DO NOTHING", p=pnr, h=household, t=last)
    await sql(app, "INSERT INTO cases (id, household_id, period, kind, unit, status, outcome, source, content, "
                   "applicant_pnr, co_applicant_pnr, co_applicant_status, created_by, created_at, updated_at, "
                   "submitted_at, decided_at, calculation, appeal_pending) VALUES (:id, :h, :period, 'first', "
                   "'nord', :s, :o, 'digital', CAST(:c AS jsonb), :p, :co, :cos, :p, :t, :t, :t, :d, "
                   "CAST(:calc AS jsonb), :ap)",
              id=case_id, h=household, period=period, s=status, o=outcome, c=json.dumps(content), p=pnr, co=co_pnr,
              cos="joined" if co_pnr else None, t=last, d=decided_at, ap=appeal_pending,
              calc=json.dumps({"members": [{"name": NAME}], "entitlement": 9000}))
    await sql(app, "INSERT INTO case_history (case_id, at, actor, actor_role, event, to_status, reason, details) "
                   "VALUES (:id, :t, 'persona:karin', 'caseworker', 'pay', :s, :r, CAST(:d AS jsonb))",
              id=case_id, t=last, s=status, r=FREE_TEXT, d=json.dumps({"note": NAME}))
    if decided_at is not None:
        await sql(app, "INSERT INTO decisions (case_id, decided_at, decided_by, outcome, granted, input_hash, "
                       "calculation_result, decision, reason_for_need) VALUES (:id, :t, 'persona:karin', :o, 9000, "
                       "'sha256:ab', CAST(:r AS jsonb), CAST(:r AS jsonb), 'unemployed_no_benefit')",
                  id=case_id, t=decided_at, o=outcome or "approved", r=json.dumps({"reasons_sv": FREE_TEXT}))
    await sql(app, "INSERT INTO signatures (id, case_id, role, personal_number, content_hash, signed_at, method, "
                   "recorded_by) VALUES (:s, :id, 'applicant', :p, 'h', :t, 'bankid', :p)",
              s=uuid.uuid4(), id=case_id, p=pnr, t=last)
    attachment = uuid.uuid4()
    await sql(app, "INSERT INTO attachments (id, case_id, uploaded_by, filename, media_type, size, sha256, "
                   "created_at) VALUES (:a, :id, :p, 'lön Olle.pdf', 'application/pdf', 10, 'x', :t)",
              a=attachment, id=case_id, p=pnr, t=last)
    await sql(app, "INSERT INTO attachment_contents (attachment_id, content) VALUES (:a, :c)", a=attachment, c=PDF)
    await sql(app, "INSERT INTO document_requests (id, case_id, type, text, status, attachment_id, requested_by, "
                   "requested_at, updated_at) VALUES (:r, :id, 'bank_statements', :x, 'answered', :a, "
                   "'persona:karin', :t, :t)", r=uuid.uuid4(), id=case_id, x=FREE_TEXT, a=attachment, t=last)
    await sql(app, "INSERT INTO assignments (case_id, role, sub, assigned_by, assigned_at) VALUES "
                   "(:id, 'caseworker', 'persona:karin', 'persona:karin', :t)", id=case_id, t=last)
    await sql(app, "INSERT INTO client_profiles (personal_number, phone, address, updated_at) VALUES "
                   "(:p, '0701234567', 'Storgatan 1', :t) ON CONFLICT DO NOTHING", p=pnr, t=last)
    return case_id


async def state(app: Any, case_id: uuid.UUID) -> str:
    rows = await sql(app, "SELECT anonymised_at FROM cases WHERE id = :id", id=case_id)
    return "gone" if not rows else ("anonymised" if rows[0].anonymised_at else "kept")


async def assert_no_personal_data(app: Any, case_id: uuid.UUID, *personal: str) -> None:
    """Every text and json column of the anonymised case, its decision and history: only what figures need."""
    for table, key in (("cases", "id"), ("decisions", "case_id"), ("case_history", "case_id")):
        columns = await sql(app, "SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_name = :t", t=table)
        rows = [r._mapping for r in await sql(app, f"SELECT * FROM {table} WHERE {key} = :id", id=case_id)]  # noqa: S608
        assert rows or table == "decisions", table  # a withdrawn case has no decision
        for row in rows:
            blob = json.dumps({k: str(v) for k, v in row.items()}, ensure_ascii=False)
            for value in (*personal, NAME, FREE_TEXT, "persona:karin", "Stina", "sha256:ab"):
                assert value not in blob, (table, value)
            for column in columns:
                if column.column_name not in STATS[table]:
                    assert row[column.column_name] is None, (table, column.column_name)
                elif column.data_type == "jsonb":
                    assert row[column.column_name] in ({}, None), (table, column.column_name)
    for table in ("signatures", "attachments", "document_requests", "assignments", "trust_checks"):
        assert not await sql(app, f"SELECT 1 FROM {table} WHERE case_id = :id", id=case_id), table  # noqa: S608
    for p in personal:
        assert not await sql(app, "SELECT 1 FROM household_members WHERE personal_number = :p", p=p)
        assert not await sql(app, "SELECT 1 FROM client_profiles WHERE personal_number = :p", p=p)


async def test_a_closed_case_is_kept_five_years_to_the_day_then_anonymised(app):
    pnr = pnr_for(dt.date(1984, 6, 3))
    case = await add_case(app, last=T0, pnr=pnr)
    before = await job(app, FIVE_YEARS - dt.timedelta(days=1)).run_once()
    assert before["cases"] == 0 and await state(app, case) == "kept"
    assert await job(app, FIVE_YEARS).run_once() == {"cases": 0, "client_profiles": 0, "staff": 0,
                                                         "representations": 0}  # not after yet
    after = await job(app, FIVE_YEARS + dt.timedelta(days=1)).run_once()
    assert after["cases"] == 1 and after["client_profiles"] == 1
    assert await state(app, case) == "anonymised"
    await assert_no_personal_data(app, case, pnr)
    # What figures need is still there: unit, month, channel, outcome, amount, dates.
    kept = (await sql(app, "SELECT c.unit, c.period, c.source, c.outcome, c.submitted_at, d.granted FROM cases c "
                           "JOIN decisions d ON d.case_id = c.id WHERE c.id = :id", id=case))[0]
    assert tuple(kept) == ("nord", "2026-03", "digital", "approved", T0, 9000)
    assert (await job(app, FIVE_YEARS + dt.timedelta(days=2)).run_once())["cases"] == 0  # done once


async def test_what_blocks_gallring(app):
    """Ten years on, with a period of one day: only what the domain rule lets go goes."""
    now = FIVE_YEARS + dt.timedelta(days=5 * 365)
    recent = now - dt.timedelta(days=10)
    cases = {
        "submitted": dict(last=T0, status="submitted", outcome=None),
        "in review": dict(last=T0, status="in_review", outcome=None),
        "waiting for information": dict(last=T0, status="info_requested", outcome=None),
        "decided, payment not recorded": dict(last=T0, status="decided", outcome="approved"),
        "draft abandoned": dict(last=T0, status="draft", outcome=None),
        "draft touched yesterday": dict(last=now - dt.timedelta(days=1, hours=1) + dt.timedelta(hours=2),
                                        status="draft", outcome=None),
        "refused within the appeal period": dict(last=recent, status="decided", outcome="refused"),
        "refused, appeal period over": dict(last=now - dt.timedelta(weeks=6), status="decided", outcome="refused"),
        "appeal pending": dict(last=T0, status="decided", outcome="refused", appeal_pending=True),
        "withdrawn": dict(last=T0, status="withdrawn", outcome=None),
        "born on the 15th": dict(last=T0, pnr=pnr_for(dt.date(1970, 1, 15))),
        "coordination number, day 25": dict(last=T0, pnr=pnr_for(dt.date(1971, 2, 25)).replace("0225", "0285", 1)),
    }
    ids = {}
    for i, (what, kwargs) in enumerate(cases.items()):
        kwargs.setdefault("pnr", pnr_for(dt.date(1960 + i // 12, 1 + i % 12, 2)))
        ids[what] = await add_case(app, **kwargs)
    # The personakt rule: an old closed case of someone with a newer open one is kept with it.
    sibling_household = uuid.uuid4()
    old_of_active = await add_case(app, last=T0, household=sibling_household, pnr=pnr_for(dt.date(1990, 7, 7)))
    await add_case(app, last=recent, status="in_review", outcome=None, household=sibling_household,
                   pnr=pnr_for(dt.date(1990, 7, 7)), period="2035-12")

    counts = await job(app, now, {"cases": "P1D"}).run_once()
    expected_gone = {"refused, appeal period over", "withdrawn", "decided, payment not recorded", "draft abandoned"}
    for what, case_id in ids.items():
        assert await state(app, case_id) == ("anonymised" if what in expected_gone else "kept"), what
        # The pure rule says the same about each (domain/retention.py:may_cull).
        kwargs = cases[what]
        assert policy.may_cull(
            status=kwargs.get("status", "paid"),
            decided_at=kwargs["last"] if kwargs.get("status", "paid") in ("decided", "paid") else None,
            appeal_pending=kwargs.get("appeal_pending", False), last_entry=kwargs["last"],
            applicants=(kwargs["pnr"],), cutoff=now - dt.timedelta(days=1), now=now) == (what in expected_gone), what
    assert await state(app, old_of_active) == "kept"
    assert counts["cases"] >= len(expected_gone)
    # Their birth-date samples keep their profile too (a case still names them).
    sample = cases["born on the 15th"]["pnr"]
    assert await sql(app, "SELECT 1 FROM client_profiles WHERE personal_number = :p", p=sample)


async def test_delete_when_configured_removes_the_case_and_its_household(app):
    household = uuid.uuid4()
    case = await add_case(app, last=T0, household=household, pnr=pnr_for(dt.date(1955, 8, 8)))
    assert (await job(app, FIVE_YEARS + dt.timedelta(days=1), {"cases": "P5Y delete"}).run_once())["cases"] >= 1
    assert await state(app, case) == "gone"
    assert not await sql(app, "SELECT 1 FROM households WHERE id = :h", h=household)
    assert not await sql(app, "SELECT 1 FROM decisions WHERE case_id = :id", id=case)


async def test_a_case_made_through_the_api_is_gone_from_the_api_once_anonymised(app, as_persona):
    client, clock = app.state.client, app.state.clock
    case = await submitted_case(client, as_persona, couple("2026-04"))
    url = f"/applications/{case['id']}"
    upload = await client.post(f"{url}/attachments", headers=as_persona("anna"),
                               files={"file": ("lön.pdf", PDF)}, data={"category": "other"})
    assert upload.status_code in (201, 409), upload.text  # a submitted case may or may not take uploads
    assert (await client.post(f"{url}/withdraw", headers=as_persona("anna"))).status_code == 200
    last = clock()
    assert (await job(app, last + dt.timedelta(days=5 * 366)).run_once())["cases"] >= 1
    assert await state(app, uuid.UUID(case["id"])) == "anonymised"
    await assert_no_personal_data(app, uuid.UUID(case["id"]), ANNA)
    assert (await client.get(url, headers=as_persona("karin"))).status_code == 404
    assert (await client.get(f"/me/cases/{case['id']}", headers=as_persona("anna"))).status_code == 404


async def test_two_passes_at_once_act_on_each_case_once(app):
    start = T0 - dt.timedelta(days=400)
    due = [await add_case(app, last=start, pnr=pnr_for(dt.date(1966, 9, d))) for d in (1, 2, 3, 4, 6, 7, 8)]
    at = start + dt.timedelta(days=5 * 366)
    first, second = await asyncio.gather(job(app, at, batch=2).run_once(), job(app, at, batch=2).run_once())
    assert all([await state(app, c) == "anonymised" for c in due])
    assert first["cases"] + second["cases"] == len(due)  # each taken by exactly one pass
    history = await sql(app, "SELECT count(*) FROM cases WHERE id = ANY(:ids) AND anonymised_at IS NOT NULL",
                        ids=due)
    assert history[0][0] == len(due)


async def test_the_pass_logs_counts_and_nothing_about_anyone(app, caplog):
    pnr = pnr_for(dt.date(1977, 11, 11))
    case = await add_case(app, last=T0 - dt.timedelta(days=900), pnr=pnr)
    caplog.set_level(logging.DEBUG)
    counts = await job(app, FIVE_YEARS).run_once()
    assert counts["cases"] >= 1
    ours = [r for r in caplog.records if r.name.startswith("kit.retention")]
    assert ours and ours[-1].counts == counts
    for record in caplog.records:
        rendered = json.dumps({k: str(v) for k, v in record.__dict__.items()}, ensure_ascii=False)
        for secret in (pnr, str(case), NAME, FREE_TEXT):
            assert secret not in rendered


async def test_staff_not_seen_for_two_years_are_forgotten(app):
    await sql(app, "INSERT INTO staff (sub, name, roles, units, first_seen, last_seen) VALUES "
                   "('persona:gone', 'Gunnar', '{caseworker}', '{nord}', :t, :t), "
                   "('persona:here', 'Hanna', '{caseworker}', '{nord}', :n, :n)",
              t=T0, n=T0 + dt.timedelta(days=700))
    assert (await job(app, T0 + dt.timedelta(days=733)).run_once())["staff"] >= 1
    left = {r.sub for r in await sql(app, "SELECT sub FROM staff WHERE sub LIKE 'persona:%e%'")}
    assert "persona:gone" not in left and "persona:here" in left


def test_a_mistyped_setting_stops_the_start():
    with pytest.raises(ValueError, match="unknown record type"):
        configured(policy.RULES, {"casez": "P5Y"})
    with pytest.raises(ValueError):
        configured(policy.RULES, {"client_profiles": "P5Y anonymise"})  # a profile cannot be anonymised
    with pytest.raises(ValueError):
        configured(policy.RULES, {"cases": "5 years"})
    assert {r.record: str(r.period) for r in configured(policy.RULES, {"cases": "P6Y"})}["cases"] == "P6Y"


async def test_the_service_runs_gallring_with_ops_settings(db_url, issuer):
    app = make_app(db_url, issuer, Clock(T0), retention={"cases": "P6Y delete"}, retention_interval_seconds=3600)
    async with app_client(app):
        ctx = app.state.kit
        assert any(t.get_name() == "applications-retention" for t in ctx.background)
        rules = {r.record: r for r in ctx.runtime.retention.rules}
        assert (str(rules["cases"].period), rules["cases"].action) == ("P6Y", "delete")
        assert str(rules["client_profiles"].period) == "P5Y"  # the rest keep their defaults
    broken = make_app(db_url, issuer, Clock(T0), retention={"cases": "P5Y shred"})
    with pytest.raises(ValueError):
        async with app_client(broken):
            pass
