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
# they were {} before.
# Issue 14, registerutdrag: the client's and staff's routes in applications, each service's internal part.
ADDED_PATHS: frozenset[str] = frozenset({
    *(f"/api/applications/{who}/registerutdrag{tail}" for who in ("me", "staff")
      for tail in ("", "/{extract_id}", "/{extract_id}.pdf")),
    "/api/meetings/internal/subject-access", "/api/messaging/internal/subject-access"})
ADDED_SCHEMAS: frozenset[str] = frozenset({
    *(f"Applications_{name}" for name in ("Registerutdrag", "RegisterutdragIn", "RegisterutdragList",
                                          "RegisterutdragPart", "RegisterutdragSummary", "ServiceAnswered")),
    *(f"{service}_{name}" for service in ("Meetings", "Messaging")
      for name in ("Entry", "Item", "Section", "SubjectAccessAnswer", "SubjectAccessRequest", "Text"))})


def _without_additions(document: dict[str, Any]) -> dict[str, Any]:
    document = json.loads(json.dumps(document))  # a deep copy with the snapshot's JSON types
    for path in ADDED_PATHS:
        document["paths"].pop(path, None)
    for name in ADDED_SCHEMAS:
        document["components"]["schemas"].pop(name, None)
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
