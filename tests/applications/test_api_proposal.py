"""The decision proposal made on every submission (the applications worker's own outbox job), with the REAL
calculation service over HTTP and the REAL registers service in front of its simulator
(tests/registers_standin.py, one fixture: ``registers``); the automation policy, automated approval, undo before
payment, the client's review request, and who may reach each new route.

Months: each test uses its own (one application per household and month; the norm tables, and so the real
calculation, cover 2021-2026); Anna+Bertil and Cecilia are the households, Dana the protected client.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from contracts import registers as contract
from kit.db import plain_url
from services.applications.service import proposals as proposal_service
from services.applications.store import proposals as proposal_store
from services.calculation import app as calculation_app
from services.calculation import settings as calculation_settings
from tests.access_matrix import assert_body_tells_nothing_more, caller_headers
from tests.applications.conftest import (
    ANNA,
    BERTIL,
    CECILIA,
    DANA,
    Clock,
    couple,
    make_app,
    single,
    submitted_case,
    with_services,
)
from tests.registers_standin import registers_standin
from tests.support import app_client, fresh_database, serve_in_thread, verifier_for

DELEGATION = "Delegationsordning för socialnämnden 2026, punkt 4.2: fortsatt försörjningsstöd"
REGISTERED = contract.Registration(status=contract.RegistrationStatus.REGISTERED)


NEED = {"reason_for_need": "unemployed_no_benefit"}  # a person's decision records the reason for need


@pytest.fixture(scope="module")
async def calc_url(issuer):
    async with fresh_database("calculation") as url:
        app = calculation_app.create_app(calculation_settings.CalculationSettings(database_url=url),
                                         verifier=verifier_for(issuer))
        with serve_in_thread(app) as served:
            yield served


@pytest.fixture(scope="module")
def registers(issuer):
    """The real registers service and simulator, on a database of this module's own."""
    with registers_standin(issuer) as state:
        yield state


@pytest.fixture(scope="module")
def clock():
    return Clock()


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("applications") as url:
        yield url


@pytest.fixture(scope="module")
async def app(db_url, issuer, idp_url, calc_url, registers, clock):
    return make_app(db_url, issuer, clock, proposal_trust_check_per_mille=0,
                    **with_services(idp_url, calculation_url=calc_url, registers_url=registers.url))


@pytest.fixture(scope="module")
async def client(app):
    async with app_client(app) as c:
        yield c


@pytest.fixture
def world(registers):
    """The registers agree with what Anna, Bertil, Cecilia and Dana state."""
    registers.reset()
    registers.set_person(ANNA, name="Anna Andersson", residents=(BERTIL,), registration=REGISTERED)
    registers.set_person(BERTIL, name="Bertil Andersson", residents=(ANNA,), registration=REGISTERED)
    registers.set_person(CECILIA, name="Cecilia Carlsson", registration=REGISTERED)
    registers.set_person(DANA, protected=True, registration=REGISTERED)
    return registers


@pytest.fixture(scope="module")
async def cecilia(client, app, as_persona, registers):
    """Cecilia's household is Syd's: Lars registers her paper application first (2026-04), its proposal made."""
    paper = {"personal_number": CECILIA, "source": "paper", "content": single(CECILIA, "2026-04")}
    made = await client.post("/staff/applications", headers=as_persona("lars"), json=paper)
    assert made.status_code == 201, made.text
    url = f"/applications/{made.json()['id']}"
    for path, body in (("/signatures", {"personal_number": CECILIA}), ("/submit", None)):
        assert (await client.post(url + path, headers=as_persona("lars"), json=body)).status_code in (200, 201)
    registers.reset()
    registers.set_person(CECILIA, registration=REGISTERED)
    assert await jobs(app).run_once() == 1
    return made.json()["id"]


def jobs(app: Any) -> Any:
    return app.state.kit.runtime.jobs


async def sql(db_url: str, query: str, *args: Any) -> list[Any]:
    conn = await asyncpg.connect(plain_url(db_url))
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def set_policy(client: Any, as_persona: Any, enabled: bool) -> None:
    r = await client.put("/admin/automation", headers=as_persona("adam"),
                         json={"enabled": enabled, "delegation": DELEGATION if enabled else None})
    assert r.status_code == 200, r.text


async def decided_first(client: Any, as_persona: Any, period: str, content: dict[str, Any] | None = None,
                        signers: tuple[str, ...] = ("anna", "bertil"), owner: str = "anna",
                        staff: str = "karin") -> str:
    """A first application approved by a caseworker (the month before a re-application)."""
    case = await submitted_case(client, as_persona, content or couple(period), signers=signers, owner=owner)
    url, k = f"/applications/{case['id']}", as_persona(staff)
    for path in ("/assign", "/calculation"):
        r = await client.post(url + path, headers=k)
        assert r.status_code == 200, r.text
    r = await client.post(url + "/decision", headers=k, json=NEED)
    assert r.status_code == 201 and r.json()["outcome"] == "approved", r.text
    return case["id"]


async def monthly(client: Any, as_persona: Any, month: str, edit: Callable[[dict[str, Any]], None] | None = None,
                  signers: tuple[str, ...] = ("anna", "bertil"), owner: str = "anna") -> str:
    """The household's re-application for ``month``, prefilled, confirmed as it was, signed and submitted."""
    made = await client.post("/applications/monthly", headers=as_persona(owner), json={"month": month})
    assert made.status_code == 201, made.text
    content = made.json()["content"]
    for income in (content.get("incomes") or {}).get("items", []):
        income.pop("needs_confirmation", None)
    content["assets"] = ({"bank_balances": [{"member": "applicant", "bank": "Sparbanken", "balance": 300}]}
                         if owner == "anna" else {"none_declared": True})
    if content.get("incomes") is None:
        content["incomes"] = {"none_declared": True}
    if edit:
        edit(content)
    url = f"/applications/{made.json()['id']}"
    saved = await client.put(url, json=content, headers={**as_persona(owner), "If-Match": made.headers["etag"]})
    assert saved.status_code == 200, saved.text
    for who in signers:
        assert (await client.post(f"{url}/signatures", headers=as_persona(who))).status_code == 201
    done = await client.post(f"{url}/submit", headers=as_persona(owner))
    assert done.status_code == 200, done.text
    return made.json()["id"]


async def proposal_of(client: Any, as_persona: Any, case_id: str, who: str = "karin") -> dict[str, Any]:
    r = await client.get(f"/applications/{case_id}/proposal", headers=as_persona(who))
    assert r.status_code == 200, r.text
    return r.json()


def statuses(proposal: dict[str, Any]) -> dict[str, str]:
    return {c["code"]: c["status"] for c in proposal["checks"]}


# --- the proposal ---------------------------------------------------------------------------------------------

async def test_a_clean_reapplication_gets_a_fast_lane_proposal_and_a_person_decides(client, app, as_persona, world,
                                                                                    db_url):
    await set_policy(client, as_persona, False)
    await decided_first(client, as_persona, "2026-03")
    await jobs(app).run_once()
    world.requests.clear()
    case_id = await monthly(client, as_persona, "2026-04")
    assert (await client.get(f"/applications/{case_id}/proposal", headers=as_persona("karin"))).status_code == 404
    assert await jobs(app).run_once() == 1
    p = await proposal_of(client, as_persona, case_id)
    assert set(statuses(p).values()) == {"passed"} and len(p["checks"]) == 8, p["checks"]
    assert (p["outcome"], p["fast_lane"], p["discrepancies"]) == ("all_passed", True, 0)
    assert p["calculation"]["stated"]["entitlement"] > 0 and p["calculation"]["with_suggestions"] is None
    assert p["automation"] == {"policy_enabled": False, "automated": False, "not_automated": ["policy_off"]}
    for check in p["checks"]:
        assert check["sv"] and check["en"]
    # A person decides: the case waits in the queue with the proposal's state, flagged for the fast lane.
    case = (await client.get(f"/applications/{case_id}", headers=as_persona("karin"))).json()
    assert case["status"] == "submitted"
    page = (await client.get("/queue?view=all&month=2026-04", headers=as_persona("karin"))).json()
    item = next(i for i in page["items"] if i["id"] == case_id)
    assert item["proposal"] == {"outcome": "all_passed", "fast_lane": True} and "fast_lane" in item["flags"]
    # The registers were asked as the contract says: purpose, process, case, unit, month, legal basis.
    lookups = [body for path, body in world.requests if path == contract.LOOKUP_PATH]
    assert {b["personal_number"] for b in lookups} == {ANNA, BERTIL}
    for body in lookups:
        assert (body["purpose"], body["process"], body["case_id"], body["unit"], body["period"]) == (
            "decision_proposal", "applications:decision_proposal", case_id, "nord", "2026-04")
        assert body["legal_basis"]
    population = [body for path, body in world.requests if path == contract.POPULATION_PATH]
    assert population and population[-1]["personal_numbers"] == [ANNA]
    # The client sees that look-ups were made: when, why, from which sources; nothing of the answers.
    mine = (await client.get(f"/me/cases/{case_id}?lang=en", headers=as_persona("anna"))).json()
    made = mine["register_lookups"]
    assert {m["registry"] for m in made} == {"ssbtek", "folkbokforing"}
    assert all(m["purpose"] == "to prepare the decision on your application" and m["made_at"] for m in made)
    assert "forsakringskassan" in made[0]["sources"]
    assert BERTIL not in str(made) and "Bertil" not in str(made)
    history = await sql(db_url, "SELECT actor, event, details FROM case_history WHERE case_id = $1::uuid "
                                "AND event = 'decision_proposal'", case_id)
    assert len(history) == 1 and history[0]["actor"] == "system"
    audited = await sql(db_url, "SELECT purpose FROM audit_log WHERE action = 'propose' AND resource_id = $1",
                        case_id)
    assert [a["purpose"] for a in audited] == ["decision_proposal"]


async def test_paper_applications_get_a_proposal_too(client, as_persona, world, cecilia):
    p = await proposal_of(client, as_persona, cecilia, who="lars")
    # A first application: nothing to compare with, so not the fast lane; every register check passed.
    assert statuses(p)["changes"] == "not_available" and p["outcome"] == "not_available"
    assert {s for c, s in statuses(p).items() if c != "changes"} == {"passed"}


# Each finding fails its check (Cecilia's first applications, one month each).
FINDINGS: list[tuple[str, str, Callable[[Any], None]]] = [
    ("2026-05", "incomes", lambda r: r.set_person(CECILIA, registration=REGISTERED, payments=[
        contract.Payment(benefit=contract.Benefit.SJUKPENNING, period="2026-05", amount=5200)])),
    ("2026-06", "vehicles", lambda r: r.set_person(CECILIA, registration=REGISTERED, vehicles=[
        contract.Vehicle(registration="XYZ987", kind="car")])),
    ("2026-07", "permits", lambda r: r.set_person(CECILIA, registration=REGISTERED, permits=[
        contract.Permit(kind="uppehållstillstånd", valid_until=dt.date(2026, 7, 10))])),
    ("2026-08", "residents", lambda r: r.set_person(CECILIA, registration=REGISTERED, residents=(ANNA,))),
    ("2026-09", "plan", lambda r: r.set_person(CECILIA, registration=contract.Registration(
        status=contract.RegistrationStatus.DEREGISTERED))),
]


@pytest.mark.parametrize(("month", "code", "arrange"), FINDINGS, ids=[f[1] for f in FINDINGS])
async def test_each_finding_fails_its_check(client, app, as_persona, world, cecilia, month, code, arrange):
    arrange(world)
    case = await submitted_case(client, as_persona, single(CECILIA, month), signers=("cecilia",), owner="cecilia")
    assert await jobs(app).run_once() == 1
    p = await proposal_of(client, as_persona, case["id"], who="lars")
    failed = {c for c, s in statuses(p).items() if s == "failed"}
    assert failed == {code} and p["outcome"] == "checks_failed" and not p["fast_lane"]
    if code == "incomes":
        # The register's income is a suggestion, kept apart, calculated apart; the stated one stays as stated.
        assert [(s["type"], s["stated"], s["registered"]) for s in p["suggested_incomes"]] == [
            ("sjukpenning", None, 5200)]
        stated, suggested = p["calculation"]["stated"], p["calculation"]["with_suggestions"]
        assert suggested["entitlement"] == max(0, stated["entitlement"] - 5200)
        assert p["discrepancies"] == 1
    if code == "residents":
        assert ANNA not in str(p)  # counts, not personnummer
    page = (await client.get(f"/queue?view=all&month={month}", headers=as_persona("lars"))).json()
    item = next(i for i in page["items"] if i["id"] == case["id"])
    assert item["proposal"] == {"outcome": "checks_failed", "fast_lane": False} and "fast_lane" not in item["flags"]


SOURCES = [(s, m) for s, m in zip(contract.Source, ("2026-10", "2026-11", "2026-12", "2027-01", "2027-02", "2027-03",
                                                     "2027-04", "2027-05"), strict=True)]
SOURCE_CHECK = {"forsakringskassan": "incomes", "pensionsmyndigheten": "incomes", "csn": "incomes",
                "akassa": "incomes", "arbetsformedlingen": "plan", "transportstyrelsen": "vehicles",
                "migrationsverket": "permits", "skatteverket": None}


@pytest.mark.parametrize(("source", "month"), SOURCES, ids=[s.value for s, _ in SOURCES])
async def test_a_source_that_does_not_answer_is_not_available_never_zero(client, app, as_persona, world, cecilia,
                                                                        source, month):
    world.set_person(CECILIA, registration=REGISTERED, payments=[
        contract.Payment(benefit=contract.Benefit.BOSTADSBIDRAG, period=month, amount=900)])
    world.fail(source)
    case = await submitted_case(client, as_persona, single(CECILIA, month), signers=("cecilia",), owner="cecilia")
    assert await jobs(app).run_once() == 1
    p = await proposal_of(client, as_persona, case["id"], who="lars")
    code = SOURCE_CHECK[source.value]
    # (Cecilia applied the month before with the same details: the change check has something to compare with.)
    assert {c for c, s in statuses(p).items() if s == "not_available"} == ({code} if code else set())
    # Nothing failed: the unanswered source is not read as "nothing paid" (a stated-none income would then pass),
    # and an answered one still finds Cecilia's unstated bostadsbidrag as a suggestion.
    if code == "incomes":
        assert p["income_lines"] == [] and p["suggested_incomes"] == []
        assert "failed" not in statuses(p).values()
    else:
        assert statuses(p)["incomes"] == "failed" and p["suggested_incomes"][0]["registered"] == 900
    check = next(c for c in p["checks"] if c["code"] == (code or "changes"))
    if code:
        assert check["values"]["unanswered"] == [f"applicant:{source.value}"]


async def test_the_population_register_down_makes_residents_not_available(client, app, as_persona, world,
                                                                          cecilia):
    case = await submitted_case(client, as_persona, single(CECILIA, "2027-06"), signers=("cecilia",),
                                owner="cecilia")
    world.navet_down = True  # after the submit: a submit itself asks the population register about protection
    assert await jobs(app).run_once() == 1
    p = await proposal_of(client, as_persona, case["id"], who="lars")
    assert statuses(p)["residents"] == "not_available" and "failed" not in statuses(p).values()


async def test_registers_that_answer_nothing_make_every_register_check_not_available(client, app, as_persona, world,
                                                                                    cecilia):
    """Without the registers no application is made at all (protected identity cannot be checked); once one is
    submitted, registers that then answer nothing leave every register check "not available", never "nothing"."""
    case = await submitted_case(client, as_persona, single(CECILIA, "2028-02"), signers=("cecilia",),
                                owner="cecilia")
    for source in contract.Source:
        world.fail(source)
    world.navet_down = True
    assert await jobs(app).run_once() == 1
    p = await proposal_of(client, as_persona, case["id"], who="lars")
    assert {k for k, s in statuses(p).items() if s == "not_available"} >= {
        "incomes", "plan", "vehicles", "permits", "residents"}
    assert "failed" not in statuses(p).values()


# --- the outbox job: a crash loses nothing, a repeat does nothing twice -----------------------------------------

async def test_the_job_survives_a_crash_and_runs_once(client, app, as_persona, world, cecilia, db_url, monkeypatch):
    case = await submitted_case(client, as_persona, single(CECILIA, "2027-07"), signers=("cecilia",),
                                owner="cecilia")

    async def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the worker died half-way")

    monkeypatch.setattr(proposal_service, "run_proposal_job", crash)
    assert await jobs(app).run_once() == 0
    rows = await sql(db_url, "SELECT id, attempts, delivered_at, payload FROM outbox WHERE topic = "
                             "'applications.job.decision_proposal' AND delivered_at IS NULL")
    assert len(rows) == 1 and rows[0]["attempts"] == 1  # the row stays until the job is done
    monkeypatch.undo()
    # The job ran (and committed) but the worker died before marking the row: the next delivery does nothing twice.
    rt = app.state.kit.runtime
    await proposal_service.run_proposal_job(rt, rows[0]["id"], {"case_id": case["id"]})
    await sql(db_url, "UPDATE outbox SET available_at = now() WHERE delivered_at IS NULL")  # skip the backoff
    assert await jobs(app).run_once() == 1
    await proposal_service.run_proposal_job(rt, rows[0]["id"], {"case_id": case["id"]})
    made = await sql(db_url, "SELECT job_id, current FROM decision_proposals WHERE case_id = $1::uuid", case["id"])
    assert [(r["job_id"], r["current"]) for r in made] == [(rows[0]["id"], True)]
    assert len([b for p, b in world.requests if p == contract.LOOKUP_PATH]) == 1  # asked once per real run
    assert await jobs(app).run_once() == 0
    # The events relay does not take the job's rows (nor the job relay the events).
    events = await sql(db_url, "SELECT topic FROM outbox WHERE payload IS NOT NULL AND topic LIKE 'application.%' "
                               "AND delivered_at IS NULL")
    assert events  # application.submitted waits for messaging (not configured here)


async def test_fewer_jobs_run_at_once_while_requests_are_in_flight(app):
    """People waiting for an answer come first: while the replica answers requests, the job relay claims
    APPLICATIONS_PROPOSAL_JOB_BUSY_CONCURRENCY jobs a pass (2), at quiet times PROPOSAL_JOB_CONCURRENCY (16)."""
    metrics, settings = app.state.kit.metrics, app.state.kit.runtime.settings
    assert (settings.proposal_job_concurrency, settings.proposal_job_busy_concurrency) == (16, 2)
    assert metrics.in_flight == 0
    assert jobs(app).batch_size == 16
    metrics.in_flight += 1
    try:
        assert jobs(app).batch_size == 2
    finally:
        metrics.in_flight -= 1
    assert jobs(app).batch_size == 16


# --- the automation policy and automated approval ---------------------------------------------------------------

async def test_the_policy_is_off_by_default_and_changes_are_audited(client, as_persona, db_url, issuer):
    async with fresh_database("applications") as url:
        app = make_app(url, issuer, Clock())
        async with app_client(app) as c:
            assert (await c.get("/admin/automation", headers=as_persona("adam"))).json()["enabled"] is False
    r = await client.put("/admin/automation", headers=as_persona("adam"), json={"enabled": True})
    assert r.status_code == 422 and r.json()["type"].endswith("delegation-required")
    await set_policy(client, as_persona, True)
    got = (await client.get("/admin/automation", headers=as_persona("adam"))).json()
    assert (got["enabled"], got["delegation"]) == (True, DELEGATION)
    await set_policy(client, as_persona, False)
    audited = await sql(db_url, "SELECT actor, details FROM audit_log WHERE resource_type = 'automation_policy' "
                                "ORDER BY id")
    assert [a["actor"] for a in audited][-2:] == ["persona:adam", "persona:adam"]


async def test_a_clean_reapplication_is_approved_automatically_when_the_policy_is_on(client, app, as_persona,
                                                                                     world, db_url):
    await decided_first(client, as_persona, "2026-05")
    await jobs(app).run_once()
    await set_policy(client, as_persona, True)
    case_id = await monthly(client, as_persona, "2026-06")
    assert await jobs(app).run_once() == 1
    await set_policy(client, as_persona, False)
    case = (await client.get(f"/applications/{case_id}", headers=as_persona("karin"))).json()
    assert (case["status"], case["outcome"]) == ("decided", "approved")
    decision = (await client.get(f"/applications/{case_id}/decision", headers=as_persona("anna"))).json()
    p = await proposal_of(client, as_persona, case_id)
    assert decision["automated"] is True and decision["decided_by"] == "system"
    assert decision["delegation"] == DELEGATION and DELEGATION in decision["reasons_sv"]
    assert decision["granted"] == p["calculation"]["stated"]["entitlement"] > 0
    assert all(c["decided"] == c["computed"] for c in decision["components"])
    assert decision["appeal"]["sv"] and decision["legal_basis"] and "review" in decision["reasons_en"]
    assert p["automation"] == {"policy_enabled": True, "automated": True, "not_automated": []}
    steps = await sql(db_url, "SELECT actor, event, to_status FROM case_history WHERE case_id = $1::uuid ORDER BY id",
                      case_id)
    assert [(s["actor"], s["event"]) for s in steps][-3:] == [("system", "decision_proposal"), ("system", "assign"),
                                                              ("system", "approve")]
    audited = await sql(db_url, "SELECT action, purpose, details FROM audit_log WHERE actor = 'system' AND "
                                "resource_id = $1 ORDER BY id", case_id)
    assert [a["action"] for a in audited] == ["propose", "decide"] and "explanation" in audited[1]["details"]
    told = await sql(db_url, "SELECT topic FROM outbox WHERE topic = 'application.decided'")
    assert told  # messaging tells the client, as for a person's decision
    mine = (await client.get(f"/me/cases/{case_id}", headers=as_persona("anna"))).json()
    assert mine["decision"]["automated"] is True and mine["decision"]["review_request"].endswith("/review-request")
    page = (await client.get("/queue?view=all&month=2026-06", headers=as_persona("karin"))).json()
    assert "automated" in next(i for i in page["items"] if i["id"] == case_id)["flags"]


async def test_automation_never_takes_first_changed_protected_or_unchecked_cases(client, app, as_persona, world):
    await set_policy(client, as_persona, True)
    try:
        # A first application.
        first = await submitted_case(client, as_persona, couple("2026-07"))
        await jobs(app).run_once()
        assert "first_application" in (await proposal_of(client, as_persona, first["id"]))["automation"][
            "not_automated"]
        # A changed re-application (rent up, and incomes so high nothing would be granted: never a refusal).
        await _decide(client, as_persona, first["id"])

        def changed(content: dict[str, Any]) -> None:
            content["housing"]["rent"] = 9100
            content["incomes"]["items"][1]["amount"] = 90_000

        case_id = await monthly(client, as_persona, "2026-08", changed)
        await jobs(app).run_once()
        p = await proposal_of(client, as_persona, case_id)
        assert {"changed_since_last_month", "nothing_to_approve"} <= set(p["automation"]["not_automated"])
        # An unchanged one whose source did not answer, and one whose check failed.
        await _decide(client, as_persona, case_id, reasons="Inkomsterna räcker.")
        for month, arrange, reason in (
                ("2026-10", lambda: world.fail(contract.Source.FORSAKRINGSKASSAN), "checks_not_all_passed"),
                ("2026-12", lambda: world.set_person(BERTIL, residents=(ANNA,), registration=REGISTERED, vehicles=[
                    contract.Vehicle(registration="ABC123", kind="car")]), "checks_not_all_passed")):
            base = await submitted_case(client, as_persona, couple(_before(month)))
            await jobs(app).run_once()
            await _decide(client, as_persona, base["id"])
            arrange()
            case_id = await monthly(client, as_persona, month)
            await jobs(app).run_once()
            p = await proposal_of(client, as_persona, case_id)
            assert p["automation"]["not_automated"] == [reason], p["checks"]
            assert (await client.get(f"/applications/{case_id}", headers=as_persona("karin"))).json()[
                "status"] == "submitted"
            world.failing.clear()
        # A protected client's re-application: decided by cleared Maja the month before.
        await decided_first(client, as_persona, "2026-03", single(DANA, "2026-03"), signers=("dana",), owner="dana",
                            staff="maja")
        await jobs(app).run_once()
        case_id = await monthly(client, as_persona, "2026-04", signers=("dana",), owner="dana")
        await jobs(app).run_once()
        p = await proposal_of(client, as_persona, case_id, who="maja")
        assert "protected_identity" in p["automation"]["not_automated"]
        assert (await client.get(f"/applications/{case_id}/proposal", headers=as_persona("karin"))).status_code == 404
    finally:
        await set_policy(client, as_persona, False)


def _before(month: str) -> str:
    year, m = map(int, month.split("-"))
    return f"{year - (m == 1)}-{(m - 2) % 12 + 1:02d}"


async def _decide(client: Any, as_persona: Any, case_id: str, reasons: str | None = None) -> None:
    url, k = f"/applications/{case_id}", as_persona("karin")
    for path in ("/assign", "/calculation"):
        assert (await client.post(url + path, headers=k)).status_code == 200
    r = await client.post(url + "/decision", headers=k, json={"reasons_sv": reasons, **NEED} if reasons else NEED)
    assert r.status_code == 201, r.text


async def automated_case(client: Any, app: Any, as_persona: Any, base: str, month: str) -> str:
    await decided_first(client, as_persona, base)
    await jobs(app).run_once()
    await set_policy(client, as_persona, True)
    try:
        case_id = await monthly(client, as_persona, month)
        assert await jobs(app).run_once() == 1
    finally:
        await set_policy(client, as_persona, False)
    assert (await client.get(f"/applications/{case_id}/decision", headers=as_persona("karin"))).json()["automated"]
    return case_id


async def test_a_caseworker_undoes_an_automated_approval_before_payment(client, app, as_persona, world, db_url):
    case_id = await automated_case(client, app, as_persona, "2025-01", "2025-02")
    url = f"/applications/{case_id}"
    r = await client.post(f"{url}/automated-decision/undo", headers=as_persona("karin"),
                          json={"reason": "Hyran har höjts enligt nytt kontrakt."})
    assert r.status_code == 200 and r.json()["status"] == "in_review", r.text
    assert r.json()["assigned"] == {"caseworker": "persona:karin"}
    assert (await client.get(f"{url}/decision", headers=as_persona("anna"))).status_code == 404
    undone = await sql(db_url, "SELECT undone_by, automated, reason FROM undone_decisions WHERE case_id = $1::uuid",
                       case_id)
    assert [(u["undone_by"], u["automated"]) for u in undone] == [("persona:karin", True)]
    again = await client.post(f"{url}/automated-decision/undo", headers=as_persona("karin"),
                              json={"reason": "En gång till."})
    assert again.status_code == 409
    # A person decides now, as usual.
    assert (await client.post(f"{url}/calculation", headers=as_persona("karin"))).status_code == 200
    r = await client.post(f"{url}/decision", headers=as_persona("karin"), json=NEED)
    assert r.status_code == 201 and r.json()["automated"] is False
    refused = await client.post(f"{url}/automated-decision/undo", headers=as_persona("karin"),
                                json={"reason": "Ett personligt beslut."})
    assert refused.status_code == 409 and refused.json()["type"].endswith("automated-decision-not-undoable")


async def test_no_undo_once_paid_or_after_the_payment_run(client, app, as_persona, world, clock):
    paid = await automated_case(client, app, as_persona, "2025-03", "2025-04")
    r = await client.post(f"/applications/{paid}/pay", headers=as_persona("karin"), json={"reference": "UTB-1"})
    assert r.status_code == 200, r.text
    refused = await client.post(f"/applications/{paid}/automated-decision/undo", headers=as_persona("karin"),
                                json={"reason": "För sent."})
    assert refused.status_code == 409 and refused.json()["type"].endswith("automated-decision-not-undoable")
    late = await automated_case(client, app, as_persona, "2025-05", "2025-06")
    start = clock.now
    try:
        clock.now = dt.datetime(2026, 3, 24, 22, 59, tzinfo=dt.UTC)  # 23:59 on the 24th in Stockholm: still before
        before = await client.post(f"/applications/{late}/automated-decision/undo", headers=as_persona("tove"),
                                   json={"reason": "Fel i underlaget."})
        assert before.status_code == 200, before.text
    finally:
        clock.now = start
    later = await automated_case(client, app, as_persona, "2025-07", "2025-08")
    try:
        clock.now = dt.datetime(2026, 3, 24, 23, 0, tzinfo=dt.UTC)  # the 25th has begun in Stockholm: paid
        r = await client.post(f"/applications/{later}/automated-decision/undo", headers=as_persona("karin"),
                              json={"reason": "För sent."})
        assert r.status_code == 409 and r.json()["payout_date"] == "2026-03-25", r.text
    finally:
        clock.now = start


async def test_the_client_asks_a_person_to_review_an_automated_decision(client, app, as_persona, world, db_url):
    case_id = await automated_case(client, app, as_persona, "2025-09", "2025-10")
    url = f"/applications/{case_id}/review-request"
    r = await client.post(url, headers=as_persona("anna"), json={"message": "Jag vill att en handläggare tittar."})
    assert r.status_code == 200 and r.json() == {"case_id": case_id, "review_requested": True, "new": True}
    again = await client.post(url, headers=as_persona("bertil"))
    assert again.status_code == 200 and again.json()["new"] is False
    page = (await client.get("/queue?view=all&month=2025-10", headers=as_persona("karin"))).json()
    flags = next(i for i in page["items"] if i["id"] == case_id)["flags"]
    assert {"review_requested", "automated"} <= set(flags)
    mine = (await client.get(f"/me/cases/{case_id}", headers=as_persona("anna"))).json()
    assert mine["decision"]["review_requested"] is True
    history = await sql(db_url, "SELECT actor, event FROM case_history WHERE case_id = $1::uuid AND "
                                "event = 'review_requested'", case_id)
    assert [h["actor"] for h in history] == ["persona:anna"]
    # A person's decision is appealed, not "reviewed" here.
    human = await decided_first(client, as_persona, "2025-11")
    refused = await client.post(f"/applications/{human}/review-request", headers=as_persona("anna"))
    assert refused.status_code == 409 and refused.json()["type"].endswith("review-not-possible")


async def test_proposal_figures_count_outcomes_automations_and_discrepancies(client, app, as_persona, world,
                                                                             cecilia):
    await automated_case(client, app, as_persona, "2024-11", "2024-12")
    world.set_person(CECILIA, registration=REGISTERED, payments=[
        contract.Payment(benefit=contract.Benefit.SJUKPENNING, period="2027-08", amount=5200)])
    await submitted_case(client, as_persona, single(CECILIA, "2027-08"), signers=("cecilia",), owner="cecilia")
    assert await jobs(app).run_once() == 1
    async with app.state.kit.sessions() as session:
        nord = await proposal_store.proposal_figures(session, "nord", "2024-12")
        syd = await proposal_store.proposal_figures(session, "syd", "2027-08")
        empty = await proposal_store.proposal_figures(session, "nord", "2023-01")
    assert (nord["proposals"], nord["by_outcome"]["all_passed"], nord["fast_lane"], nord["automated_approvals"]) == (
        1, 1, 1, 1)
    assert syd["by_outcome"]["checks_failed"] == 1 and syd["discrepancies"] == {"lines": 1, "cases": 1}
    assert empty == {"unit": "nord", "month": "2023-01", "proposals": 0,
                     "by_outcome": {"all_passed": 0, "checks_failed": 0, "not_available": 0}, "fast_lane": 0,
                     "automated_approvals": 0, "automated_approvals_undone": 0,
                     "discrepancies": {"lines": 0, "cases": 0}}


# --- who may reach the new routes (every token kind; the bodies read) -------------------------------------------

@pytest.fixture(scope="module")
async def access_world(client, app, as_persona, registers):
    registers.reset()
    registers.set_person(ANNA, residents=(BERTIL,), registration=REGISTERED)
    registers.set_person(BERTIL, residents=(ANNA,), registration=REGISTERED)
    registers.set_person(DANA, protected=True, registration=REGISTERED)
    auto = await automated_case(client, app, as_persona, "2025-12", "2026-01")
    protected = await submitted_case(client, as_persona, single(DANA, "2025-12"), signers=("dana",), owner="dana")
    await jobs(app).run_once()
    return {"auto": auto, "protected": protected["id"]}


@pytest.fixture(scope="module")
def headers_for(issuer, as_persona):
    return caller_headers(issuer, as_persona, "payments")


ANON = {"anon": 401, "forged": 401}
CALLERS = ("anna", "bertil", "cecilia", "dana", "karin", "lars", "maja", "nils", "tove", "adam", "service",
           "anon", "forged")
ACCESS: list[tuple[str, str, dict[str, int], Any]] = [
    ("GET", "/applications/{auto}/proposal", {"anna": 403, "bertil": 403, "cecilia": 404, "dana": 404, "karin": 200,
                                              "lars": 404, "maja": 200, "nils": 404, "tove": 200, "adam": 404,
                                              "service": 403, **ANON}, None),
    ("GET", "/applications/{protected}/proposal", {"karin": 404, "tove": 404, "lars": 404, "anna": 404, "maja": 200,
                                                   "dana": 403, "service": 403, **ANON}, None),
    ("POST", "/applications/{auto}/automated-decision/undo",
     {"anna": 403, "bertil": 403, "cecilia": 404, "dana": 404, "lars": 404, "nils": 404, "adam": 404,
      "service": 403, **ANON}, {"reason": "Åtkomstprov."}),
    ("POST", "/applications/{protected}/automated-decision/undo", {"karin": 404, "tove": 404, "dana": 403},
     {"reason": "Åtkomstprov."}),
    ("POST", "/applications/{auto}/review-request", {"cecilia": 404, "dana": 404, "karin": 403, "tove": 403,
                                                     "lars": 404, "maja": 403, "nils": 404, "adam": 404,
                                                     "service": 403, **ANON, "anna": 200, "bertil": 200}, None),
    ("POST", "/applications/{protected}/review-request", {"anna": 404, "karin": 404, "maja": 403, "dana": 409}, None),
    ("GET", "/admin/automation", {c: 403 for c in CALLERS if c not in ("adam", "anon", "forged")} | ANON
     | {"adam": 200}, None),
    ("PUT", "/admin/automation", {c: 403 for c in CALLERS if c not in ("adam", "anon", "forged")} | ANON
     | {"adam": 200}, {"enabled": False}),
]
ROWS = [(m, p, who, s, b) for m, p, expect, b in ACCESS for who, s in expect.items()]


@pytest.mark.parametrize(("method", "path", "caller", "expected", "body"), ROWS,
                         ids=[f"{m} {p} {w}-{s}" for m, p, w, s, _ in ROWS])
async def test_access(client, headers_for, access_world, method, path, caller, expected, body):
    url = path.format(**access_world)
    response = await client.request(method, url, headers=headers_for(caller), json=body)
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.headers["content-type"] == "application/problem+json"
    assert_body_tells_nothing_more(response, caller, known=url + str(body), ids=access_world)


def test_every_new_route_tries_every_token_kind():
    for method, path, expect, _ in ACCESS:
        if path.endswith("/proposal") and "{auto}" in path or path.startswith("/admin"):
            assert set(expect) == set(CALLERS), (method, path)
