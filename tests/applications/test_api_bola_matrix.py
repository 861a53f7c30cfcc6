"""Access matrix for every applications route: endpoint x caller -> the status a caller who may not see or do it gets.

The world (on a fresh database, with the calculation contract stand-in and the IdP for service tokens):
  household  Anna+Bertil's first application in Nord: submitted, taken by Karin, an attachment, a document
             request, calculated and decided
  draft      Anna's draft for another month (not signed): the routes that change a draft
  protected  Dana's (protected identity) submitted application in Nord
  syd        Cecilia's application in Syd, registered by Lars: used to reach the household's attachment and
             document request through a case the caller may see
A case someone may not see is a 404 (like a missing one); a role that may not take a step is a 403; no token is a
401. GETs carry a positive control so a 404 is known to be a refusal, not a broken fixture. A test walks the app's
routes and fails when one is not listed here (a new endpoint needs its access rows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from tests.access_matrix import (
    assert_body_tells_nothing_more,
    assert_every_protected_route_refuses_someone,
    assert_every_route_listed,
    caller_headers,
)
from tests.applications.conftest import (
    ANNA,
    CECILIA,
    DANA,
    PDF,
    Clock,
    couple,
    make_app,
    single,
    submitted_case,
    with_services,
)
from tests.applications.test_domain_factories import pnr_for
from tests.support import app_client, fresh_database

PROBLEM = "application/problem+json"

PUBLIC = {("GET", "/livez"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/openapi.json"), ("GET", "/docs"),
          ("GET", "/docs/oauth2-redirect"), ("GET", "/redoc")}

Body = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]] | str | None
FILE = "file"  # a multipart upload instead of JSON
ROUTES: dict[tuple[str, str], list[tuple[Any, ...]]] = {}


def add(method: str, path: str, expect: dict[str, int], body: Body = None, *, route: str | None = None) -> None:
    """Rows for ``route`` (the app's path template), called with ``path`` (world keys in braces)."""
    ROUTES.setdefault((method, route or path), []).extend((method, path, who, s, body) for who, s in expect.items())


NO_ID = "00000000-0000-0000-0000-000000000000"
ANON = {"anon": 401, "forged": 401}
# Nobody of these may know the household's case exists.
STRANGERS = {"cecilia": 404, "dana": 404, "lars": 404, "nils": 404, "adam": 404, **ANON}
# Dana's protected case: only Dana and cleared staff.
NOT_CLEARED = {"karin": 404, "tove": 404, "lars": 404, "anna": 404}
C = "/applications/{case_id}"
H = "/applications/{household}"
D = "/applications/{draft}"
P = "/applications/{protected}"

add("GET", "/whoami", {**ANON, "anna": 200})
add("POST", "/applications", {"karin": 403, "tove": 403, "nils": 403, "adam": 403, "service": 403, **ANON},
    single(CECILIA, "2026-08"))
add("POST", "/applications", {"cecilia": 422}, single(ANNA, "2026-08"))  # an application in someone else's name
add("POST", "/applications/monthly", {"karin": 403, "adam": 403, "service": 403, **ANON}, {"month": "2026-09"})
add("POST", "/staff/applications", {"anna": 403, "tove": 403, "nils": 403, "adam": 403, "service": 403, **ANON},
    {"personal_number": CECILIA, "source": "paper", "content": single(CECILIA, "2026-08")})
add("POST", "/staff/applications", {"lars": 404},  # a client of another unit is handled there
    {"personal_number": ANNA, "source": "paper", "content": single(ANNA, "2026-08")})

# Reads of one case: the household's, and the protected one.
READS = ("", "/history", "/attachments", "/document-requests", "/decision", "/decision.pdf")
for suffix in READS:
    add("GET", H + suffix, {**STRANGERS, "anna": 200, "bertil": 200, "karin": 200, "tove": 200}, route=C + suffix)
    add("GET", P + suffix, NOT_CLEARED, route=C + suffix)
# A service token (here messaging's, with this service's audience) reads no case: 403 before anything is loaded.
for suffix in READS:
    add("GET", H + suffix, {"service": 403}, route=C + suffix)
add("GET", H + "/attachments/{attachment}", {**STRANGERS, "service": 403, "anna": 200, "karin": 200},
    route=C + "/attachments/{attachment_id}")
add("GET", P + "/attachments/{attachment}", NOT_CLEARED, route=C + "/attachments/{attachment_id}")
# The household's file through a case the caller may see: not found.
add("GET", "/applications/{syd}/attachments/{attachment}", {"cecilia": 404, "lars": 404},
    route=C + "/attachments/{attachment_id}")

# Changes to the draft (Anna's, unsigned): nobody else may touch it.
DRAFT_CHANGES = (("PUT", "", lambda w: couple("2026-05")), ("POST", "/signatures", None), ("POST", "/submit", None),
                 ("POST", "/withdraw", None))
for method, suffix, body in DRAFT_CHANGES:
    add(method, D + suffix, {**STRANGERS, "service": 403}, body, route=C + suffix)
    add(method, P + suffix, NOT_CLEARED, body, route=C + suffix)
add("POST", D + "/signatures", {"karin": 403, "tove": 403}, route=C + "/signatures")  # staff sign no digital case
# Answering an invitation: only the invited co-applicant (Bertil joined the household before, so for him the draft's
# invitation is already accepted: accepting again is a no-op, declining is not his to do any more).
for suffix in ("/accept", "/decline"):
    add("POST", D + suffix, {**STRANGERS, "anna": 409, "karin": 409, "service": 403}, route=C + suffix)
    add("POST", P + suffix, NOT_CLEARED, route=C + suffix)
add("POST", D + "/accept", {"bertil": 200}, route=C + "/accept")
add("POST", D + "/decline", {"bertil": 409}, route=C + "/decline")

# Steps on the household's case: refused to strangers before anything else is looked at.
STEPS: tuple[tuple[str, Body], ...] = (
    ("/client-profile", {"preferred_language": "sv"}),
    ("/attachments", FILE),
    ("/document-requests", {"type": "rental_contract"}),
    ("/assign", None),
    ("/request-info", {"due_date": "2026-03-20"}),
    ("/answer-info", None),
    ("/info-deadline-passed", None),
    ("/calculation", None),
    ("/decision", {}),
    ("/pay", None),
)
for suffix, body in STEPS:
    method = "PUT" if suffix == "/client-profile" else "POST"
    add(method, H + suffix, STRANGERS, body, route=C + suffix)
    add(method, P + suffix, NOT_CLEARED, body, route=C + suffix)
add("POST", H + "/document-requests/{document}/receive", STRANGERS, {"attachment_id": "00000000-0000-0000-0000-0"
                                                                    "00000000000"},
    route=C + "/document-requests/{request_id}/{step}")
# A team lead takes no document step; a service takes none at all.
add("POST", H + "/document-requests/{document}/approve", {"tove": 403, "service": 403},
    route=C + "/document-requests/{request_id}/{step}")
# The household's document request through a case the caller may see: not found.
add("POST", "/applications/{syd}/document-requests/{document}/approve", {"lars": 404},
    route=C + "/document-requests/{request_id}/{step}")
# Answering one's own document request with the household's file: the file is not found in one's own case.
add("POST", "/applications/{syd}/document-requests/{syd_document}/receive", {"cecilia": 404, "lars": 404},
    lambda w: {"attachment_id": w["attachment"]}, route=C + "/document-requests/{request_id}/{step}")
# Staff-only steps that the applicants themselves may not take on their own case (role before state).
for method, suffix, body in (("PUT", "/client-profile", {"preferred_language": "sv"}), ("POST", "/calculation", None),
                             ("POST", "/decision", {}), ("POST", "/document-requests", {"type": "rental_contract"}),
                             ("POST", "/assign", None)):
    add(method, H + suffix, {"anna": 403, "bertil": 403}, body, route=C + suffix)
add("POST", H + "/assign", {"karin": 403}, {"sub": "persona:maja"}, route=C + "/assign")  # only a team lead hands on
add("POST", H + "/pay", {"anna": 403}, route=C + "/pay")

add("GET", "/me/cases", {"karin": 403, "tove": 403, "nils": 403, "adam": 403, "service": 403, **ANON})
add("GET", "/me/cases/{household}", {**STRANGERS, "karin": 404, "service": 403, "anna": 200, "bertil": 200},
    route="/me/cases/{case_id}")
add("GET", "/me/cases/{protected}", {"anna": 404, "maja": 404, "dana": 200}, route="/me/cases/{case_id}")
CLIENT_ONLY = {"karin": 403, "nils": 403, "adam": 403, "service": 403, **ANON}
add("GET", "/me/profile", {**CLIENT_ONLY, "anna": 200})
add("GET", "/me/invitations", {**CLIENT_ONLY, "anna": 200})
add("PUT", "/me/profile", CLIENT_ONLY, {"preferred_language": "sv"})
add("GET", "/queue", {"anna": 403, "dana": 403, "adam": 403, "service": 403, **ANON, "karin": 200})
add("POST", "/trust-checks/draw", {"karin": 403, "maja": 403, "nils": 403, "anna": 403, "adam": 403, "service": 403,
                                   **ANON}, {"month": "2026-03"})
add("GET", "/trust-checks?month=2026-03", {"anna": 403, "nils": 403, "adam": 403, "service": 403, **ANON},
    route="/trust-checks")
# A unit's figures: its team lead and admins; another unit's team lead gets what a made-up unit gets (404).
add("GET", "/figures?unit=nord&month=2026-03", {"anna": 403, "dana": 403, "karin": 403, "maja": 403, "lars": 403,
                                                "nils": 403, "service": 403, **ANON, "tove": 200, "adam": 200},
    route="/figures")
add("GET", "/figures?unit=syd&month=2026-03", {"tove": 404, "karin": 403, "lars": 403, "adam": 200},
    route="/figures")


# The decision proposal, undoing an automated approval, the review request, the automation policy: refusals here;
# every caller, with the positive rows, in test_api_proposal.py (its world has proposals and automated decisions).
add("GET", H + "/proposal", {**STRANGERS, "service": 403, "anna": 403, "bertil": 403}, route=C + "/proposal")
add("GET", P + "/proposal", NOT_CLEARED, route=C + "/proposal")
add("POST", H + "/automated-decision/undo", {**STRANGERS, "service": 403, "anna": 403},
    {"reason": "Matrisprov."}, route=C + "/automated-decision/undo")
add("POST", P + "/automated-decision/undo", NOT_CLEARED, {"reason": "Matrisprov."},
    route=C + "/automated-decision/undo")
add("POST", H + "/review-request", {**STRANGERS, "service": 403, "karin": 403, "tove": 403},
    route=C + "/review-request")
add("POST", P + "/review-request", NOT_CLEARED, route=C + "/review-request")
ADMIN_ONLY = {"anna": 403, "karin": 403, "tove": 403, "maja": 403, "nils": 403, "service": 403, **ANON}
add("GET", "/admin/automation", {**ADMIN_ONLY, "adam": 200})
add("PUT", "/admin/automation", {**ADMIN_ONLY, "adam": 200}, {"enabled": False})

# Register extracts: refusals here (this world has no extract; tests/applications/test_api_registerutdrag.py has
# the whole matrix against one with data in every service).
X = "/{kind}/registerutdrag/" + NO_ID
for kind, refused in (("me", {"karin": 403, "adam": 403, "service": 403, "anna": 404}),
                      ("staff", {"anna": 403, "tove": 403, "adam": 403, "service": 403, "karin": 404})):
    for suffix in ("", ".pdf"):
        add("GET", X.format(kind=kind) + suffix, {**refused, **ANON}, route=f"/{kind}/registerutdrag/{{extract_id}}"
            + suffix)
add("GET", "/me/registerutdrag", {"karin": 403, "adam": 403, "service": 403, **ANON, "cecilia": 200})
add("POST", "/me/registerutdrag", {"karin": 403, "tove": 403, "adam": 403, "service": 403, **ANON})
add("POST", "/staff/registerutdrag", {"anna": 403, "tove": 403, "nils": 403, "adam": 403, "service": 403, **ANON,
                                      "lars": 404}, {"personal_number": ANNA})
# Letters: messaging's post room only ("service" here is messaging's token); tests/applications/test_letters.py has
# the other services, the languages and the same 404 for a recipient who is no party.
add("POST", "/internal/letters", {"anna": 403, "bertil": 403, "karin": 403, "tove": 403, "adam": 403, **ANON,
                                  "service": 200},
    lambda w: {"event_id": NO_ID, "kind": "decision", "ref": w["household"], "recipient": ANNA, "language": "sv"})

# Ombud (representations): refusals and the empty positive controls here; tests/applications/test_representation.py
# has every caller against representations that exist, and a representative acting under one.
REPRESENTATION = {"personal_number": ANNA, "representative": CECILIA, "representative_name": "Matris Ombud",
                  "kind": "fullmakt", "scopes": ["read"], "valid_until": "2026-06-30", "document": "fullmakt"}
add("POST", "/staff/representations", {"anna": 403, "cecilia": 403, "nils": 403, "service": 403, **ANON, "lars": 404},
    REPRESENTATION)
add("POST", "/staff/representations", {"karin": 404, "tove": 404}, {**REPRESENTATION, "personal_number": DANA})
add("GET", f"/staff/representations?personal_number={ANNA}", {"anna": 403, "cecilia": 403, "nils": 403,
                                                              "service": 403, **ANON, "lars": 404, "karin": 200},
    route="/staff/representations")
add("GET", f"/staff/representations?personal_number={DANA}", {"karin": 404, "tove": 404, "lars": 404, "maja": 200},
    route="/staff/representations")
add("POST", f"/staff/representations/{NO_ID}/revoke", {"anna": 403, "nils": 403, "service": 403, **ANON,
                                                       "karin": 404, "adam": 404},
    route="/staff/representations/{representation_id}/revoke")
for mine in ("/me/representations", "/me/representatives"):
    add("GET", mine, {"karin": 403, "tove": 403, "adam": 403, "service": 403, **ANON, "anna": 200})
add("POST", "/internal/representations/resolve", {"anna": 403, "karin": 403, "adam": 403, **ANON, "service": 404},
    {"representation_id": NO_ID, "representative": CECILIA})

# Appeals: refusals here (every caller, with the positive rows, in tests/applications/test_appeals.py).
APPEAL_TEXT = {"text": "Jag vill att hyran räknas med fullt ut."}
PAPER_APPEAL = {**APPEAL_TEXT, "received_on": "2026-03-02", "source": "paper"}
add("POST", "/me/cases/{household}/appeals", {**STRANGERS, "karin": 404, "tove": 404, "service": 403}, APPEAL_TEXT,
    route="/me/cases/{case_id}/appeals")
add("POST", "/me/cases/{protected}/appeals", {"anna": 404, "maja": 404}, APPEAL_TEXT,
    route="/me/cases/{case_id}/appeals")
add("POST", "/staff/cases/{household}/appeals", {**STRANGERS, "service": 403, "anna": 403, "bertil": 403},
    PAPER_APPEAL, route="/staff/cases/{case_id}/appeals")
add("POST", "/staff/cases/{protected}/appeals", NOT_CLEARED, PAPER_APPEAL, route="/staff/cases/{case_id}/appeals")
add("GET", "/staff/appeals", {"anna": 403, "dana": 403, "nils": 403, "adam": 403, "service": 403, **ANON,
                              "karin": 200})
for step, step_body in (("forward", {"forwarded_on": "2026-03-02"}),
                        ("reconsider", {"extent": "full", "decided_on": "2026-03-02", "change": "Hyran godtas."}),
                        ("dismiss", {"dismissed_on": "2026-03-02", "reason": "För sent."}),
                        ("court-ruling", {"outcome": "upheld", "ruled_on": "2026-03-02"})):
    add("POST", f"/staff/appeals/{NO_ID}/{step}", {"karin": 404, "anna": 404, "adam": 404, "service": 403, **ANON},
        step_body, route=f"/staff/appeals/{{appeal_id}}/{step}")

ROWS = [row for rows in ROUTES.values() for row in rows]


def test_every_route_is_in_the_matrix(issuer):
    app = make_app("postgresql+asyncpg://unused/none", issuer)
    assert_every_route_listed(app, ROUTES, PUBLIC)


def test_every_protected_route_refuses_someone():
    assert_every_protected_route_refuses_someone(ROUTES, open_to_all=[("GET", "/whoami")])


@pytest.fixture(scope="module")
async def client(issuer, idp_url, calc, registers):
    async with fresh_database("applications") as url:
        app = make_app(url, issuer, Clock(), registers=registers, **with_services(idp_url, calculation_url=calc[0]))
        async with app_client(app) as c:
            yield c


async def decided_case(client: Any, as_persona: Any, period: str) -> dict[str, str]:
    """Anna+Bertil's application for ``period`` taken by Karin, with a file and a document request, decided."""
    case = await submitted_case(client, as_persona, couple(period))
    url, k = f"/applications/{case['id']}", as_persona("karin")
    for method, path, kwargs in (("POST", "/assign", {}),
                                 ("POST", "/attachments", {"files": {"file": ("a.pdf", PDF)}, "headers": "anna"}),
                                 ("POST", "/document-requests", {"json": {"type": "rental_contract"}}),
                                 ("POST", "/calculation", {}),
                                 ("POST", "/decision", {"json": {"reasons_sv": "Beviljas.", "reasons_en": "OK.",
                                                                  "reason_for_need": "parental_leave"}})):
        headers = as_persona(kwargs.pop("headers", "karin"))
        r = await client.request(method, url + path, headers=headers, **kwargs)
        assert r.status_code in (200, 201), (path, r.text)
        if path == "/attachments":
            attachment = r.json()["id"]
        if path == "/document-requests":
            document = r.json()["id"]
    assert (await client.get(url, headers=k)).json()["status"] == "decided"
    return {"id": case["id"], "attachment": attachment, "document": document}


@pytest.fixture(scope="module")
async def world(client, as_persona):
    household = await decided_case(client, as_persona, "2026-03")
    draft = await client.post("/applications", headers=as_persona("anna"), json=couple("2026-05"))
    assert draft.status_code == 201, draft.text
    protected = await submitted_case(client, as_persona, single(DANA), signers=("dana",), owner="dana")
    syd = await client.post("/staff/applications", headers=as_persona("lars"),
                            json={"personal_number": CECILIA, "source": "visit", "content": single(CECILIA)})
    assert syd.status_code == 201, syd.text
    # Lars registers Cecilia's signed visit form and submits it, then asks her for a document.
    for path, body in (("/signatures", {"personal_number": CECILIA}), ("/submit", None)):
        step = await client.post(f"/applications/{syd.json()['id']}{path}", headers=as_persona("lars"), json=body)
        assert step.status_code in (200, 201), step.text
    asked = await client.post(f"/applications/{syd.json()['id']}/document-requests", headers=as_persona("lars"),
                              json={"type": "rental_contract"})
    assert asked.status_code == 201, asked.text
    return {"household": household["id"], "attachment": household["attachment"], "document": household["document"],
            "draft": draft.json()["id"], "protected": protected["id"], "syd": syd.json()["id"],
            "syd_document": asked.json()["id"]}


@pytest.fixture(scope="module")
def headers_for(issuer, as_persona):
    return caller_headers(issuer, as_persona, "messaging")


@pytest.mark.parametrize(("method", "path", "caller", "expected", "body"), ROWS,
                         ids=[f"{m} {p} {w}-{s}" for m, p, w, s, _ in ROWS])
async def test_access(client, headers_for, world, method, path, caller, expected, body):
    kwargs: dict[str, Any] = {"headers": headers_for(caller)}
    if body == FILE:
        kwargs["files"] = {"file": ("b.pdf", PDF)}
    elif body is not None:
        kwargs["json"] = body(world) if callable(body) else body
    response = await client.request(method, path.format(**world), **kwargs)
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.headers["content-type"] == PROBLEM
    assert_body_tells_nothing_more(response, caller, known=path.format(**world) + str(kwargs.get("json")), ids=world)


async def test_the_refused_changes_left_the_cases_as_they_were(client, headers_for, world):
    household = (await client.get(f"/applications/{world['household']}", headers=headers_for("karin"))).json()
    assert household["status"] == "decided" and household["assigned"] == {"caseworker": "persona:karin"}
    draft = (await client.get(f"/applications/{world['draft']}", headers=headers_for("anna"))).json()
    assert draft["status"] == "draft"
    protected = (await client.get(f"/applications/{world['protected']}", headers=headers_for("maja"))).json()
    assert protected["status"] == "submitted" and not protected["assigned"]


@pytest.mark.parametrize(("caller", "hidden"), [("lars", "household"), ("nils", "household"), ("karin", "protected"),
                                                ("tove", "protected"), ("karin", "syd")])
async def test_the_queue_holds_nothing_of_others(client, headers_for, world, caller, hidden):
    for view in ("all", "unassigned", "mine"):
        page = (await client.get(f"/queue?view={view}", headers=headers_for(caller))).json()
        assert world[hidden] not in {c["id"] for c in page["items"]}, (caller, view)


@pytest.mark.parametrize("caller", ["bertil", "cecilia"])
async def test_my_cases_hold_only_my_household(client, headers_for, world, caller):
    mine = {c["id"] for c in (await client.get("/me/cases", headers=headers_for(caller))).json()["items"]}
    assert world["protected"] not in mine and (world["syd"] in mine) is (caller == "cecilia")
    assert (world["household"] in mine) is (caller == "bertil")


@pytest.mark.parametrize(("method", "path"), sorted(PUBLIC))
async def test_public_routes_answer_without_a_token(client, method, path):
    assert (await client.request(method, path)).status_code == 200


# --- findings beyond the matrix: who can be given access, and by whom ---------------------------------------------

async def test_staff_cannot_open_a_case_for_a_protected_client_without_clearance(client, as_persona, world):
    """Karin (Nord, not cleared) registers a paper application for Dana, whose identity is protected."""
    r = await client.post("/staff/applications", headers=as_persona("karin"),
                          json={"personal_number": DANA, "source": "paper", "content": single(DANA, "2026-10")})
    assert r.status_code == 404, r.text


async def test_an_employment_officer_assignment_gives_the_work_facts_only(client, as_persona):
    """Karin adds a second responsible person 'as employment officer'. Whoever that is must get the work sections
    (status, plan, meetings) only, not the money, the files or the right to decide."""
    case = await decided_case(client, as_persona, "2026-06")
    url = f"/applications/{case['id']}"
    # Only an employment officer the service has seen may be one: Lars (a caseworker in Syd) is refused (issue 11).
    for who in ("nils", "lars"):
        await client.get("/queue", headers=as_persona(who))
    lars = await client.post(f"{url}/assign", headers=as_persona("karin"),
                             json={"role": "employment_officer", "sub": "persona:lars"})
    assert lars.status_code == 422, lars.text
    for sub, who in (("persona:nils", "nils"),):
        r = await client.post(f"{url}/assign", headers=as_persona("karin"),
                              json={"role": "employment_officer", "sub": sub})
        assert r.status_code == 200, r.text
        assert (await client.get(url, headers=as_persona(who))).status_code == 200, who
        refused = await client.post(f"{url}/pay", headers=as_persona(who))
        assert refused.status_code in (403, 404), (who, "may take a caseworker's step as 'employment officer'")
        for path in ("/attachments", "/decision"):
            seen = await client.get(url + path, headers=as_persona(who))
            assert seen.status_code == 404, (who, path, "reads the money and files as 'employment officer'")


async def test_only_the_payment_system_marks_a_case_paid(client, as_persona, issuer):
    """Not any service token (here the meetings service's) may mark a decided case paid: the payment system may."""
    case = await decided_case(client, as_persona, "2026-07")
    r = await client.post(f"/applications/{case['id']}/pay",
                          headers={"Authorization": f"Bearer {issuer.service_token('meetings')}"})
    assert r.status_code == 403, r.text
    # The payment system (APPLICATIONS_SYSTEM_CLIENTS) may.
    r = await client.post(f"/applications/{case['id']}/pay", json={"reference": "UTB-7"},
                          headers={"Authorization": f"Bearer {issuer.service_token('payments')}"})
    assert r.status_code == 200 and r.json()["status"] == "paid", r.text


@pytest.mark.parametrize("mangle", ["not-a-uuid", NO_ID])
@pytest.mark.parametrize("caller", ["anna", "karin", "service"])
async def test_unknown_or_malformed_ids_are_never_a_500(client, headers_for, world, mangle, caller):
    names = ("case_id", "attachment_id", "request_id", "extract_id", "representation_id", "appeal_id")
    for (method, route), rows in ROUTES.items():
        if "{" not in route:
            continue
        body = rows[0][4]
        kwargs: dict[str, Any] = {"headers": headers_for(caller)}
        if body == FILE:
            kwargs["files"] = {"file": ("b.pdf", PDF)}
        elif body is not None:
            kwargs["json"] = body(world) if callable(body) else body
        url = route.format(**dict.fromkeys(names, mangle), step="receive")
        response = await client.request(method, url, **kwargs)
        assert 400 <= response.status_code < 500, (method, url, response.status_code, response.text)


async def test_naming_a_partner_does_not_reveal_whether_they_are_a_client(client, as_persona, world):
    answers = {}
    for month, partner in (("2026-11", ANNA), ("2026-12", DANA), ("2027-01", pnr_for(dt.date(1960, 6, 6)))):
        content = single(CECILIA, month)
        content["household"]["partner"] = {"personal_number": partner, "relation": "cohabiting"}
        r = await client.post("/applications", headers=as_persona("cecilia"), json=content)
        answers[partner] = (r.status_code, r.json().get("type"))
    assert len(set(answers.values())) == 1, answers


async def test_a_partner_in_another_household_finds_out_when_they_sign(client, as_persona, world):
    """Only the named partner learns that they already apply elsewhere, and nothing is submitted without them."""
    content = single(CECILIA, "2027-02")
    content["household"]["partner"] = {"personal_number": ANNA, "relation": "cohabiting"}
    made = await client.post("/applications", headers=as_persona("cecilia"), json=content)
    assert made.status_code == 201, made.text
    url = f"/applications/{made.json()['id']}"
    assert (await client.post(f"{url}/signatures", headers=as_persona("cecilia"))).status_code == 201
    refused = await client.post(f"{url}/signatures", headers=as_persona("anna"))
    assert refused.status_code == 409 and refused.json()["type"].endswith("co-applicant-in-other-household")
    submitted = await client.post(f"{url}/submit", headers=as_persona("cecilia"))
    assert submitted.status_code == 422
    assert "signature.partner" in {m["code"] for m in submitted.json()["missing"]}
