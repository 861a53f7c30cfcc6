"""A case is given only to a real staff member of its unit in the right role (cleared when protected): the service
knows staff from their own tokens. Any other subject is refused with one answer that reveals nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from services.applications.domain.access import CaseAccess
from services.applications.domain.assignment import SEEN_WITHIN, StaffMember, may_be_assigned
from simulators.idp.personas import Persona
from tests.applications.conftest import DANA, couple, single, submitted_case

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def member(roles: tuple[str, ...], units: tuple[str, ...] = ("nord",), cleared: bool = False,
           seen: dt.timedelta = dt.timedelta(0)) -> StaffMember:
    return StaffMember("persona:x", frozenset(roles), frozenset(units), cleared, NOW - seen)


@pytest.mark.parametrize(("who", "role", "protected", "expected"), [
    (member(("caseworker",)), "caseworker", False, True),
    (member(("team_lead",)), "caseworker", False, True),
    (member(("caseworker",), ("syd",)), "caseworker", False, False),  # another unit
    (member(("employment_officer",)), "caseworker", False, False),  # not a caseworker
    (member(("caseworker",)), "caseworker", True, False),  # not cleared
    (member(("caseworker",), cleared=True), "caseworker", True, True),
    (member(("caseworker",), seen=SEEN_WITHIN + dt.timedelta(days=1)), "caseworker", False, False),  # gone quiet
    (member(("employment_officer",), ("arbetsmarknad",)), "employment_officer", False, True),
    (member(("caseworker",), ("syd",)), "employment_officer", False, False),
    (member(("employment_officer",), ("arbetsmarknad",)), "employment_officer", True, False),
    (None, "caseworker", False, False),  # never seen: any made-up subject
])
def test_who_may_be_assigned(who, role, protected, expected):
    assert may_be_assigned(who, role, CaseAccess(unit="nord", protected_identity=protected), NOW) is expected


def shape(response) -> tuple[int, dict]:
    body = {k: v for k, v in response.json().items() if k not in ("request_id", "instance")}
    return response.status_code, body


async def test_a_team_lead_gives_a_case_only_to_a_caseworker_of_its_unit(client, as_persona, issuer):
    vera = {"Authorization": f"Bearer {issuer.persona_token(Persona('vera', 'Vera', ('caseworker',), unit='nord'))}"}
    case = await submitted_case(client, as_persona, couple("2026-04"))
    url = f"/applications/{case['id']}/assign"
    for who in ("lars", "anna", "nils"):  # each signs in once: known, but not of this unit or role
        await client.get("/queue" if who != "anna" else "/me/cases", headers=as_persona(who))
    answers = {}
    for sub in ("persona:nobody", "persona:lars", "persona:anna", "persona:nils", "persona:vera", "", "x" * 200):
        r = await client.post(url, headers=as_persona("tove"), json={"sub": sub} if sub else {"sub": "persona:"})
        answers[sub] = shape(r)
    assert answers["persona:nobody"][0] == 422
    assert answers["persona:nobody"][1]["errors"][0]["field"] == "body.sub"
    assert len(set(map(str, answers.values()))) == 1, answers  # Vera not seen yet: the same as a made-up one
    for text in map(str, answers.values()):
        assert "syd" not in text and "lars" not in text.replace("persona:", "")

    assert (await client.get("/queue", headers=vera)).status_code == 200  # Vera, a new caseworker, signs in
    given = await client.post(url, headers=as_persona("tove"), json={"sub": "persona:vera"})
    assert given.status_code == 200 and given.json()["assigned"]["caseworker"] == "persona:vera", given.text


async def test_an_employment_officer_must_be_one(client, as_persona):
    case = await submitted_case(client, as_persona, couple("2026-05"))
    url = f"/applications/{case['id']}/assign"
    assert (await client.post(url, headers=as_persona("karin"))).status_code == 200
    await client.get("/queue", headers=as_persona("lars"))
    lars = await client.post(url, headers=as_persona("karin"), json={"role": "employment_officer",
                                                                   "sub": "persona:lars"})
    assert lars.status_code == 422, lars.text
    await client.get("/queue", headers=as_persona("nils"))
    nils = await client.post(url, headers=as_persona("karin"), json={"role": "employment_officer",
                                                                   "sub": "persona:nils"})
    assert nils.status_code == 200 and nils.json()["assigned"]["employment_officer"] == "persona:nils"


async def test_a_protected_case_goes_only_to_cleared_staff(client, as_persona):
    case = await submitted_case(client, as_persona, single(DANA, "2026-06"), signers=("dana",), owner="dana")
    url = f"/applications/{case['id']}/assign"
    assert (await client.post(url, headers=as_persona("maja"))).status_code == 200
    await client.get("/queue", headers=as_persona("nils"))  # Nils is known, but not cleared
    refused = await client.post(url, headers=as_persona("maja"), json={"role": "employment_officer",
                                                                     "sub": "persona:nils"})
    assert refused.status_code == 422, refused.text
    assert (await client.get(f"/applications/{case['id']}", headers=as_persona("nils"))).status_code == 404
