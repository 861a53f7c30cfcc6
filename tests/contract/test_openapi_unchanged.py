"""The restructuring into one shape per service changes no wire: the merged OpenAPI document equals the one
saved before it (openapi_snapshot.json), apart from additions listed here on purpose."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.contract.openapi_document import merged_document

SNAPSHOT = Path(__file__).with_name("openapi_snapshot.json")

# Paths and schema names added since the snapshot, each on purpose. Changed in the snapshot itself, on
# purpose: the 200 answers of calculation's POST /calculations, /calculations/batch and /trial name their schema
# (contracts.calculation: Calculation_CalculationResult, Calculation_BatchResult and the schemas they use) where
# they were {} before. Removed from the snapshot, on purpose (issue 13: protected identity comes from the population
# register through the registers service): applications' PUT /staff/people/protection (the registrar's checkbox) and
# POST /internal/protection (meetings and messaging ask the registers now), with their four schemas
# (Applications_ProtectionIn/Out/Query/Answer).
# Issue 13 (the decision proposal and automation) adds four applications paths and their schemas, and changes three
# schemas in the snapshot on purpose: Applications_Decision (automated, delegation), Applications_QueueItem (the
# proposal's state, the fast_lane / automated / review_requested flags) and Applications_MyCaseOut (register_lookups).
ADDED_PATHS: frozenset[str] = frozenset({
    "/api/applications/admin/automation", "/api/applications/applications/{case_id}/automated-decision/undo",
    "/api/applications/applications/{case_id}/proposal", "/api/applications/applications/{case_id}/review-request",
    "/api/applications/figures",
    # Issue 14, registerutdrag: the client's and staff's routes in applications, each service's internal part.
    *(f"/api/applications/{who}/registerutdrag{tail}" for who in ("me", "staff")
      for tail in ("", "/{extract_id}", "/{extract_id}.pdf")),
    "/api/meetings/internal/subject-access", "/api/messaging/internal/subject-access",
    # Issue 14 item 3, letters: messaging's post room (the print-and-post operator's batches).
    "/api/messaging/letters/batches", "/api/messaging/letters/batches/{day}",
    # Issue 14, ombud: staff register, list and revoke representations; the representative's and the client's lists;
    # messaging and meetings resolve one (contracts.representation). X-Representation is read by kit.auth, not a
    # documented parameter, so no other operation changes.
    "/api/applications/staff/representations", "/api/applications/staff/representations/{representation_id}/revoke",
    "/api/applications/me/representations", "/api/applications/me/representatives",
    "/api/applications/internal/representations/resolve",
    # Issue 14, letters for clients without digital access: the letter's PDF from the service that owns its content
    # (contracts/letters.py), for messaging's post room.
    "/api/applications/internal/letters", "/api/meetings/internal/letters",

    # Issue 14, appeals (överklagande): the client's, staff registering a paper one, the unit's queue, the steps.
    "/api/applications/me/cases/{case_id}/appeals", "/api/applications/staff/cases/{case_id}/appeals",
    "/api/applications/staff/appeals",
    # Messaging takes an outbox relay's claimed batch of events in one request (contracts/events.py).
    "/api/messaging/events/batch",
    *(f"/api/applications/staff/appeals/{{appeal_id}}/{step}" for step in ("forward", "reconsider", "dismiss",
                                                                         "court-ruling"))})
ADDED_SCHEMAS: frozenset[str] = frozenset({
    "Applications_AutomationPolicyIn", "Applications_AutomationPolicyOut", "Applications_ProposalCheckOut",
    "Applications_ProposalOut", "Applications_QueueProposal", "Applications_RegisterLookupOut",
    "Applications_ReviewRequestIn", "Applications_ReviewRequestOut", "Applications_UndoIn",
    "Applications_FiguresOut", "Applications_MonthFigures", "Applications_ApplicationFigures",
    "Applications_LeadTime", "Applications_DecisionFigures", "Applications_ProposalFigures",
    *(f"Applications_{name}" for name in ("Registerutdrag", "RegisterutdragIn", "RegisterutdragList",
                                          "RegisterutdragPart", "RegisterutdragSummary", "ServiceAnswered")),
    *(f"Applications_{name}" for name in ("RepresentationIn", "RepresentationOut", "RepresentationList",
                                          "MyRepresentationOut", "MyRepresentations", "MyRepresentativeOut",
                                          "MyRepresentatives", "RepresentationKind", "Scope", "ResolveRequest",
                                          "Resolved")),
    *(f"{service}_{name}" for service in ("Meetings", "Messaging")
      for name in ("Entry", "Item", "Section", "SubjectAccessAnswer", "SubjectAccessRequest", "Text")),
    "Messaging_LetterBatchDay", "Messaging_LetterBatchList", "Applications_MyCase",
    *(f"Messaging_{name}" for name in ("EventBatchIn", "EventBatchOut", "EventResult", "EventProblem")),
    *(f"{service}_{name}" for service in ("Applications", "Meetings")
      for name in ("LetterDocument", "LetterKind", "LetterRequest")),
    *(f"Applications_{name}" for name in ("AppealIn", "StaffAppealIn", "ForwardIn", "ReconsiderIn", "DismissIn",
                                          "CourtRulingIn", "CourtOutcome", "Extent", "MyAppealOut", "AppealOut",
                                          "AppealQueue", "AppealQueueItem"))})
# Issue 14 item 3 (letters) changes two schemas in the snapshot on purpose: Messaging_ContactIn and
# Messaging_StaffContactIn take the channel "letter" (at most three channels).
# Issue 13 (figures): a unit's figures for its team lead (GET /figures); the decision (POST and GET
# /applications/{case_id}/decision) carries the reason for need (försörjningshinder): the body's reason_for_need and
# the answer DecisionOut (the Decision with reason_for_need_label).
# Issue 14 (languages), changed in the snapshot on purpose, additively: messaging's Messaging_ContactIn and
# Messaging_StaffContactIn accept the language "ar" (and describe it), Messaging_ContactOut says the language's
# "direction" (ltr/rtl); meetings' GET /bookings/{booking_id}.ics and GET/POST /join/{token} take an optional
# Accept-Language header, and Meetings_JoinOut carries the title's "lang" and "direction". Applications' client
# views (GET /me/cases, /me/cases/{case_id}, /me/invitations) take ?lang= sv, en or ar (optional now: else the saved
# language, else Accept-Language) and answer language and direction (Applications_MyCases, Applications_Invitations
# changed in the snapshot; /me/cases/{case_id} answers Applications_MyCase, added); the decision letter's ?lang= takes
# ar too.
# Issue 15 (tracing), changed in the snapshot on purpose, additively: Messaging_EventIn carries an optional "trace"
# (the W3C trace context of the change), so each event of a batch continues its own trace.
# Whole services added since the snapshot: their tag, their paths (/api/<service>/...) and schemas (<Service>_...).
# Registers' POST /internal/subject-access (Registers_SubjectAccessRequest/Answer, _Section, _Item, _Entry, _Text)
# is covered by "registers" here.
ADDED_SERVICES: frozenset[str] = frozenset({"registers"})


def _without_additions(document: dict[str, Any]) -> dict[str, Any]:
    document = json.loads(json.dumps(document))  # a deep copy with the snapshot's JSON types
    for path in ADDED_PATHS:
        document["paths"].pop(path, None)
    for name in ADDED_SCHEMAS:
        document["components"]["schemas"].pop(name, None)
    for service in ADDED_SERVICES:
        document["tags"] = [t for t in document["tags"] if t["name"] != service]
        document["paths"] = {p: v for p, v in document["paths"].items() if not p.startswith(f"/api/{service}/")}
        document["components"]["schemas"] = {n: v for n, v in document["components"]["schemas"].items()
                                             if not n.startswith(f"{service.capitalize()}_")}
    return document


def test_every_path_is_as_before():
    before = json.loads(SNAPSHOT.read_text())
    now = _without_additions(merged_document())
    assert sorted(now["paths"]) == sorted(before["paths"])
    for path, operations in before["paths"].items():
        assert now["paths"][path] == operations, path


def test_every_schema_is_as_before():
    before = json.loads(SNAPSHOT.read_text())["components"]["schemas"]
    now = _without_additions(merged_document())["components"]["schemas"]
    assert sorted(now) == sorted(before)
    for name, schema in before.items():
        assert now[name] == schema, name


def test_the_whole_document_is_as_before():
    assert _without_additions(merged_document()) == json.loads(SNAPSHOT.read_text())
