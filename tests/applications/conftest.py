"""Applications test helpers: an app on a fresh database, a stepping clock, complete contents, small files."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from kit.auth import TokenRejected, bearer_token
from services.applications.app import create_app
from services.applications.settings import ApplicationsSettings
from simulators.idp.personas import PERSONAS
from tests.support import app_client, fresh_database, verifier_for

ANNA = PERSONAS["anna"].personal_number
BERTIL = PERSONAS["bertil"].personal_number
CECILIA = PERSONAS["cecilia"].personal_number
DANA = PERSONAS["dana"].personal_number
PERIOD = "2026-03"

# A small PDF and PNG: what the bytes say is what counts, not the name.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


class Clock:
    """The app's clock in tests: a fixed start, moves only when told."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def settings_for(db_url: str, **overrides: Any) -> ApplicationsSettings:
    values: dict[str, Any] = dict(database_url=db_url, relay_enabled=False, relay_backoff_seconds=0.0,
                                  proposal_jobs_enabled=False,
                                  default_unit="nord", trust_check_seed="test-seed", registerutdrag_purge_seconds=0,
                                  months_ahead=24,  # the tests' months lie up to two years after the test clock
                                  # Every question reaches the registers, so a changed marking is seen at once (the
                                  # reuse of answers has its own tests: test_api_protection_cache.py).
                                  protection_cache_seconds=0)
    values.update(overrides)
    return ApplicationsSettings(**values)


class ServiceTokens:
    """Service tokens of the applications client, signed by the test issuer (what the IdP would hand out)."""

    def __init__(self, issuer: Any) -> None:
        self.issuer = issuer

    async def token(self) -> str:
        return self.issuer.service_token("applications")


def make_app(db_url: str, issuer: Any, clock: Clock | None = None, *, registers: Any = None,
             protection_clock: Callable[[], float] | None = None, **overrides: Any) -> Any:
    """``registers``: the owner of protected identity (the ``registers`` fixture); without it none is configured
    (unless ``registers_url`` is given) and every new application answers 503. ``protection_clock``: what ages the
    reused protection answers (with ``protection_cache_seconds``)."""
    kwargs: dict[str, Any] = {}
    if protection_clock is not None:
        kwargs["protection_clock"] = protection_clock
    if registers is not None:
        overrides.setdefault("registers_url", registers.url)
        if "service_client_id" not in overrides:
            kwargs["registers_tokens"] = ServiceTokens(issuer)
    return create_app(settings_for(db_url, **overrides), clock=clock or Clock(), verifier=verifier_for(issuer),
                      **kwargs)


def couple(period: str = PERIOD, **overrides: Any) -> dict[str, Any]:
    """A complete first application from Anna and Bertil with one preschool child."""
    data: dict[str, Any] = {
        "kind": "first",
        "period": period,
        "household": {
            "applicant": {"personal_number": ANNA, "name": "Anna Andersson"},
            "partner": {"personal_number": BERTIL, "name": "Bertil Andersson", "relation": "married"},
            "children": [{"ref": "child-1", "birth_date": "2022-02-01", "lunch_at_home": False}],
        },
        "housing": {"type": "rental", "rent": 8200, "household_size": 3},
        "incomes": {"items": [{"type": "barnbidrag", "member": "applicant", "amount": 1250},
                              {"type": "wages_net", "member": "partner", "amount": 6400}]},
        "costs": [{"type": "household_electricity", "amount": 450}, {"type": "home_insurance", "amount": 180}],
        "assets": {"bank_balances": [{"member": "applicant", "bank": "Sparbanken", "balance": 300}]},
        "plan": {"activities": [{"member": "applicant", "status": "registered_at_af"},
                                {"member": "partner", "status": "in_activity"}]},
        "message": "Tack!",
    }
    data.update(overrides)
    return data


def single(pnr: str, period: str = PERIOD, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "first",
        "period": period,
        "household": {"applicant": {"personal_number": pnr}},
        "housing": {"type": "rental", "rent": 6000, "household_size": 1},
        "incomes": {"none_declared": True},
        "assets": {"none_declared": True},
        "plan": {"activities": [{"member": "applicant", "status": "registered_at_af"}]},
    }
    data.update(overrides)
    return data


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
async def db_url():
    """Each test module gets its own fresh database (module scope)."""
    async with fresh_database("applications") as url:
        yield url


@pytest.fixture(scope="module")
async def client(db_url, issuer, registers):
    """The app on the module's database: a fixed clock, the outbox relay off (tests run it themselves), the registers
    as the owner of protected identity."""
    async with app_client(make_app(db_url, issuer, registers=registers)) as c:
        yield c


@pytest.fixture(scope="module")
def service_auth(issuer):
    def headers(client_id: str = "applications") -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.service_token(client_id)}"}

    return headers


async def submitted_case(client: Any, as_persona: Any, content: dict[str, Any],
                         signers: tuple[str, ...] = ("anna", "bertil"), owner: str = "anna") -> dict[str, Any]:
    """Create, sign by every signer, submit: the submitted case."""
    created = await client.post("/applications", json=content, headers=as_persona(owner))
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    for who in signers:
        signed = await client.post(f"/applications/{case_id}/signatures", headers=as_persona(who))
        assert signed.status_code == 201, signed.text
    done = await client.post(f"/applications/{case_id}/submit", headers=as_persona(owner))
    assert done.status_code == 200, done.text
    return done.json()


# --- the calculation service's contract, as a stand-in ---------------------------------------------------------

def contract_standin_calculation(issuer: Any) -> Any:
    """A CONTRACT STAND-IN for the calculation service (POST /calculations), answering with the agreed shape and
    deliberately simple arithmetic. The real service (services/calculation) replaces it once it is merged; the
    point here is the contract: a service token is required, the request fields are read, the answer's shape."""
    verifier = verifier_for(issuer, service="calculation")  # its tokens carry calculation's audience
    app = FastAPI()
    app.state.requests = []

    @app.post("/calculations")
    async def calculations(request: Request) -> JSONResponse:
        token = bearer_token(request.headers.get("authorization"))
        try:
            principal = await verifier.verify(token or "")
        except TokenRejected:
            return JSONResponse({"type": "urn:bistand:problem:unauthorized", "status": 401}, status_code=401)
        if "service" not in principal.roles:
            return JSONResponse({"status": 403}, status_code=403)
        body = await request.json()
        app.state.requests.append(body)
        h = body["household"]
        adults = 1 + (h["partner"] is not None) + len(h["other_adults"])
        lines = [{"kind": "norm", "component": "norm", "rule_id": "riksnorm.adults", "member": None,
                  "amount": 4000 * adults},
                 {"kind": "norm", "component": "norm", "rule_id": "riksnorm.children", "member": None,
                  "amount": 2500 * len(h["children"])}]
        lines += [{"kind": "cost", "component": c["type"], "rule_id": f"cost.{c['type']}", "member": c["member"],
                   "amount": c["amount"]} for c in body["costs"]]
        lines += [{"kind": "income", "component": i["type"], "rule_id": f"income.{i['type']}", "member": i["member"],
                   "amount": i["amount"]} for i in body["incomes"]]
        for line in lines:
            line.update(legal_reference={"sv": "SoL", "en": "Social Services Act"}, norm_year=2026,
                        source="stand-in", text={"sv": line["rule_id"], "en": line["rule_id"]})
        norm = 4000 * adults + 2500 * len(h["children"])
        costs = sum(c["amount"] for c in body["costs"])
        incomes = sum(i["amount"] for i in body["incomes"])
        canonical = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
        return JSONResponse({
            "input_hash": "sha256:" + hashlib.sha256(canonical).hexdigest(), "month": body["month"], "norm_year": 2026,
            "norm_source": "stand-in",
            "totals": {"norm": norm, "costs": costs, "incomes": incomes, "disregarded": 0, "deductions": 0},
            "entitlement": max(0, norm + costs - incomes), "surplus": max(0, incomes - norm - costs), "lines": lines})

    return app


@pytest.fixture(scope="module")
def idp_url(issuer):
    from simulators.idp.app import create_app as create_idp
    from tests.support import serve_in_thread

    with serve_in_thread(create_idp(issuer.settings, issuer)) as url:
        yield url


@pytest.fixture(scope="module")
def calc(issuer):
    from tests.support import serve_in_thread

    app = contract_standin_calculation(issuer)
    with serve_in_thread(app) as url:
        yield url, app


def with_services(idp_url: str, **urls: str) -> dict[str, Any]:
    """Settings that make the app fetch a real service token from the IdP for its calls."""
    return dict(auth_token_url=f"{idp_url}/token", service_client_id="applications",
                service_client_secret="dev-applications", **urls)
