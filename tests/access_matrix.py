"""Shared parts of the per-service access matrices (tests/<service>/test_api_bola_matrix.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any


def routes(app: Any) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, through included routers (FastAPI nests them lazily)."""
    try:
        from fastapi.routing import _IncludedRouter  # type: ignore[attr-defined]
    except ImportError:  # older FastAPI: routes are flat
        _IncludedRouter = ()  # noqa: N806

    def walk(items: Iterable[Any]) -> Iterator[tuple[str, str]]:
        for r in items:
            if _IncludedRouter and isinstance(r, _IncludedRouter):
                yield from walk(r.effective_candidates())
            else:
                for m in (getattr(r, "methods", None) or {"*"}) - {"HEAD"}:
                    yield m, r.path

    return set(walk(app.routes))


def assert_every_route_listed(app: Any, matrix: Mapping[tuple[str, str], Any], public: set[tuple[str, str]]) -> None:
    """A new endpoint without access rows turns the suite red."""
    assert routes(app) == set(matrix) | public, "a route without access rows: add it to ROUTES or PUBLIC"


def assert_every_protected_route_refuses_someone(matrix: Mapping[tuple[str, str], list[tuple[Any, ...]]],
                                                 open_to_all: Iterable[tuple[str, str]] = ()) -> None:
    """Each protected route answers 401 without a token and refuses (403/404) someone with one, unless it is
    meant for every signed-in caller."""
    everyone = set(open_to_all)
    for route, rows in matrix.items():
        statuses = {row[3] for row in rows}
        assert 401 in statuses, route
        assert statuses & {403, 404} or route in everyone, route


def caller_headers(issuer: Any, as_persona: Any, service: str, other_service: str | None = None,
                   audience: str | None = None) -> Callable[[str], dict[str, str]]:
    """The Authorization header for a matrix caller: a persona, "anon", "forged", "service" (``service``'s
    client-credentials token: for ``audience``, else for every service the IdP lets it call) or "other-service"."""
    def headers(caller: str) -> dict[str, str]:
        if caller == "anon":
            return {}
        if caller == "forged":
            return {"Authorization": "Bearer not.a.token"}
        if caller == "service":
            return {"Authorization": f"Bearer {issuer.service_token(service, audience)}"}
        if caller == "other-service" and other_service:
            return {"Authorization": f"Bearer {issuer.service_token(other_service)}"}
        return as_persona(caller)

    return headers
