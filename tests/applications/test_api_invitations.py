"""Who may name whom. A client applies only as the applicant; a partner they name is invited and joins only with
their own login (accept, or sign). Naming someone tells nothing about them, never puts a draft in their household
and never blocks their own application. Staff registration: the same care within the unit rules.

Every answer a caller gets is read for the other person's personnummer, name, unit and case ids."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from simulators.idp.personas import PERSONAS, Persona
from tests.applications.conftest import ANNA, BERTIL, CECILIA, DANA, single
from tests.applications.test_domain_factories import pnr_for

ERIK = pnr_for(dt.date(1985, 5, 5))  # a person who has never applied
FRIDA = pnr_for(dt.date(1987, 7, 7))


@pytest.fixture(scope="module")
def login(issuer):
    """Headers for a persona or for any personnummer (a client of their own)."""
    def headers(who: str) -> dict[str, str]:
        persona = PERSONAS.get(who) or Persona(key=f"p{who}", name="Testperson", roles=("client",),
                                               personal_number=who)
        return {"Authorization": f"Bearer {issuer.persona_token(persona)}"}

    return headers


@pytest.fixture(scope="module")
async def world(client, as_persona):
    """Anna: a client of unit Syd (Lars registered her paper application for 2026-03). Dana: protected."""
    anna = await client.post("/staff/applications", headers=as_persona("lars"),
                             json={"personal_number": ANNA, "source": "paper",
                                   "content": single(ANNA, "2026-03", household={
                                       "applicant": {"personal_number": ANNA, "name": "Anna Andersson"}})})
    assert anna.status_code == 201 and anna.json()["unit"] == "syd", anna.text
    dana = await client.post("/applications", json=single(DANA, "2026-03"), headers=as_persona("dana"))
    assert dana.status_code == 201, dana.text
    return {"anna_case": anna.json()["id"], "dana_case": dana.json()["id"]}


def with_partner(applicant: str, partner: str, period: str) -> dict[str, Any]:
    content = single(applicant, period)
    content["household"]["partner"] = {"personal_number": partner, "relation": "cohabiting"}
    return content


def tells_nothing_about(text: str, *, pnrs: tuple[str, ...] = (), ids: tuple[str, ...] = (),
                        names: tuple[str, ...] = (), units: tuple[str, ...] = ()) -> None:
    for secret in (*pnrs, *(p[2:] for p in pnrs), *ids, *names, *units):
        assert secret not in text, (secret, text)


def shape(response: Any) -> tuple[int, Any]:
    """The answer without what differs on every request."""
    body = response.json()
    for key in ("request_id", "instance", "id", "created_at", "updated_at", "content", "content_hash"):
        body.pop(key, None)
    return response.status_code, body


@pytest.mark.parametrize("victim", [ANNA, DANA, BERTIL, ERIK])
@pytest.mark.parametrize("period", ["2026-03", "2026-04"])
async def test_the_victim_as_applicant_is_refused_the_same_whoever_they_are(client, as_persona, world, victim,
                                                                           period):
    """Cecilia names someone else as applicant and herself as partner: 422, decided before any look-up."""
    r = await client.post("/applications", json=with_partner(victim, CECILIA, period), headers=as_persona("cecilia"))
    assert r.status_code == 422 and r.json()["type"] == "urn:bistand:problem:applicant-not-you", r.text
    assert set(r.json()) == {"type", "title", "status", "detail", "instance", "request_id"}
    tells_nothing_about(r.text, pnrs=(victim,), ids=tuple(world.values()), units=("syd",))


async def test_naming_a_partner_answers_the_same_whoever_they_are(client, login, world):
    """Frida names a client of another unit, a protected client and a stranger: the same answer each time,
    with nothing of them in it."""
    answers = {}
    for period, partner in (("2026-05", ANNA), ("2026-06", DANA), ("2026-07", ERIK)):
        r = await client.post("/applications", json=with_partner(FRIDA, partner, period), headers=login(FRIDA))
        assert r.status_code == 201, r.text
        assert r.json()["unit"] == "nord" and r.json()["co_applicant"] == {"status": "invited"}
        tells_nothing_about(r.text, ids=tuple(world.values()), names=("Anna", "Dana"), units=("syd",))
        assert "protected_identity" not in r.json()
        code, body = shape(r)
        body.pop("period")
        answers[partner] = (code, body)
    assert answers[ANNA] == answers[DANA] == answers[ERIK]


async def test_a_draft_naming_me_neither_blocks_nor_moves_my_own_application(client, as_persona, login, world):
    """Cecilia names Anna (Syd) for 2026-08 first; Anna's own application for the month still goes through, in her
    own household and unit; Cecilia's draft stays Cecilia's."""
    cecilias = await client.post("/applications", json=with_partner(CECILIA, ANNA, "2026-08"),
                                 headers=as_persona("cecilia"))
    assert cecilias.status_code == 201 and cecilias.json()["unit"] == "nord", cecilias.text
    own = await client.post("/applications", json=single(ANNA, "2026-08"), headers=as_persona("anna"))
    assert own.status_code == 201 and own.json()["unit"] == "syd", own.text
    tells_nothing_about(own.text, pnrs=(CECILIA,), ids=(cecilias.json()["id"],), names=("Cecilia",))
    # Anna's cases list her own, not the invitation; the invitation is listed apart.
    mine = (await client.get("/me/cases", headers=as_persona("anna"))).json()["items"]
    assert cecilias.json()["id"] not in [c["id"] for c in mine]
    invitations = (await client.get("/me/invitations", headers=as_persona("anna"))).json()["items"]
    assert cecilias.json()["id"] in [i["application_id"] for i in invitations]
    # Cecilia learns nothing from Anna's own application.
    again = await client.get(f"/applications/{cecilias.json()['id']}", headers=as_persona("cecilia"))
    assert again.json()["co_applicant"] == {"status": "invited"}
    tells_nothing_about(again.text, ids=(own.json()["id"], *world.values()), units=("syd",), names=("Anna",))


@pytest.mark.parametrize("order", ["inviter first", "invitee first", "at once"])
async def test_both_create_for_the_same_month(client, login, order):
    """Two people each apply naming the other: both drafts are made, each in its maker's household."""
    n = ["inviter first", "invitee first", "at once"].index(order)
    first, second = pnr_for(dt.date(1970, 1, 1 + n)), pnr_for(dt.date(1971, 2, 1 + n))
    period = "2026-09"
    one = client.post("/applications", json=with_partner(first, second, period), headers=login(first))
    two = client.post("/applications", json=with_partner(second, first, period), headers=login(second))
    if order == "at once":
        answers = await asyncio.gather(one, two)
    elif order == "inviter first":
        answers = [await one, await two]
    else:
        answers = list(reversed([await two, await one]))
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert answers[0].json()["id"] != answers[1].json()["id"]
    # Neither may accept the other's while their own draft is live: only they are told, and why.
    refused = await client.post(f"/applications/{answers[0].json()['id']}/accept", headers=login(second))
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"] == "urn:bistand:problem:co-applicant-in-other-household"
    told = {k: v for k, v in refused.json().items() if k != "instance"}  # the path they called, theirs anyway
    tells_nothing_about(str(told), pnrs=(first,), ids=(answers[0].json()["id"],))
    # Withdrawing their own lets them join the other's.
    withdrawn = await client.post(f"/applications/{answers[1].json()['id']}/withdraw", headers=login(second))
    assert withdrawn.status_code == 200, withdrawn.text
    joined = await client.post(f"/applications/{answers[0].json()['id']}/accept", headers=login(second))
    assert joined.status_code == 200 and joined.json()["co_applicant"] == {"status": "joined"}, joined.text
    assert "withdraw" in joined.json()["actions"]


async def test_an_invitee_reads_and_answers_but_acts_only_after_joining(client, as_persona, login, world):
    made = await client.post("/applications", json=with_partner(CECILIA, ERIK, "2026-12"),
                             headers=as_persona("cecilia"))
    case_id = made.json()["id"]
    url = f"/applications/{case_id}"
    seen = await client.get(url, headers=login(ERIK))
    assert seen.status_code == 200 and seen.json()["actions"] == ["accept", "decline", "sign"], seen.text
    assert (await client.get(f"{url}/attachments", headers=login(ERIK))).status_code == 404
    assert (await client.post(f"{url}/submit", headers=login(ERIK))).status_code == 403
    put = await client.put(url, json=single(CECILIA, "2026-12"), headers={**login(ERIK), "If-Match": '"1"'})
    assert put.status_code == 403
    assert (await client.post(f"{url}/accept", headers=as_persona("cecilia"))).status_code == 409  # not invited
    assert (await client.post(f"{url}/accept", headers=as_persona("anna"))).status_code == 404  # a stranger

    accepted = await client.post(f"{url}/accept", headers=login(ERIK))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["co_applicant"] == {"status": "joined"}
    assert (await client.post(f"{url}/accept", headers=login(ERIK))).status_code == 200  # again: no change
    assert case_id in [c["id"] for c in (await client.get("/me/cases", headers=login(ERIK))).json()["items"]]
    assert (await client.get(f"{url}/attachments", headers=login(ERIK))).status_code == 200
    # Erik is in Cecilia's household now: his own application for the month is the household's one.
    own = await client.post("/applications", json=single(ERIK, "2026-12"), headers=login(ERIK))
    assert own.status_code == 409 and own.json()["application_id"] == case_id


async def test_declining_ends_the_invitation(client, as_persona, login):
    made = await client.post("/applications", json=with_partner(CECILIA, FRIDA, "2027-01"),
                             headers=as_persona("cecilia"))
    url = f"/applications/{made.json()['id']}"
    declined = await client.post(f"{url}/decline", headers=login(FRIDA))
    assert declined.status_code == 204
    assert (await client.get(url, headers=login(FRIDA))).status_code == 404
    assert (await client.post(f"{url}/signatures", headers=login(FRIDA))).status_code == 404
    assert made.json()["id"] not in [
        i["application_id"] for i in (await client.get("/me/invitations", headers=login(FRIDA))).json()["items"]]
    assert (await client.get(url, headers=as_persona("cecilia"))).json()["co_applicant"] == {"status": "declined"}


async def test_signing_accepts_and_a_partner_elsewhere_is_told_only_themselves(client, as_persona, world):
    """Bertil (no household) signs Cecilia's draft: he joins. Anna (Syd, with an application) cannot: she alone is
    told, and Cecilia's draft shows her as still invited."""
    made = await client.post("/applications", json=with_partner(CECILIA, BERTIL, "2027-02"),
                             headers=as_persona("cecilia"))
    url = f"/applications/{made.json()['id']}"
    assert (await client.post(f"{url}/signatures", headers=as_persona("bertil"))).status_code == 201
    assert (await client.get(url, headers=as_persona("cecilia"))).json()["co_applicant"] == {"status": "joined"}

    other = await client.post("/applications", json=with_partner(CECILIA, ANNA, "2027-03"),
                              headers=as_persona("cecilia"))
    url = f"/applications/{other.json()['id']}"
    refused = await client.post(f"{url}/signatures", headers=as_persona("anna"))
    assert refused.status_code == 409 and refused.json()["type"].endswith("co-applicant-in-other-household")
    seen = await client.get(url, headers=as_persona("cecilia"))
    assert seen.json()["co_applicant"] == {"status": "invited"} and seen.json()["signatures"] == []
    tells_nothing_about(seen.text, ids=tuple(world.values()), units=("syd",))


async def test_staff_of_another_unit_or_without_clearance_get_one_answer(client, as_persona, world):
    """Lars (Syd) registering Cecilia (a Nord client) and Karin (not cleared) registering Dana (protected) get the
    same 404 as each other: "not yours to register", neither where nor why."""
    cecilia = await client.post("/applications", json=single(CECILIA, "2027-04"), headers=as_persona("cecilia"))
    assert cecilia.status_code == 201
    lars = await client.post("/staff/applications", headers=as_persona("lars"), json={
        "personal_number": CECILIA, "source": "paper", "content": single(CECILIA, "2027-05")})
    karin = await client.post("/staff/applications", headers=as_persona("karin"),
                              json={"personal_number": DANA, "source": "paper", "content": single(DANA, "2027-05")})
    assert shape(lars) == shape(karin) == (404, {"type": "urn:bistand:problem:not-found", "title": "Not found",
                                                 "status": 404, "detail": "No such client."})
    assert (await client.post("/staff/applications", headers=as_persona("maja"), json={
        "personal_number": DANA, "source": "paper", "content": single(DANA, "2027-05")})).status_code == 201


async def test_a_partner_named_by_staff_stays_in_their_own_household(client, as_persona, world):
    """Karin registers a paper application for Erik's neighbour naming Anna (Syd) as partner: nothing of Anna in
    the answer, and Anna's own application for the month is still hers, in Syd."""
    neighbour = pnr_for(dt.date(1990, 9, 9))
    r = await client.post("/staff/applications", headers=as_persona("karin"), json={
        "personal_number": neighbour, "source": "paper", "content": with_partner(neighbour, ANNA, "2027-06")})
    assert r.status_code == 201 and r.json()["unit"] == "nord" and r.json()["co_applicant"] == {"status": "invited"}
    tells_nothing_about(r.text, ids=tuple(world.values()), units=("syd",), names=("Anna",))
    own = await client.post("/applications", json=single(ANNA, "2027-06"), headers=as_persona("anna"))
    assert own.status_code == 201 and own.json()["unit"] == "syd", own.text


async def test_the_409_names_the_application_only_to_those_who_may_read_it(client, login):
    """Hugo joined Greta's household (by accepting her invitation). Greta's later draft without him occupies the
    household's month: Hugo is told the household has one, not which; Greta gets its id."""
    greta, hugo = pnr_for(dt.date(1980, 8, 8)), pnr_for(dt.date(1981, 8, 8))
    invited = await client.post("/applications", json=with_partner(greta, hugo, "2027-07"), headers=login(greta))
    assert (await client.post(f"/applications/{invited.json()['id']}/accept", headers=login(hugo))).status_code == 200
    gretas = await client.post("/applications", json=single(greta, "2027-08"), headers=login(greta))
    assert gretas.status_code == 201
    again = await client.post("/applications", json=single(greta, "2027-08"), headers=login(greta))
    assert again.status_code == 409 and again.json()["application_id"] == gretas.json()["id"]
    own = await client.post("/applications", json=single(hugo, "2027-08"), headers=login(hugo))
    assert own.status_code == 409 and "application_id" not in own.json(), own.text
    tells_nothing_about(own.text, ids=(gretas.json()["id"],), pnrs=(greta,))
