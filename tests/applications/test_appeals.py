"""Appeals (överklagande, förvaltningslagen 43–46 §§): the client's on Mina sidor in time and late (an injected
clock), staff registering a paper one, every staff step, who may do what (every token kind, the bodies read, one 404
for not-yours and unknown), Mina sidor in sv/en, the register extract, and gallring: an open appeal keeps the case,
the court's ruling lets it go when it is otherwise due."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from kit.retention import configured
from kit.retention_job import RetentionJob
from services.applications.domain import appeals as rules
from services.applications.domain import retention as policy
from services.applications.domain.appeals import Action, AppealStatus, Extent
from services.applications.store import retention as retention_store
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
from tests.support import app_client, fresh_database

# The tests build on one module database and one clock: one worker, in order.
pytestmark = pytest.mark.xdist_group("applications-appeals")

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday
APPEAL = "Jag vill att hyran räknas med fullt ut, eftersom jag inte kan flytta förrän i maj."
NOT_FOUND = {"status": 404, "type": "urn:bistand:problem:not-found"}


# --- the pure rules ---------------------------------------------------------------------------------------------

def test_the_last_day_is_three_weeks_after_delivery_moved_to_a_working_day():
    # Decided Monday 2 March 2026; taken to reach the client two weeks later (16 March); three weeks on is Monday
    # 6 April, Easter Monday: the last day is Tuesday 7 April (lag (1930:173) 2 §).
    assert rules.delivered_on(T0) == dt.date(2026, 3, 16)
    assert rules.last_day(T0) == dt.date(2026, 4, 7)
    assert rules.is_in_time(dt.date(2026, 4, 7), T0) and not rules.is_in_time(dt.date(2026, 4, 8), T0)
    # A last day on a Saturday moves to Monday; on midsommarafton (Friday 19 June 2026) to Monday 22 June.
    saturday = dt.datetime(2026, 2, 2, 12, tzinfo=dt.UTC)  # + 5 weeks = Monday 9 March: no move
    assert rules.last_day(saturday) == dt.date(2026, 3, 9)
    assert rules.last_day(dt.datetime(2026, 1, 31, 12, tzinfo=dt.UTC)) == dt.date(2026, 3, 9)  # Sat 7 March -> Mon
    midsummer_eve = dt.datetime(2026, 5, 15, 10, tzinfo=dt.UTC)
    assert rules.last_day(midsummer_eve) == dt.date(2026, 6, 22)
    # Late at night in Sweden is already the next day: Swedish dates count.
    assert rules.delivered_on(dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)) == dt.date(2026, 3, 16)


def test_the_steps_of_an_appeal():
    assert rules.next_status(AppealStatus.RECEIVED, Action.FORWARD) is AppealStatus.FORWARDED
    assert rules.next_status(AppealStatus.RECEIVED, Action.RECONSIDER, Extent.FULL) is AppealStatus.RECONSIDERED
    partly = rules.next_status(AppealStatus.RECEIVED, Action.RECONSIDER, Extent.PARTIAL)
    assert partly is AppealStatus.RECONSIDERED_PARTLY and partly in rules.OPEN
    assert rules.next_status(partly, Action.FORWARD) is AppealStatus.FORWARDED
    assert rules.next_status(AppealStatus.FORWARDED, Action.COURT_RULING) is AppealStatus.RULED
    for status, action in ((AppealStatus.RECEIVED, Action.COURT_RULING), (AppealStatus.FORWARDED, Action.DISMISS),
                           (AppealStatus.RULED, Action.FORWARD), (AppealStatus.DISMISSED, Action.RECONSIDER)):
        with pytest.raises(rules.AppealStepNotAllowed):
            rules.next_status(status, action)
    assert Action.DISMISS not in rules.allowed_actions(AppealStatus.RECEIVED, in_time=True)
    assert Action.DISMISS in rules.allowed_actions(AppealStatus.RECEIVED, in_time=False)
    with pytest.raises(rules.AppealDateInvalid):
        rules.check_received_on(dt.date(2026, 3, 1), T0, dt.date(2026, 3, 10))  # before the decision
    with pytest.raises(rules.AppealDateInvalid):
        rules.check_received_on(dt.date(2026, 3, 11), T0, dt.date(2026, 3, 10))  # tomorrow


# --- the service ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("applications") as url:
        yield url


@pytest.fixture(scope="module")
def clock():
    return Clock(T0)


@pytest.fixture(scope="module")
async def app(db_url, issuer, idp_url, calc, clock, registers):
    application = make_app(db_url, issuer, clock, registers=registers, retention_enabled=False,
                           housekeeping_enabled=False, **with_services(idp_url, calculation_url=calc[0]))
    async with app_client(application) as c:
        application.state.client = c
        yield application


@pytest.fixture(scope="module")
def client(app):
    return app.state.client


async def sql(app: Any, statement: str, **params: Any) -> list[Any]:
    async with app.state.kit.sessions() as session, session.begin():
        result = await session.execute(text(statement), params)
        return result.all() if result.returns_rows else []


async def decided(client, as_persona, clock, content: dict[str, Any], *, signers=("anna", "bertil"),
                  owner="anna", staff="karin") -> str:
    """A case decided (approved) at the clock's time."""
    case = await submitted_case(client, as_persona, content, signers=signers, owner=owner)
    url = f"/applications/{case['id']}"
    assert (await client.post(f"{url}/assign", headers=as_persona(staff))).status_code == 200
    assert (await client.post(f"{url}/calculation", headers=as_persona(staff))).status_code == 200
    made = await client.post(f"{url}/decision", headers=as_persona(staff),
                             json={"reason_for_need": "insufficient_income_work"})
    assert made.status_code == 201, made.text
    return case["id"]


async def pending(app, case_id: str) -> bool:
    return (await sql(app, "SELECT appeal_pending FROM cases WHERE id = :id", id=uuid.UUID(case_id)))[0][0]


def same_404(*responses) -> None:
    bodies = [r.json() for r in responses]
    for r, body in zip(responses, bodies, strict=True):
        assert r.status_code == 404, r.text
        assert {k: body[k] for k in NOT_FOUND} == NOT_FOUND
    assert len({(b["title"], b["detail"]) for b in bodies}) == 1, bodies


def no_personal_data(response) -> None:
    for secret in (ANNA, BERTIL, DANA, "Anna Andersson", APPEAL, "persona:karin"):
        assert secret not in response.text


async def test_a_client_appeals_in_time_on_mina_sidor(app, client, as_persona, clock):
    clock.now = T0
    case_id = await decided(client, as_persona, clock, couple("2026-03"))
    clock.now = dt.datetime(2026, 4, 7, 20, 0, tzinfo=dt.UTC)  # the last day, 22:00 in Stockholm
    url = f"/me/cases/{case_id}/appeals"
    key = {"Idempotency-Key": "appeal-1", **as_persona("anna")}
    made = await client.post(url, headers=key, json={"text": APPEAL})
    assert made.status_code == 201, made.text
    appeal = made.json()
    assert appeal["in_time"] is True and appeal["last_day"] == "2026-04-07" and appeal["received_on"] == "2026-04-07"
    assert appeal["status"] == "received" and appeal["source"] == "digital"
    assert appeal["status_text"].startswith("Vi har tagit emot ditt överklagande")
    assert "2026-04-07" in appeal["timeliness_text"]
    again = await client.post(url, headers=key, json={"text": APPEAL})
    assert again.status_code == 201 and again.json()["id"] == appeal["id"]  # a retry: the first answer
    reused = await client.post(url, headers=key, json={"text": APPEAL + " Och elen."})
    assert reused.status_code == 422 and reused.json()["type"] == "urn:bistand:problem:idempotency-key-reused"
    assert await pending(app, case_id)

    english = (await client.get(f"/me/cases/{case_id}?lang=en", headers=as_persona("bertil"))).json()
    shown = english["decision"]["appeals"]
    assert [a["id"] for a in shown] == [appeal["id"]] and shown[0]["status_text"].startswith("We have received")
    assert english["decision"]["appeal_form"] == f"/me/cases/{case_id}/appeals"
    swedish = (await client.get(f"/me/cases/{case_id}", headers=as_persona("anna"))).json()
    assert swedish["decision"]["appeals"][0]["text"] == APPEAL

    history = (await client.get(f"/applications/{case_id}/history", headers=as_persona("karin"))).json()["items"]
    assert history[-1]["event"] == "appeal_received" and history[-1]["actor_role"] == "client"
    audited = await sql(app, "SELECT action, resource_type FROM audit_log WHERE resource_id = :id",
                        id=appeal["id"])
    assert [tuple(r) for r in audited] == [("appeal", "appeal")]

    # The joined co-applicant may appeal too (the second appeal of the case).
    by_bertil = await client.post(url, headers=as_persona("bertil"), json={"text": "Jag håller med Anna om hyran."})
    assert by_bertil.status_code == 201
    staff = (await client.get("/staff/appeals", headers=as_persona("karin"))).json()["items"]
    mine = [a for a in staff if a["case_id"] == case_id]
    assert len(mine) == 2 and all(a["in_time"] for a in mine)
    assert "dismiss" not in mine[0]["actions"] and "forward" in mine[0]["actions"]
    no_personal_data(await client.get("/staff/appeals", headers=as_persona("karin")))  # ids and dates only


async def test_a_late_appeal_is_received_and_flagged(app, client, as_persona, clock):
    clock.now = T0
    case_id = await decided(client, as_persona, clock, couple("2026-04"))
    clock.now = dt.datetime(2026, 4, 8, 6, 0, tzinfo=dt.UTC)  # the day after the last day
    made = await client.post(f"/me/cases/{case_id}/appeals", headers=as_persona("anna"),
                             json={"text": "Jag fick beslutet sent, posten var försenad."})
    assert made.status_code == 201, made.text
    assert made.json()["in_time"] is False and made.json()["status"] == "received"
    english = (await client.get(f"/me/cases/{case_id}?lang=en", headers=as_persona("anna"))).json()
    assert english["decision"]["appeals"][0]["timeliness_text"].startswith("Your appeal came in after the last day")
    queued = [a for a in (await client.get("/staff/appeals", headers=as_persona("karin"))).json()["items"]
              if a["case_id"] == case_id]
    assert queued[0]["in_time"] is False and "dismiss" in queued[0]["actions"]
    assert await pending(app, case_id)


async def test_no_appeal_before_the_decision_and_non_parties_learn_nothing(client, as_persona, clock):
    clock.now = T0
    case = await submitted_case(client, as_persona, couple("2026-05"))
    url = f"/me/cases/{case['id']}/appeals"
    early = await client.post(url, headers=as_persona("anna"), json={"text": APPEAL})
    assert early.status_code == 409 and early.json()["type"] == "urn:bistand:problem:appeal-no-decision"
    unknown = await client.post(f"/me/cases/{uuid.uuid4()}/appeals", headers=as_persona("cecilia"),
                                json={"text": APPEAL})
    others = [await client.post(url, headers=as_persona(who), json={"text": APPEAL})
              for who in ("cecilia", "karin", "lars", "nils", "tove", "adam", "dana")]
    # Even a body that would not validate: the case is looked up (and refused) first.
    bad = await client.post(url, headers=as_persona("cecilia"), json={"text": ""})
    same_404(unknown, *others, bad)
    for r in (*others, bad):
        no_personal_data(r)
    too_short = await client.post(url, headers=as_persona("anna"), json={"text": "Nej"})
    assert too_short.status_code == 422
    too_long = await client.post(url, headers=as_persona("anna"), json={"text": "x" * (rules.MAX_TEXT + 1)})
    assert too_long.status_code == 422


async def test_a_decision_takes_a_bounded_number_of_open_appeals(client, as_persona, clock):
    clock.now = T0
    case_id = await decided(client, as_persona, clock, couple("2026-11"))
    url = f"/me/cases/{case_id}/appeals"
    for i in range(rules.MAX_OPEN_PER_CASE):
        assert (await client.post(url, headers=as_persona("anna"), json={"text": f"{APPEAL} ({i})"})).status_code == 201
    over = await client.post(url, headers=as_persona("anna"), json={"text": APPEAL})
    assert over.status_code == 409 and over.json()["type"] == "urn:bistand:problem:appeal-limit-reached"


async def test_service_tokens_reach_no_appeal_route(client, as_persona, service_auth, clock):
    clock.now = T0
    case_id = await decided(client, as_persona, clock, couple("2026-06"))
    for headers in (service_auth("meetings"), service_auth("payments"), service_auth("messaging")):
        mine = await client.post(f"/me/cases/{case_id}/appeals", headers=headers, json={"text": APPEAL})
        staff = await client.post(f"/staff/cases/{case_id}/appeals", headers=headers,
                                  json={"text": APPEAL, "received_on": "2026-03-03", "source": "paper"})
        unknown = await client.post(f"/staff/cases/{uuid.uuid4()}/appeals", headers=headers,
                                    json={"text": APPEAL, "received_on": "2026-03-03", "source": "paper"})
        queue = await client.get("/staff/appeals", headers=headers)
        step = await client.post(f"/staff/appeals/{uuid.uuid4()}/forward", headers=headers,
                                 json={"forwarded_on": "2026-03-04"})
        # Refused as a service before any case is looked up: the same answer for a real case and a made-up one.
        answers = (mine, staff, unknown, queue, step)
        assert {r.status_code for r in answers} == {403}
        assert {r.json()["type"] for r in answers} == {"urn:bistand:problem:forbidden"}
        assert {r.json()["detail"] for r in (staff, unknown)} == {unknown.json()["detail"]}
        for r in answers:
            no_personal_data(r)


async def test_staff_register_a_paper_appeal(app, client, as_persona, clock):
    clock.now = T0
    case_id = await decided(client, as_persona, clock, couple("2026-07"))
    clock.now = T0 + dt.timedelta(days=10)
    url = f"/staff/cases/{case_id}/appeals"
    body = {"text": APPEAL, "received_on": "2026-03-05", "source": "paper"}
    for received_on in ("2026-03-01", "2026-03-13"):  # before the decision; after today
        wrong = await client.post(url, headers=as_persona("karin"), json={**body, "received_on": received_on})
        assert wrong.status_code == 422 and wrong.json()["type"] == "urn:bistand:problem:appeal-date-invalid"
        assert wrong.json()["errors"][0]["field"] == "body.received_on"
    key = {"Idempotency-Key": "paper-1", **as_persona("karin")}
    made = await client.post(url, headers=key, json=body)
    assert made.status_code == 201, made.text
    out = made.json()
    assert (out["source"], out["in_time"], out["appellant_role"], out["received_on"]) == ("paper", True, "applicant",
                                                                                         "2026-03-05")
    assert out["actions"] == ["forward", "reconsider"]
    assert (await client.post(url, headers=key, json=body)).json()["id"] == out["id"]
    assert await pending(app, case_id)
    # The team lead may register one too; by the co-applicant, by phone, written down.
    by_lead = await client.post(url, headers=as_persona("tove"), json={
        "text": "Bertil ringde och vill överklaga; bekräftat skriftligt.", "received_on": "2026-03-06",
        "source": "phone", "appellant": "co_applicant"})
    assert by_lead.status_code == 201 and by_lead.json()["appellant_role"] == "co_applicant"
    audited = await sql(app, "SELECT actor FROM audit_log WHERE resource_id = :id", id=out["id"])
    assert [r[0] for r in audited] == ["persona:karin"]
    # The client sees the paper appeal on Mina sidor.
    seen = (await client.get(f"/me/cases/{case_id}", headers=as_persona("anna"))).json()["decision"]["appeals"]
    assert {a["source"] for a in seen} == {"paper", "phone"}

    # Who else: a party 403 (they know the case), everyone else the 404 an unknown case gets.
    assert (await client.post(url, headers=as_persona("anna"), json=body)).status_code == 403
    unknown = await client.post(f"/staff/cases/{uuid.uuid4()}/appeals", headers=as_persona("karin"), json=body)
    others = [await client.post(url, headers=as_persona(who), json=body) for who in ("lars", "nils", "adam",
                                                                                     "cecilia")]
    same_404(unknown, *others)
    for r in others:
        no_personal_data(r)
    # Undecided: 409 for the case's staff only.
    clock.now = T0
    open_case = await submitted_case(client, as_persona, couple("2026-08"))
    undecided = await client.post(f"/staff/cases/{open_case['id']}/appeals", headers=as_persona("karin"),
                                  json={**body, "received_on": "2026-03-02"})
    assert undecided.status_code == 409 and undecided.json()["type"] == "urn:bistand:problem:appeal-no-decision"
    same_404(unknown, await client.post(f"/staff/cases/{open_case['id']}/appeals", headers=as_persona("lars"),
                                        json=body))


async def _appeal(client, as_persona, case_id: str, received_on: str = "2026-03-05") -> dict[str, Any]:
    made = await client.post(f"/staff/cases/{case_id}/appeals", headers=as_persona("karin"),
                             json={"text": APPEAL, "received_on": received_on, "source": "paper"})
    assert made.status_code == 201, made.text
    return made.json()


async def test_every_staff_step(app, client, as_persona, clock):
    clock.now = T0
    case_id = await decided(client, as_persona, clock, couple("2026-09"))
    clock.now = dt.datetime(2026, 5, 4, 9, tzinfo=dt.UTC)
    k = as_persona("karin")
    first, second = await _appeal(client, as_persona, case_id), await _appeal(client, as_persona, case_id)

    too_early = await client.post(f"/staff/appeals/{first['id']}/court-ruling", headers=k,
                                  json={"outcome": "upheld", "ruled_on": "2026-04-01"})
    assert too_early.status_code == 409 and too_early.json()["type"] == "urn:bistand:problem:appeal-step-not-allowed"
    in_time = await client.post(f"/staff/appeals/{first['id']}/dismiss", headers=k,
                                json={"dismissed_on": "2026-03-10", "reason": "För sent"})
    assert in_time.status_code == 409 and in_time.json()["type"] == "urn:bistand:problem:appeal-in-time"
    backdated = await client.post(f"/staff/appeals/{first['id']}/forward", headers=k,
                                  json={"forwarded_on": "2026-03-04"})
    assert backdated.status_code == 422 and backdated.json()["errors"][0]["field"] == "body.forwarded_on"

    forwarded = await client.post(f"/staff/appeals/{first['id']}/forward", headers=k,
                                  json={"forwarded_on": "2026-03-12", "note": "Akten skickad med post."})
    assert forwarded.status_code == 200, forwarded.text
    assert forwarded.json()["status"] == "forwarded" and forwarded.json()["actions"] == ["court_ruling"]
    ruled = await client.post(f"/staff/appeals/{first['id']}/court-ruling", headers=k,
                              json={"outcome": "changed", "ruled_on": "2026-04-20"})
    assert ruled.status_code == 200 and ruled.json()["status"] == "ruled" and not ruled.json()["open"]
    assert await pending(app, case_id)  # the second appeal is still open

    partly = await client.post(f"/staff/appeals/{second['id']}/reconsider", headers=as_persona("tove"),
                               json={"extent": "partial", "decided_on": "2026-03-09",
                                     "change": "Elkostnaden godtas; hyran som tidigare."})
    assert partly.status_code == 200 and partly.json()["status"] == "reconsidered_partly"
    assert partly.json()["actions"] == ["forward"]
    assert (await client.post(f"/staff/appeals/{second['id']}/forward", headers=k,
                              json={"forwarded_on": "2026-03-10"})).status_code == 200
    assert (await client.post(f"/staff/appeals/{second['id']}/court-ruling", headers=k,
                              json={"outcome": "returned", "ruled_on": "2026-05-04"})).status_code == 200
    assert not await pending(app, case_id)  # no open appeal left

    shown = (await client.get(f"/me/cases/{case_id}?lang=en", headers=as_persona("anna"))).json()
    texts = {a["id"]: a for a in shown["decision"]["appeals"]}
    assert texts[first["id"]]["court_outcome_text"] == "The court changed the decision."
    assert texts[second["id"]]["court_outcome_text"] == "The court sent the case back to us to decide again."
    history = [h["event"] for h in (await client.get(f"/applications/{case_id}/history", headers=k)).json()["items"]]
    assert history[-7:] == ["appeal_received", "appeal_received", "appeal_forward", "appeal_court_ruling",
                            "appeal_reconsider", "appeal_forward", "appeal_court_ruling"]

    # Reconsidered as asked: the appeal lapses. A late one is dismissed with the reason.
    third = await _appeal(client, as_persona, case_id)
    full = await client.post(f"/staff/appeals/{third['id']}/reconsider", headers=k,
                             json={"extent": "full", "decided_on": "2026-03-06", "change": "Hyran godtas helt."})
    assert full.json()["status"] == "reconsidered" and full.json()["actions"] == []
    late = await _appeal(client, as_persona, case_id, received_on="2026-04-15")
    assert late["in_time"] is False and "dismiss" in late["actions"]
    assert await pending(app, case_id)
    dismissed = await client.post(f"/staff/appeals/{late['id']}/dismiss", headers=k,
                                  json={"dismissed_on": "2026-04-16", "reason": "Inkom efter sista dagen 2026-04-07."})
    assert dismissed.status_code == 200 and dismissed.json()["dismissal_reason"].startswith("Inkom efter")
    assert not await pending(app, case_id)
    closed = (await client.get("/staff/appeals?status=all", headers=k)).json()["items"]
    assert {a["status"] for a in closed if a["case_id"] == case_id} == {"ruled", "reconsidered", "dismissed"}
    assert all(a["case_id"] != case_id for a in (await client.get("/staff/appeals", headers=k)).json()["items"])


async def test_who_may_take_the_steps(client, as_persona, clock):
    clock.now = T0
    case_id = await decided(client, as_persona, clock, couple("2026-10"))
    clock.now = T0 + dt.timedelta(days=5)
    appeal = await _appeal(client, as_persona, case_id)
    body = {"forwarded_on": "2026-03-06"}
    url = f"/staff/appeals/{appeal['id']}/forward"
    unknown = await client.post(f"/staff/appeals/{uuid.uuid4()}/forward", headers=as_persona("karin"), json=body)
    others = [await client.post(url, headers=as_persona(who), json=body) for who in ("lars", "nils", "adam",
                                                                                     "cecilia", "dana")]
    same_404(unknown, *others)
    for r in others:
        no_personal_data(r)
    assert (await client.post(url, headers=as_persona("anna"), json=body)).status_code == 403
    # The queue: unit staff only; another unit's caseworker sees none of this unit's.
    for who in ("anna", "adam", "nils"):
        assert (await client.get("/staff/appeals", headers=as_persona(who))).status_code == 403
    syd = await client.get("/staff/appeals?status=all", headers=as_persona("lars"))
    assert syd.status_code == 200 and syd.json()["items"] == []
    lead = (await client.get("/staff/appeals", headers=as_persona("tove"))).json()["items"]
    assert appeal["id"] in {a["id"] for a in lead}


async def test_a_protected_case_s_appeals_are_for_cleared_staff(client, as_persona, clock):
    clock.now = T0
    case_id = await decided(client, as_persona, clock, single(DANA, "2026-03"), signers=("dana",), owner="dana",
                            staff="maja")
    made = await client.post(f"/me/cases/{case_id}/appeals", headers=as_persona("dana"), json={"text": APPEAL})
    assert made.status_code == 201
    body = {"text": APPEAL, "received_on": "2026-03-02", "source": "visit"}
    unknown = await client.post(f"/staff/cases/{uuid.uuid4()}/appeals", headers=as_persona("karin"), json=body)
    same_404(unknown, await client.post(f"/staff/cases/{case_id}/appeals", headers=as_persona("karin"), json=body),
             await client.post(f"/staff/cases/{case_id}/appeals", headers=as_persona("tove"), json=body))
    step = await client.post(f"/staff/appeals/{made.json()['id']}/forward", headers=as_persona("karin"),
                             json={"forwarded_on": "2026-03-02"})
    assert step.status_code == 404 and step.json()["detail"] == "No such appeal."
    uncleared = (await client.get("/staff/appeals?status=all", headers=as_persona("karin"))).json()["items"]
    assert case_id not in {a["case_id"] for a in uncleared}
    cleared = (await client.get("/staff/appeals", headers=as_persona("maja"))).json()["items"]
    assert case_id in {a["case_id"] for a in cleared}
    assert (await client.post(f"/staff/appeals/{made.json()['id']}/forward", headers=as_persona("maja"),
                              json={"forwarded_on": "2026-03-02"})).status_code == 200


async def test_the_register_extract_lists_the_client_s_appeals(client, as_persona, clock):
    # Its own decided case and appeal: the test holds whichever of the module's tests run before it.
    clock.now = T0
    case_id = await decided(client, as_persona, clock, couple("2026-12"))
    clock.now = T0 + dt.timedelta(days=5)
    own = "Jag överklagar beslutet för december: elen är inte medräknad."
    lodged = await client.post(f"/me/cases/{case_id}/appeals", headers=as_persona("anna"), json={"text": own})
    assert lodged.status_code == 201, lodged.text
    made = await client.post("/me/registerutdrag", headers=as_persona("anna"))
    assert made.status_code == 201, made.text
    full = await client.get(f"/me/registerutdrag/{made.json()['id']}", headers=as_persona("anna"))
    assert full.status_code == 200, full.text
    extract = json.dumps(full.json(), ensure_ascii=False)
    assert own in extract and "Överklagande" in extract
    assert lodged.json()["id"] in extract


async def test_an_open_appeal_keeps_the_case_from_gallring_until_the_court_rules(app, client, as_persona, clock):
    clock.now = T0
    case_id = await decided(client, as_persona, clock, single(CECILIA, "2026-03"), signers=("cecilia",),
                            owner="cecilia")
    clock.now = T0 + dt.timedelta(days=7)
    made = await client.post(f"/me/cases/{case_id}/appeals", headers=as_persona("cecilia"),
                             json={"text": "Jag vill ha mer till hyran."})
    assert made.status_code == 201
    later = T0 + dt.timedelta(days=6 * 366)

    def job() -> RetentionJob:
        return RetentionJob("applications", app.state.kit.sessions, configured(policy.RULES, {}),
                            retention_store.PURGES, clock=lambda: later, batch_size=50)

    async def state() -> str:
        rows = await sql(app, "SELECT anonymised_at FROM cases WHERE id = :id", id=uuid.UUID(case_id))
        return "anonymised" if rows[0][0] else "kept"

    await job().run_once()
    assert await state() == "kept"
    appeal_id = made.json()["id"]
    k = as_persona("karin")
    assert (await client.post(f"/staff/appeals/{appeal_id}/forward", headers=k,
                              json={"forwarded_on": "2026-03-09"})).status_code == 200
    await job().run_once()
    assert await state() == "kept"  # forwarded: still open
    assert (await client.post(f"/staff/appeals/{appeal_id}/court-ruling", headers=k,
                              json={"outcome": "upheld", "ruled_on": "2026-03-09"})).status_code == 200
    await job().run_once()
    assert await state() == "anonymised"
    assert not await sql(app, "SELECT 1 FROM appeals WHERE case_id = :id", id=uuid.UUID(case_id))
