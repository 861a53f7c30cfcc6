"""Applications owns protected identity: meetings and messaging ask it, nobody else may."""

from __future__ import annotations

import pytest

from tests.applications.conftest import ANNA, CECILIA, DANA, single

pytestmark = pytest.mark.asyncio

URL = "/internal/protection"


async def _dana_is_protected(client, as_persona) -> None:
    # Dana's own token says protected identity: her first draft marks her in the owner's records.
    response = await client.post("/applications", json=single(DANA, period="2026-04"), headers=as_persona("dana"))
    assert response.status_code in (201, 409), response.text  # 409: an earlier test made it


async def test_meetings_and_messaging_learn_who_is_protected(client, as_persona, service_auth) -> None:
    await _dana_is_protected(client, as_persona)
    for reader in ("meetings", "messaging"):
        response = await client.post(URL, json={"personal_numbers": [ANNA, DANA, CECILIA]},
                                     headers=service_auth(reader))
        assert response.status_code == 200, response.text
        assert response.json() == {"protected": [DANA]}


async def test_the_answer_names_only_the_protected_among_those_asked(client, as_persona, service_auth) -> None:
    await _dana_is_protected(client, as_persona)
    response = await client.post(URL, json={"personal_numbers": [ANNA]}, headers=service_auth("meetings"))
    assert response.json() == {"protected": []}


@pytest.mark.parametrize("caller", ["anna", "dana", "karin", "maja", "tove", "adam"])
async def test_people_may_not_ask(client, as_persona, caller) -> None:
    response = await client.post(URL, json={"personal_numbers": [DANA]}, headers=as_persona(caller))
    assert response.status_code == 403
    assert DANA not in response.text


@pytest.mark.parametrize("client_id", ["payments", "calculation", "gateway", "applications"])
async def test_other_services_may_not_ask(client, service_auth, client_id) -> None:
    response = await client.post(URL, json={"personal_numbers": [DANA]}, headers=service_auth(client_id))
    # 401: the IdP grants that client no token for applications at all; 403: a token, but not for this route.
    assert response.status_code == (403 if client_id == "payments" else 401)
    assert DANA not in response.text


@pytest.mark.parametrize("body", [{}, {"personal_numbers": []}, {"personal_numbers": ["19890314980"]},
                                  {"personal_numbers": [ANNA] * 101}, {"personal_numbers": [{}]},
                                  {"personal_numbers": [ANNA], "extra": 1}])
async def test_bad_queries_are_named(client, service_auth, body) -> None:
    response = await client.post(URL, json=body, headers=service_auth("meetings"))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
