"""Every service's OpenAPI documents its error answers the same way: problem+json with one Problem schema
(kit.problems.document_problems), never FastAPI's own HTTPValidationError (our 422s are problems)."""

from __future__ import annotations

import pytest

from tests.fuzz import (
    test_applications_openapi,
    test_calculation_openapi,
    test_meetings_openapi,
    test_messaging_openapi,
    test_registers_openapi,
)

DOCUMENTS = {"applications": test_applications_openapi.DOCUMENT, "calculation": test_calculation_openapi.DOCUMENT,
             "messaging": test_messaging_openapi.DOCUMENT, "meetings": test_meetings_openapi.DOCUMENT,
             "registers": test_registers_openapi.DOCUMENT}


@pytest.mark.parametrize("service", sorted(DOCUMENTS))
def test_errors_are_documented_as_problems(service):
    document = DOCUMENTS[service]
    assert "HTTPValidationError" not in str(document)
    assert document["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status.isdigit() and int(status) >= 400:
                    assert response["content"] == {"application/problem+json": {
                        "schema": {"$ref": "#/components/schemas/Problem"}}}, (method, path, status)


def test_what_an_operation_can_answer_follows_from_what_it_has():
    paths = test_calculation_openapi.DOCUMENT["paths"]
    assert set(paths["/calculations"]["post"]["responses"]) == {"200", "400", "401", "403", "413", "422"}
    assert set(paths["/trial"]["post"]["responses"]) == {"200", "400", "413", "422"}  # public: no token check
    assert set(paths["/norms/{year}"]["get"]["responses"]) == {"200", "400", "404", "422"}
    assert set(paths["/livez"]["get"]["responses"]) == {"200"}
    events = test_messaging_openapi.DOCUMENT["paths"]["/events"]["post"]["responses"]
    assert {"401", "403", "409", "422"} <= set(events)  # require_roles("service") checks a token too
