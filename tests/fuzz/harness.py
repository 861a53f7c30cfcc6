"""Property-based fuzzing of a service's OpenAPI document (schemathesis) against the real app on a fresh database.

Every operation gets a bounded number of generated requests (valid ones and ones that break the schema), sent as
a client (anna), a caseworker (karin) and without a token, in-process. Each answer is checked: no server error,
a documented status code and content type, a body that fits the documented schema. Deterministic (derandomized)
so CI runs the same requests every time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from simulators.idp.app import Issuer
from tests.support import serve_in_thread, token_for

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
METHODS = ("get", "put", "post", "delete", "patch")
PERSONAS = ("anna", "karin", None)  # a client, a caseworker, nobody


def operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [(method.upper(), path) for path, item in document["paths"].items() for method in item if method in METHODS]


def params(document: dict[str, Any], known: dict[tuple[str, str], str] | None = None) -> list[Any]:
    """pytest params, one per operation; ``known``: (METHOD, path) -> why it is expected to fail (xfail)."""
    known = known or {}
    return [pytest.param(method, path, id=f"{method} {path}",
                         marks=[pytest.mark.xfail(reason=known[(method, path)], strict=False)]
                         if (method, path) in known else [])
            for method, path in operations(document)]


def served_schema(app: Any) -> Iterator[Any]:
    """The app served by uvicorn on a free port (a thread with its own loop: the lifespan runs once, as in
    production), and its own /openapi.json loaded by schemathesis with that base URL. Not schemathesis' in-process
    ASGI transport: its pytest plugin ends the app's lifespan after every test and starts it again on the next
    request, which a service (metrics registered at start-up) does not support."""
    with serve_in_thread(app) as url:
        yield schemathesis.openapi.from_url(f"{url}/openapi.json")


def fuzz(schema: Any, issuer: Issuer, method: str, path: str, *, max_examples: int = 20,
         extra_headers: Callable[[str | None], dict[str, str]] | None = None) -> None:
    operation = schema[path][method]
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))
    tokens = {p: {"Authorization": f"Bearer {token_for(issuer, p)}"} if p else {} for p in PERSONAS}

    @settings(max_examples=max_examples, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    @given(case=cases, persona=st.sampled_from(PERSONAS))
    def run(case: Any, persona: str | None) -> None:
        headers = {**tokens[persona], **(extra_headers(persona) if extra_headers else {})}
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()
